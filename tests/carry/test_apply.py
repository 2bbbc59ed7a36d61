"""patchq apply and engine.pick_chain: branches built in memory, upstream left untouched."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from patchq import console
from patchq.carry import engine
from patchq.git import Sha
from patchq.patches import patchfile
from patchq.series.workspace import Workspace
from tests.builders import NOVA_API, NOVA_CONF, Downstream, UpstreamRepo, cherry_pick, git, run


@pytest.fixture
def downstream(upstream: UpstreamRepo, tmp_path: Path) -> Downstream:
    return Downstream(upstream, tmp_path / "down")


TIMEOUT_CONF = NOVA_CONF.replace('"rbd_pool": "vms",', '"rbd_pool": "vms",\n    "rbd_timeout": 60,')
LOUD_API = NOVA_API.replace('LOG.info("rebooting', 'LOG.warning("rebooting')


def two_patches(downstream: Downstream, series_dir: Path) -> list[str]:
    downstream.commit(
        "Add rbd timeout",
        {
            "nova/conf.py": NOVA_CONF.replace(
                '"rbd_pool": "vms",', '"rbd_pool": "vms",\n    "rbd_timeout": 60,'
            )
        },
    )
    downstream.commit(
        "Log reboots louder",
        {"nova/api.py": NOVA_API.replace('LOG.info("rebooting', 'LOG.warning("rebooting')},
    )
    return downstream.export(series_dir)


def test_apply_onto_base_matches_downstream(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    two_patches(downstream, series_dir)
    before = upstream.snapshot()
    result = run("apply", "--branch", "built")
    assert result.exit_code == 0, result.stderr
    head, refs, status = before
    after = upstream.snapshot()
    assert after[0] == head and after[2] == status
    built = git(upstream.path, "rev-parse", "built").strip()
    assert set(after[1].splitlines()) - set(refs.splitlines()) == {f"refs/heads/built {built}"}
    assert set(refs.splitlines()) <= set(after[1].splitlines())
    assert git(upstream.path, "rev-parse", "built^{tree}") == git(
        downstream.path, "rev-parse", "HEAD^{tree}"
    )
    log = git(upstream.path, "log", "--format=%an|%ad|%s", "--date=raw", "1.0..built")
    assert log == git(downstream.path, "log", "--format=%an|%ad|%s", "--date=raw", "1.0..HEAD")
    # the objects patchq wrote form valid packs that git can check
    packs = list((upstream.path / ".git" / "objects" / "pack").glob("pack-*.idx"))
    assert packs
    for idx in packs:
        git(upstream.path, "verify-pack", str(idx))
    git(upstream.path, "fsck", "--strict", "--no-dangling")
    again = run("apply", "--branch", "built")
    assert again.exit_code == 2
    assert "already exists" in again.stderr and "--force" in again.stderr


def test_pick_chain_carries_onto_new_release(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    two_patches(downstream, series_dir)
    upstream.commit("Move conf", {"nova/conf.py": None, "nova/config.py": NOVA_CONF})
    upstream.tag("2.0")
    ws = Workspace(series_dir)
    current = ws.load()
    with ws.open_repo(current) as repo:
        pairs = [(p, ws.read_patch(p)) for p in current.patches]
        commits = engine.build_commits(repo, base=Sha(current.upstream.base_commit), patches=pairs)
        onto = repo.resolve_or_fail("2.0")
        steps = engine.pick_chain(repo, onto=onto, commits=commits, stop_on_conflict=True)
    assert [s.clean for s in steps] == [True, True]
    assert steps[1].commit is not None
    assert git(upstream.path, "rev-parse", f"{steps[0].commit}~1").strip() == onto
    shown = git(upstream.path, "show", f"{steps[1].commit}:nova/config.py")
    assert '"rbd_timeout": 60' in shown  # followed upstream's rename


def test_apply_onto_new_release_leaves_landed_out(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    first = downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.export(series_dir)
    cherry_pick(upstream, downstream, first)
    upstream.commit("Readme", {"README.rst": "nova 2\n"})
    upstream.tag("2.0")
    before = upstream.snapshot()
    result = run("apply", "--onto", "2.0", "--branch", "carried")
    assert result.exit_code == 0, result.stderr
    assert "1 landed" in result.stderr
    assert upstream.snapshot()[0] == before[0] and upstream.snapshot()[2] == before[2]
    log = git(upstream.path, "log", "--format=%an <%ae>|%ad|%B", "--date=raw", "2.0..carried")
    want = git(downstream.path, "log", "--format=%an <%ae>|%ad|%B", "--date=raw", "HEAD~1..HEAD")
    assert log == want
    assert git(upstream.path, "rev-parse", "carried~1").strip() == upstream.head()
    shown = git(upstream.path, "show", "carried:nova/api.py")
    assert 'LOG.warning("rebooting' in shown


def test_apply_conflict_creates_nothing(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.commit("Readme", {"README.rst": "downstream\n"})
    downstream.export(series_dir)
    upstream.commit("Readme", {"README.rst": "upstream\n"})
    upstream.tag("2.0")
    before = upstream.snapshot()
    result = run("apply", "--onto", "2.0", "--branch", "carried")
    assert result.exit_code == 1
    assert "0002-Readme.patch" in result.stderr and "README.rst" in result.stderr
    assert "nothing was created" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert upstream.snapshot() == before


def test_apply_force_replaces_but_not_a_checked_out_branch(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    two_patches(downstream, series_dir)
    git(upstream.path, "branch", "built", "1.0")
    assert run("apply", "--branch", "built").exit_code == 2
    forced = run("apply", "--branch", "built", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert git(upstream.path, "rev-parse", "built^{tree}") == git(
        downstream.path, "rev-parse", "HEAD^{tree}"
    )
    checked_out = run("apply", "--branch", "master", "--force")
    assert checked_out.exit_code == 2
    assert "checked out" in checked_out.stderr
    bad = run("apply", "--branch", "no..good")
    assert bad.exit_code == 2 and "not a valid branch name" in bad.stderr


# -- the Python patch applier agrees with git byte for byte -------------------------------

TRICKY: list[tuple[str, dict[str, str | bytes | None]]] = [
    ("No newline at end", {"nova/api.py": NOVA_API.rstrip("\n")}),
    ("Newline back", {"nova/api.py": NOVA_API + "# end\n"}),
    ("CRLF file", {"win.txt": b"one\r\ntwo\r\nthree\r\n"}),
    ("CRLF edit", {"win.txt": b"one\r\n2\r\nthree\r\nfour"}),
    ("Lone CR", {"cr.txt": b"a\rb\nc\n"}),
    ("Empty file", {"empty.txt": ""}),
    ("Fill empty", {"empty.txt": "now\nfull\n"}),
    ("Two hunks", {"nova/conf.py": "# top\n" + NOVA_CONF + "# bottom\n"}),
    ("Many files", {"a/b/c.txt": "c\n", "a/d.txt": "d\n", "README.rst": "nova\nmore\n"}),
    ("Delete nested", {"a/b/c.txt": None}),
    ("Symlink", {}),
]


def test_python_applier_matches_git(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    from patchq.carry import diffapply

    for subject, files in TRICKY:
        if subject == "Symlink":
            os.symlink("nova/api.py", downstream.path / "link")
        downstream.commit(subject, files)
    git(downstream.path, "mv", "nova/conf.py", "nova/settings.py")
    downstream.commit("Rename and edit", {"nova/settings.py": NOVA_CONF.replace("4", "16")})
    os.chmod(downstream.path / "nova/api.py", 0o755)
    downstream.commit("Mode and content", {"nova/api.py": NOVA_API.replace("boot", "start")})
    names = downstream.export(series_dir)
    shas = git(downstream.path, "rev-list", "--reverse", "1.0..HEAD").split()
    for name, sha in zip(names, shas, strict=True):
        info = patchfile.read(series_dir / "patches" / name)
        parsed = diffapply.parse(info.diff)
        assert parsed is not None, name
        for fp in parsed:
            old = b"" if fp.old_path is None else show(downstream, f"{sha}~1:{fp.old_path}")
            new = diffapply.apply_hunks(old, fp.hunks)
            want = b"" if fp.new_path is None else show(downstream, f"{sha}:{fp.new_path}")
            assert new == want, (name, fp.new_path)
    result = run("apply", "--branch", "built")
    assert result.exit_code == 0, result.stderr
    assert git(upstream.path, "rev-parse", "built^{tree}") == git(
        downstream.path, "rev-parse", "HEAD^{tree}"
    )


def test_applier_finds_moved_hunks_and_refuses_wrong_context() -> None:
    from patchq.carry import diffapply

    old = b"".join(b"line %d\n" % i for i in range(20))
    new = old.replace(b"line 10\n", b"line ten\n")
    diff = (
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -8,7 +8,7 @@\n"
        b" line 7\n line 8\n line 9\n-line 10\n+line ten\n line 11\n line 12\n line 13\n"
    )
    files = diffapply.parse(diff)
    assert files is not None
    assert diffapply.apply_hunks(old, files[0].hunks) == new
    shifted = b"extra\nextra\n" + old
    assert diffapply.apply_hunks(shifted, files[0].hunks) == b"extra\nextra\n" + new
    # a removed line that reads "- " looks like format-patch's signature line, but is not
    dashed = b"- \n" + old
    dash_diff = (
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1 @@\n-- \n line 0\n-- \n2.39.5\n\n"
    )
    dash_files = diffapply.parse(dash_diff)
    assert dash_files is not None
    assert diffapply.apply_hunks(dashed, dash_files[0].hunks) == old
    broken = old.replace(b"line 12\n", b"line twelve\n")
    assert diffapply.apply_hunks(broken, files[0].hunks) is None
    assert diffapply.parse(b"diff --git a/x b/x\nGIT binary patch\nliteral 1\n") is None
    for evil in (b"../etc/passwd", b".git/config", b"a/../../b", b"x/.GIT/hooks/pre-commit"):
        sneaky = b"diff --git a/%s b/%s\nnew file mode 100644\n--- /dev/null\n+++ b/%s\n" % (
            evil,
            evil,
            evil,
        )
        assert diffapply.parse(sneaky + b"@@ -0,0 +1 @@\n+x\n") is None, evil


def show(repo: Downstream, spec: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo.path), "cat-file", "blob", spec], capture_output=True, check=True
    ).stdout


def test_pick_chain_reports_conflicts_and_can_go_on(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    downstream.commit("Readme", {"README.rst": "downstream\n"})
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.export(series_dir)
    upstream.commit("Readme", {"README.rst": "upstream\n"})
    upstream.tag("2.0")
    ws = Workspace(series_dir)
    current = ws.load()
    with ws.open_repo(current) as repo:
        pairs = [(p, ws.read_patch(p)) for p in current.patches]
        commits = engine.build_commits(repo, base=Sha(current.upstream.base_commit), patches=pairs)
        onto = repo.resolve_or_fail("2.0")
        stopped = engine.pick_chain(repo, onto=onto, commits=commits, stop_on_conflict=True)
        went_on = engine.pick_chain(repo, onto=onto, commits=commits, stop_on_conflict=False)
    assert len(stopped) == 1 and not stopped[0].clean and stopped[0].commit is None
    assert stopped[0].conflicts == ("README.rst",)
    assert [s.clean for s in went_on] == [False, True]
    assert went_on[1].commit is not None
    # the clean pick sits directly on REF (the conflicting one is left out) and is stored
    assert git(upstream.path, "rev-parse", f"{went_on[1].commit}~1").strip() == onto
    assert "LOG.warning" in git(upstream.path, "show", f"{went_on[1].commit}:nova/api.py")


def test_merge_fallback_matches_picking_the_whole_series(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    """A hunk whose context upstream changed goes through git's 3-way merge on a minimal
    parent; the branch must equal what cherry-picking the full series gives."""
    first = NOVA_API.replace('"state": "building"', '"state": "queued"')
    downstream.commit("Queue boots", {"nova/api.py": first})
    second = first.replace("def delete(instance):", "def delete(instance, force=False):")
    downstream.commit("Force delete", {"nova/api.py": second})
    downstream.commit("Hello", {"hello.txt": "hello\n"})
    downstream.export(series_dir)
    # upstream edits the lines right around both hunks (their context), not the hunks
    moved = NOVA_API.replace("    return True\n", "    return bool(instance)\n")
    moved = moved.replace("def boot(instance, flavor):", "def boot(instance, flavor=None):")
    upstream.commit("Quieter, optional flavor", {"nova/api.py": moved})
    upstream.tag("2.0")
    result = run("-v", "apply", "--onto", "2.0", "--branch", "carried")
    console.settings.verbose = False
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(" merge-tree ") == 2  # both hunks needed git's 3-way merge
    assert " apply --cached" not in result.stderr  # the minimal parents sufficed
    ws = Workspace(series_dir)
    current = ws.load()
    with ws.open_repo(current) as repo:
        pairs = [(p, ws.read_patch(p)) for p in current.patches]
        commits = engine.build_commits(repo, base=Sha(current.upstream.base_commit), patches=pairs)
        steps = engine.pick_chain(
            repo, onto=repo.resolve_or_fail("2.0"), commits=commits, stop_on_conflict=True
        )
    assert all(step.clean for step in steps)
    assert git(upstream.path, "rev-parse", "carried^{tree}").strip() == steps[-1].tree
    final = git(upstream.path, "show", "carried:nova/api.py")
    assert '"state": "queued"' in final and "force=False" in final
    assert "flavor=None" in final and "return bool(instance)" in final
