"""patchq report: the model, each format, escaping, --output, --template and their errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from patchq.report import build as report
from patchq.report import render as report_render
from tests.builders import NASTY, PATCHES, REPO_ROOT, UpstreamRepo, git, run, write_series

EPOCH = "1764000000"  # 2025-11-24T16:00:00Z


@pytest.fixture
def pkg(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four patches (one with a hostile subject), two rebases and a hand drop in history."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return write_series(workdir)


def report_json(*args: str) -> dict[str, Any]:
    result = run("report", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_json_model_has_the_documented_schema(pkg: Path) -> None:
    data = report_json()
    assert list(data) == [
        "schema_version",
        "generated",
        "patchq_version",
        "upstream",
        "against",
        "summary",
        "patches",
        "history",
        "chart",
    ]
    assert data["schema_version"] == 1
    assert data["generated"] == "2025-11-24T16:00:00Z"
    assert data["upstream"]["base"] == "3.0" and data["upstream"]["base_commit"] == "b" * 40
    assert data["against"] is None
    assert data["summary"] == {
        "patches": 4,
        "by_status": {
            "pending": 1,
            "submitted": 1,
            "merged": 0,
            "backport": 1,
            "rejected": 0,
            "downstream-only": 1,
        },
        "by_state": None,
    }
    first = data["patches"][0]
    assert set(first) == {
        "position",
        "file",
        "name",
        "subject",
        "status",
        "reason",
        "owner",
        "added",
        "age_days",
        "releases_carried",
        "links",
        "state",
        "evidence",
        "upstream_commit",
        "upstream_commit_url",
        "conflicts",
        "similar",
        "modified_upstream",
        "review_state",
        "bug_state",
        "synced",
    }
    assert (first["review_state"], first["bug_state"], first["synced"]) == ([], None, None)
    assert first["subject"] == "Add rbd timeout"
    assert first["age_days"] == (318)  # 2025-01-10 .. 2025-11-24
    assert first["links"]["review_url"].endswith("/+/951234")
    assert first["links"]["bug_url"].endswith("+bug/2101234")
    assert data["patches"][1]["subject"] == NASTY
    assert data["patches"][1]["reason"] == "a | b\nsecond line"


def test_releases_carried_counts_the_rebases_since_added(pkg: Path) -> None:
    by_file = {p["file"]: p for p in report_json()["patches"]}
    assert by_file["0001-rbd-timeout.patch"]["releases_carried"] == 3  # before both rebases
    assert by_file["0002-nasty.patch"]["releases_carried"] == 2  # added between them
    assert by_file["0003-branding.patch"]["releases_carried"] == 3


def test_releases_carried_unknown_without_added(workdir: Path) -> None:
    write_series(workdir, patches=[("0001-a.patch", "A", "    status: pending\n")])
    row = report_json()["patches"][0]
    assert row["releases_carried"] is None and row["age_days"] is None


def test_only_http_links_become_urls(pkg: Path) -> None:
    by_file = {p["file"]: p for p in report_json()["patches"]}
    branding = by_file["0003-branding.patch"]["links"]
    assert branding["review"] == "javascript:alert(1)" and branding["review_url"] is None
    backport = by_file["0004-backport.patch"]["links"]
    assert backport["commit_url"] == (
        "https://opendev.org/openstack/nova/commit/0123456789abcdef0123456789abcdef01234567"
    )


def test_history_rebases_and_hand_drops(pkg: Path) -> None:
    history = report_json()["history"]
    assert [h["kind"] for h in history] == ["rebase", "drop", "rebase"]
    first, hand, second = history
    assert first["from"] == "1.0" and first["to"] == "2.0" and first["carried"] == 3
    assert first["dropped"][0]["evidence"] == ["patch-id", "change-id"]
    assert first["dropped"][0]["upstream_commit_url"].endswith("/commit/" + "9" * 40)
    assert first["skipped"][0]["reason"] == "conflict during rebase onto 2.0"
    assert hand["from"] is None and hand["dropped"][0]["reason"] == "fixed differently upstream"
    assert second["dropped"][0]["evidence"] == ["cherry-pick"]


def test_chart_counts_patches_per_release(pkg: Path) -> None:
    # 1.0 was left with 3 carried + 1 dropped + 1 skipped; 2.0 with 4 + 1; 3.0 is now 4.
    assert report_json()["chart"] == [
        {"release": "1.0", "carried": 5},
        {"release": "2.0", "carried": 5},
        {"release": "3.0", "carried": 4},
    ]


def test_history_written_by_patchq_drop(series_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_series(series_dir, base="1.0", base_commit=_base(series_dir), history="history: []\n")
    dropped = run("drop", "0002-nasty", "--reason", "fixed upstream differently")
    assert dropped.exit_code == 0, dropped.stderr
    data = report_json()
    assert [p["file"] for p in data["patches"]] == [p[0] for p in PATCHES if "nasty" not in p[0]]
    (entry,) = data["history"]
    assert entry["kind"] == "drop" and entry["date"]
    assert entry["dropped"][0]["subject"] == NASTY
    assert entry["dropped"][0]["reason"] == "fixed upstream differently"
    assert data["chart"] == [{"release": "1.0", "carried": 3}]


def _base(root: Path) -> str:
    text = (root / "series.yaml").read_text()
    found = re.search(r"base_commit: (\w+)", text)
    assert found
    return found.group(1)


def test_malformed_history_items_are_tolerated(workdir: Path) -> None:
    write_series(
        workdir,
        history="history:\n- date: 2025-01-01\n  from: 1.0\n  dropped: [oops, {file: x.patch}]\n"
        "  skipped: nope\n  carried: many\n- {}\n",
    )
    data = report_json()
    assert data["history"][0]["dropped"] == [
        {
            "file": "x.patch",
            "subject": "",
            "evidence": [],
            "upstream_commit": None,
            "upstream_commit_url": None,
            "reason": None,
        }
    ]
    assert data["history"][0]["carried"] is None and data["history"][1]["kind"] == "drop"
    assert data["chart"] == [{"release": "3.0", "carried": 4}]
    for fmt in ("html", "markdown", "text"):
        assert run("report", "--format", fmt).exit_code == 0


def test_html_is_self_contained_and_escaped(pkg: Path) -> None:
    result = run("report", "--format", "html")
    assert result.exit_code == 0, result.stderr
    html = result.stdout
    assert "Fix &lt;script&gt;alert(1)&lt;/script&gt; | pipes &amp; *stars*" in html
    assert "Security fix &lt;b&gt;bold&lt;/b&gt; | piped" in html
    assert html.count("<script") == 1  # ours only
    assert "<script>alert" not in html and "<b>bold" not in html
    assert not re.search(r"<link|\ssrc=|@import|url\(", html)  # nothing fetched
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html
    assert html.count('<tr data-status="') == 4
    assert '<svg id="carried-chart"' in html and html.count("<rect ") == 3
    assert 'id="filters"' in html and 'value="downstream-only"' in html
    assert 'href="https://review.opendev.org/c/openstack/nova/+/951234"' in html
    assert "rebase 2.0 &rarr; 3.0" in html and "removed by hand" in html


def _md_cells(line: str) -> list[str]:
    """Split a pipe-table row the way GitHub does: an escaped \\| stays inside its cell."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def test_markdown_tables_survive_pipes_and_html(pkg: Path) -> None:
    result = run("report", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    md = result.stdout
    lines = md.splitlines()
    header = lines.index(
        "| # | Subject | Status | Reason | Owner | Age (days) | Releases | Links |"
    )
    rows = lines[header + 2 : header + 6]
    assert all(len(_md_cells(row)) == 8 for row in rows), rows
    nasty = _md_cells(rows[1])
    assert nasty[1].strip() == r"Fix \<script\>alert(1)\</script\> \| pipes \& \*stars\*"
    assert nasty[3].strip() == r"a \| b second line"
    assert "<script>" not in md
    assert "[review](https://review.opendev.org/c/openstack/nova/+/951234)" in rows[0]
    assert "javascript:alert(1)" in rows[2] and "](javascript" not in md
    assert "### 2025-10-01: rebase 2.0 → 3.0" in md
    assert r"| Security fix \<b\>bold\</b\> \| piped | cherry-pick |" in md
    assert "| 1.0 | 5 | " in md and "| 3.0 | 4 | " in md


def test_text_report_to_a_pipe_has_no_colour(pkg: Path) -> None:
    result = run("report")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out
    assert "Carried patches on nova 3.0" in out and "4 patches:" in out
    assert "Add rbd timeout" in out and "Landed upstream" in out
    assert "Fix landed upstream" in out and "Dropped by hand" in out
    assert "Carried patches per release" in out


def test_report_does_not_need_the_upstream_clone(pkg: Path) -> None:
    assert not (pkg / "../nova").exists()
    assert run("report", "--format", "json").exit_code == 0


def test_output_is_written_atomically_and_format_follows_suffix(pkg: Path) -> None:
    out = pkg / "site" / "report.html"
    out.parent.mkdir()
    result = run("report", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert f"wrote {out}" in result.stderr
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temp file left
    assert run("report", "-o", "r.md").exit_code == 0
    assert (pkg / "r.md").read_text().startswith("# Carried patches: nova 3.0")
    assert run("report", "-o", "r.json").exit_code == 0
    assert json.loads((pkg / "r.json").read_text())["summary"]["patches"] == 4
    assert run("report", "-o", "r.txt").exit_code == 0
    assert "Carried patches per release" in (pkg / "r.txt").read_text()


def test_reports_are_reproducible_with_source_date_epoch(pkg: Path) -> None:
    first, second = run("report", "--format", "html"), run("report", "--format", "html")
    assert first.stdout == second.stdout
    assert "2025-11-24T16:00:00Z" in first.stdout


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/dir/report.html", "directory missing/dir does not exist"),
        (".", "is a directory"),
    ],
)
def test_bad_output_is_one_line_exit_2(pkg: Path, target: str, message: str) -> None:
    result = run("report", "--format", "html", "--output", target)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stderr.startswith(f"patchq: error: --output {target}")
    assert not (pkg / "missing").exists()


