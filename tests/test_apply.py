"""patchq apply and engine.pick_chain: branches built in memory, upstream left untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import NOVA_API, NOVA_CONF, UpstreamRepo, git, run
from status_helpers import Downstream

from patchq import engine
from patchq.git import Sha
from patchq.workspace import Workspace


@pytest.fixture
def downstream(upstream: UpstreamRepo, tmp_path: Path) -> Downstream:
    return Downstream(upstream, tmp_path / "down")


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
