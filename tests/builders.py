"""Throwaway worlds for the tests, built with real git: an upstream, downstream series on it,
packaging directories written straight into series.yaml, and ways to compare what is left.

Every builder takes its dates from one fake clock (`Clock`, shared through the upstream), so a
history and its shas are the same on every run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from patchq.cli import cli
from patchq.errors import ExitCode
from patchq.series import io as series_io
from patchq.series.model import Patch, Status, UpstreamLinks

REPO_ROOT = Path(__file__).resolve().parent.parent

# The date every git command gets unless a builder ticks the clock (conftest's hermetic fixture).
EPOCH = 1700000000


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], input=input, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc.stdout.decode()


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


class Clock:
    """The tests' one fake clock: each commit is dated a minute after the one before."""

    def __init__(self, start: int = EPOCH) -> None:
        self.now = start

    def tick(self) -> dict[str, str]:
        """Advance a minute; the environment that dates a git commit at the new time."""
        self.now += 60
        date = f"{self.now} +0000"
        return {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}


def commit_all(path: Path, message: str, clock: Clock) -> None:
    """`git add -A` and commit (empty allowed) in `path`, dated by `clock`."""
    git(path, "add", "-A")
    proc = subprocess.run(
        ["git", "-C", str(path), "commit", "-q", "--allow-empty", "-m", message],
        capture_output=True,
        env={**os.environ, **clock.tick()},
    )
    assert proc.returncode == 0, proc.stderr.decode()


def fast_commits(
    path: Path,
    ref: str,
    parent: str,
    commits: Sequence[tuple[str, Mapping[str, str | bytes | None]]],
    clock: Clock,
) -> list[str]:
    """Each (message, {path: content, or None to delete}) as a commit on `parent`, into `ref`,
    in one `git fast-import`, dated by `clock` as `commit_all` would; the new shas in order."""
    env = os.environ
    author = f"{env['GIT_AUTHOR_NAME']} <{env['GIT_AUTHOR_EMAIL']}>"
    committer = f"{env['GIT_COMMITTER_NAME']} <{env['GIT_COMMITTER_EMAIL']}>"
    stream: list[bytes] = []
    for i, (text, files) in enumerate(commits):
        date = clock.tick()["GIT_AUTHOR_DATE"]
        message = (text.rstrip() + "\n").encode()  # what `git commit -m` keeps of it
        stream += [
            f"commit {ref}".encode(),
            f"author {author} {date}".encode(),
            f"committer {committer} {date}".encode(),
            f"data {len(message)}".encode(),
            message,
            *([f"from {parent}".encode()] if i == 0 else []),
        ]
        for name, content in files.items():
            if content is None:
                stream.append(f"D {name}".encode())
                continue
            data = content.encode() if isinstance(content, str) else content
            stream += [f"M 100644 inline {name}".encode(), f"data {len(data)}".encode(), data]
    git(path, "fast-import", "--quiet", "--date-format=raw", input=b"\n".join(stream) + b"\n")
    return git(path, "rev-list", "--reverse", f"{parent}..{ref}").split()


class UpstreamRepo:
    """Verb helpers to build an upstream history: write, commit, tag."""

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = path
        self.clock = clock or Clock()
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "master")

    def write(self, name: str, content: str | bytes) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        target.write_bytes(content)

    def commit(self, message: str, files: Mapping[str, str | bytes | None] | None = None) -> str:
        for name, content in (files or {}).items():
            if content is None:
                git(self.path, "rm", "-q", name)
            else:
                self.write(name, content)
        commit_all(self.path, message, self.clock)
        return self.head()

    def commit_many(
        self, commits: Sequence[tuple[str, Mapping[str, str | bytes | None]]]
    ) -> list[str]:
        """`commit` for each (message, files) on the checked-out branch, in one fast-import."""
        branch = git(self.path, "symbolic-ref", "HEAD").strip()
        shas = fast_commits(self.path, branch, self.head(), commits, self.clock)
        git(self.path, "reset", "-q", "--hard")
        return shas

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


def api_with(line: str, replacement: str) -> str:
    assert line in NOVA_API
    return NOVA_API.replace(line, replacement)