def test_user_templates_escape_by_extension(pkg: Path) -> None:
    body = "{% for p in report.patches %}{{ p.subject }};{% endfor %}{{ report.summary.patches }}"
    (pkg / "mine.html.j2").write_text("<ul>" + body + "</ul>")
    (pkg / "mine.txt").write_text(body)
    html = run("report", "--template", "mine.html.j2")
    assert html.exit_code == 0, html.stderr
    assert "Fix &lt;script&gt;" in html.stdout and html.stdout.endswith("4</ul>\n")
    plain = run("report", "--template", "mine.txt", "-o", "out.txt")
    assert plain.exit_code == 0, plain.stderr
    assert f"{NASTY};" in (pkg / "out.txt").read_text()


def test_user_template_sees_chart_geometry_and_can_include(pkg: Path) -> None:
    (pkg / "part.j2").write_text("{{ chart_svg.bars | length }} bars")
    (pkg / "main.md.j2").write_text("{% include 'part.j2' %}")
    result = run("report", "--template", "main.md.j2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "3 bars\n"  # a text file ends with a newline


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{% for p in report.patches %}", "mine.j2:1: Unexpected end of template"),
        ("{{ report.nope.deeper }}", "'dict object' has no attribute 'nope'"),
        ("{{ nothing }}", "'nothing' is undefined"),
        ("ok\n{{ report.summary.patches / 0 }}", "mine.j2:2: ZeroDivisionError: division by zero"),
        ("{{ report.__class__.__mro__ }}", "mine.j2:1: access to attribute '__class__' of"),
        (b"\xff\xfe{{ x }}", "mine.j2: not UTF-8 (byte 0)"),
    ],
)
def test_bad_template_is_one_line_exit_2(
    pkg: Path, content: str | bytes | None, message: str
) -> None:
    if isinstance(content, bytes):
        (pkg / "mine.j2").write_bytes(content)
    elif content is not None:
        (pkg / "mine.j2").write_text(content)
    result = run("report", "--template", "mine.j2")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("patchq: error: --template mine.j2")
    assert message in result.stderr


