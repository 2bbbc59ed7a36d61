"""Issue 11: what a packager imports is what patchq keeps, on synthetic repos shaped like real
OpenStack history: bracket-tagged subjects, quilt names, messages quoting shas and diffs,
backports of backports, DEP-3 and gbp metadata."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from patchq.patches import patchfile
from patchq.patches import subject as mail_subject
from patchq.series import io as series
from tests.builders import (
    API_REBOOT,
    NOVA_API,
    NOVA_CONF,
    UpstreamRepo,
    git,
    make_series,
    release_two,
    run,
)

OVN = "[OVN] Allow multiple values in DHCPv4/v6 options"
SRBAC = "[S-RBAC] Fix policies for the server groups API"
DOC = "[doc]Clarify the rbd timeout"
STABLE = "[stable-only] Pin the workers default"
CONF_TIMEOUT = NOVA_CONF.replace('"timeout": 30', '"timeout": 60')
CONF_WORKERS = CONF_TIMEOUT.replace('"workers": 4', '"workers": 8')
README_MORE = "nova\nmore\n"


def list_subjects() -> list[str]:
    result = run("list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["subject"] for row in json.loads(result.stdout)["patches"]]


def am_subjects(
    upstream: Path, base: str, patches: list[Path], tmp: Path, *flags: str
) -> list[str]:
    """`git am [flags]` the files onto base in a fresh clone: the commit subjects, oldest first."""
    clone = tmp / f"am{'-'.join(flags)}-{len(list(tmp.glob('am*')))}"
    git(tmp, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-q", "--detach", base)
    proc = subprocess.run(
        ["git", "-C", str(clone), "am", "-q", *flags, *map(str, patches)], capture_output=True
    )
    assert proc.returncode == 0, proc.stderr.decode()
    count = str(len(patches))
    return git(clone, "log", "--reverse", "--format=%s", f"-{count}").splitlines()


# -- 1. subjects keep their tags ------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "subject"),
    [
        (OVN, OVN),
        (f"[PATCH] {SRBAC}", SRBAC),
        (f"[PATCH 08/55] {DOC}", DOC),
        ("[PATCH v2 3/7] [OVN] x", "[OVN] x"),
        ("[RFC PATCH] [ML2/OVS] y", "[ML2/OVS] y"),
        ("Re: [PATCH] y", "y"),
        ("re: Re: [PATCH v3] [stable-only] z", "[stable-only] z"),
        ('Revert "[OVN] x"', 'Revert "[OVN] x"'),
    ],
)
def test_subject_strips_only_what_mail_tools_add(header: str, subject: str) -> None:
    assert mail_subject.from_header(header) == subject
    raw = f"From: A <a@example.org>\nSubject: {header}\n\nBody.\n---\n".encode()
    assert patchfile.parse(raw + b"diff --git a/f b/f\n").subject == subject


def test_range_import_keeps_tags_and_names_files_like_format_patch(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    git(upstream.path, "checkout", "-q", "-b", "down", "1.0")
    upstream.commit(OVN, {"nova/conf.py": CONF_TIMEOUT})
    upstream.commit(f"{SRBAC}\n\nBody.\n", {"README.rst": README_MORE})
    upstream.commit(DOC, {"nova/conf.py": CONF_WORKERS})
    git(upstream.path, "checkout", "-q", "master")
    result = run("import", "--range", "1.0..down")
    assert result.exit_code == 0, result.stderr
    assert list_subjects() == [OVN, SRBAC, DOC]
    out = git(upstream.path, "format-patch", "-o", str(tmp_path / "fp"), "1.0..down")
    expected = [Path(line).name for line in out.split()]
    assert [p.file for p in series.load(series_dir).patches] == expected
    assert expected[0] == "0001-OVN-Allow-multiple-values-in-DHCPv4-v6-options.patch"


def test_mbox_import_strips_patch_and_re_only(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    git(upstream.path, "checkout", "-q", "-b", "down", "1.0")
    upstream.commit("[OVN] x", {"nova/conf.py": CONF_TIMEOUT})
    upstream.commit("y", {"README.rst": README_MORE})
    git(upstream.path, "checkout", "-q", "master")
    mbox = git(upstream.path, "format-patch", "--stdout", "-k", "1.0..down")
    mbox = mbox.replace("Subject: [OVN] x", "Subject: [PATCH v2 3/7] [OVN] x")
    mbox = mbox.replace("Subject: y", "Subject: Re: [PATCH] y")
    (tmp_path / "series.mbox").write_text(mbox)
    result = run("import", "--mbox", str(tmp_path / "series.mbox"))
    assert result.exit_code == 0, result.stderr
    assert list_subjects() == ["[OVN] x", "y"]
    assert [p.file for p in series.load(series_dir).patches] == ["0001-OVN-x.patch", "0002-y.patch"]


QUILT = {
    "series": "fix-dhcp.patch\nrdo/policies.diff -p0\nzz-doc.patch\n",
    "fix-dhcp.patch": f"""\
        Description: {OVN}
         Operators set several values.
        Author: Jane Doe <jane@example.org>
        Forwarded: not-needed
        Last-Update: 2024-03-05
        ---
        --- a/nova/conf.py
        +++ b/nova/conf.py
        @@ -3,5 +3,5 @@
         DEFAULTS = {{
             "workers": 4,
        -    "timeout": 30,
        +    "timeout": 60,
             "rbd_pool": "vms",
         }}
        """,
    "rdo/policies.diff": f"""\
        From: Packager <pkg@example.org>
        Subject: [PATCH] {SRBAC}

        Gbp-Pq: Name other-name.patch
        ---
        --- README.rst
        +++ README.rst
        @@ -1 +1,2 @@
         nova
        +more
        """,
    "zz-doc.patch": f"""\
        From: Packager <pkg@example.org>
        Date: Tue, 4 Jun 2024 10:00:00 +0200
        Subject: {DOC}

        ---
        diff --git a/nova/conf.py b/nova/conf.py
        --- a/nova/conf.py
        +++ b/nova/conf.py
        @@ -3,3 +3,3 @@
         DEFAULTS = {{
        -    "workers": 4,
        +    "workers": 8,
             "timeout": 60,
        """,
}


def test_quilt_import_keeps_names_and_subjects_and_survives_git_am(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    quilt = tmp_path / "debian" / "patches"
    for name, text in QUILT.items():
        (quilt / name).parent.mkdir(parents=True, exist_ok=True)
        (quilt / name).write_text(textwrap.dedent(text))
    result = run("import", "--quilt", str(quilt))
    assert result.exit_code == 0, result.stderr
    loaded = series.load(series_dir).patches
    # The packager's names, as the series lists them: not renamed after the subjects.
    assert [p.file for p in loaded] == ["fix-dhcp.patch", "rdo/policies.diff", "zz-doc.patch"]
    assert list_subjects() == [OVN, SRBAC, DOC]
    dhcp = loaded[0]
    assert dhcp.status.value == "downstream-only" and dhcp.reason == OVN
    assert dhcp.added == "2024-03-05"  # Last-Update, not the day of the import
    assert loaded[2].added == "2024-06-04"  # the mail's Date:
    check = run("check")  # what import wrote, check accepts (no PQ006 for the missing reason)
    assert check.exit_code == 0, check.stdout
    files = [series_dir / "patches" / p.file for p in loaded]
    assert am_subjects(upstream.path, "1.0", files, tmp_path, "-k") == [OVN, SRBAC, DOC]
    # The files patchq wrote (DEP-3, and -p0 turned into -p1) survive plain `git am` too; the
    # mail-form file is the packager's own, kept byte for byte.
    assert am_subjects(upstream.path, "1.0", files[:2], tmp_path) == [OVN, SRBAC]
    assert (files[2]).read_text() == textwrap.dedent(QUILT["zz-doc.patch"])


def test_refreshed_files_keep_the_whole_subject_through_git_am(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    reboot: tuple[str, str, str, dict[str, str | bytes | None]] = (
        "0001-OVN-Log-hard-reboots.patch",
        "[OVN] Log hard reboots",
        "So that support can see them.\n",
        {"nova/api.py": API_REBOOT},
    )
    readme: tuple[str, str, str, dict[str, str | bytes | None]] = (
        "0002-stable-only-note.patch",
        STABLE,
        "Note.\n",
        {"README.rst": "nova\nx\n"},
    )
    make_series(upstream, series_dir, [reboot, readme])
    unchanged = (series_dir / "patches" / readme[0]).read_bytes()
    release_two(upstream)  # new context above the first patch's hunk: it is refreshed
    result = run("rebase", "--onto", "2.0")
    assert result.exit_code == 0, result.stderr
    assert "1 refreshed" in result.stdout
    refreshed = series_dir / "patches" / reboot[0]
    assert b"\nSubject:" not in refreshed.read_bytes().split(b"\n\n", 1)[0]
    for flags in ((), ("-k",)):
        subjects = am_subjects(upstream.path, "2.0", [refreshed], tmp_path, *flags)
        assert subjects == ["[OVN] Log hard reboots"]
    # The patch whose diff did not move keeps its bytes, as git format-patch wrote them.
    assert (series_dir / "patches" / readme[0]).read_bytes() == unchanged
    assert list_subjects() == ["[OVN] Log hard reboots", STABLE]


def test_stripped_subject_is_a_check_finding_and_mark_fixes_it(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    picked = upstream.commit(f"{OVN}\n\nBody.\n", {"nova/conf.py": CONF_TIMEOUT})
    git(upstream.path, "checkout", "-q", "-b", "down", "1.0")
    upstream.commit(
        f"{OVN}\n\nBody.\n\n(cherry picked from commit {picked})\n", {"nova/conf.py": CONF_TIMEOUT}
    )
    git(upstream.path, "checkout", "-q", "master")
    assert run("import", "--range", "1.0..down").exit_code == 0
    (entry,) = series.load(series_dir).patches
    path = series_dir / "patches" / entry.file
    # What an older patchq's rebase wrote: the subject without its tag.
    old = path.read_bytes().replace(
        f"Subject: [PATCH] {OVN}".encode(),
        b"Subject: [PATCH] " + OVN.removeprefix("[OVN] ").encode(),
    )
    path.write_bytes(old)
    check = run("check")
    assert check.exit_code == 1
    fix = f"patchq mark {entry.name} --subject '{OVN}'"
    assert "PQ017" in check.stdout and fix in check.stdout
    assert path.read_bytes() == old  # check never rewrites
    yaml_before = (series_dir / "series.yaml").read_bytes()
    result = run("mark", entry.name, "--subject", OVN)
    assert result.exit_code == 0, result.stderr
    assert (series_dir / "series.yaml").read_bytes() == yaml_before  # only the file changed
    assert run("check").exit_code == 0
    assert list_subjects() == [OVN]
    assert am_subjects(upstream.path, "1.0", [path], tmp_path) == [OVN]
    assert patchfile.parse(path.read_bytes()).body == patchfile.parse(old).body


# -- 2. message lines that look like headers or diffs ----------------------------------------


def test_messages_quoting_shas_and_diffs(series_dir: Path, upstream: UpstreamRepo) -> None:
    sha = "a722640b2fea2beba9de4455ee27d38171d56fed"
    message = textwrap.dedent(
        f"""\
        Fix the rbd timeout

        This reverts the effect of
        {sha}
        commit {sha}
        From {sha} Mon Sep 17 00:00:00 2001
        diff-tree {sha}
        The old code did:
        diff --git a/nova/conf.py b/nova/conf.py
        --- a/nova/conf.py
        +++ b/nova/conf.py

        Closes-Bug: #2000001
        """
    )
    git(upstream.path, "checkout", "-q", "-b", "down", "1.0")
    upstream.commit(message, {"nova/conf.py": CONF_TIMEOUT})
    upstream.commit(f"Second\n\n{sha}\n", {"README.rst": README_MORE})
    git(upstream.path, "checkout", "-q", "master")
    # Upstream takes both changes unchanged (no Change-Id: only the patch-ids can tell).
    upstream.commit("Fix the rbd timeout", {"nova/conf.py": CONF_TIMEOUT})
    upstream.commit("Second", {"README.rst": README_MORE})
    assert run("import", "--range", "1.0..down").exit_code == 0
    first = series.load(series_dir).patches[0]
    parsed = patchfile.parse((series_dir / "patches" / first.file).read_bytes())
    assert f"commit {sha}" in parsed.body and "diff --git a/nova/conf.py" in parsed.body
    assert parsed.diff.startswith(b"diff --git a/nova/conf.py") and b"Closes-Bug" not in parsed.diff
    status = run("status", "--against", "master", "--format", "json")
    assert status.exit_code == 0, status.stderr
    states = json.loads(status.stdout)["patches"]
    assert [s["state"] for s in states] == ["landed", "landed"]
    assert all("patch-id" in s["evidence"] for s in states)
    check = run("check", "--against", "master", "--format", "json")
    assert check.exit_code == 1, check.stderr  # findings, not a crash
    found = json.loads(check.stdout)
    assert sorted(f["id"] for f in found) == ["PQ009", "PQ009"]


# -- 3. a backport of a backport ----------------------------------------------------------


def test_every_cherry_pick_line_counts(series_dir: Path, upstream: UpstreamRepo) -> None:
    master = upstream.commit("Fix the timeout\n\nBody.\n", {"nova/conf.py": CONF_TIMEOUT})
    upstream.tag("2.0")
    git(upstream.path, "checkout", "-q", "-b", "stable/2", "1.0")
    git(upstream.path, "cherry-pick", "-x", master)
    middle = upstream.head()
    git(upstream.path, "checkout", "-q", "-b", "stable/1", "1.0")
    git(upstream.path, "cherry-pick", "-x", middle)
    git(upstream.path, "checkout", "-q", "master")
    assert run("import", "--range", "1.0..stable/1").exit_code == 0
    (entry,) = series.load(series_dir).patches
    assert entry.upstream.commit == master  # the original commit, not the stable hop
    for ref, expected in (("master", master), ("stable/2", middle)):
        result = run("status", "--against", ref, "--format", "json")
        assert result.exit_code == 0, result.stderr
        (state,) = json.loads(result.stdout)["patches"]
        assert "cherry-pick" in state["evidence"], ref
        assert state["upstream_commit"] == expected
    report = json.loads(run("report", "--format", "json").stdout)
    assert master in json.dumps(report)


# -- 4. metadata from gbp pq --------------------------------------------------------------


def test_gbp_pq_name_and_date(series_dir: Path, upstream: UpstreamRepo) -> None:
    git(upstream.path, "checkout", "-q", "-b", "down", "1.0")
    upstream.commit(
        "Raise the timeout\n\nGbp-Pq: Topic debian\nGbp-Pq: Name raise-timeout.patch\n",
        {"nova/conf.py": CONF_TIMEOUT},
    )
    upstream.commit("Say more\n\nGbp-Pq: Name say-more\n", {"README.rst": README_MORE})
    upstream.commit("Numbered", {"nova/api.py": NOVA_API + "\n"})
    git(upstream.path, "checkout", "-q", "master")
    assert run("import", "--range", "1.0..down").exit_code == 0
    loaded = series.load(series_dir).patches
    assert [p.file for p in loaded] == [
        "debian/raise-timeout.patch",
        "say-more.patch",
        "0001-Numbered.patch",
    ]
    # The commits' Date: (conftest dates them in November 2023), not the day of the import.
    assert {p.added for p in loaded} == {"2023-11-14"}
    raw = yaml.safe_load((series_dir / "series.yaml").read_text())
    assert raw["patches"][0]["file"] == "debian/raise-timeout.patch"
    assert run("check").exit_code == 0


# -- 5. messages --------------------------------------------------------------------------


def test_pq008_one_line_per_failing_patch_list_given_once(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    from tests.builders import SeriesBuilder
    from tests.check.findings import check_json

    builder = SeriesBuilder(series_dir, upstream, tmp_path / "scratch")
    git(builder.scratch, "checkout", "-q", "--detach", "1.0")
    builder.commit({"nova/api.py": NOVA_API.replace("rebooting", "REBOOTING")}, "Elsewhere")
    names = [f"{i:04d}-a-rather-long-name-for-a-bad-patch-number-{i}.patch" for i in range(1, 9)]
    for i, name in enumerate(names, 1):
        git(builder.scratch, "checkout", "-q", "--detach", "HEAD~0")
        builder.add(name, {"nova/api.py": NOVA_API.replace("rebooting", f"r{i}")}, f"Bad {i}")
        git(builder.scratch, "reset", "-q", "--hard", "HEAD~1")
    code, found = check_json()
    assert code == 1
    pq008 = [f["message"] for f in found if f["id"] == "PQ008"]
    assert len(pq008) == 8
    assert all("\n" not in m for m in pq008)
    # Each name appears in its own finding and once more in the list on the last one: linear.
    joined = "\n".join(pq008)
    assert all(joined.count(name) == 2 for name in names[:-1]), joined
    assert max(len(m) for m in pq008[:-1]) < 200
    assert pq008[-1].endswith("8 patches do not apply: " + ", ".join(names))


def test_dry_run_counts_what_comes_after_the_stop(series_dir: Path, upstream: UpstreamRepo) -> None:
    from tests.builders import CONF_WORKERS as DOWNSTREAM_WORKERS

    make_series(upstream, series_dir)  # P4 conflicts with 2.0; P5 comes after it
    release_two(upstream)
    upstream.commit("More workers", {"nova/conf.py": DOWNSTREAM_WORKERS})  # P5 lands
    upstream.tag("2.1")
    plan = run("rebase", "--onto", "2.1", "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    last = plan.stdout.strip().splitlines()[-1]
    assert "up to the stop: 1 dropped, 1 refreshed, 1 unchanged, 0 skipped; 2 carried" in last
    assert "stops at 0004-Quieter-delete-logging.patch (conflict)" in last
    assert last.endswith("after it, if that patch is skipped: 1 dropped, 0 carried, 0 conflicting")


def test_missing_base_commit_says_what_to_fetch(series_dir: Path, upstream: UpstreamRepo) -> None:
    path = series_dir / "series.yaml"
    pinned = git(upstream.path, "rev-parse", "1.0").strip()
    path.write_text(path.read_text().replace(pinned, "deadbeef" * 5))
    for args in (("status", "--against", "master"), ("rebase", "--onto", "master", "--dry-run")):
        result = run(*args)
        assert result.exit_code == 2, result.stdout
        assert "the base commit deadbeefdead" in result.stderr
        assert "is missing from" in result.stderr and "fetch origin 1.0" in result.stderr
        assert "broken" not in result.stderr


def test_rebase_says_what_it_does_while_the_conflict_worktree_is_written(
    series_dir: Path, upstream: UpstreamRepo
) -> None:
    import os
    import pty
    import sys

    make_series(upstream, series_dir)  # stops at P4
    release_two(upstream)
    master, slave = pty.openpty()  # a terminal: progress shows (it is quiet when piped)
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "patchq", "rebase", "--onto", "2.0"],
        stdin=slave, stdout=slave, stderr=slave, cwd=series_dir, env=env,
    )  # fmt: skip
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait() == 1
    os.close(master)
    text = out.decode("utf-8", "replace")
    assert "writing the conflict worktree" in text, text
    assert "patchq: stopped at 0004-Quieter-delete-logging.patch" in text


def test_template_errors_point_at_what_the_user_has(series_dir: Path) -> None:
    template = series_dir / "mine.md.j2"
    template.write_text("{{ nope.field }}\n")
    result = run("report", "--template", str(template))
    assert result.exit_code == 2
    assert "`patchq report --format json`" in result.stderr
    assert "docs/" not in result.stderr  # not a file an installed patchq has


def test_a_patch_is_named_by_the_start_of_its_name() -> None:
    from patchq.errors import ConfigError
    from patchq.series.model import Patch, Series, Upstream

    up = Upstream(name="nova", path="../nova", base="1.0", base_commit="a" * 40)
    files = ["0005-Default-state_path.patch", "0006-conf-Default.patch", "0006-conf-Other.patch"]
    current = Series(upstream=up, patches=tuple(Patch(file=f) for f in files))
    assert series.find_patch(current, "0005-Default") == 0
    assert series.find_patch(current, "0006-conf-Other") == 2
    assert series.find_patch(current, "2") == 1  # digits stay a position
    with pytest.raises(ConfigError, match=r"'0005-Def' in series\.yaml"):
        series.find_patch(current, "0005-Def")  # not at a word boundary
    with pytest.raises(ConfigError, match="ambiguous: it starts 0006-conf-Default, 0006-conf"):
        series.find_patch(current, "0006-conf")


def test_a_removed_dashes_line_is_not_the_message_end() -> None:
    raw = (
        b"From: A <a@example.org>\nSubject: [PATCH] x\n\nBody.\n"
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1 @@\n a\n---\n"
        b"diff --git a/g b/g\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-x\n+y\n"
    )
    parsed = patchfile.parse(raw)
    assert parsed.diff.startswith(b"diff --git a/f b/f") and parsed.paths == ("f", "g")
