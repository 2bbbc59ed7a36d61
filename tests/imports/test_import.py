"""patchq import: --range, --quilt (DEP-3, -pN), --mbox, FILE..., metadata and errors."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from patchq.imports import importer
from patchq.series import io as series
from patchq.series.model import Status
from tests.builders import UpstreamRepo, am_tree, git, run, series_patches, snapshot

CID = "I0123456789abcdef0123456789abcdef01234567"
CID2 = "Iaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
PICKED = "89abcdef0123456789abcdef0123456789abcdef"


def downstream_branch(upstream: UpstreamRepo) -> str:
    """Three downstream commits on branch `down` from 1.0; returns the tip sha."""
    git(upstream.path, "checkout", "-q", "-b", "down", "1.0")
    api = (upstream.path / "nova/api.py").read_text()
    upstream.commit(
        f"Fix rbd timeout\n\nThe pool times out.\n\nChange-Id: {CID}\n"
        f"(cherry picked from commit {PICKED})\n",
        {"nova/api.py": api.replace("return True", "LOG.debug('gone')\n    return True")},
    )
    upstream.commit(
        f"Packaging: drop pbr at runtime\n\nChange-Id: {CID2}\n",
        {"setup.cfg": "[metadata]\nname = nova\n"},
    )
    upstream.commit("Add watchdog docs", {"doc/watchdog.rst": "Watchdog\n========\n"})
    tip = upstream.head()
    git(upstream.path, "checkout", "-q", "master")
    return tip


def test_range_keeps_author_date_message_and_applies(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    tip = downstream_branch(upstream)
    before = upstream.snapshot()
    result = run("import", "--range", "1.0..down")
    assert result.exit_code == 0, result.stderr
    assert upstream.snapshot() == before  # the upstream clone is untouched
    loaded = series.load(series_dir)
    assert [p.file for p in loaded.patches] == [
        "0001-Fix-rbd-timeout.patch",
        "0002-Packaging-drop-pbr-at-runtime.patch",
        "0003-Add-watchdog-docs.patch",
    ]
    first, second, third = loaded.patches
    assert first.status is Status.BACKPORT
    assert first.upstream.commit == PICKED and first.upstream.change_id == CID
    assert second.status is Status.PENDING and second.upstream.change_id == CID2
    assert third.status is Status.PENDING and third.upstream.change_id is None
    assert {p.added for p in loaded.patches} == {"2023-11-14"}  # the commits' Date:
    # Exactly what git format-patch writes, with the commit's author, date and message.
    log = git(
        upstream.path, "log", "--reverse", "--format=%H%x00%an <%ae>%x00%aD%x00%B%x01", "1.0..down"
    ).split("\x01")[:-1]
    for patch, record in zip(series_patches(series_dir), log, strict=True):
        sha, author, date, message = record.strip("\n").split("\x00")
        text = patch.read_text()
        assert text.startswith(f"From {sha} Mon Sep 17 00:00:00 2001\n")
        assert f"From: {author}\nDate: {date}\n" in text
        assert message.strip().split("\n", 1)[0] in text
    tree = am_tree(upstream.path, "1.0", series_patches(series_dir), tmp_path)
    assert tree == git(upstream.path, "rev-parse", f"{tip}^{{tree}}").strip()


def test_range_numbers_after_existing_patches(series_dir: Path, upstream: UpstreamRepo) -> None:
    downstream_branch(upstream)
    assert run("import", "--range", "1.0..down~2").exit_code == 0
    (series_dir / "patches" / "0007-stray-file.patch").write_text("not in the series\n")
    result = run("import", "--range", "down~2..down")
    assert result.exit_code == 0, result.stderr
    files = [p.file for p in series.load(series_dir).patches]
    assert files == [
        "0001-Fix-rbd-timeout.patch",
        "0008-Packaging-drop-pbr-at-runtime.patch",
        "0009-Add-watchdog-docs.patch",
    ]
    assert "#3 0009-Add-watchdog-docs.patch  pending" in result.stderr


def test_file_names_are_sanitised() -> None:
    assert importer.file_name(3, "../../etc/passwd: pwn") == "0003-etc-passwd-pwn.patch"
    assert importer.file_name(12, "libvirt: Fix  rbd/ceph timeout (again!)") == (
        "0012-libvirt-Fix-rbd-ceph-timeout-again.patch"
    )
    assert importer.file_name(1, "...") == "0001-patch.patch"
    long = importer.file_name(1, "word " * 40)
    assert len(long) <= 64 and long.startswith("0001-word-word") and long.endswith(".patch")
    assert importer.file_name(2, "Ünïcode ☃ only") == "0002-n-code-only.patch"


def test_file_names_match_git_format_patch(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    subjects = [
        "libvirt: Fix rbd/ceph timeout (again!)",
        "Use   [DEFAULT]/state_path ..",
        "x" * 80,
        "Bump version to 2.0.1.",
    ]
    for subject in subjects:
        upstream.commit(subject, {"f.txt": subject})
    out = tmp_path / "fp"
    git(upstream.path, "format-patch", "-q", "-o", str(out), "1.0..master")
    expected = sorted(p.name for p in out.iterdir())
    assert [importer.file_name(i, s) for i, s in enumerate(subjects, 1)] == expected


QUILT_SERIES = """\
# Debian patches for nova
debian-state-path.patch
upstream/raise-timeout.patch -p0   # made with diff -u, no a/ b/ prefixes
#disabled.patch
backport-delete-log.patch
gbp-readme.patch
"""

QUILT_PATCHES = {
    "debian-state-path.patch": """\
        Description: Keep nova's state under /var/lib/nova
         Debian's FHS layout puts state here.
         .
         Not useful upstream.
        Author: Thomas Goirand <zigo@debian.org>
        Forwarded: not-needed
        Last-Update: 2025-09-01
        ---
         nova/conf.py | 1 +
        --- a/nova/conf.py
        +++ b/nova/conf.py
        @@ -4,4 +4,5 @@ DEFAULTS = {
             "workers": 4,
             "timeout": 30,
             "rbd_pool": "vms",
        +    "state_path": "/var/lib/nova",
         }
        """,
    "upstream/raise-timeout.patch": """\
        Description: Raise the default timeout
        Author: Jane Doe <jane@example.org>
        Forwarded: https://review.opendev.org/c/openstack/nova/+/951234
        Bug-Ubuntu: https://launchpad.net/bugs/2101234
        Index: nova/conf.py
        ===================================================================
        --- nova/conf.py\t2025-01-01 00:00:00.000000000 +0000
        +++ nova/conf.py\t2025-01-02 00:00:00.000000000 +0000
        @@ -3,5 +3,5 @@
         DEFAULTS = {
             "workers": 4,
        -    "timeout": 30,
        +    "timeout": 60,
             "rbd_pool": "vms",
             "state_path": "/var/lib/nova",
        """,
    "backport-delete-log.patch": """\
        Subject: Log deletions at debug level
        From: Upstream Dev <dev@openstack.org>
        Origin: upstream, https://opendev.org/openstack/nova/commit/0a1b2c3d4e5f
        Applied-Upstream: 2.0, commit:0a1b2c3d4e5f
        Bug: https://bugs.launchpad.net/nova/+bug/2000001

        --- a/nova/api.py
        +++ b/nova/api.py
        @@ -18,3 +18,4 @@ def reboot(instance, hard=False):
         def delete(instance):
             LOG.info("deleting %s", instance)
        +    LOG.debug("deleted %s", instance)
             return True
        """,
    "gbp-readme.patch": f"""\
        From: Packager <pkg@debian.org>
        Date: Mon, 1 Sep 2025 10:00:00 +0200
        Subject: Say who packaged it

        Forwarded: no
        Change-Id: {CID}
        ---
        diff --git a/README.rst b/README.rst
        --- a/README.rst
        +++ b/README.rst
        @@ -1 +1,2 @@
         nova
        +Packaged by Debian.
        """,
    "disabled.patch": "garbage: must never be read\n",
}


def write_quilt(directory: Path) -> None:
    directory.mkdir(parents=True)
    (directory / "series").write_text(QUILT_SERIES)
    for name, text in QUILT_PATCHES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_quilt_dep3_mapping_p0_and_git_am(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    quilt_dir = tmp_path / "debian" / "patches"
    write_quilt(quilt_dir)
    result = run("import", "--quilt", str(tmp_path))  # a source tree with debian/patches works
    assert result.exit_code == 0, result.stderr
    state, timeout, backport, readme = series.load(series_dir).patches
    # Names are kept exactly as the quilt series lists them, subdirectories too.
    assert [p.file for p in (state, timeout, backport, readme)] == [
        "debian-state-path.patch",
        "upstream/raise-timeout.patch",
        "backport-delete-log.patch",
        "gbp-readme.patch",
    ]
    assert state.status is Status.DOWNSTREAM_ONLY
    assert state.reason == "Keep nova's state under /var/lib/nova"  # what check requires
    assert state.added == "2025-09-01"  # DEP-3 Last-Update
    assert readme.added == "2025-09-01"  # the mail's Date:
    assert timeout.added == dt.date.today().isoformat()  # neither: the day of the import
    assert timeout.status is Status.SUBMITTED
    assert timeout.upstream.review == "https://review.opendev.org/c/openstack/nova/+/951234"
    assert timeout.upstream.bug == "https://launchpad.net/bugs/2101234"
    assert backport.status is Status.BACKPORT
    assert backport.upstream.commit == "0a1b2c3d4e5f"
    assert backport.upstream.bug == "https://bugs.launchpad.net/nova/+bug/2000001"
    assert readme.status is Status.PENDING and readme.upstream.change_id == CID
    # Normalised to format-patch form: author, date, subject, DEP-3 fields kept in the message.
    text = (series_dir / "patches" / state.file).read_text()
    assert text.startswith("From 0000000000000000000000000000000000000000 ")
    assert "From: Thomas Goirand <zigo@debian.org>\n" in text
    assert "Date: Mon, 01 Sep 2025 00:00:00 +0000\n" in text
    assert "Subject: [PATCH] Keep nova's state under /var/lib/nova\n" in text
    assert "Debian's FHS layout puts state here.\n\nNot useful upstream.\n" in text
    assert "Forwarded: not-needed\n" in text
    p0 = (series_dir / "patches" / timeout.file).read_text()
    assert "--- a/nova/conf.py\t2025-01-01" in p0 and "+++ b/nova/conf.py\t2025-01-02" in p0
    # A mail-form patch is kept byte for byte.
    assert (series_dir / "patches" / readme.file).read_text() == textwrap.dedent(
        QUILT_PATCHES["gbp-readme.patch"]
    )
    # git am applies all four, with the DEP-3 author.
    am_tree(upstream.path, "1.0", series_patches(series_dir), tmp_path)
    clone = next(tmp_path.glob("am-clone-*"))
    authors = git(clone, "log", "--format=%an|%s", "-4").splitlines()
    assert authors == [
        "Packager|Say who packaged it",
        "Upstream Dev|Log deletions at debug level",
        "Jane Doe|Raise the default timeout",
        "Thomas Goirand|Keep nova's state under /var/lib/nova",
    ]
    conf = (clone / "nova" / "conf.py").read_text()
    assert '"timeout": 60' in conf and "/var/lib/nova" in conf


def test_mbox_with_several_patches(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    tip = downstream_branch(upstream)
    out = tmp_path / "fp"
    git(upstream.path, "format-patch", "-q", "--cover-letter", "-o", str(out), "1.0..down")
    files = sorted(out.iterdir())
    assert files[0].name.startswith("0000-cover-letter")
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(b"".join(f.read_bytes() for f in files))
    result = run("import", "--mbox", str(mbox))
    assert result.exit_code == 0, result.stderr
    assert "message 1: no diff (a cover letter?): skipped" in result.stderr
    written = series_patches(series_dir)
    assert [p.read_bytes() for p in written] == [f.read_bytes() for f in files[1:]]
    loaded = series.load(series_dir).patches
    assert [p.status for p in loaded] == [Status.BACKPORT, Status.PENDING, Status.PENDING]
    tree = am_tree(upstream.path, "1.0", written, tmp_path)
    assert tree == git(upstream.path, "rev-parse", f"{tip}^{{tree}}").strip()


def test_single_files_and_plain_diff(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    downstream_branch(upstream)
    out = tmp_path / "fp"
    git(upstream.path, "format-patch", "-q", "-o", str(out), "1.0..down~1")
    plain = tmp_path / "fix-readme.diff"
    plain.write_text("--- a/README.rst\n+++ b/README.rst\n@@ -1 +1,2 @@\n nova\n+more\n")
    names = sorted(str(p) for p in out.iterdir())
    result = run("import", *names, str(plain))
    assert result.exit_code == 0, result.stderr
    loaded = series.load(series_dir).patches
    assert [p.file for p in loaded] == [
        "0001-Fix-rbd-timeout.patch",
        "0002-Packaging-drop-pbr-at-runtime.patch",
        "0003-fix-readme.patch",
    ]
    am_tree(upstream.path, "1.0", series_patches(series_dir), tmp_path)


def test_relative_paths_follow_dash_c(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (series_dir / "incoming").mkdir()
    (series_dir / "incoming" / "a.diff").write_text(
        "Fix the readme\n\n--- a/README.rst\n+++ b/README.rst\n@@ -1 +1,2 @@\n nova\n+more\n"
    )
    monkeypatch.chdir(tmp_path)
    result = run("-C", str(series_dir), "import", "incoming/a.diff")
    assert result.exit_code == 0, result.stderr
    assert [p.file for p in series.load(series_dir).patches] == ["0001-Fix-the-readme.patch"]


def test_import_refused_during_rebase(series_dir: Path, tmp_path: Path) -> None:
    (series_dir / ".patchq").mkdir(exist_ok=True)
    (series_dir / ".patchq" / "rebase").write_text("{}")
    plain = tmp_path / "x.diff"
    plain.write_text("--- a/README.rst\n+++ b/README.rst\n@@ -1 +1,2 @@\n nova\n+more\n")
    result = run("import", str(plain))
    assert result.exit_code == 2
    assert "a rebase is in progress" in result.stderr


def _bad_sources(tmp_path: Path, upstream: UpstreamRepo) -> dict[str, tuple[list[str], str]]:
    downstream_branch(upstream)
    git(upstream.path, "checkout", "-q", "-b", "merged", "down~1")
    upstream.commit("side", {"side.txt": "x"})
    git(upstream.path, "merge", "-q", "--no-ff", "-m", "Merge down", "down")
    git(upstream.path, "checkout", "-q", "master")
    git(upstream.path, "checkout", "-q", "-b", "empty", "down")
    upstream.commit("Nothing at all")
    git(upstream.path, "checkout", "-q", "master")
    notpatch = tmp_path / "notes.txt"
    notpatch.write_text("Just some text\n\nwith no diff\n")
    two = tmp_path / "two.mbox"
    out = tmp_path / "fp"
    git(upstream.path, "format-patch", "-q", "-o", str(out), "1.0..down~1")
    two.write_bytes(b"".join(p.read_bytes() for p in sorted(out.iterdir())))
    quilt_missing = tmp_path / "q1"
    quilt_missing.mkdir()
    (quilt_missing / "series").write_text("# header\nnope.patch\n")
    quilt_reverse = tmp_path / "q2"
    quilt_reverse.mkdir()
    (quilt_reverse / "series").write_text("a.patch -R\n")
    (quilt_reverse / "a.patch").write_text("x")
    quilt_escape = tmp_path / "q3"
    quilt_escape.mkdir()
    (quilt_escape / "series").write_text("../../etc/passwd\n")
    quilt_twice = tmp_path / "q5"
    quilt_twice.mkdir()
    (quilt_twice / "series").write_text("a.patch\r\n\r\na.patch -p1 # again\r\n")
    (quilt_twice / "a.patch").write_text("x")
    quilt_strip = tmp_path / "q4"
    quilt_strip.mkdir()
    (quilt_strip / "series").write_text("a.patch -p3\n")
    (quilt_strip / "a.patch").write_text(
        "Strip too much\n\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    return {
        "range syntax": (["--range", "1.0"], "--range '1.0': expected A..B"),
        "range three dots": (["--range", "1.0...down"], "expected A..B"),
        "range unknown ref": (["--range", "1.0..nope"], "range end 'nope' is not a commit"),
        "range empty": (["--range", "down..1.0"], "down..1.0: no commits other than merges"),
        "range empty commit": (["--range", "1.0..empty"], "(Nothing at all) changes no file"),
        "file missing": ([str(tmp_path / "missing.patch")], "cannot read"),
        "file not a patch": ([str(notpatch)], "no diff found: not a patch"),
        "file is an mbox": ([str(two)], "holds several patches: import it with --mbox"),
        "mbox not an mbox": (["--mbox", str(notpatch)], "is not an mbox"),
        "quilt no series": (["--quilt", str(tmp_path / "fp")], "has no quilt series file"),
        "quilt no dir": (["--quilt", str(tmp_path / "nodir")], "no such directory"),
        "quilt missing patch": (["--quilt", str(quilt_missing)], "series:2: nope.patch does not"),
        "quilt -R": (["--quilt", str(quilt_reverse)], "-R (reversed) is not supported"),
        "quilt escape": (["--quilt", str(quilt_escape)], "is outside"),
        "quilt strip": (["--quilt", str(quilt_strip)], "cannot strip 3 components"),
        "quilt twice": (["--quilt", str(quilt_twice)], "series:3: a.patch is listed twice"),
        "no source": ([], "give exactly one source"),
        "two sources": (["--mbox", str(two), str(notpatch)], "give exactly one source"),
    }


def test_every_import_error_is_one_line(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    before = snapshot(series_dir)
    for case, (args, message) in _bad_sources(tmp_path, upstream).items():
        result = run("import", *args)
        assert result.exit_code == 2, case
        lines = result.stderr.strip().splitlines()
        assert message in result.stderr, (case, result.stderr)
        if case not in ("no source", "two sources"):  # click prints usage for those
            assert len(lines) == 1, (case, result.stderr)
            assert lines[0].startswith("patchq: error: "), case
        assert "Traceback" not in result.stderr
        assert snapshot(series_dir) == before, case


def test_import_help_has_example() -> None:
    result = run("import", "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "--quilt DIR" in result.stdout


DIFF = "--- a/README.rst\n+++ b/README.rst\n@@ -1 +1,2 @@\n nova\n+{n}\n"


@pytest.mark.parametrize(
    ("header", "status", "links"),
    [
        ("Applied-Upstream: 2.0, commit:abcdef1234567", Status.MERGED, {"commit": "abcdef1234567"}),
        (
            "Bug: https://bugs.launchpad.net/nova/+bug/1",
            Status.SUBMITTED,
            {"bug": "https://bugs.launchpad.net/nova/+bug/1"},
        ),
        (
            "Forwarded: no\nBug-Ubuntu: https://launchpad.net/bugs/7",
            Status.PENDING,
            {"bug": "https://launchpad.net/bugs/7"},
        ),
        (
            "Origin: vendor, https://example.org/x\nForwarded: not-needed",
            Status.DOWNSTREAM_ONLY,
            {},
        ),
        (
            "Origin: backport, https://opendev.org/openstack/nova/commit/0123abcd",
            Status.BACKPORT,
            {"commit": "0123abcd"},
        ),
        ("Forwarded: yes", Status.SUBMITTED, {}),
    ],
)
def test_dep3_fields_decide_the_status(
    series_dir: Path, tmp_path: Path, header: str, status: Status, links: dict[str, str]
) -> None:
    path = tmp_path / "p.patch"
    # The cherry-pick line would say backport: DEP-3, where it speaks, decides instead.
    path.write_text(
        f"Description: A fix\n Long text.\n .\n (cherry picked from commit "
        f"{PICKED})\n{header}\n---\n" + DIFF.format(n=1)
    )
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    (patch,) = series.load(series_dir).patches
    assert patch.status is status
    expected = {"commit": PICKED, **links}
    got = {k: v for k, v in patch.upstream.as_dict().items() if k != "review"}
    assert got == expected


def test_trailers_without_dep3(series_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.patch"
    path.write_text(
        f"Fix it\n\nChange-Id: Ibad\nCloses-Bug: #2024680\n(cherry picked from commit "
        f"{PICKED[:12]})\n\n" + DIFF.format(n=2)
    )
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert "ignored malformed Change-Id 'Ibad'" in result.stderr
    (patch,) = series.load(series_dir).patches
    assert patch.status is Status.BACKPORT
    assert patch.upstream.as_dict() == {
        "commit": PICKED[:12],
        "bug": "https://bugs.launchpad.net/bugs/2024680",
    }


def test_restrip_leaves_hunk_lines_alone() -> None:
    from patchq.patches import quilt

    diff = (
        b"--- db/schema.sql\n+++ db/schema.sql\n@@ -1,2 +1 @@\n-- comment\n"
        b"--- removed line that looks like a header\n+++ added line that looks like one\n"
        b"--- db/other.sql\t2025-01-01\n+++ db/other.sql\t2025-01-02\n@@ -1 +1 @@\n-a\n+b\n"
    )
    out = quilt.restrip(diff, 0, source="x")
    assert out.splitlines() == [
        b"--- a/db/schema.sql",
        b"+++ b/db/schema.sql",
        b"@@ -1,2 +1 @@",
        b"-- comment",
        b"--- removed line that looks like a header",
        b"+++ added line that looks like one",
        b"--- a/db/other.sql\t2025-01-01",
        b"+++ b/db/other.sql\t2025-01-02",
        b"@@ -1 +1 @@",
        b"-a",
        b"+b",
    ]
    two = quilt.restrip(b"--- x/y/db/a.sql\n+++ x/y/db/a.sql\n@@ -1 +1 @@\n-a\n+b\n", 2, source="x")
    assert two.startswith(b"--- a/db/a.sql\n+++ b/db/a.sql\n")


def test_range_with_merges_imports_the_merged_commits(
    series_dir: Path, upstream: UpstreamRepo
) -> None:
    """A Gerrit stable branch has a merge per backport: import takes the commits, not merges."""
    downstream_branch(upstream)
    git(upstream.path, "checkout", "-q", "-b", "merged", "1.0")
    git(upstream.path, "merge", "-q", "--no-ff", "-m", "Merge 'Fix rbd timeout'", "down~2")
    git(upstream.path, "merge", "-q", "--no-ff", "-m", "Merge the rest", "down")
    git(upstream.path, "checkout", "-q", "master")
    result = run("import", "--range", "1.0..merged")
    assert result.exit_code == 0, result.stderr
    subjects = [p.file for p in series.load(series_dir).patches]
    assert subjects == [
        "0001-Fix-rbd-timeout.patch",
        "0002-Packaging-drop-pbr-at-runtime.patch",
        "0003-Add-watchdog-docs.patch",
    ]