def test_template_cannot_be_combined_with_json(pkg: Path) -> None:
    (pkg / "mine.j2").write_text("x")
    result = run("report", "--format", "json", "--template", "mine.j2")
    assert result.exit_code == 2 and "drop --format json" in result.stderr


def test_empty_series_without_history(series_dir: Path, upstream: UpstreamRepo) -> None:
    data = report_json()
    assert data["patches"] == [] and data["history"] == []
    assert data["chart"] == [{"release": "1.0", "carried": 0}]
    html = run("report", "--format", "html").stdout
    assert "the series is empty" in html and "No patch has left the series yet" in html
    md = run("report", "--format", "markdown").stdout
    assert "the series is empty" in md
    assert "0 patches" in run("report").stdout


def test_outside_a_series_is_one_line_exit_2(workdir: Path) -> None:
    result = run("report")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "no series.yaml" in result.stderr


def test_markdown_cell_and_link_escaping() -> None:
    assert report_render.markdown_cell("a|b\nc  d") == r"a\|b c d"
    assert report_render.markdown_cell(None) == ""
    assert (
        report_render.markdown_link("x", "https://e.org/a b|(c)")
        == "[x](https://e.org/a%20b%7C%28c%29)"
    )
    assert report_render.markdown_link("x|y", None) == r"x\|y"