def tiny_nova(path: Path) -> UpstreamRepo:
    """A tiny nova: tag 1.0 with two files (the `upstream` fixture)."""
    repo = UpstreamRepo(path)
    repo.commit(
        "Initial import",
        {"nova/api.py": NOVA_API, "nova/conf.py": NOVA_CONF, "README.rst": "nova\n"},
    )
    repo.tag("1.0")
    return repo


# -- downstream series made by committing in a clone and exporting with format-patch --------


class Downstream(UpstreamRepo):
    """A clone of upstream with a `downstream` branch at 1.0, where patches are written."""

    def __init__(self, upstream: UpstreamRepo, path: Path, *, base: str = "1.0") -> None:
        subprocess.run(["git", "clone", "-q", str(upstream.path), str(path)], check=True)
        git(path, "checkout", "-q", "-b", "downstream", base)
        self.path = path
        self.clock = upstream.clock
        self.base = base

    def export(self, series_dir: Path, **links: dict[str, Any]) -> list[str]:
        """format-patch base..HEAD into patches/ and list them in series.yaml, in order.
        `links` maps a 1-based position ("p1") to upstream metadata for that patch."""
        git(
            self.path,
            "format-patch",
            "-q",
            "--no-signature",
            "-o",
            str(series_dir / "patches"),
            f"{self.base}..HEAD",
        )
        names = sorted(p.name for p in (series_dir / "patches").glob("*.patch"))
        current = series_io.load(series_dir)
        patches = []
        for i, name in enumerate(names, 1):
            meta = links.get(f"p{i}", {})
            status = Status(meta.pop("status", "pending"))
            patches.append(Patch(file=name, status=status, upstream=UpstreamLinks(**meta)))
        series_io.save(series_dir, dataclasses.replace(current, patches=tuple(patches)))
        return names


