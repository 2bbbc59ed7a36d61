"""Golden files: the text a command prints, kept under tests/golden/ so that a change of format
shows up as a diff in review. `--update-golden` (or PATCHQ_UPDATE_GOLDEN=1) rewrites them from
the actual output instead of comparing."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import Result

from tests.builders import REPO_ROOT, run

GOLDEN_DIR = REPO_ROOT / "tests" / "golden"
UPDATE_ENV = "PATCHQ_UPDATE_GOLDEN"


class Transcript:
    """Commands and everything they printed, with the run's temp directory masked."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.parts: list[str] = []

    def run(self, *args: str) -> Result:
        result = run(*args)
        text = f"$ patchq {shlex.join(args)}\n[exit {result.exit_code}]\n{result.stdout}"
        if result.stderr:
            text += f"[stderr]\n{result.stderr}"
        self.parts.append(text.replace(str(self.tmp), "<tmp>"))
        return result

    def note(self, line: str) -> None:
        """A line in the transcript that says what the test did between two commands."""
        self.parts.append(f"# {line}\n")

    def text(self) -> str:
        return "\n".join(self.parts)


class Golden:
    def __init__(self, update: bool, directory: Path = GOLDEN_DIR) -> None:
        self.update = update
        self.directory = directory

    def check(self, name: str, actual: str) -> None:
        """`actual` must equal tests/golden/NAME.txt (or becomes it, when updating)."""
        path = self.directory / f"{name}.txt"
        if self.update:
            path.parent.mkdir(exist_ok=True)
            path.write_text(actual)
            return
        if not path.is_file():
            pytest.fail(f"{path} does not exist: run pytest with --update-golden to write it")
        assert actual == path.read_text(), f"{path} differs (--update-golden accepts the output)"
