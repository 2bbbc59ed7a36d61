"""Hermetic, throwaway git repositories: real git, fixed identities and dates, no $HOME."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from patchq import console
from patchq.cli import cli
from patchq.errors import ExitCode

SLOW_ENV = "PATCHQ_SLOW"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        help=f"run the tests marked slow: full kill-9 sweeps, benchmark smoke (or {SLOW_ENV}=1)",
    )


def run_slow(config: pytest.Config) -> bool:
    return bool(config.getoption("--run-slow")) or os.environ.get(SLOW_ENV, "") not in ("", "0")


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
        "GIT_AUTHOR_DATE": "1700000000 +0000",
        "GIT_COMMITTER_DATE": "1700000000 +0000",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("PATCHQ_UPSTREAM", "NO_COLOR", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(key, raising=False)
    console.settings.verbose = console.settings.quiet = console.settings.no_color = False
    yield
    console.settings.verbose = console.settings.quiet = console.settings.no_color = False


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], input=input, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc.stdout.decode()


class UpstreamRepo:
    """Verb helpers to build an upstream history: write, commit, tag."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tick = 1700000000
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "master")

    def write(self, name: str, content: str | bytes) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        target.write_bytes(content)

    def commit(self, message: str, files: dict[str, str | bytes | None] | None = None) -> str:
        for name, content in (files or {}).items():
            if content is None:
                git(self.path, "rm", "-q", name)
            else:
                self.write(name, content)
        git(self.path, "add", "-A")
        self._tick += 60
        env_date = f"{self._tick} +0000"
        proc = subprocess.run(
            ["git", "-C", str(self.path), "commit", "-q", "--allow-empty", "-m", message],
            capture_output=True,
            env={**os.environ, "GIT_AUTHOR_DATE": env_date, "GIT_COMMITTER_DATE": env_date},
        )
        assert proc.returncode == 0, proc.stderr.decode()
        return self.head()

    def tag(self, name: str) -> None:
        git(self.path, "tag", name)

    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD").strip()

    def snapshot(self) -> tuple[str, str, str]:
        """HEAD, refs and status: what patchq must leave exactly as it found it."""
        return (
            git(self.path, "rev-parse", "HEAD"),
            git(self.path, "for-each-ref", "--format=%(refname) %(objectname)"),
            git(self.path, "status", "--porcelain", "--ignored"),
        )


NOVA_API = """\
\"\"\"Compute API.\"\"\"

import logging

LOG = logging.getLogger(__name__)


def boot(instance, flavor):
    LOG.info("booting %s", instance)
    return {"instance": instance, "flavor": flavor, "state": "building"}


def reboot(instance, hard=False):
    LOG.info("rebooting %s", instance)
    return {"instance": instance, "hard": hard}


def delete(instance):
    LOG.info("deleting %s", instance)
    return True
"""

NOVA_CONF = """\
\"\"\"Configuration options.\"\"\"

DEFAULTS = {
    "workers": 4,
    "timeout": 30,
    "rbd_pool": "vms",
}
"""


@pytest.fixture
def upstream(tmp_path: Path) -> UpstreamRepo:
    """A tiny nova: tag 1.0 with two files."""
    repo = UpstreamRepo(tmp_path / "nova")
    repo.commit(
        "Initial import",
        {"nova/api.py": NOVA_API, "nova/conf.py": NOVA_CONF, "README.rst": "nova\n"},
    )
    repo.tag("1.0")
    return repo


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pkg"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


def run(*args: str, input: str | None = None) -> Result:
    """Run the CLI in-process; stdout and stderr are separate (click >= 8.2). A bug (exit 3)
    fails the test with its traceback, whatever exit code the test expected."""
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    if result.exit_code == ExitCode.BUG:
        pytest.fail(f"patchq {' '.join(args)} hit a bug:\n{result.stderr}{crash_log(result)}")
    return result


def crash_log(result: Result) -> str:
    """The crash log a bug's one-line message names, if there is one."""
    found = re.search(r"; details in (.+); please report it", result.stderr)
    path = Path(found.group(1)) if found else None
    return path.read_text() if path is not None and path.is_file() else ""


@pytest.fixture
def series_dir(upstream: UpstreamRepo, workdir: Path) -> Path:
    """An initialised, empty series on upstream 1.0."""
    result = run("init", "--upstream", str(upstream.path), "--base", "1.0")
    assert result.exit_code == 0, result.stderr
    return workdir
