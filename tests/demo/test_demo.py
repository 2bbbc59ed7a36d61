"""patchq demo, its synthetic upstream and the example series shipped with patchq."""

from __future__ import annotations

import shlex
import tempfile
import time
from pathlib import Path

import pytest

from patchq.cli import cli
from patchq.cli.context import in_process
from patchq.demo import source as demosrc
from patchq.demo import tour as demo
from patchq.series import io as series
from patchq.series.model import Status
from tests.builders import REPO_ROOT, git, run
from tests.demo.example_source import export

REPO = REPO_ROOT
EXAMPLE = REPO / "patchq" / "example"


def patch_id(repo: Path, rev_or_patch: str | bytes) -> str:
    if isinstance(rev_or_patch, str):
        rev_or_patch = git(repo, "show", rev_or_patch).encode()
    return git(repo, "patch-id", "--stable", input=rev_or_patch).split()[0]


def _rpm_bindings() -> bool:
    """Whether specfile can load RPM's Python bindings (python3-rpm) here."""
    try:
        import specfile  # noqa: F401
    except ImportError:
        return False
    return True


def test_demo_runs_every_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATCHQ_UPSTREAM", str(tmp_path / "someone-elses-nova"))
    target = tmp_path / "demo"
    started = time.monotonic()
    result = run("demo", str(target))
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert elapsed < 10
    out = result.stdout
    # Every step is announced, in order, before its output.
    at = 0
    for step in demo.STEPS:
        at = out.index(f"$ patchq {shlex.join(step.args)}\n", at) + 1
    assert out.index("$ patchq list") < out.index("0001-libvirt-Ret")
    assert "imported 2 patches" in result.stderr and "imported 1 patch " in result.stderr
    assert "dropped 0009-Update-.gitreview-for-stable-2025.1.patch" in result.stderr
    # The point-release move: 31.0.1 (on stable/2025.1) to 32.0.0, with what it leaves behind.
    assert (
        "31.0.1 has 2 commits that 32.0.0 lacks: 1 is in 32.0.0 as another commit, "
        "1 would be lost:\n  " in out
    )
    assert "Update .gitreview for stable/2025.1\nrebase onto 32.0.0 (" in out
    assert f"# Done. Explore: cd {target / 'packaging'} && patchq list" in out
    # The sync steps run against the demo's own local review server: 0002 becomes merged.
    for step in demo.SYNC_STEPS:
        at = out.index(f"$ patchq {shlex.join(step.args)}\n", at) + 1
    assert "updated 3, 0 flagged; wrote series.yaml" in out
    synced = series.load(target / "packaging")
    assert synced.upstream.gerrit is not None and synced.upstream.gerrit.startswith("http://127.")
    resize = next(p for p in synced.patches if p.file.startswith("0002-"))
    assert resize.status.value == "merged"
    assert [(c.branch, c.status) for c in resize.upstream.changes] == [
        ("master", "MERGED"),
        ("stable/2025.1", "NEW"),
    ]
    # nova's story ends with an export into a debian/ dir and a small spec, shown both.
    for step in demo.EXPORT_STEPS:
        at = out.index(f"$ patchq {shlex.join(step.args)}\n", at) + 1
    assert "$ cat ../package/debian/patches/series\n# patchq: begin\n0002-compute-" in out
    if _rpm_bindings():  # without python3-rpm the rpm step says so and the tour goes on
        assert "Patch0006:      add-nova-status-entry-point.patch\n" in out
        assert (target / "package" / "add-nova-status-entry-point.patch").is_file()
    assert "package/debian/patches: matches" in result.stderr
    # It ends with the distribution: nova (after sync) and the tiny oslo.config, each with its
    # own clone (PATCHQ_UPSTREAM above does not redirect them).
    tail = out[out.index("$ patchq report packaging oslo.config-packaging", at) :]
    assert (
        "2 projects; 8 patches carried, 3 submitted, 1 merged, 1 rejected, 3 downstream-only"
        in tail
    )
    assert "oslo.config  9.8.0          2" in tail
    # The demo's upstream clone is left as built: master checked out, clean.
    assert git(target / "nova", "status", "--porcelain") == ""
    assert git(target / "nova", "symbolic-ref", "HEAD").strip() == "refs/heads/master"


def test_foundation_steps_change_the_series(tmp_path: Path) -> None:
    layout = demo.prepare(tmp_path / "demo")
    said: list[str] = []
    done = demo.run_steps(layout, demo.FOUNDATION_STEPS, say=said.append, invoke=in_process(cli))
    assert [code for _, code in done] == [0] * len(demo.FOUNDATION_STEPS)
    assert (
        said[1] == "\n# Pull the fixes upstream backported to the stable branch (patchq "
        "never changes the clone).\n$ patchq import --range 31.0.0..stable/2025.1"
    )
    target = layout.root
    packaging = layout.packaging
    final = series.load(packaging)
    assert [p.file[:4] for p in final.patches] == [
        "0001",
        "0010",
        "0002",
        "0003",
        "0004",
        "0005",
        "0006",
        "0007",
        "0008",
        "add-",  # the quilt patch keeps its name: add-nova-status-entry-point.patch
    ]
    assert final.patches[1].status is Status.BACKPORT
    assert final.patches[1].upstream.commit == git(target / "nova", "rev-parse", "master~3").strip()
    assert final.patches[8].status is Status.SUBMITTED
    assert final.patches[8].upstream.review == (
        "https://review.opendev.org/c/openstack/nova/+/955102"
    )
    debian = final.patches[9]
    assert debian.status is Status.SUBMITTED
    assert debian.upstream.bug == "https://bugs.debian.org/1098765"
    assert final.history[-1]["dropped"][0]["reason"] == "stable-branch housekeeping"
    assert not (packaging / "patches" / "0009-Update-.gitreview-for-stable-2025.1.patch").exists()


