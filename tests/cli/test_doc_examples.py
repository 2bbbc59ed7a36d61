"""Every `patchq` example in README.md and docs/ runs as written against the demo's series
(issue 11): the names, refs and files it uses exist there, and a documented error is the
error patchq prints.

Examples run in a copy of `patchq demo`'s directory, through bash, with this checkout's
patchq on PATH. The context is the one the docs describe: the demo's packaging/ after its
`import --range 31.0.0..stable/2025.1` step (most examples); a fresh directory beside nova/
(docs/commands.md's init and import sections, replayed in order, as the docs tell them); a
rebase stopped at its conflict (for --continue, --skip and --abort).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
# sync and propose talk to Gerrit and Launchpad: their examples run in tests/sync and
# tests/propose against local servers in those services' formats, not against the demo alone.
NEEDS_A_SERVER = ("sync.md", "propose.md")
# Several series at once (one directory per project): the demo has one; tests/fleet runs them.
FLEET_SECTIONS = ("## The whole distribution", "## Many projects: one gate, one report")
DOCS = [
    REPO / "README.md",
    *sorted(p for p in (REPO / "docs").glob("*.md") if p.name not in NEEDS_A_SERVER),
]
DOC_ROOT = "/tmp/patchq-demo"  # where the docs' transcripts were made
PLACEHOLDER = re.compile(r"^(?:\[.*\]|\(.*|.*\)|[A-Z][A-Z_.]*(?:\.\.\.)?|[A-Z]\.\.[A-Z])$")
SECTIONS_IN_FRESH = ("## patchq init", "## patchq import")


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    command: str  # as written, comment included
    section: str
    error: str | None  # the documented "patchq: error: ..." line that follows, if any

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def examples() -> list[Example]:
    found = []
    for path in DOCS:
        lines = path.read_text().splitlines()
        fence, section = None, ""
        for number, line in enumerate(lines, 1):
            if line.startswith("## "):
                section = line
            if line.lstrip().startswith("```"):
                fence = None if fence is not None else line.strip()[3:] or "text"
                continue
            if fence is None:
                continue
            command = None
            if line.startswith("$ patchq "):
                command = line[2:]
            elif fence == "bash" and line.startswith("patchq "):
                command = line
            elif fence == "yaml" and line.strip().startswith("patchq "):
                command = line.strip()
            if command is None or _synopsis(command) or "{{" in command:  # a CI template
                continue
            if section.startswith(FLEET_SECTIONS):
                continue
            following = lines[number] if number < len(lines) else ""
            error = following if following.startswith("patchq: error: ") else None
            found.append(Example(path.name, number, command, section, error))
    return found


def _synopsis(command: str) -> bool:
    words = command.split("#", 1)[0].split()
    for stop in ("|", "||", ">", "&&"):  # a shell pipeline: only patchq's own words count
        words = words[: words.index(stop)] if stop in words else words
    return any(PLACEHOLDER.match(w) for w in words[1:]) or words[1:2] == ["check:"]


EXAMPLES = examples()


def test_the_docs_have_examples() -> None:
    assert len(EXAMPLES) > 50
    assert any(e.command.startswith("patchq move 0005-") for e in EXAMPLES)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's directory after its range import, plus the files the docs' import
    examples name (their comments say what they hold)."""
    from patchq.demo import tour

    root = tmp_path_factory.mktemp("demo") / "patchq-demo"
    layout = tour.prepare(root)
    assert _patchq(layout.packaging, "patchq import --range 31.0.0..stable/2025.1").returncode == 0
    nova = str(layout.upstream)
    subprocess.run(["git", "-C", nova, "format-patch", "-q", "-o", str(root / "out"),
                    "31.0.0..32.0.0"], check=True)  # fmt: skip
    mbox = subprocess.run(["git", "-C", nova, "format-patch", "--stdout", "31.0.0..32.0.0"],
                          check=True, capture_output=True).stdout  # fmt: skip
    (root / "upstream.mbox").write_bytes(mbox)
    return root


def _patchq(cwd: Path, command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("PATCHQ_UPSTREAM", None)
    env["COLUMNS"] = "200"
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def _copy(demo: Path, target: Path) -> Path:
    root = target / "patchq-demo"
    shutil.copytree(demo, root, symlinks=True)
    return root


def _fresh_files(fresh: Path, example: Example) -> None:
    """What the docs' comments and error messages say the fresh directory holds."""
    (fresh / "notes.txt").write_text("Some notes, no diff.\n")
    mbox = (fresh.parent / "upstream.mbox").read_text()
    (fresh / "two.mbox").write_text(mbox)
    q = fresh / "q"
    shutil.rmtree(q, ignore_errors=True)
    q.mkdir()
    diff = "--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+x\n"
    (q / "fix.patch").write_text(diff)
    (q / "x.patch").write_text(diff)
    series = {"-R": "first.patch\nfix.patch -R\n", "nope": "nope.patch\n", "-p3": "x.patch -p3\n"}
    (q / "first.patch").write_text(diff)
    for key, text in series.items():
        if key in example.command.split("#", 1)[-1]:
            (q / "series").write_text(text)


def _check(example: Example, proc: subprocess.CompletedProcess[str], root: Path) -> None:
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    if example.error is not None:
        expected = example.error.replace(DOC_ROOT, str(root))
        assert proc.returncode == 2, (example.command, out)
        assert expected in proc.stderr.splitlines(), (example.command, proc.stderr)
    else:
        assert proc.returncode in (0, 1), (example.command, out)
        assert "patchq: error" not in proc.stderr, (example.command, proc.stderr)


@pytest.mark.slow
def test_commands_md_init_and_import_run_in_order(demo: Path, tmp_path: Path) -> None:
    """docs/commands.md tells init and import as one session in a fresh directory."""
    root = _copy(demo, tmp_path)
    fresh = root / "fresh"
    fresh.mkdir()
    session = [e for e in EXAMPLES if e.doc == "commands.md" and e.section in SECTIONS_IN_FRESH]
    assert len(session) > 10
    for example in session:
        _fresh_files(fresh, example)
        _check(example, _patchq(fresh, example.command), root)


OTHERS = [
    e
    for e in EXAMPLES
    if not (e.doc == "commands.md" and e.section in SECTIONS_IN_FRESH)
    and not e.command.startswith("patchq demo")
]


@pytest.mark.slow
@pytest.mark.parametrize("example", OTHERS, ids=[e.id for e in OTHERS])
def test_example_runs_against_the_demo(demo: Path, tmp_path: Path, example: Example) -> None:
    root = _copy(demo, tmp_path)
    where = root / "packaging"
    words = shlex.split(example.command, comments=True)
    if words[1] == "init":
        where = root / "fresh"
        where.mkdir()
    elif words[1] == "rebase" and words[2] in ("--continue", "--skip", "--abort"):
        stopped = _patchq(where, "patchq rebase --onto 32.0.0")
        assert stopped.returncode == 1, stopped.stderr
        if (
            words[2] == "--continue"
        ):  # "after fixing .patchq/rebase/worktree": take the patch's side
            fix = "git checkout --theirs -- $(git diff --name-only --diff-filter=U)"
            assert _patchq(where / ".patchq" / "rebase" / "worktree", fix).returncode == 0
    _check(example, _patchq(where, example.command), root)


@pytest.mark.slow
def test_demo_example(tmp_path: Path) -> None:
    (example,) = [e for e in EXAMPLES if e.command.startswith("patchq demo ")]
    target = tmp_path / "d"
    proc = _patchq(tmp_path, example.command.replace(DOC_ROOT, str(target)))
    assert proc.returncode == 0, proc.stderr
