"""`policy:` is validated when series.yaml is loaded: every command refuses a bad one (not only
`check`, which lists each problem as a PQ001 finding)."""

from __future__ import annotations

from pathlib import Path

from patchq.check.findings import CHECKS
from patchq.series.model import CHECK_IDS
from tests.builders import run


def test_the_policy_vocabulary_names_every_check() -> None:
    assert tuple(CHECKS) == CHECK_IDS


def test_status_and_list_refuse_a_bad_policy_check_lists_it(series_dir: Path) -> None:
    path = series_dir / "series.yaml"
    path.write_text(path.read_text() + "policy:\n  max_pending_days: -3\n")
    line = path.read_text().splitlines().index("  max_pending_days: -3") + 1
    message = "policy: max_pending_days must be a whole number >= 0, not -3"
    for command in (["status", "--against", "1.0"], ["list"]):
        result = run(*command)
        assert result.exit_code == 2
        assert result.stderr == f"patchq: error: {path}:{line}: {message}\n"
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    assert f'"message": "{message}"' in result.stdout
    assert result.stdout.count('"id": "PQ001"') == 1