def cherry_pick(
    upstream: UpstreamRepo, downstream: Downstream, sha: str, *, message: str | None = None
) -> str:
    """Land a downstream commit upstream unchanged (same diff, optionally a new message)."""
    diff = git(downstream.path, "format-patch", "-1", "--stdout", sha)
    proc = subprocess.run(
        ["git", "-C", str(upstream.path), "am", "-q", "--keep-non-patch"],
        input=diff.encode(),
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    if message is not None:
        git(upstream.path, "commit", "-q", "--amend", "-m", message)
    return upstream.head()


class SeriesBuilder:
    """Patches made by committing in a clone of upstream 1.0 and formatting each commit, listed
    in series.yaml entry by entry with any metadata (the check tests' builder)."""

    def __init__(self, root: Path, upstream: UpstreamRepo, scratch: Path) -> None:
        self.root = root
        self.upstream = upstream
        self.scratch = scratch
        self.clock = upstream.clock
        git(upstream.path, "clone", "-q", str(upstream.path), str(scratch))
        git(scratch, "checkout", "-q", "--detach", "1.0")
        header = (root / "series.yaml").read_text().split("patches:")[0]
        self.header = header
        self.entries: list[dict[str, Any]] = []
        self.extra = ""

    def commit(self, files: dict[str, str], subject: str, body: str = "") -> bytes:
        for name, content in files.items():
            target = self.scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        commit_all(self.scratch, subject + ("\n\n" + body if body else ""), self.clock)
        out = git(self.scratch, "format-patch", "-1", "--stdout", "--zero-commit", "HEAD")
        return out.encode()

    def commit_many(self, commits: list[tuple[dict[str, str], str]]) -> list[bytes]:
        """`commit` for each (files, subject) in turn, made in one `git fast-import` and
        exported by one `git format-patch`: the same patches, without four git runs each."""
        base = git(self.scratch, "rev-parse", "HEAD").strip()
        ref = "refs/heads/builder-many"
        fast_commits(self.scratch, ref, base, [(s, f) for f, s in commits], self.clock)
        out = self.scratch.parent / f"{self.scratch.name}-many"
        git(
            self.scratch,
            "format-patch",
            "-q",
            "-N",
            "--zero-commit",
            "-o",
            str(out),
            f"{base}..{ref}",
        )
        git(self.scratch, "checkout", "-q", "--detach", ref)
        git(self.scratch, "update-ref", "-d", ref)
        made = sorted(out.iterdir())
        assert len(made) == len(commits)
        datas = [path.read_bytes() for path in made]
        shutil.rmtree(out)
        return datas

    def add(
        self,
        file: str,
        files: dict[str, str],
        subject: str,
        *,
        body: str = "",
        **meta: Any,
    ) -> bytes:
        data = self.commit(files, subject, body)
        (self.root / "patches" / file).write_bytes(data)
        self.entries.append({"file": file, "status": "pending", **meta})
        self.write()
        return data

    def add_raw(self, file: str, data: bytes, **meta: Any) -> None:
        (self.root / "patches" / file).write_bytes(data)
        self.entries.append({"file": file, "status": "pending", **meta})
        self.write()

    def write(self) -> None:
        body = yaml.safe_dump({"patches": self.entries}, sort_keys=False, default_flow_style=False)
        (self.root / "series.yaml").write_text(self.header + body + "history: []\n" + self.extra)

    def line_of(self, needle: str) -> int:
        for number, line in enumerate((self.root / "series.yaml").read_text().splitlines(), 1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} not in series.yaml")


# -- the rebase story: five downstream patches, and an upstream 2.0 that moves under them ----
# One patch landed, one needing new context, one untouched, one conflicting, and one after the
# conflict whose diff does not move.

CID_LANDED = "I" + "1" * 40

# Downstream patches, as (file, subject, body, {path: new content from 1.0 + earlier patches}).
P1 = "0001-Add-rbd-timeout-option.patch"
P2 = "0002-Log-hard-reboots.patch"
P3 = "0003-Add-downstream-README-note.patch"
P4 = "0004-Quieter-delete-logging.patch"
P5 = "0005-More-workers.patch"

API_REBOOT = NOVA_API.replace(
    '    LOG.info("rebooting %s", instance)\n',
    '    LOG.info("rebooting %s", instance)\n    if hard:\n        LOG.warning("hard reboot")\n',
)
API_DELETE = API_REBOOT.replace(
    'LOG.info("deleting %s", instance)', 'LOG.debug("deleting %s", instance)'
)
CONF_RBD = NOVA_CONF.replace(
    '    "rbd_pool": "vms",\n', '    "rbd_pool": "vms",\n    "rbd_timeout": 60,\n'
)
CONF_WORKERS = CONF_RBD.replace('"workers": 4', '"workers": 8')

# (file, subject, body, {path: content}) for each downstream commit
Story = Sequence[tuple[str, str, str, Mapping[str, str | bytes | None]]]

SERIES: Story = [
    (
        P1,
        "Add rbd timeout option",
        f"Operators need it.\n\nChange-Id: {CID_LANDED}\n",
        {"nova/conf.py": CONF_RBD},
    ),
    (P2, "Log hard reboots", "So that support can see them.\n", {"nova/api.py": API_REBOOT}),
    (
        P3,
        "Add downstream README note",
        "Packaging note.\n",
        {"README.rst": "nova\n\nDownstream build.\n"},
    ),
    (P4, "Quieter delete logging", "Deletes are noisy.\n", {"nova/api.py": API_DELETE}),
    (P5, "More workers", "Our hosts are big.\n", {"nova/conf.py": CONF_WORKERS}),
]


def make_series(upstream: UpstreamRepo, root: Path, series: Story | None = None) -> None:
    """Commit the downstream patches on a throwaway branch, export them with format-patch into
    root/patches, list them in root/series.yaml (initialised on 1.0), drop the branch."""
    series = SERIES if series is None else series
    git(upstream.path, "checkout", "-q", "-b", "downstream", "1.0")
    for _file, subject, body, files in series:
        upstream.commit(f"{subject}\n\n{body}", files)
    out = git(upstream.path, "format-patch", "-o", str(root / "patches"), "1.0..downstream")
    made = [Path(line).name for line in out.split()]
    git(upstream.path, "checkout", "-q", "master")
    git(upstream.path, "branch", "-q", "-D", "downstream")
    entries = ""
    for name, (file, *_rest) in zip(made, series, strict=True):
        (root / "patches" / name).rename(root / "patches" / file)
        entries += f"  - file: {file}\n    status: pending\n"
    path = root / "series.yaml"
    path.write_text(path.read_text().replace("patches: []\n", "patches:\n" + entries))


def release_two(upstream: UpstreamRepo) -> str:
    """Upstream moves on: takes P1 (same diff and Change-Id), edits boot() above P2's hunk,
    rewrites the delete() log line P4 also changes, and tags 2.0."""
    upstream.commit("Unrelated: add docs", {"doc/index.rst": "docs\n"})
    upstream.commit(
        f"Add rbd timeout option\n\nOperators need it.\n\nChange-Id: {CID_LANDED}\n",
        {"nova/conf.py": CONF_RBD},
    )
    boot = NOVA_API.replace(
        "def boot(instance, flavor):\n",
        'def boot(instance, flavor):\n    """Boot it."""\n',
    )
    upstream.commit("Document boot", {"nova/api.py": boot})
    delete = boot.replace(
        'LOG.info("deleting %s", instance)', 'LOG.info("deleting instance %s", instance)'
    )
    upstream.commit("Clearer delete message", {"nova/api.py": delete})
    upstream.tag("2.0")
    return upstream.head()


RESOLVED = (
    'def delete(instance):\n    LOG.debug("deleting instance %s", instance)\n    return True\n'
)


def resolve(ws: Path) -> None:
    """Resolve P4's conflict in the stopped rebase's worktree the way a packager would."""
    api = ws / ".patchq" / "rebase" / "worktree" / "nova" / "api.py"
    text = api.read_text()
    api.write_text(text[: text.index("def delete(instance):\n")] + RESOLVED)


def digest_tree(root: Path) -> dict[str, str]:
    """sha256 of series.yaml and every file under patches/ (what --abort must restore)."""
    files = [root / "series.yaml", *sorted((root / "patches").rglob("*"))]
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if p.is_file()
    }


