"""Property tests (hypothesis) for the parsers of untrusted input: patch files (mail and plain,
CRLF, non-UTF-8, odd headers), series.yaml, DEP-3 headers and quilt series files.

Properties: parsing never raises anything but patchq's own error types, and where there is a
renderer, rendering what was parsed and parsing it again is a fixed point. Examples are few
and the deadline is set so that the default test run stays quick."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchq.errors import PatchqError
from patchq.imports import importer
from patchq.patches import dep3, patchfile, quilt
from patchq.series import io as series
from patchq.series.model import STATUSES, Patch, Series, Status, Upstream, UpstreamLinks

QUICK = settings(max_examples=40, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

HEADER_NAMES = [
    "From",
    "Date",
    "Subject",
    "Description",
    "Origin",
    "Forwarded",
    "Bug",
    "Applied-Upstream",
    "Author",
    "Last-Update",
    "Content-Type",
    "X-Odd",
    "from",
]
line_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=40
)
eol = st.sampled_from(["\n", "\r\n"])

# hypothesis explores a few hundred inputs per property: the slow set runs them (CI does).
pytestmark = pytest.mark.slow


@st.composite
def patch_files(draw: st.DrawFn) -> bytes:
    """Mail-ish or plain patch files with odd headers, CRLF and non-UTF-8 bytes."""
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001")
    for _ in range(draw(st.integers(0, 5))):
        name = draw(st.sampled_from(HEADER_NAMES))
        parts.append(f"{name}:{draw(line_text)}")
        if draw(st.booleans()):
            parts.append(" " + draw(line_text))  # a folded continuation
    parts.append("")
    parts += draw(st.lists(line_text, max_size=4))
    if draw(st.booleans()):
        parts += ["---", " a | 2 +-"]
    if draw(st.booleans()):
        path = draw(st.sampled_from(["a", "nova/api.py", "x y", "é"]))
        parts += [
            f"diff --git a/{path} b/{path}",
            f"--- a/{path}",
            f"+++ b/{path}",
            "@@ -1 +1 @@",
            "-" + draw(line_text),
            "+" + draw(line_text),
        ]
    end = draw(eol)
    data = end.join(parts).encode("utf-8", "surrogateescape")
    if draw(st.booleans()):
        data += draw(st.binary(max_size=30))  # non-UTF-8 tail
    return data


@QUICK
@given(st.one_of(patch_files(), st.binary(max_size=300)))
def test_patch_parsing_raises_only_patchq_errors(raw: bytes) -> None:
    try:
        parsed = patchfile.parse(raw, source="p")
    except PatchqError:
        return
    assert isinstance(parsed.subject, str) and isinstance(parsed.diff, bytes)
    parsed.paths, parsed.change_id, parsed.has_mail_header  # noqa: B018 (must not raise)
    with contextlib.suppress(PatchqError):
        importer.normalise(raw, source="p", fallback_date="Thu, 1 Jan 1970 00:00:00 +0000")


words = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ÀéΩ-[]:.", min_size=1, max_size=30)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@QUICK
@given(
    subject=words.filter(lambda s: not s.startswith(("[", "re:", "Re:", "RE:", ":"))),
    body=st.lists(words, max_size=3).map("\n\n".join),
    author=st.sampled_from(["Jane Doe <jane@example.org>", "Zoë <z@example.org>"]),
    crlf=st.booleans(),
)
def test_render_then_parse_is_a_fixed_point(
    subject: str, body: str, author: str, crlf: bool
) -> None:
    diff = b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
    date = "Fri, 31 Jan 2025 10:00:00 +0100"
    rendered = patchfile.render(author=author, date=date, subject=subject, body=body, diff=diff)
    raw = rendered.replace(b"\n", b"\r\n") if crlf else rendered
    parsed = patchfile.parse(raw)
    assert (parsed.subject, parsed.body.strip(), parsed.author) == (subject, body.strip(), author)
    again = patchfile.render(
        author=parsed.author,
        date=parsed.date,
        subject=parsed.subject,
        body=parsed.body,
        diff=parsed.diff,
    )
    assert again == rendered


yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.sampled_from(STATUSES)
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "file",
                    "status",
                    "reason",
                    "upstream",
                    "x",
                    "name",
                    "path",
                    "base",
                    "base_commit",
                    "review",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@QUICK
@given(
    st.one_of(
        st.text(max_size=200),
        st.fixed_dictionaries(
            {
                "version": st.sampled_from([1, 2, "1"]),
                "upstream": yaml_values,
                "patches": yaml_values,
                "history": yaml_values,
            }
        ).map(lambda d: __import__("yaml").safe_dump(d)),
    )
)
def test_series_loading_raises_only_patchq_errors(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "series.yaml").write_text(text, "utf-8")
        with contextlib.suppress(PatchqError):
            series.load_with_problems(root)


file_names = st.from_regex(r"[0-9]{4}-[A-Za-z0-9._-]{1,20}\.patch", fullmatch=True)
texts = st.text(alphabet="abc xyz-:#'\"yes no 1.0", min_size=1, max_size=20).filter(
    lambda s: s.strip() == s and s
)


@st.composite
def models(draw: st.DrawFn) -> Series:
    files = draw(st.lists(file_names, unique=True, max_size=4))
    patches = tuple(
        Patch(
            file=f,
            status=draw(st.sampled_from(list(Status))),
            reason=draw(st.none() | texts),
            owner=draw(st.none() | texts),
            added=draw(st.none() | st.just("2025-01-31")),
            upstream=UpstreamLinks(
                change_id=draw(st.none() | st.just("I" + "a" * 40)),
                review=draw(st.none() | texts),
            ),
        )
        for f in files
    )
    upstream = Upstream(
        name="nova",
        path=draw(texts),
        base=draw(texts),
        base_commit="0" * 40,
        branch=draw(st.none() | texts),
    )
    return Series(upstream=upstream, patches=patches)


@QUICK
@given(models(), models())
def test_series_save_then_load_is_a_fixed_point(first: Series, second: Series) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        series.save(root, first)
        loaded, problems = series.load_with_problems(root, check_files=False)
        assert problems == [] and loaded == first
        series.save(root, second)  # an edit of an existing document
        loaded, problems = series.load_with_problems(root, check_files=False)
        assert problems == [] and loaded == second
        series.save(root, first)  # and back (quoting may differ: the model may not)
        assert series.load_with_problems(root, check_files=False) == (first, [])


@QUICK
@given(st.text(max_size=300))
def test_dep3_parsing_never_raises(text: str) -> None:
    for para in dep3.paragraphs(text):
        dep3.parse_block(para)
    dep3.pseudo_headers(text)


@QUICK
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "a.patch",
                    "b.patch -p0",
                    "a.patch",
                    "# c",
                    "",
                    "../x",
                    "/etc/x",
                    "a.patch -R",
                    "b.patch -p2 # note",
                    "missing.patch",
                ]
            ),
            line_text,
        ),
        max_size=6,
    )
)
def test_quilt_series_reading_raises_only_patchq_errors(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "a.patch").write_text("x")
        (root / "b.patch").write_text("y")
        (root / "series").write_text("\n".join(lines) + "\n", errors="surrogateescape")
        try:
            entries = quilt.read_series(root / "series")
        except PatchqError:
            return
        assert all(e.path.parent == root and e.path.is_file() for e in entries)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(line_text.filter(lambda s: s.strip() == s), min_size=1, max_size=6),
    subject=words,
    crlf=st.booleans(),
)
def test_import_then_apply_gives_the_tree_git_am_gives(
    lines: list[str], subject: str, crlf: bool
) -> None:
    from click.testing import CliRunner

    from patchq.cli import cli
    from tests.builders import UpstreamRepo, git

    with tempfile.TemporaryDirectory() as tmp:
        up = UpstreamRepo(Path(tmp) / "up")
        up.commit("base", {"f.txt": "one\ntwo\nthree\n"})
        up.tag("1.0")
        up.commit(subject, {"f.txt": "one\n" + "".join(f"{x}\n" for x in lines) + "three\n"})
        mail = Path(git(up.path, "format-patch", "-1", "-o", tmp).strip())
        if crlf:
            mail.write_bytes(mail.read_bytes().replace(b"\n", b"\r\n"))
        git(up.path, "checkout", "-q", "-b", "am", "1.0")
        git(up.path, "am", "-q", str(mail))
        wanted = git(up.path, "rev-parse", "am^{tree}").strip()
        pkg = Path(tmp) / "pkg"
        pkg.mkdir()
        runner = CliRunner()
        for args in (
            ["init", "--upstream", str(up.path), "--base", "1.0"],
            ["import", str(mail)],
            ["apply", "--onto", "1.0", "--branch", "carried"],
        ):
            result = runner.invoke(cli, ["-C", str(pkg), *args], catch_exceptions=False)
            assert result.exit_code == 0, (args, result.stderr)
        assert git(up.path, "rev-parse", "carried^{tree}").strip() == wanted