def test_demo_default_dir_is_new_and_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(demo, "STEPS", [])  # the steps are test_demo_runs_every_step's
    result = run("demo")
    assert result.exit_code == 0, result.stderr
    (made,) = tmp_path.glob("patchq-demo-*")
    assert f"# Demo directory: {made}" in result.stdout
    assert (made / "packaging" / "series.yaml").is_file()


def test_demo_refuses_non_empty_dir(tmp_path: Path) -> None:
    target = tmp_path / "used"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = run("demo", str(target))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"patchq: error: {target} is not an empty directory: give a new directory to the demo"
    ]
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]


def test_a_failing_step_stops_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "STEPS", [demo.Step("Broken on purpose.", ("drop", "99"))])
    result = run("demo", str(tmp_path / "d"))
    assert result.exit_code == 2
    assert "no patch '99'" in result.stderr
    assert "demo step `patchq drop 99` exited with 2" in result.stderr


def test_upstream_is_deterministic_and_matches_the_example(tmp_path: Path) -> None:
    first = demosrc.build(tmp_path / "a")
    second = demosrc.build(tmp_path / "b")
    assert first == second
    example = series.load(EXAMPLE)
    nova = tmp_path / "a"
    assert git(nova, "rev-parse", "31.0.0^{commit}").strip() == example.upstream.base_commit
    assert git(nova, "rev-parse", "32.0.0^{commit}").strip() == first["py310"]
    assert git(nova, "tag", "--list").split() == ["31.0.0", "31.0.1", "32.0.0"]
    assert git(nova, "cat-file", "-t", "32.0.0").strip() == "tag"
    stable_msg = git(nova, "log", "-1", "--format=%B", demosrc.STABLE_BRANCH)
    assert f"(cherry picked from commit {first['rebuild_pw']})" in stable_msg
    assert patch_id(nova, demosrc.STABLE_BRANCH) == patch_id(nova, first["rebuild_pw"])
    files = git(nova, "ls-tree", "-r", "--name-only", "32.0.0").split()
    assert "nova/compute/manager.py" in files and len(files) == 12


def test_example_is_shipped_and_identical_at_top_level() -> None:
    assert (REPO / "series.yaml").read_bytes() == (EXAMPLE / "series.yaml").read_bytes()
    top = sorted(p.name for p in (REPO / "patches").iterdir())
    assert top == sorted(p.name for p in (EXAMPLE / "patches").iterdir())
    for name in top:
        assert (REPO / "patches" / name).read_bytes() == (EXAMPLE / "patches" / name).read_bytes()
    assert demo.example_dir().resolve() == EXAMPLE.resolve()
    assert 6 <= len(series.load(EXAMPLE).patches) <= 10


def test_example_patches_are_exported_from_the_synthetic_upstream(tmp_path: Path) -> None:
    made = export(tmp_path / "nova", tmp_path / "out")
    shipped = sorted((EXAMPLE / "patches").iterdir())
    assert [p.name for p in made] == [p.name for p in shipped]
    for new, old in zip(made, shipped, strict=True):
        assert new.read_bytes() == old.read_bytes(), (
            f"{old.name} is stale: run `python -m tests.demo.example_source`"
        )


def test_example_tells_its_story_on_32(tmp_path: Path) -> None:
    """Applies on 31.0.0; on 32.0.0 one landed as is, one landed reworked, one conflicts."""
    shas = demosrc.build(tmp_path / "nova")
    nova = tmp_path / "nova"
    patches = {p.name[:4]: p for p in sorted((EXAMPLE / "patches").iterdir())}
    git(nova, "checkout", "-q", "--detach", "31.0.0")
    git(nova, "am", "-q", *map(str, patches.values()))
    git(nova, "checkout", "-q", "--detach", "32.0.0")
    # 0001 is upstream's rbd fix, unchanged: same patch-id.
    assert patch_id(nova, patches["0001"].read_bytes()) == patch_id(nova, shas["rbd_retry"])
    # 0003 landed reworked: same Change-Id, different patch-id.
    example = {p.file[:4]: p for p in series.load(EXAMPLE).patches}
    cid = example["0003"].upstream.change_id
    assert cid and cid in git(nova, "log", "-1", "--format=%B", shas["watchdog"])
    assert patch_id(nova, patches["0003"].read_bytes()) != patch_id(nova, shas["watchdog"])
    # 0006 changes the line 32.0.0 changed: it no longer applies.
    check = ["apply", "--check", str(patches["0006"])]
    with pytest.raises(AssertionError, match="patch does not apply"):
        git(nova, *check)
    # The rest still apply on 32.0.0, in order.
    rest = [str(patches[n]) for n in ("0002", "0004", "0005", "0007", "0008")]
    git(nova, "am", "-q", *rest)
    # Statuses cover the whole vocabulary the example is meant to show.
    statuses = {p.status for p in example.values()}
    assert statuses == {
        Status.BACKPORT,
        Status.SUBMITTED,
        Status.DOWNSTREAM_ONLY,
        Status.REJECTED,
        Status.PENDING,
    }
