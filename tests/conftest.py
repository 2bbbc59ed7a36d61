"""Hermetic, throwaway git repositories: real git, fixed identities and dates, no $HOME.
The repositories themselves are made by tests/builders.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchq import console
from tests.builders import EPOCH, UpstreamRepo, run, tiny_nova
from tests.transcript import UPDATE_ENV, Golden

SLOW_ENV = "PATCHQ_SLOW"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        help=f"run the tests marked slow: full kill-9 sweeps, benchmark smoke (or {SLOW_ENV}=1)",
    )
    parser.addoption(
        "--update-golden",
        action="store_true",
        help=f"rewrite tests/golden/ from the actual output (or {UPDATE_ENV}=1)",
    )


def run_slow(config: pytest.Config) -> bool:
    return bool(config.getoption("--run-slow")) or os.environ.get(SLOW_ENV, "") not in ("", "0")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """Compare text with tests/golden/NAME.txt: `golden.check(NAME, text)`."""
    update = request.config.getoption("--update-golden")
    return Golden(bool(update) or os.environ.get(UPDATE_ENV, "") not in ("", "0"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if run_slow(config):
        return
    skip = pytest.mark.skip(reason=f"slow: run with --run-slow or {SLOW_ENV}=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for key, value in {
        "GIT_AUTHOR_NAME": "A U Thor",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "C O Mitter",
        "GIT_COMMITTER_EMAIL": "committer@example.com",
        "GIT_AUTHOR_DATE": f"{EPOCH} +0000",
        "GIT_COMMITTER_DATE": f"{EPOCH} +0000",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("PATCHQ_UPSTREAM", "NO_COLOR", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(key, raising=False)
    console.settings.verbose = console.settings.quiet = console.settings.no_color = False
    yield
    console.settings.verbose = console.settings.quiet = console.settings.no_color = False


@pytest.fixture
def upstream(tmp_path: Path) -> UpstreamRepo:
    """A tiny nova: tag 1.0 with two files."""
    return tiny_nova(tmp_path / "nova")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pkg"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def series_dir(upstream: UpstreamRepo, workdir: Path) -> Path:
    """An initialised, empty series on upstream 1.0."""
    result = run("init", "--upstream", str(upstream.path), "--base", "1.0")
    assert result.exit_code == 0, result.stderr
    return workdir