def test_web_url_and_commit_url() -> None:
    assert report.web_url(" HTTPS://x.org/a ") == "HTTPS://x.org/a"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil", "", None):
        assert report.web_url(bad) is None
    assert report.commit_url("https://github.com/o/r.git/", "abc") == (
        "https://github.com/o/r/commit/abc"
    )
    assert report.commit_url("git@github.com:o/r", "abc") is None


def test_escapes_decides_by_extension() -> None:
    assert report_render.escapes(Path("a.html")) and report_render.escapes(Path("a.HTML.j2"))
    assert report_render.escapes(Path("feed.xml.jinja2"))
    assert not report_render.escapes(Path("a.md.j2")) and not report_render.escapes(Path("a.txt"))


# -- --against: the status engine's verdict in every format --------------------------------


@pytest.fixture
def against_pkg(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Three patches on 1.0; upstream 2.0 takes the first, and rewrites what the third edits."""
    from tests.builders import NOVA_API, NOVA_CONF, Downstream, cherry_pick

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    down = Downstream(upstream, tmp_path / "down")
    landed = down.commit(
        "Add rbd timeout",
        {"nova/conf.py": NOVA_CONF.replace('"vms",', '"vms",\n    "rbd_timeout": 60,')},
    )
    down.commit(
        "Log reboots louder",
        {"nova/api.py": NOVA_API.replace('LOG.info("rebooting', 'LOG.warning("rebooting')},
    )
    down.commit("Readme | <b>downstream</b>", {"README.rst": "nova downstream\n"})
    down.export(series_dir)
    cherry_pick(upstream, down, landed)
    upstream.commit("Rewrite readme", {"README.rst": "The nova project\n"})
    upstream.tag("2.0")
    text = (series_dir / "series.yaml").read_text()
    (series_dir / "series.yaml").write_text(
        text.replace("name: nova", "name: nova\n  url: https://opendev.org/openstack/nova")
    )
    return series_dir


def test_against_adds_states_and_evidence(against_pkg: Path, upstream: UpstreamRepo) -> None:
    before = upstream.snapshot()
    data = report_json("--against", "2.0")
    assert upstream.snapshot() == before
    nothing_behind: dict[str, object] = {"commits": 0, "in_target": 0, "summary": None, "lost": []}
    assert data["against"] == {
        "ref": "2.0",
        "commit": upstream.head(),
        "left_behind": nothing_behind,
    }
    assert data["summary"]["by_state"] == {"landed": 1, "applies": 1, "conflicts": 1}
    rows = {p["subject"]: p for p in data["patches"]}
    landed = rows["Add rbd timeout"]
    assert landed["state"] == "landed" and "patch-id" in landed["evidence"]
    landed_commit = git(upstream.path, "rev-parse", "2.0~1").strip()
    assert landed["upstream_commit"] == landed_commit
    assert landed["upstream_commit_url"] == (
        f"https://opendev.org/openstack/nova/commit/{landed_commit}"
    )
    assert rows["Log reboots louder"]["state"] == "applies"
    conflicting = rows["Readme | <b>downstream</b>"]
    assert conflicting["state"] == "conflicts" and conflicting["conflicts"] == ["README.rst"]


def test_against_in_html_markdown_and_text(against_pkg: Path) -> None:
    html = run("report", "--format", "html", "--against", "2.0")
    assert html.exit_code == 0, html.stderr
    assert '<tr data-status="pending" data-state="landed">' in html.stdout
    assert 'id="state-counts"' in html.stdout and "Checked against" in html.stdout
    assert "Readme | &lt;b&gt;downstream&lt;/b&gt;" in html.stdout
    md = run("report", "--format", "markdown", "--against", "2.0")
    assert md.exit_code == 0, md.stderr
    header = (
        "| # | Subject | Status | Reason | Owner | Age (days) | Releases | Links "
        "| State | Evidence |"
    )
    lines = md.stdout.splitlines()
    start = lines.index(header)
    assert all(len(_md_cells(row)) == 10 for row in lines[start + 2 : start + 5])
    assert "| conflicts | README.rst |" in md.stdout
    assert "| landed | 1 |" in md.stdout
    text = run("report", "--against", "2.0")
    assert text.exit_code == 0, text.stderr
    assert "against: 1 landed, 1 applies, 1 conflicts" in text.stdout


def test_against_unknown_ref_is_one_line_exit_2(against_pkg: Path) -> None:
    result = run("report", "--against", "9.9")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "9.9" in result.stderr


def test_schema_doc_names_every_key(pkg: Path) -> None:
    doc = (REPO_ROOT / "docs" / "report-schema.md").read_text()
    data = report_json()
    row, entry = data["patches"][0], data["history"][0]
    keys = [*data, *data["upstream"], *data["summary"], *row, *entry, *entry["dropped"][0]]
    keys += [*data["chart"][0], *(f"links.{k}" for k in row["links"])]
    documented = set(re.findall(r"`([a-z_.]+)`", doc))
    assert sorted(set(keys) - documented) == []


def test_report_after_a_real_rebase(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history `patchq rebase` writes is what the report reads (runs once rebase is merged)."""
    from patchq.cli import cli

    if "rebase" not in cli.commands:
        pytest.skip("`patchq rebase` (issue 4) is not in this tree yet")
    from tests.builders import NOVA_API, NOVA_CONF, Downstream, cherry_pick

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    down = Downstream(upstream, tmp_path / "down")
    landed = down.commit(
        "Add rbd timeout",
        {"nova/conf.py": NOVA_CONF.replace('"vms",', '"vms",\n    "rbd_timeout": 60,')},
    )
    down.commit(
        "Log reboots louder",
        {"nova/api.py": NOVA_API.replace('LOG.info("rebooting', 'LOG.warning("rebooting')},
    )
    down.export(series_dir)
    cherry_pick(upstream, down, landed)
    upstream.tag("2.0")
    rebased = run("rebase", "--onto", "2.0")
    assert rebased.exit_code == 0, rebased.stderr
    data = report_json()
    assert [p["subject"] for p in data["patches"]] == ["Log reboots louder"]
    (entry,) = data["history"]
    assert (entry["kind"], entry["from"], entry["to"], entry["carried"]) == (
        "rebase",
        "1.0",
        "2.0",
        1,
    )
    assert entry["dropped"][0]["subject"] == "Add rbd timeout"
    assert "patch-id" in entry["dropped"][0]["evidence"]
    assert entry["dropped"][0]["upstream_commit"] == upstream.head()
    assert data["chart"] == [{"release": "1.0", "carried": 2}, {"release": "2.0", "carried": 1}]
    md = run("report", "--format", "markdown").stdout
    assert "### " in md and "rebase 1.0 → 2.0" in md and "| Add rbd timeout | patch-id" in md


def test_report_during_a_rebase_says_so(pkg: Path) -> None:
    (pkg / ".patchq" / "rebase").mkdir(parents=True)
    result = run("report", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "a rebase is in progress" in result.stderr
    assert json.loads(result.stdout)["summary"]["patches"] == 4


def test_paths_are_relative_to_dash_c(
    pkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pkg / "mine.md.j2").write_text("{{ report.summary.patches }} patches")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("-C", str(pkg), "report", "--template", "mine.md.j2", "-o", "out.md")
    assert result.exit_code == 0, result.stderr
    assert (pkg / "out.md").read_text() == "4 patches\n"
    assert list(elsewhere.iterdir()) == []


def test_text_folds_long_cells_without_losing_characters(workdir: Path) -> None:
    url = "https://review.example.org/c/" + "/".join(f"segment{i:03d}" for i in range(30))
    body = f"    status: submitted\n    upstream:\n      review: {url}\n"
    write_series(workdir, patches=[("0001-a.patch", "Short", body)], history="history: []\n")
    assert run("report", "-o", "r.txt").exit_code == 0
    lines = (workdir / "r.txt").read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("1  Short"))
    block = lines[first : lines.index("", first)]
    assert all(len(line) <= 120 for line in block) and len(block) > 2
    column = block[0].index("https://")
    assert "".join(line[column:].strip() for line in block) == url


def test_column_widths_share_the_room_by_weight() -> None:
    columns = ["#", "subject", "status", "links"]
    short = [["1", "Fix", "pending", "x"]]
    assert report_render.column_widths(columns, short, 120) == [1, 7, 7, 5]  # natural widths
    wide = [["10", "s" * 200, "downstream-only", "l" * 200]]
    widths = report_render.column_widths(columns, wide, 120)
    assert widths[0] == 2 and widths[2] == len("downstream-only")
    assert sum(widths) + 2 * 3 <= 120 and widths[1] > widths[3]  # subject weighs 3, links 2


def test_wrote_message_names_the_absolute_path(pkg: Path) -> None:
    result = run("report", "-o", "r.html")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"wrote {(pkg / 'r.html').resolve()}\n"


def test_docs_show_real_output(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.builders import DOC_HISTORY, DOC_PATCHES

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    write_series(workdir, patches=DOC_PATCHES, history=DOC_HISTORY)
    doc = (REPO_ROOT / "docs" / "report.md").read_text()
    text_block = doc.split("$ patchq report | cat\n", 1)[1].split("```", 1)[0]
    assert run("report").stdout == text_block
    md_block = doc.split("in Markdown (`patchq report --format markdown`):\n\n```markdown\n", 1)[1]
    assert run("report", "--format", "markdown").stdout == md_block.split("```\n", 1)[0]


def test_narrow_terminal_hides_columns_and_says_so(pkg: Path) -> None:
    import io

    from rich.console import Console

    from patchq.series.workspace import Workspace

    ws = Workspace(pkg)
    model = report.build(ws, ws.load(), clock=report.Clock.from_env())
    outputs = {}
    for width in (80, 120):
        buffer = io.StringIO()
        report_render.print_text(model, Console(file=buffer, width=width, no_color=True))
        outputs[width] = buffer.getvalue()
        assert all(len(line) <= width for line in outputs[width].splitlines())
    assert "owner hidden: the terminal is narrow" in outputs[80]
    assert "jane" not in outputs[80] and "Add rbd timeout" in outputs[80]
    assert "hidden" not in outputs[120] and "jane" in outputs[120]