def copy_workspace(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".patchq"))
    return target


# -- packaging directories written straight into series.yaml --------------------------------

PATCH = """\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jane Doe <jane@example.org>
Date: Tue, 14 Nov 2023 22:13:20 +0000
Subject: [PATCH] {subject}

Explain why.

Change-Id: I{cid}
---
diff --git a/{path} b/{path}
new file mode 100644
index 0000000..ce01362
--- /dev/null
+++ b/{path}
@@ -0,0 +1 @@
+hello
"""


def add_patch(root: Path, file: str, subject: str, *, status: str = "pending") -> None:
    (root / "patches" / file).write_text(
        PATCH.format(subject=subject, cid="0" * 39 + str(len(file) % 10), path=file + ".txt")
    )
    text = (root / "series.yaml").read_text()
    entry = f"  - file: {file}\n    status: {status}\n"
    text = (
        text.replace("patches: []\n", "patches:\n" + entry)
        if "patches: []" in text
        else (text.replace("history:", entry + "history:"))
    )
    (root / "series.yaml").write_text(text)


# The same patch without a Change-Id.
REPORT_PATCH = PATCH.replace("\nChange-Id: I{cid}\n", "")

NASTY = "Fix <script>alert(1)</script> | pipes & *stars*"
BASE_COMMIT = "b" * 40

# (file, subject, yaml body lines)
PATCHES: list[tuple[str, str, str]] = [
    (
        "0001-rbd-timeout.patch",
        "Add rbd timeout",
        "    status: submitted\n    reason: needed by operators\n    owner: jane\n"
        "    added: '2025-01-10'\n    upstream:\n"
        "      review: https://review.opendev.org/c/openstack/nova/+/951234\n"
        "      bug: https://bugs.launchpad.net/nova/+bug/2101234\n",
    ),
    (
        "0002-nasty.patch",
        NASTY,
        "    status: pending\n    reason: 'a | b\n\n      second line'\n    added: '2025-09-01'\n",
    ),
    (
        "0003-branding.patch",
        "Distro branding",
        "    status: downstream-only\n    reason: our logo\n    owner: ops\n"
        "    added: '2024-03-01'\n"
        "    upstream:\n      review: 'javascript:alert(1)'\n",
    ),
    (
        "0004-backport.patch",
        "Backport quota fix",
        "    status: backport\n    added: '2025-06-01'\n    upstream:\n"
        "      commit: 0123456789abcdef0123456789abcdef01234567\n"
        "      change_id: I0123456789abcdef0123456789abcdef01234567\n",
    ),
]

