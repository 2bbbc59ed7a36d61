"""patchq status: every evidence kind on real histories, applies/conflicts, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NOVA_API, NOVA_CONF, UpstreamRepo, git, run
from status_helpers import Downstream, cherry_pick


@pytest.fixture
def downstream(upstream: UpstreamRepo, tmp_path: Path) -> Downstream:
    return Downstream(upstream, tmp_path / "down")


def status_json(*args: str) -> dict:
    result = run("status", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def by_name(data: dict) -> dict[str, dict]:
    return {p["name"][5:]: p for p in data["patches"]}


def test_landed_applies_conflicts(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    landed = downstream.commit(
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
    downstream.commit("Delete quietly", {"README.rst": "nova downstream\n"})
    downstream.export(series_dir)
    cherry_pick(upstream, downstream, landed)
    upstream.commit("Rewrite readme", {"README.rst": "The nova project\n"})
    upstream.tag("2.0")
    before = upstream.snapshot()
    data = status_json("--against", "2.0")
    assert upstream.snapshot() == before
    states = by_name(data)
    assert states["Add-rbd-timeout"]["state"] == "landed"
    assert states["Add-rbd-timeout"]["evidence"] == ["patch-id", "reverse-apply"]
    assert (
        states["Add-rbd-timeout"]["upstream_commit"]
        == git(upstream.path, "rev-parse", "2.0~1").strip()
    )
    assert states["Log-reboots-louder"]["state"] == "applies"
    assert states["Delete-quietly"]["state"] == "conflicts"
    assert states["Delete-quietly"]["conflicts"] == ["README.rst"]
    assert data["against"] == "2.0"
    assert data["base_commit"] == git(upstream.path, "rev-parse", "1.0").strip()
    text = run("status", "--against", "2.0")
    assert text.exit_code == 0, text.stderr
    assert "3 patches: 1 landed, 1 apply, 1 conflicts" in text.stdout
