"""patchq check: every check id, every output format, exit codes, many problems at once."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from patchq.check import checks as check
from patchq.check import output as check_output
from patchq.check.findings import CHECKS
from patchq.cli import render
from patchq.series.workspace import Workspace
from tests.builders import (
    NOVA_API,
    NOVA_CONF,
    REPO_ROOT,
    SeriesBuilder,
    UpstreamRepo,
    api_with,
    git,
    run,
)
from tests.check.findings import check_json, ids, parse_junit

CID = "I" + "1" * 40


@pytest.fixture
def builder(series_dir: Path, upstream: UpstreamRepo, tmp_path: Path) -> SeriesBuilder:
    return SeriesBuilder(series_dir, upstream, tmp_path / "scratch")


def two_good_patches(b: SeriesBuilder) -> None:
    b.add(
        "0001-boot-log.patch",
        {
            "nova/api.py": api_with(
                'LOG.info("booting %s", instance)', 'LOG.debug("boot %s", instance)'
            )
        },
        "Log boots at debug level",
    )
    b.add(
        "0002-timeout.patch",
        {"nova/conf.py": (b.scratch / "nova/conf.py").read_text().replace("30", "60")},
        "Raise the default timeout",
    )


# -- a clean series and the exit codes ---------------------------------------------------


def test_clean_series_passes_and_leaves_upstream_alone(
    builder: SeriesBuilder, upstream: UpstreamRepo
) -> None:
    two_good_patches(builder)
    before = upstream.snapshot()
    result = run("check")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "patchq check: ok (9 checks on 2 patches)"
    assert upstream.snapshot() == before


def test_no_series_yaml_is_a_usage_error(workdir: Path) -> None:
    result = run("check")
    assert result.exit_code == 2
    assert "no series.yaml" in result.stderr and "Traceback" not in result.stderr


def test_unknown_against_ref_is_a_usage_error(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    result = run("check", "--against", "no-such-tag")
    assert result.exit_code == 2
    assert "--against 'no-such-tag' is not a commit" in result.stderr


# -- PQ001 ------------------------------------------------------------------------------


def test_pq001_schema_problems_with_lines(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    builder.entries[0]["stauts"] = "pending"
    builder.entries[1]["status"] = "merge"
    builder.write()
    code, found = check_json()
    assert code == 1
    pq001 = [f for f in found if f["id"] == "PQ001"]
    assert len(pq001) == 2
    assert pq001[0]["line"] == builder.line_of("stauts")
    assert "did you mean 'status'" in pq001[0]["message"]
    assert pq001[1]["line"] == builder.line_of("status: merge")
    assert {f["file"] for f in pq001} == {"series.yaml"}
    # the rejected entries are still checked for their content: both still apply
    assert "PQ008" not in ids(found)


def test_pq001_yaml_syntax_error_is_a_finding_with_its_line(series_dir: Path) -> None:
    path = series_dir / "series.yaml"
    path.write_text(path.read_text() + "policy: [\n")
    code, found = check_json()
    assert code == 1
    assert len(found) == 1 and found[0]["id"] == "PQ001"
    assert found[0]["line"] == len(path.read_text().splitlines()) + 1
    assert "YAML syntax error" in found[0]["message"]


def test_pq001_not_utf8_names_the_line(series_dir: Path) -> None:
    path = series_dir / "series.yaml"
    path.write_bytes(path.read_bytes().replace(b"name: nova", b"name: nov\xe9"))
    code, found = check_json()
    assert code == 1
    assert found[0]["id"] == "PQ001" and found[0]["line"] == 3
    assert "not UTF-8" in found[0]["message"]


def test_pq001_policy_is_validated(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    builder.extra = (
        "policy:\n  require_owner: yes please\n  max_pending_days: -3\n"
        "  ignore: [PQ999, PQ001]\n  colour: red\n  warn: PQ003\n"
    )
    builder.write()
    code, found = check_json()
    assert code == 1
    messages = {f["line"]: f["message"] for f in found if f["id"] == "PQ001"}
    assert "require_owner must be true or false" in messages[builder.line_of("require_owner")]
    assert "whole number >= 0" in messages[builder.line_of("max_pending_days")]
    assert "unknown key 'colour'" in messages[builder.line_of("colour")]
    assert "must be a list of check ids" in messages[builder.line_of("warn:")]
    ignore = [f["message"] for f in found if f["line"] == builder.line_of("ignore:")]
    assert any("unknown check id 'PQ999'" in m for m in ignore)
    assert any("PQ001 cannot be ignored or made a warning" in m for m in ignore)


# -- PQ002, PQ003, PQ004 ----------------------------------------------------------------


def test_pq002_missing_file(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    (builder.root / "patches" / "0001-boot-log.patch").unlink()
    code, found = check_json()
    assert code == 1
    [missing] = [f for f in found if f["id"] == "PQ002"]
    assert missing["patch"] == "0001-boot-log.patch"
    assert missing["line"] == builder.line_of("file: 0001-boot-log.patch")
    assert "patches/0001-boot-log.patch is missing" in missing["message"]


def test_pq003_unlisted_files_but_not_dot_files(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    (builder.root / "patches" / "0099-forgotten.patch").write_text("x")
    (builder.root / "patches" / "sub").mkdir()
    (builder.root / "patches" / "sub" / "nested.patch").write_text("x")
    (builder.root / "patches" / ".gitkeep").write_text("")
    code, found = check_json()
    assert code == 1
    assert sorted(f["file"] for f in found if f["id"] == "PQ003") == [
        "patches/0099-forgotten.patch",
        "patches/sub/nested.patch",
    ]
    assert ids(found) == ["PQ003", "PQ003"]


def test_pq004_unparseable_and_broken_hunks(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    good = (builder.root / "patches" / "0002-timeout.patch").read_bytes()
    builder.add_raw("0003-garbage.patch", b"")
    builder.add_raw("0004-no-diff.patch", b"Subject: [PATCH] Only words\n\nNo diff here.\n")
    truncated = good[: good.index(b"@@")] + b"@@ -1,5 +1,5 @@\n context\n-old\n"
    builder.add_raw("0005-truncated.patch", truncated)
    early = good.replace(b"\n \n", b"\nGARBAGE\n", 1)
    assert early != good
    builder.add_raw("0006-early.patch", early)
    code, found = check_json()
    assert code == 1
    pq004 = {f["patch"]: f for f in found if f["id"] == "PQ004"}
    assert set(pq004) == {
        "0003-garbage.patch",
        "0004-no-diff.patch",
        "0005-truncated.patch",
        "0006-early.patch",
    }
    assert "not a patch" in pq004["0003-garbage.patch"]["message"]
    assert "has no diff" in pq004["0004-no-diff.patch"]["message"]
    assert "truncated" in pq004["0005-truncated.patch"]["message"]
    early_line = early.split(b"\n").index(b"GARBAGE") + 1
    assert pq004["0006-early.patch"]["line"] == early_line
    assert pq004["0006-early.patch"]["file"] == "patches/0006-early.patch"


def test_hunk_checker_accepts_real_patches(builder: SeriesBuilder) -> None:
    no_newline = builder.commit({"nova/x.txt": "no newline at end"}, "Add x")
    assert b"\\ No newline at end of file" in no_newline
    binary = builder.commit({"nova/blob.bin": "\x00\x01\x02" * 50}, "Add a blob")
    binary = git(builder.scratch, "format-patch", "-1", "--binary", "--stdout", "HEAD").encode()
    assert b"GIT binary patch" in binary
    deletion = builder.commit({"README.rst": ""}, "Empty the readme")
    for data in (no_newline, binary, deletion):
        assert check.hunk_problem(data) is None
    assert check.hunk_problem(b"diff --git a/x b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n") is not None
    assert check.hunk_problem(b"diff --git a/x b/x\n@@ nonsense @@\n") == (
        2,
        "malformed hunk header: expected '@@ -a,b +c,d @@'",
    )


# -- PQ005 ------------------------------------------------------------------------------


def test_pq005_same_change_carried_twice(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    first = (builder.root / "patches" / "0001-boot-log.patch").read_bytes()
    renamed = first.replace(b"Log boots at debug level", b"Quieter boot logging")
    builder.add_raw("0003-again.patch", renamed)
    code, found = check_json()
    assert code == 1
    [dup] = [f for f in found if f["id"] == "PQ005"]
    assert dup["patch"] == "0003-again.patch"
    assert "same change as 0001-boot-log.patch" in dup["message"]
    # a 3-way merge absorbs the second copy: only PQ005 can tell
    assert ids(found) == ["PQ005"]


# -- PQ006 ------------------------------------------------------------------------------


def test_pq006_metadata_required_by_status(builder: SeriesBuilder) -> None:
    body = f"Why.\n\nChange-Id: {CID}\n(cherry picked from commit {'a' * 40})"
    files = {"nova/conf.py": NOVA_API}
    builder.add("0001-sub.patch", files, "Submitted one", body=body, status="submitted")
    builder.add("0002-bp.patch", {"nova/new1.py": "x\n"}, "Backport", body=body, status="backport")
    builder.add("0003-merged.patch", {"nova/new2.py": "x\n"}, "Merged", status="merged")
    builder.add("0004-down.patch", {"nova/new3.py": "x\n"}, "Ours", status="downstream-only")
    builder.add("0005-rej.patch", {"nova/new4.py": "x\n"}, "No", status="rejected")
    builder.add(
        "0006-ok.patch",
        {"nova/new5.py": "x\n"},
        "Fine",
        status="submitted",
        upstream={"review": "https://review.opendev.org/c/openstack/nova/+/1"},
    )
    builder.add("0007-ok.patch", {"nova/new6.py": "x\n"}, "Fine", status="rejected", reason="no")
    code, found = check_json()
    assert code == 1
    pq006 = {f["patch"]: f["message"] for f in found if f["id"] == "PQ006"}
    assert set(pq006) == {
        "0001-sub.patch",
        "0002-bp.patch",
        "0003-merged.patch",
        "0004-down.patch",
        "0005-rej.patch",
    }
    assert f"--change-id {CID}" in pq006["0001-sub.patch"]  # the hint uses the trailer
    assert f"--commit {'a' * 40}" in pq006["0002-bp.patch"]
    assert "needs upstream.commit" in pq006["0003-merged.patch"]
    assert "needs a reason" in pq006["0004-down.patch"]
    line = next(f["line"] for f in found if f["patch"] == "0005-rej.patch")
    assert line == builder.line_of("status: rejected")


def test_pq006_require_owner_policy(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    builder.entries[0]["owner"] = "compute-team"
    builder.extra = "policy:\n  require_owner: true\n"
    builder.write()
    code, found = check_json()
    assert code == 1
    assert [(f["id"], f["patch"]) for f in found] == [("PQ006", "0002-timeout.patch")]
    assert "policy require_owner" in found[0]["message"]


# -- PQ007, PQ008 -----------------------------------------------------------------------


def test_pq007_base_commit_mismatch(builder: SeriesBuilder, upstream: UpstreamRepo) -> None:
    two_good_patches(builder)
    upstream.commit("Later", {"nova/later.py": "x\n"})
    git(upstream.path, "tag", "-f", "1.0")  # the tag moved
    code, found = check_json()
    assert code == 1
    [pq007] = [f for f in found if f["id"] == "PQ007"]
    assert "1.0 resolves to" in pq007["message"]
    assert pq007["line"] == builder.line_of("base_commit:")
    path = builder.root / "series.yaml"
    path.write_text(path.read_text().replace("base: '1.0'", "base: '9.9'"))
    code, found = check_json()
    [pq007] = [f for f in found if f["id"] == "PQ007"]
    assert "upstream.base '9.9' is not a commit" in pq007["message"]
    assert pq007["line"] == builder.line_of("base: '9.9'")
    # the pinned base_commit is still there, so the series is still applied to it
    assert "PQ008" not in ids(found)


def test_pq008_reports_every_patch_that_does_not_apply(
    builder: SeriesBuilder, upstream: UpstreamRepo
) -> None:
    two_good_patches(builder)
    # Made on a history upstream never had: their context is not in 1.0.
    git(builder.scratch, "checkout", "-q", "--detach", "1.0")
    builder.commit({"nova/api.py": NOVA_API.replace("rebooting", "REBOOTING")}, "Elsewhere")
    builder.add("0003-bad.patch", {"nova/api.py": NOVA_API.replace("rebooting", "Rebooting!")}, "A")
    builder.add("0004-fine.patch", {"nova/other.py": "x\n"}, "Independent")
    builder.add("0005-bad.patch", {"nova/api.py": NOVA_API.replace("rebooting", "r")}, "B")
    before = upstream.snapshot()
    code, found = check_json()
    assert code == 1
    pq008 = [f for f in found if f["id"] == "PQ008"]
    assert [f["patch"] for f in pq008] == ["0003-bad.patch", "0005-bad.patch"]
    assert "does not apply to 1.0: nova/api.py" in pq008[0]["message"]
    assert "(checked without the 1 failing patch above)" in pq008[1]["message"]
    assert pq008[1]["message"].endswith("2 patches do not apply: 0003-bad.patch, 0005-bad.patch")
    assert pq008[0]["file"] == "patches/0003-bad.patch"
    assert upstream.snapshot() == before


def test_pq008_accepts_a_three_way_merge(builder: SeriesBuilder, upstream: UpstreamRepo) -> None:
    # Upstream history has X (changes reboot's signature); the patch was made on top of X
    # and changes a line two lines below, so plain apply fails but a 3-way merge is clean.
    git(builder.scratch, "checkout", "-q", "--detach", "1.0")
    changed = NOVA_API.replace("hard=False):", "hard=False, force=False):")
    builder.commit({"nova/api.py": changed}, "Upstream change X")
    git(upstream.path, "fetch", "-q", str(builder.scratch), "HEAD:refs/heads/side")
    patched = changed.replace('"hard": hard}', '"hard": bool(hard)}')
    builder.add("0001-state.patch", {"nova/api.py": patched}, "Start in scheduling")
    code, found = check_json()
    assert code == 0, found


# -- PQ011, PQ012, ignore and warn ------------------------------------------------------


def test_pq011_pending_too_long(builder: SeriesBuilder) -> None:
    old = (dt.date.today() - dt.timedelta(days=100)).isoformat()
    recent = (dt.date.today() - dt.timedelta(days=5)).isoformat()
    review = {"review": "https://review.opendev.org/c/openstack/nova/+/1"}
    builder.add("0001-old.patch", {"nova/a.py": "a\n"}, "Old", added=old)
    builder.add("0002-new.patch", {"nova/b.py": "b\n"}, "New", added=recent)
    builder.add(
        "0003-sent.patch",
        {"nova/c.py": "c\n"},
        "Sent",
        added=old,
        status="submitted",
        upstream=review,
    )
    builder.add("0004-undated.patch", {"nova/d.py": "d\n"}, "Undated")
    builder.extra = "policy:\n  max_pending_days: 30\n"
    builder.write()
    code, found = check_json()
    assert code == 1
    assert [(f["id"], f["patch"]) for f in found] == [("PQ011", "0001-old.patch")]
    assert "pending for 100 days" in found[0]["message"]
    assert found[0]["line"] == builder.line_of(f"added: '{old}'")


def test_pq012_carried_releases(builder: SeriesBuilder) -> None:
    builder.add("0001-ancient.patch", {"nova/a.py": "a\n"}, "Ancient", added="2020-01-01")
    builder.add("0002-young.patch", {"nova/b.py": "b\n"}, "Young", added="2025-06-01")
    builder.add(
        "0003-ours.patch",
        {"nova/c.py": "c\n"},
        "Ours",
        added="2020-01-01",
        status="downstream-only",
        reason="packaging only",
    )
    builder.add("0004-undated.patch", {"nova/d.py": "d\n"}, "Undated")
    history = [
        {"date": "2024-04-01T10:00:00Z", "from": "29.0.0", "to": "30.0.0"},
        {"date": "2024-10-01T10:00:00Z", "from": "30.0.0", "to": "31.0.0"},
        {"date": "2025-04-01T10:00:00Z", "dropped": [{"file": "x.patch", "subject": "x"}]},
        {"date": "2025-10-01T10:00:00Z", "from": "31.0.0", "to": "32.0.0"},
    ]
    builder.extra = "policy:\n  max_carried_releases: 2\n"
    builder.write()
    path = builder.root / "series.yaml"
    path.write_text(
        path.read_text().replace("history: []\n", "history: " + json.dumps(history) + "\n")
    )
    code, found = check_json()
    assert code == 1
    assert [(f["id"], f["patch"]) for f in found] == [
        ("PQ012", "0001-ancient.patch"),
        ("PQ012", "0004-undated.patch"),
    ]
    assert "carried through 3 releases (30.0.0, 31.0.0, 32.0.0)" in found[0]["message"]


def test_policy_ignore_and_warn(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    (builder.root / "patches" / "stray.patch").write_text("x")
    builder.entries[0]["status"] = "rejected"
    builder.extra = "policy:\n  warn: [PQ003]\n  ignore: [PQ006]\n"
    builder.write()
    code, found = check_json()
    assert code == 0
    assert [(f["id"], f["severity"]) for f in found] == [("PQ003", "warning")]
    junit = run("check", "--format", "junit").stdout
    suite = parse_junit(junit)
    assert not [c for c in suite if c.get("classname") == "patchq.PQ006"]
    [stray] = [c for c in suite if c.get("classname") == "patchq.PQ003"]
    assert "warning: PQ003 patches/stray.patch" in (stray.findtext("system-out") or "")


# -- without upstream -------------------------------------------------------------------


def test_missing_upstream_skips_its_checks(builder: SeriesBuilder, upstream: UpstreamRepo) -> None:
    two_good_patches(builder)
    upstream.path.rename(upstream.path.with_name("moved"))
    code, found = check_json()
    assert code == 0
    skipped = [f for f in found if f["severity"] == "skipped"]
    assert [f["id"] for f in skipped] == ["PQ005", "PQ007", "PQ008", "PQ017"]
    assert all("does not exist" in f["message"] for f in skipped)
    required = run("check", "--require-upstream")
    assert required.exit_code == 2
    assert "does not exist" in required.stderr and "--require-upstream" in required.stderr
    text = run("check")
    assert "skipped PQ008" in text.stdout and "4 skipped" in text.stdout


def test_upstream_that_is_not_a_repo_is_skipped(builder: SeriesBuilder, tmp_path: Path) -> None:
    two_good_patches(builder)
    plain = tmp_path / "plain"
    plain.mkdir()
    code, found = check_json("--upstream", str(plain))
    assert code == 0
    skips = {f["id"] for f in found if f["severity"] == "skipped"}
    assert skips == {"PQ005", "PQ007", "PQ008", "PQ017"}
    assert "is not a git repository" in found[0]["message"]


# -- many problems at once ---------------------------------------------------------------


def test_many_problems_reported_together(builder: SeriesBuilder, upstream: UpstreamRepo) -> None:
    two_good_patches(builder)
    first = (builder.root / "patches" / "0001-boot-log.patch").read_bytes()
    builder.add_raw("0003-dup.patch", first.replace(b"Log boots", b"Log boots again"))
    builder.add_raw("0004-garbage.patch", b"\n\n")
    git(builder.scratch, "checkout", "-q", "--detach", "1.0")
    builder.commit({"nova/api.py": NOVA_API.replace("rebooting", "REBOOTING")}, "Elsewhere")
    builder.add("0005-bad.patch", {"nova/api.py": NOVA_API.replace("rebooting", "r")}, "Bad")
    builder.entries.append({"file": "0006-missing.patch", "status": "pending"})
    builder.entries[1]["status"] = "merged"
    builder.entries[0]["bogus"] = 1
    old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    builder.entries[2]["added"] = old
    builder.extra = "policy:\n  max_pending_days: 10\n"
    builder.write()
    (builder.root / "patches" / "stray.diff").write_text("x")
    upstream.commit("Later", {"nova/later.py": "x\n"})
    git(upstream.path, "tag", "-f", "1.0")
    code, found = check_json()
    assert code == 1
    assert sorted(ids(found)) == [
        "PQ001",
        "PQ002",
        "PQ003",
        "PQ004",
        "PQ005",
        "PQ006",
        "PQ007",
        "PQ008",
        "PQ011",
    ]
    text = run("check")
    assert text.exit_code == 1
    assert text.stdout.splitlines()[-1] == (
        "patchq check: failed: 9 errors, 0 warnings, 0 skipped (10 checks on 6 patches)"
    )
    # grouped by patch: each patch name is a heading, followed by its findings
    lines = text.stdout.splitlines()
    assert lines[0] == "series.yaml"
    assert lines.index("0003-dup.patch") < lines.index("0004-garbage.patch")


# -- output formats -----------------------------------------------------------------------


def test_junit_output_parses_and_counts(builder: SeriesBuilder, tmp_path: Path) -> None:
    two_good_patches(builder)
    builder.entries[1]["status"] = "backport"
    builder.write()
    (builder.root / "patches" / "stray.patch").write_text("x")
    out = tmp_path / "reports" / "patchq-junit.xml"
    out.parent.mkdir()  # --output never creates a directory (like report's)
    result = run("check", "--format", "junit", "--output", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "patchq check: failed: 2 errors" in result.stderr
    text = out.read_text()
    assert text.startswith("<?xml")
    suite = parse_junit(text)
    cases = suite.findall("testcase")
    # 3 series-wide checks + 6 per-patch checks x 2 patches
    assert len(cases) == 3 + 6 * 2
    assert suite.get("failures") == "2"
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert failed == {("patchq.PQ006", "0002-timeout.patch"), ("patchq.PQ003", "patches/")}
    [pq008] = [
        c for c in cases if c.get("classname") == "patchq.PQ008" and "0001" in c.get("name", "")
    ]
    assert pq008.get("file") == "patches/0001-boot-log.patch"


def test_junit_marks_skipped_checks(builder: SeriesBuilder, upstream: UpstreamRepo) -> None:
    two_good_patches(builder)
    upstream.path.rename(upstream.path.with_name("moved"))
    result = run("check", "--format", "junit")
    assert result.exit_code == 0
    suite = parse_junit(result.stdout)
    skipped = [c for c in suite.findall("testcase") if c.find("skipped") is not None]
    # PQ005, PQ008 and PQ017 per patch, PQ007 once
    assert len(skipped) == 2 + 2 + 2 + 1
    assert suite.get("skipped") == "7" and suite.get("failures") == "0"


def test_junit_with_no_patches_still_reports_skips(
    series_dir: Path, upstream: UpstreamRepo
) -> None:
    upstream.path.rename(upstream.path.with_name("moved"))
    suite = parse_junit(run("check", "--format", "junit").stdout)
    names = [(c.get("classname"), c.get("name")) for c in suite.findall("testcase")]
    assert ("patchq.PQ008", "series.yaml") in names


def test_github_annotations_escape_and_prefix(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    builder.entries[0]["status"] = "rejected"
    builder.write()
    (builder.root / "patches" / "odd,name:x.patch").write_text("x")
    git(builder.root, "init", "-q")  # a packaging repo whose root is the series dir's parent
    result = run("check", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    line = builder.line_of("status: rejected")
    assert lines[0] == (
        f"::error file=series.yaml,line={line},title=PQ006::0001-boot-log.patch: status "
        "rejected needs a reason: run `patchq mark 0001-boot-log rejected --reason TEXT`"
    )
    assert lines[1].startswith("::error file=patches/odd%2Cname%3Ax.patch,title=PQ003::")
    assert lines[-1].startswith("patchq check: failed")
    assert check_output.escape_data("50%\r\nx") == "50%25%0D%0Ax"


def test_github_paths_are_relative_to_the_repository_root(
    builder: SeriesBuilder, tmp_path: Path
) -> None:
    two_good_patches(builder)
    (builder.root / "patches" / "stray.patch").write_text("x")
    git(tmp_path, "init", "-q")
    result = run("check", "--format", "github")
    assert "::error file=pkg/patches/stray.patch,title=PQ003::" in result.stdout
    assert check_output.repo_prefix(builder.root) == "pkg/"


def test_text_has_no_colour_when_piped(builder: SeriesBuilder) -> None:
    two_good_patches(builder)
    (builder.root / "patches" / "stray.patch").write_text("x")
    result = run("check")
    assert "\x1b[" not in result.stdout
    report = check.run(Workspace(builder.root))
    coloured = render.check_findings(report, color=True)
    assert "\x1b[31m" in coloured and "PQ003" in coloured


def test_json_schema(builder: SeriesBuilder, tmp_path: Path) -> None:
    two_good_patches(builder)
    (builder.root / "patches" / "stray.patch").write_text("x")
    out = tmp_path / "findings.json"
    out.write_text("old")
    result = run("check", "--format", "json", "--output", str(out))
    assert result.exit_code == 1
    [finding] = json.loads(out.read_text())
    assert finding == {
        "id": "PQ003",
        "severity": "error",
        "patch": "stray.patch",
        "file": "patches/stray.patch",
        "line": None,
        "message": "patches/stray.patch is not in series.yaml: add it to `patches:` or delete it",
    }


def test_unwritable_output_is_a_usage_error(builder: SeriesBuilder, tmp_path: Path) -> None:
    two_good_patches(builder)
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run("check", "--output", str(blocker / "report.xml"))
    assert result.exit_code == 2
    assert f"cannot write --output {blocker / 'report.xml'}" in result.stderr


def test_help_has_example() -> None:
    result = run("check", "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "--require-upstream" in result.stdout


# -- size ---------------------------------------------------------------------------------


def test_two_hundred_patches_smoke(builder: SeriesBuilder) -> None:
    made = builder.commit_many(
        [({f"nova/gen/m{i:03d}.py": f"VALUE = {i}\n"}, f"Add module {i}") for i in range(200)]
    )
    for i, data in enumerate(made):
        (builder.root / "patches" / f"{i:04d}-m.patch").write_bytes(data)
        builder.entries.append({"file": f"{i:04d}-m.patch", "status": "pending"})
    builder.write()
    started = time.perf_counter()
    result = run("check", "-v")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.stdout
    assert "9 checks on 200 patches" in result.stdout
    # batched git: one `git apply` for the whole series, one `git patch-id` for all files
    commands = [line for line in result.stderr.splitlines() if line.startswith("+ git")]
    assert len([c for c in commands if " apply --cached " in c]) == 1
    assert len([c for c in commands if " patch-id " in c]) == 1
    assert len(commands) < 10, commands
    print(f"200-patch check: {elapsed:.2f}s")  # timing is asserted in benchmarks/bench_check.py


# -- PQ009, PQ010 (with --against) ---------------------------------------------------------


def test_pq009_landed_and_pq010_conflicts_against_ref(
    builder: SeriesBuilder, upstream: UpstreamRepo
) -> None:
    two_good_patches(builder)
    landed = (builder.root / "patches" / "0001-boot-log.patch").read_bytes()
    # 2.0 takes patch 1 as is and rewrites the timeout line that patch 2 changes.
    git(upstream.path, "checkout", "-q", "master")
    git(upstream.path, "am", "-q", input=landed)
    upstream.commit("Tune timeout", {"nova/conf.py": NOVA_CONF.replace("30", "45")})
    upstream.tag("2.0")
    before = upstream.snapshot()
    code, found = check_json("--against", "2.0")
    assert code == 1
    assert [(f["id"], f["patch"]) for f in found] == [
        ("PQ009", "0001-boot-log.patch"),
        ("PQ010", "0002-timeout.patch"),
    ]
    assert "has landed in 2.0 as " in found[0]["message"]
    assert "evidence: patch-id" in found[0]["message"]
    assert "patchq drop 0001-boot-log" in found[0]["message"]
    assert found[1]["message"].endswith("will conflict with 2.0: nova/conf.py")
    assert upstream.snapshot() == before
    # without --against neither check runs
    assert check_json()[0] == 0
    # policy can turn them into warnings
    builder.extra = "policy:\n  warn: [PQ009, PQ010]\n"
    builder.write()
    code, found = check_json("--against", "2.0")
    assert code == 0 and {f["severity"] for f in found} == {"warning"}


def test_against_skips_patches_broken_on_base(
    builder: SeriesBuilder, upstream: UpstreamRepo
) -> None:
    two_good_patches(builder)
    git(builder.scratch, "checkout", "-q", "--detach", "1.0")
    builder.commit({"nova/api.py": NOVA_API.replace("rebooting", "REBOOTING")}, "Elsewhere")
    builder.add("0003-bad.patch", {"nova/api.py": NOVA_API.replace("rebooting", "r")}, "Bad")
    upstream.commit("Unrelated", {"nova/new.py": "x\n"})
    upstream.tag("2.0")
    code, found = check_json("--against", "2.0")
    assert code == 1
    assert [(f["id"], f["patch"]) for f in found] == [("PQ008", "0003-bad.patch")]


def test_against_without_upstream_is_skipped(
    builder: SeriesBuilder, upstream: UpstreamRepo
) -> None:
    two_good_patches(builder)
    upstream.path.rename(upstream.path.with_name("moved"))
    code, found = check_json("--against", "2.0")
    assert code == 0
    ids = ["PQ005", "PQ007", "PQ008", "PQ009", "PQ010", "PQ013", "PQ017"]
    assert [f["id"] for f in found] == ids
    assert {f["severity"] for f in found} == {"skipped"}


def test_non_utf8_subject_renders_in_every_format(builder: SeriesBuilder, tmp_path: Path) -> None:
    git(builder.scratch, "checkout", "-q", "--detach", "1.0")
    builder.commit({"nova/api.py": NOVA_API.replace("rebooting", "REBOOTING")}, "Elsewhere")
    data = builder.commit({"nova/api.py": NOVA_API.replace("rebooting", "r")}, "Fix cafe\x01")
    data = data.replace(b"Fix cafe\x01", b"Fix caf\xe9 \x01")  # Latin-1, and a control byte
    builder.add_raw("0001-latin1.patch", data)
    for fmt in ("text", "json", "junit", "github"):
        out = tmp_path / f"out.{fmt}"
        result = run("check", "--format", fmt, "--output", str(out))
        assert result.exit_code == 1, (fmt, result.stderr)
        text = out.read_text("utf-8")
        if fmt == "json":
            text = json.loads(text)[0]["message"]
        assert "Fix caf\ufffd \ufffd" in text, fmt
    parse_junit((tmp_path / "out.junit").read_text())


def test_pq008_bisection_finds_first_and_last(builder: SeriesBuilder) -> None:
    git(builder.scratch, "checkout", "-q", "--detach", "1.0")
    builder.commit({"nova/api.py": NOVA_API.replace("rebooting", "REBOOTING")}, "Elsewhere")
    builder.add("0001-bad.patch", {"nova/api.py": NOVA_API.replace("rebooting", "r")}, "Bad 1")
    git(builder.scratch, "checkout", "-q", "--detach", "1.0")
    for i in range(2, 9):  # a chain: each patch edits the file the previous one wrote
        builder.add(f"000{i}-chain.patch", {"nova/chain.py": f"step = {i}\n"}, f"Chain {i}")
    git(builder.scratch, "checkout", "-q", "--detach", "HEAD~3")
    builder.add("0009-bad.patch", {"nova/chain.py": "step = -1\n"}, "Bad 9")
    code, found = check_json()
    assert code == 1
    assert [(f["id"], f["patch"]) for f in found] == [
        ("PQ008", "0001-bad.patch"),
        ("PQ008", "0009-bad.patch"),
    ]
    skipping = "does not apply to 1.0: nova/chain.py (checked without the 1 failing patch above)"
    assert skipping in found[1]["message"]
    # -v shows every git command: finding 2 broken patches among 9 takes fewer `git apply`
    # runs than the one per patch (plus a 3-way retry per failure) of a naive loop
    verbose = run("check", "-v")
    applies = [line for line in verbose.stderr.splitlines() if " apply --cached " in line]
    assert 0 < len(applies) < 9 + 2, "\n".join(applies)


def test_docs_examples_are_valid(builder: SeriesBuilder) -> None:
    import re

    import yaml

    from patchq.cli.commands import check as check_command

    docs = (REPO_ROOT / "docs" / "ci.md").read_text()
    for block in re.findall(r"```yaml\n(.*?)```", docs, re.S):
        assert yaml.safe_load(block)
    options = {opt for p in check_command.params for opt in p.opts}
    joined = re.sub(r"\n\s+(?=--)", " ", docs)  # folded YAML command lines
    used = set(re.findall(r"patchq check[^\n`|]*", joined))
    assert any("--require-upstream" in line and "--against" in line for line in used)
    for line in used:
        for flag in re.findall(r"(?<=\s)(--?[a-z][a-z-]*)", line):
            assert flag in options, (flag, line)
    for check_id in CHECKS:
        assert f"| {check_id} |" in docs
    # the documented JSON schema accepts real output
    schema = json.loads(re.findall(r"```json\n(.*?)```", docs, re.S)[0])
    two_good_patches(builder)
    builder.entries[0]["status"] = "merged"
    builder.write()
    _, found = check_json()
    assert found
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(found, schema)


def test_pre_commit_hook_definition() -> None:
    import re

    import yaml

    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    [hook] = hooks
    assert hook["id"] == "patchq-check" and hook["entry"] == "patchq check"
    assert hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    assert pattern.search("series.yaml") and pattern.search("patches/0001-x.patch")
    assert not pattern.search("debian/control")
