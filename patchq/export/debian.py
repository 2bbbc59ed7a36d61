"""`patchq export --format debian DIR`: a quilt `series` and one DEP-3 headed patch per entry.

The header block is built and edited with python-debian's deb822 (an ordered, case-insensitive
field map that keeps continuation lines as written). patchq owns the fields in OWNED; any other
field of an existing file's header (Reviewed-by, Bug-Debian, X-...) is kept where it was, and
so is free text between the header and the diff.

In DIR/series, patchq writes its entries between `# patchq: begin` and `# patchq: end`; every
line outside the markers is the packager's and stays where it is.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Sequence
from pathlib import Path

from debian import deb822

from patchq.errors import ConfigError
from patchq.export.common import Loaded, Output, inside
from patchq.patches import dep3
from patchq.series.model import Patch, Series, Status

SERIES = "series"
BEGIN = "# patchq: begin"
END = "# patchq: end"
# The fields patchq writes, in the order a new header gets them. Subject and From are DEP-3's
# aliases of Description and Author: an old header's copy is replaced, not kept beside ours.
ORDER = (
    "Description",
    "Author",
    "Origin",
    "Bug-Launchpad",
    "Forwarded",
    "Applied-Upstream",
    "Change-Id",
    "Last-Update",
)
OWNED = frozenset(name.lower() for name in (*ORDER, "Subject", "From"))
# Where the header region ends: lintian splits at the first `---`; a bare diff has none.
_HEADER_END = re.compile(rb"^(?:---|diff |Index: )", re.M)
_SERIES_NAME = re.compile(r"(?:^|\s+)#.*$")


def plan(loaded: Sequence[Loaded], series: Series, directory: Path) -> Output:
    files: dict[Path, bytes] = {}
    for item in loaded:
        path = inside(directory, directory / item.patch.file, "export")
        existing = path.read_bytes() if path.is_file() else None
        fields = header_fields(item, series.upstream.url)
        files[path] = render_patch(fields, item.parsed.diff, existing)
    series_path = inside(directory, directory / SERIES, "export")
    old_text = _read_series(series_path)
    names = [item.patch.file for item in loaded]
    text, previously = render_series(old_text, names)
    files[series_path] = text.encode("utf-8")
    still_listed = set(names) | _unmanaged_names(text)
    removals = tuple(
        inside(directory, directory / name, "export")
        for name in previously
        if name not in still_listed and (directory / name).is_file()
    )
    return Output("debian", directory, files, removals)


# -- the DEP-3 header ---------------------------------------------------------------------------


def header_fields(item: Loaded, upstream_url: str | None) -> dict[str, str]:
    """The fields patchq owns, from series.yaml and the patch (formats.md §1 and §9)."""
    patch, parsed = item.patch, item.parsed
    links = patch.upstream
    status = patch.status
    commit_ref = _commit_ref(links.commit, upstream_url)
    fields: dict[str, str] = {"Description": _description(parsed.subject, parsed.body, patch)}
    fields["Author"] = parsed.author
    if status in (Status.BACKPORT, Status.MERGED):
        fields["Origin"] = f"upstream, {commit_ref}" if commit_ref else "upstream"
    elif status is Status.DOWNSTREAM_ONLY:
        fields["Origin"] = "vendor"
    if links.bug:
        fields["Bug-Launchpad"] = links.bug
    forwarded = _forwarded(patch)
    if forwarded:
        fields["Forwarded"] = forwarded
    if status is Status.MERGED and (commit_ref or links.review):
        fields["Applied-Upstream"] = commit_ref or links.review or ""
    change_id = links.change_id or parsed.change_id
    if change_id:
        fields["Change-Id"] = change_id
    day = _day(patch, parsed.date)
    if day:
        fields["Last-Update"] = day
    return fields


def _forwarded(patch: Patch) -> str | None:
    review = patch.upstream.review
    if patch.status is Status.PENDING:
        return "no"
    if patch.status is Status.DOWNSTREAM_ONLY:
        return "not-needed"
    if patch.status in (Status.SUBMITTED, Status.REJECTED):
        return review or "yes"
    return review  # merged, backport: the review when known; Origin says the rest


def _commit_ref(commit: str | None, upstream_url: str | None) -> str | None:
    if not commit:
        return None
    if upstream_url and upstream_url.startswith(("https://", "http://")):
        return f"{upstream_url.rstrip('/').removesuffix('.git')}/commit/{commit}"
    return f"commit:{commit}"


def _description(subject: str, body: str, patch: Patch) -> str:
    """Subject, then the body as deb822 continuation lines (` .` for an empty line)."""
    paragraphs = [body.strip("\n")] if body.strip() else []
    if patch.reason and patch.status in (Status.DOWNSTREAM_ONLY, Status.REJECTED):
        paragraphs.append(f"Why it is carried: {patch.reason}")
    lines = [subject.strip() or patch.name]
    for number, paragraph in enumerate(paragraphs):
        if number:
            lines.append(" .")
        for line in paragraph.split("\n"):
            line = line.rstrip()
            lines.append(f" {line}" if line.strip() else " .")
    return "\n".join(lines)


def _day(patch: Patch, date: str) -> str | None:
    """Last-Update: the day the patch joined the series, else its author date; never today."""
    if patch.added and re.match(r"^\d{4}-\d{2}-\d{2}", patch.added):
        return patch.added[:10]
    try:
        return email.utils.parsedate_to_datetime(date).date().isoformat()
    except (TypeError, ValueError):  # no usable Date: header; leave the field out
        return None


def render_patch(fields: dict[str, str], diff: bytes, existing: bytes | None) -> bytes:
    """Header, a `---` line, the diff. An existing DEP-3 header keeps what patchq does not own."""
    header = deb822.Deb822()
    free = ""
    if existing is not None:
        header, free = _existing_header(existing)
        ours = {name.lower() for name in fields}
        for name in [k for k in header if k.lower() in OWNED and k.lower() not in ours]:
            del header[name]
    for name in ORDER:
        if name in fields:
            header[name] = fields[name]
        elif name in header:
            del header[name]
    text = header.dump() + (f"\n{free}\n" if free else "") + "---\n"
    if diff and not diff.endswith(b"\n"):
        diff += b"\n"
    return text.encode("utf-8", "surrogateescape") + diff


def _existing_header(raw: bytes) -> tuple[deb822.Deb822, str]:
    """The header of a file already in DIR, and the free text after it, when it is DEP-3."""
    match = _HEADER_END.search(raw)
    head = (raw[: match.start()] if match else raw).decode("utf-8", "surrogateescape")
    paragraphs = dep3.paragraphs(head)
    if not paragraphs:
        return deb822.Deb822(), ""
    block = dep3.parse_block(paragraphs[0])
    if block is None or not block.is_dep3:  # a mail header or plain text: nothing to keep
        return deb822.Deb822(), ""
    free = "\n\n".join("\n".join(p) for p in paragraphs[1:])
    return deb822.Deb822("\n".join(paragraphs[0]) + "\n"), free


# -- the series file ------------------------------------------------------------------------


def _read_series(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}: fix or remove it") from None


def render_series(old: str | None, names: Sequence[str]) -> tuple[str, list[str]]:
    """The new series text and the names the old managed block listed.

    Without markers, the block is added at the end and lines naming a patch of the series are
    taken out of the packager's part (they are now patchq's).
    """
    block = [BEGIN, *names, END]
    if old is None or not old.strip():
        return "\n".join(block) + "\n", []
    lines = old.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(starts) > 1 or len(ends) > 1 or len(starts) != len(ends):
        raise ConfigError(
            f"series has {len(starts)} '{BEGIN}' and {len(ends)} '{END}' lines: keep one "
            "pair (or none) and export again"
        )
    if starts:
        begin, end = starts[0], ends[0]
        if end < begin:
            raise ConfigError(f"series: '{END}' comes before '{BEGIN}': swap them")
        previously = [n for n in (_entry_name(line) for line in lines[begin + 1 : end]) if n]
        new_lines = [*lines[:begin], *block, *lines[end + 1 :]]
    else:
        ours = set(names)
        previously = []
        kept = [line for line in lines if _entry_name(line) not in ours]
        new_lines = [*kept, *block]
    return "\n".join(new_lines) + "\n", previously


def _entry_name(line: str) -> str | None:
    words = _SERIES_NAME.sub("", line).split()
    return words[0] if words else None


def _unmanaged_names(text: str) -> set[str]:
    lines = text.splitlines()
    begin = lines.index(BEGIN) if BEGIN in lines else len(lines)
    end = lines.index(END) if END in lines else begin
    outside = lines[:begin] + lines[end + 1 :]
    return {n for n in (_entry_name(line) for line in outside) if n}