HISTORY = """\
history:
- date: 2025-04-02T10:00:00Z
  from: '1.0'
  from_commit: 1111111111111111111111111111111111111111
  to: '2.0'
  to_commit: 2222222222222222222222222222222222222222
  dropped:
  - file: 0009-landed.patch
    subject: Fix landed upstream
    evidence: [patch-id, change-id]
    upstream_commit: 9999999999999999999999999999999999999999
  skipped:
  - file: 0010-conflict.patch
    subject: Conflicting one
    reason: conflict during rebase onto 2.0
  refreshed: 2
  carried: 3
- date: 2025-07-15T10:00:00Z
  dropped:
  - file: 0011-manual.patch
    subject: Dropped by hand
    reason: fixed differently upstream
- date: 2025-10-01T09:00:00Z
  from: '2.0'
  from_commit: 2222222222222222222222222222222222222222
  to: '3.0'
  to_commit: 3333333333333333333333333333333333333333
  dropped:
  - file: 0012-cve.patch
    subject: 'Security fix <b>bold</b> | piped'
    evidence: [cherry-pick]
    upstream_commit: 8888888888888888888888888888888888888888
  skipped: []
  refreshed: 1
  carried: 4
"""


def write_series(
    root: Path,
    *,
    patches: list[tuple[str, str, str]] | None = None,
    history: str = HISTORY,
    base: str = "3.0",
    base_commit: str = BASE_COMMIT,
    url: str = "https://opendev.org/openstack/nova",
) -> Path:
    chosen = PATCHES if patches is None else patches
    (root / "patches").mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (file, subject, body) in enumerate(chosen):
        text = REPORT_PATCH.format(subject=subject, path=f"file{i}.txt")
        (root / "patches" / file).write_text(text)
        entries.append(f"  - file: {file}\n{body}")
    text = (
        "version: 1\n"
        "upstream:\n"
        "  name: nova\n"
        f"  url: {url}\n"
        "  path: ../nova\n"
        f"  base: '{base}'\n"
        f"  base_commit: {base_commit}\n"
        + ("patches:\n" + "".join(entries) if entries else "patches: []\n")
        + history
    )
    (root / "series.yaml").write_text(text)
    return root


# The series docs/report.md shows; tests/report/test_report.py checks the doc's output is real.
DOC_PATCHES: list[tuple[str, str, str]] = [
    PATCHES[0],
    (
        "0002-libvirt-mtu.patch",
        "Honour the MTU of OVS ports in libvirt",
        "    status: pending\n    reason: fixes jumbo frames on our SDN\n    owner: net-team\n"
        "    added: '2025-09-01'\n    upstream:\n"
        "      bug: https://bugs.launchpad.net/nova/+bug/2109876\n",
    ),
    (
        "0003-branding.patch",
        "Distro branding",
        "    status: downstream-only\n    reason: our logo\n    owner: ops\n"
        "    added: '2024-03-01'\n",
    ),
    PATCHES[3],
]
DOC_HISTORY = HISTORY.replace("'Security fix <b>bold</b> | piped'", "Validate image properties")


# -- what a test compares before and after ---------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    """series.yaml and every file under patches/, byte for byte."""
    files = {"series.yaml": (root / "series.yaml").read_bytes()}
    patches = root / "patches"
    if patches.is_dir():
        for path in sorted(patches.rglob("*")):
            files[str(path.relative_to(root))] = path.read_bytes()
    return files


def am_tree(
    upstream: Path, base: str, patches: list[Path], tmp: Path, *, keep_cr: bool = False
) -> str:
    """Clone upstream, `git am` the patches onto base, return the resulting tree sha."""
    clone = tmp / f"am-clone-{len(list(tmp.glob('am-clone-*')))}"
    git(tmp, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-q", "--detach", base)
    args = ["am", "-q"] + (["--keep-cr"] if keep_cr else []) + [str(p) for p in patches]
    proc = subprocess.run(["git", "-C", str(clone), *args], capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return git(clone, "rev-parse", "HEAD^{tree}").strip()


def series_patches(root: Path) -> list[Path]:
    return [root / "patches" / p.file for p in series_io.load(root).patches]
