"""The whole distribution: `report DIR...`, `report --merge` and `check DIR...` over several
series, each with its own synthetic upstream, one broken series and one missing clone."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from patchq.fleet import validate
from tests.builders import REPO_ROOT, run
from tests.fleet.distro import EPOCH, clone_without, make_distro

GOOD = ("nova", "neutron", "glance")
ALL = (*GOOD, "keystone", "heat")
SCHEMA = REPO_ROOT / "patchq" / "fleet" / "schema.json"


@pytest.fixture
def distro(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = make_distro(tmp_path)
    monkeypatch.chdir(root)
    return root


def aggregate(*args: str) -> tuple[int, dict[str, Any], str]:
    result = run("report", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout), result.stderr


def without_reports(data: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    data = dict(data)
    data["projects"] = [{k: v for k, v in p.items() if k != "report"} for p in data["projects"]]
    loaded: dict[str, Any] = json.loads(json.dumps(data).replace(str(tmp_path), "<tmp>"))
    return loaded


EXPECTED = {
    "schema_version": 1,
    "kind": "patchq-aggregate",
    "generated": "2025-11-24T16:00:00Z",
    "patchq_version": "0.1.0",
    "against": [],
    "totals": {
        "projects": 5,
        "errors": 1,
        "carried": 6,
        "landed": None,
        "applies": None,
        "conflicts": None,
        "pending": 2,
        "submitted": 2,
        "merged": 0,
        "backport": 0,
        "rejected": 1,
        "downstream-only": 1,
        "oldest_age_days": 701,
    },
    "projects": [
        {
            "name": "glance",
            "source": "glance",
            "error": None,
            "counts": {
                "carried": 1,
                "landed": None,
                "applies": None,
                "conflicts": None,
                "pending": 1,
                "submitted": 0,
                "merged": 0,
                "backport": 0,
                "rejected": 0,
                "downstream-only": 0,
                "oldest_age_days": None,
            },
        },
        {
            "name": "heat",
            "source": "heat",
            "error": None,
            "counts": {
                "carried": 0,
                "landed": None,
                "applies": None,
                "conflicts": None,
                "pending": 0,
                "submitted": 0,
                "merged": 0,
                "backport": 0,
                "rejected": 0,
                "downstream-only": 0,
                "oldest_age_days": None,
            },
        },
        {
            "name": "keystone",
            "source": "keystone",
            "error": "<tmp>/distro/keystone/series.yaml:3: YAML syntax error: did not find "
            "expected ',' or ']': fix the file",
            "counts": None,
        },
        {
            "name": "neutron",
            "source": "neutron",
            "error": None,
            "counts": {
                "carried": 2,
                "landed": None,
                "applies": None,
                "conflicts": None,
                "pending": 0,
                "submitted": 1,
                "merged": 0,
                "backport": 0,
                "rejected": 1,
                "downstream-only": 0,
                "oldest_age_days": 701,
            },
        },
        {
            "name": "nova",
            "source": "nova",
            "error": None,
            "counts": {
                "carried": 3,
                "landed": None,
                "applies": None,
                "conflicts": None,
                "pending": 1,
                "submitted": 1,
                "merged": 0,
                "backport": 0,
                "rejected": 0,
                "downstream-only": 1,
                "oldest_age_days": 633,
            },
        },
    ],
    "oldest": [
        {
            "project": "neutron",
            "source": "neutron",
            "position": 2,
            "file": "0002-Reject-bad-CIDRs.patch",
            "subject": "Reject bad CIDRs",
            "status": "rejected",
            "added": "2023-12-24",
            "age_days": 701,
            "releases_carried": 1,
        },
        {
            "project": "nova",
            "source": "nova",
            "position": 2,
            "file": "0002-Distro-b-branding-b.patch",
            "subject": "Distro <b>branding</b>",
            "status": "downstream-only",
            "added": "2024-03-01",
            "age_days": 633,
            "releases_carried": 2,
        },
        {
            "project": "neutron",
            "source": "neutron",
            "position": 1,
            "file": "0001-OVN-Fix-MTU-on-ports.patch",
            "subject": "[OVN] Fix MTU on ports",
            "status": "submitted",
            "added": "2024-11-05",
            "age_days": 384,
            "releases_carried": 1,
        },
        {
            "project": "nova",
            "source": "nova",
            "position": 1,
            "file": "0001-Add-rbd-timeout.patch",
            "subject": "Add rbd timeout",
            "status": "submitted",
            "added": "2025-01-10",
            "age_days": 318,
            "releases_carried": 2,
        },
        {
            "project": "nova",
            "source": "nova",
            "position": 3,
            "file": "0003-Log-reboots-louder.patch",
            "subject": "Log reboots louder",
            "status": "pending",
            "added": "2025-09-01",
            "age_days": 84,
            "releases_carried": 1,
        },
    ],
    "submitted": [
        {
            "project": "neutron",
            "source": "neutron",
            "position": 1,
            "file": "0001-OVN-Fix-MTU-on-ports.patch",
            "subject": "[OVN] Fix MTU on ports",
            "status": "submitted",
            "added": "2024-11-05",
            "age_days": 384,
            "releases_carried": 1,
            "review": None,
            "review_url": None,
            "change_id": "I1111111111111111111111111111111111111111",
        },
        {
            "project": "nova",
            "source": "nova",
            "position": 1,
            "file": "0001-Add-rbd-timeout.patch",
            "subject": "Add rbd timeout",
            "status": "submitted",
            "added": "2025-01-10",
            "age_days": 318,
            "releases_carried": 2,
            "review": "https://review.opendev.org/c/openstack/nova/+/951234",
            "review_url": "https://review.opendev.org/c/openstack/nova/+/951234",
            "change_id": None,
        },
    ],
    "chart": [
        {"project": "glance", "source": "glance", "points": [{"release": "1.0", "carried": 1}]},
        {"project": "heat", "source": "heat", "points": [{"release": "1.0", "carried": 0}]},
        {"project": "neutron", "source": "neutron", "points": [{"release": "1.0", "carried": 2}]},
        {
            "project": "nova",
            "source": "nova",
            "points": [{"release": "0.9", "carried": 4}, {"release": "1.0", "carried": 3}],
        },
    ],
}


# -- report DIR... ----------------------------------------------------------------------------


def test_aggregate_json_is_exact(distro: Path, tmp_path: Path) -> None:
    code, data, err = aggregate("-j", "2", *ALL)
    assert code == 1  # keystone's series.yaml does not parse
    assert without_reports(data, tmp_path) == EXPECTED
    # one line on stderr for the broken series, never a traceback
    assert err.splitlines() == [
        f"patchq: keystone: not reported: {distro}/keystone/series.yaml:3: YAML syntax error: "
        "did not find expected ',' or ']': fix the file"
    ]
    # each project's report is exactly what `patchq report --format json` says in its directory
    for project in data["projects"]:
        if project["error"] is None:
            alone = run("-C", project["source"], "report", "--format", "json")
            assert project["report"] == json.loads(alone.stdout)


def test_against_missing_ref_and_missing_clone_are_error_rows(distro: Path, tmp_path: Path) -> None:
    clone_without(tmp_path, "glance", "2.0")
    code, data, err = aggregate("--against", "2.0", "-j", "2", *ALL)
    assert code == 1 and "Traceback" not in err
    errors = {p["name"]: p["error"] for p in data["projects"] if p["error"]}
    assert set(errors) == {"glance", "heat", "keystone"}
    assert errors["glance"].startswith("ref '2.0' is not a commit in ")
    assert "upstream repository" in errors["heat"] and "does not exist" in errors["heat"]
    assert len(err.splitlines()) == 3
    counts = {p["name"]: p["counts"] for p in data["projects"]}
    assert counts["nova"] == {
        "carried": 3,
        "landed": 1,
        "applies": 1,
        "conflicts": 1,
        "pending": 1,
        "submitted": 1,
        "merged": 0,
        "backport": 0,
        "rejected": 0,
        "downstream-only": 1,
        "oldest_age_days": 633,
    }
    assert counts["neutron"] is not None and counts["neutron"]["applies"] == 2
    assert data["against"] == ["2.0"]
    totals = data["totals"]
    assert (totals["errors"], totals["carried"], totals["landed"], totals["conflicts"]) == (
        3,
        5,
        1,
        1,
    )
    # --upstream is resolved relative to each DIR (from the working directory, distro/,
    # ../../up/nova leads nowhere), and overrides upstream.path
    shutil.copytree(distro / "nova", distro / "nova2")
    yaml_path = distro / "nova2" / "series.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("path: ../../up/nova", "path: ../gone"))
    code, data, _ = aggregate("--against", "2.0", "--upstream", "../../up/nova", "nova", "nova2")
    assert code == 0
    assert [(p["source"], p["counts"]["landed"]) for p in data["projects"]] == [
        ("nova", 1),
        ("nova2", 1),
    ]
    # the same --upstream for a project whose base that clone lacks: its row says so
    code, data, _ = aggregate("--against", "2.0", "--upstream", "../../up/nova", "nova", "neutron")
    rows = {p["name"]: p for p in data["projects"]}
    assert code == 1 and rows["nova"]["report"]["upstream"]["name"] == "nova"
    # neutron's pinned base is not in nova's clone: said, not silently replaced (issue 11)
    assert "is missing from" in rows["neutron"]["error"]
    assert "up/nova" in rows["neutron"]["error"]


def test_parallel_and_serial_give_the_same_bytes(distro: Path) -> None:
    outputs = set()
    for jobs in ("1", "2", "3"):
        for fmt in ("json", "html"):
            result = run("report", "--format", fmt, "-j", jobs, "--against", "2.0", *ALL)
            outputs.add((fmt, result.stdout))
    assert len(outputs) == 2


@pytest.mark.parametrize("fmt", ["json", "html", "markdown", "text"])
def test_a_single_dir_is_todays_report_byte_for_byte(distro: Path, fmt: str) -> None:
    alone = run("-C", "nova", "report", "--format", fmt)
    given = run("report", "--format", fmt, "nova")
    assert given.exit_code == alone.exit_code == 0
    assert given.stdout == alone.stdout
    assert fmt == "json" or "nova 1.0" in given.stdout


def test_output_is_written_whole_with_error_rows_and_never_partly(distro: Path) -> None:
    result = run("report", "-o", "distro.html", *ALL)
    assert result.exit_code == 1
    page = (distro / "distro.html").read_text()
    assert page.rstrip().endswith("</html>") and "error: " in page
    (distro / "keep.json").write_text("old\n")
    bad = run("report", "-o", "missing/agg.json", *GOOD)
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1
    assert "directory missing does not exist" in bad.stderr
    assert not (distro / "missing").exists()
    bad = run("report", "-o", "nova/series.yaml", *GOOD)
    assert bad.exit_code == 2 and "is the series file itself" in bad.stderr
    assert (distro / "keep.json").read_text() == "old\n"


def test_formats_escape_and_summarise(distro: Path) -> None:
    html = run("report", "--format", "html", *GOOD).stdout
    assert "Distro &lt;b&gt;branding&lt;/b&gt;" in html and "<b>branding" not in html
    assert html.count('<table class="sortable patches"') == 3
    assert "https://" not in re.sub(r'href="https://[^"]+"|>https://[^<]+<', "", html)
    md = run("report", "--format", "markdown", *GOOD).stdout
    assert "| nova | `1.0` | 3 | – | – | 1 | 1 | 0 | 0 | 0 | 1 | 633 |" in md
    assert "Distro \\<b\\>branding\\</b\\>" in md
    assert "| **total** | | **6** |" in md
    text = run("report", *GOOD).stdout
    assert "3 projects; 6 patches carried, 2 pending, 2 submitted, 1 rejected" in text


def test_usage_errors(distro: Path) -> None:
    for args, words in [
        (("--merge", "--against", "2.0", "a.json"), "--merge reads finished reports"),
        (("--merge",), "--merge needs the report files"),
        (("--template", "t.html.j2", "nova", "neutron"), "give a single DIR"),
        (("-j", "0", "nova", "neutron"), "-j"),
    ]:
        result = run("report", *args)
        assert result.exit_code == 2, args
        assert words in result.stderr and result.stderr.count("\n") == 1, result.stderr


# -- --merge --------------------------------------------------------------------------------


def write_reports(distro: Path, names: tuple[str, ...] = GOOD) -> list[str]:
    out = distro / "reports"
    out.mkdir(exist_ok=True)
    files = []
    for name in names:
        result = run("-C", name, "report", "--format", "json", "-o", f"../reports/{name}.json")
        assert result.exit_code == 0, result.stderr
        files.append(f"reports/{name}.json")
    return files


def test_merge_gives_the_aggregate_of_the_directories(
    distro: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_reports(distro)
    _, direct, _ = aggregate(*GOOD)
    for up in ("nova", "neutron", "glance"):  # --merge needs no clone
        shutil.rmtree(distro.parent / "up" / up)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")  # and takes no time from the clock
    code, merged, _ = aggregate("--merge", *files)
    assert code == 0
    sources = {f"reports/{name}.json": name for name in GOOD}
    for project in merged["projects"]:
        project["source"] = sources[project["source"]]
    for row in merged["oldest"] + merged["submitted"] + merged["chart"]:
        row["source"] = sources[row["source"]]
    assert merged == direct
    # an aggregate merges too, with its projects and error rows as they are
    run("report", "--format", "json", "-o", "agg.json", "glance", "keystone")
    code, again, _ = aggregate("--merge", "agg.json", *files[:2])
    assert code == 1
    assert [(p["name"], p["error"] is None) for p in again["projects"]] == [
        ("glance", True),
        ("keystone", False),
        ("neutron", True),
        ("nova", True),
    ]


def test_merge_takes_the_newest_generated(distro: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = write_reports(distro, ("nova",))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1770000000")
    files += write_reports(distro, ("neutron",))
    _, merged, _ = aggregate("--merge", *files)
    assert merged["generated"] == "2026-02-02T02:40:00Z"
    first = run("report", "--merge", "--format", "html", *files).stdout
    assert run("report", "--merge", "--format", "html", *reversed(files)).stdout == first


def test_merge_refuses_bad_inputs_with_one_line_naming_the_file(distro: Path) -> None:
    [good] = write_reports(distro, ("nova",))
    text = (distro / good).read_text()
    data = json.loads(text)
    bad = distro / "bad.json"
    cases = [
        (text[: len(text) // 2], "bad.json: not valid JSON (", "truncated?"),
        ("", "bad.json: not valid JSON (", "truncated?"),
        (
            json.dumps({**data, "schema_version": 2, "patchq_version": "0.9.0"}),
            "bad.json: schema_version 2 (made by patchq 0.9.0), but patchq 0.1.0 reads "
            "schema_version 1",
            "same patchq version",
        ),
        (
            json.dumps({k: v for k, v in data.items() if k != "chart"}),
            "bad.json: $: missing key 'chart'",
            "report --format json",
        ),
        (
            json.dumps({**data, "patches": [{**data["patches"][0], "status": "done"}]}),
            'bad.json: $.patches[0].status: "done" is not one of',
            "",
        ),
        (json.dumps([1, 2]), "bad.json: not a patchq report (no schema_version)", ""),
        ("\xff", "bad.json: not valid JSON", ""),
        ("[" * 100_000 + "]" * 100_000, "bad.json: JSON nested too deeply", ""),
        (  # a forged report must not smuggle a link patchq itself would never make
            json.dumps({**data, "upstream": {**data["upstream"], "web_url": "javascript:x()"}}),
            'bad.json: $.upstream.web_url: "javascript:x()" does not match',
            "",
        ),
    ]
    for content, start, also in cases:
        bad.write_text(content)
        result = run("report", "--merge", "-o", "out.html", good, "bad.json")
        assert result.exit_code == 2, content
        line = result.stderr
        assert line.startswith("patchq: error: " + start) and also in line, line
        assert line.count("\n") == 1 and not (distro / "out.html").exists()
    missing = run("report", "--merge", good, "gone.json")
    assert missing.exit_code == 2 and "gone.json: no such file" in missing.stderr


# -- the schema -----------------------------------------------------------------------------


def test_schema_accepts_real_output_in_both_validators(distro: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    _, data, _ = aggregate("--against", "2.0", *ALL)
    single = json.loads(run("-C", "nova", "report", "--format", "json").stdout)
    for document, kind in ((data, "aggregate"), (single, "report")):
        jsonschema.validate(document, schema)
        assert validate.problem(document, kind) is None
    # and both refuse the same broken documents
    broken = [
        {**single, "summary": {**single["summary"], "patches": -1}},
        {**single, "kind": "other"},
        {**data, "totals": {**data["totals"], "errors": "1"}},
        {**data, "projects": [{**data["projects"][0], "counts": {"carried": 1}}]},
        {
            **single,
            "patches": [
                {
                    **single["patches"][0],
                    "links": {**single["patches"][0]["links"], "review_url": "javascript:alert(1)"},
                }
            ],
        },
    ]
    for document in broken:
        kind = "aggregate" if document.get("kind") == "patchq-aggregate" else "report"
        assert validate.problem(document, kind) is not None
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(document, schema)


# -- check DIR... ---------------------------------------------------------------------------


def test_check_many_one_junit_file_a_suite_per_project(distro: Path) -> None:
    result = run("check", "--against", "2.0", "--format", "junit", "--output", "junit.xml", *ALL)
    assert result.exit_code == 1
    assert result.stderr == "patchq check: failed: 2 of 5 projects; wrote junit.xml\n"
    root = ET.parse(distro / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == [
        "glance (glance)",
        "heat (heat)",
        "keystone (keystone)",
        "neutron (neutron)",
        "nova (nova)",
    ]
    failed = {
        name: [c.get("classname") for c in s.iter("testcase") if c.find("failure") is not None]
        for name, s in suites.items()
    }
    assert failed["nova (nova)"] == ["patchq.PQ009", "patchq.PQ010"]
    assert failed["keystone (keystone)"] == ["patchq.PQ001"]
    assert failed["glance (glance)"] == failed["neutron (neutron)"] == []
    # heat's clone is missing: its upstream checks are skipped, saying why
    skipped = [c.find("skipped") for c in suites["heat (heat)"].iter("testcase")]
    assert any(
        s is not None and "no upstream repository" in (s.get("message") or "") for s in skipped
    )
    files = [c.get("file") for c in suites["nova (nova)"].iter("testcase")]
    assert "nova/patches/0001-Add-rbd-timeout.patch" in files
    assert root.get("failures") == "3" and root.get("errors") == "0"


def test_check_many_missing_clone_required_does_not_hide_the_others(distro: Path) -> None:
    result = run("check", "--require-upstream", "--format", "junit", *ALL)
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    heat = next(s for s in root.iter("testsuite") if s.get("name") == "heat (heat)")
    error = heat.find("testcase/error")
    assert error is not None and "does not exist" in (error.get("message") or "")
    assert heat.get("errors") == "1" and root.get("errors") == "1"
    assert len(list(root.iter("testsuite"))) == 5


def test_check_many_github_paths_relative_to_the_working_directory(
    distro: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(distro.parent)
    dirs = [f"distro/{name}" for name in ("nova", "keystone")]
    result = run("check", "--against", "2.0", "--format", "github", *dirs)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::error file=distro/keystone/series.yaml,line=3,title=PQ001::")
    assert lines[1].startswith(
        "::error file=distro/nova/patches/0001-Add-rbd-timeout.patch,title=PQ009::"
    )
    assert lines[-1] == "patchq check: failed: 2 of 2 projects"


def test_check_many_json_and_text_and_success(distro: Path) -> None:
    result = run("check", "--format", "json", "-j", "2", "neutron", "glance")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [(p["project"], p["dir"], p["error"], p["findings"]) for p in data] == [
        ("glance", "glance", None, []),
        ("neutron", "neutron", None, []),
    ]
    text = run("check", "nova", "neutron", "--against", "2.0")
    assert text.exit_code == 1
    assert text.stdout.splitlines()[0] == "== neutron (neutron)"
    assert text.stdout.splitlines()[-1] == "patchq check: failed: 1 of 2 projects"
    # one DIR is today's check of that directory
    assert run("check", "nova").stdout == run("-C", "nova", "check").stdout


def test_output_to_a_fifo_or_device_writes_into_it_and_keeps_it(distro: Path) -> None:
    # `-o /dev/null` must not rename a file over the device; a FIFO stands in for it here
    import os
    import stat
    import threading

    fifo = distro / "pipe.json"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run("report", "--format", "json", "-o", str(fifo), *GOOD)
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(got[0])["totals"]["projects"] == 3


def test_docs_fan_out_examples_are_valid() -> None:
    import yaml

    from patchq.cli import cli
    from patchq.cli.commands import check as check_command
    from patchq.cli.commands import report as report_command

    docs = (REPO_ROOT / "docs" / "ci.md").read_text()
    section = docs.split("## Many projects", 1)[1].split("## pre-commit", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 5 and all(yaml.safe_load(block) for block in blocks)
    joined = re.sub(r"\n\s+(?=--|\{\{|packaging|\.\./)", " ", section)  # folded lines
    commands = {"check": check_command, "report": report_command}
    top = {opt for p in cli.params for opt in p.opts}
    used = re.findall(r"patchq (?:-C \S+ )?(check|report)([^\n`|>]*)", joined)
    assert {name for name, _ in used} == {"check", "report"}
    assert any("--merge" in args for _, args in used)
    for name, args in used:
        options = {opt for p in commands[name].params for opt in p.opts} | top
        for flag in re.findall(r"(?<=\s)(--?[a-z][a-z-]*)", args):
            assert flag in options, (name, flag, args)
    # the report's page is an artifact of the aggregating job in each CI system
    assert section.count("report --merge") >= 4


def test_merge_needs_nothing_of_git() -> None:
    # --merge runs anywhere (a CI job without clones) and starts fast: no git module loads
    import subprocess
    import sys

    code = (
        "import sys; import patchq.cli.fleet, patchq.fleet.merge, patchq.fleet.render;"
        "heavy = ('patchq.git', 'git', 'patchq.series.workspace');"
        "bad = [m for m in sys.modules if m.startswith(heavy)];"
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_a_patchq_bug_on_one_series_is_an_error_row_and_exit_3(
    distro: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fault injection (-j 1 runs in this process): the report builder fails on neutron only
    from patchq.report import build as reporting

    real = reporting.build

    def broken(ws: Any, current: Any, **kw: Any) -> dict[str, Any]:
        if current.upstream.name == "neutron":
            raise KeyError("boom")
        return real(ws, current, **kw)

    monkeypatch.setattr(reporting, "build", broken)
    from click.testing import CliRunner

    from patchq.cli import cli

    # not tests.builders.run, which fails any test that sees exit 3: here it is the point
    result = CliRunner().invoke(cli, ["report", "--format", "json", "-j", "1", *GOOD])
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    errors = {p["name"]: p["error"] for p in data["projects"]}
    assert errors == {
        "glance": None,
        "neutron": "internal error, please report it: KeyError: 'boom'",
        "nova": None,
    }
