"""A synthetic upstream shaped like OpenStack's release history (issue 10), and a downstream
series on its stable point release 31.1.0 to move to the next release, 32.0.0.

master:  init - hints (31.0.0.0rc1) - fix_rc2 - bp1 - bp2 - cache - quota - network - volume
         - api_log - [merge of sched1, sched2] - console - revert cache - revert console
         - api_rename (32.0.0)
stable/2025.1 (from 31.0.0.0rc1): gitreview [stable-only] - rc2 (cherry-picked from fix_rc2)
         (31.0.0) - bp1 by hand (same Change-Id) - bp2 by hand (same diff, new Change-Id)
         - virt [stable-only] - cache (cherry-picked from master's cache, which master reverts
         later) (31.1.0)
downstream (from 31.1.0), the series:
  p1 quota      same diff as master's quota                    -> landed: patch-id
  p2 network    reworked upstream, same Change-Id              -> landed: change-id
  p3 volume     cherry-picked from master's volume             -> landed: every kind
  p4 scheduler  upstream made it in two commits, merged        -> landed: reverse-apply (sched2)
  p5 console    cherry-picked from master's console, reverted  -> applies
  p6 virt       its context is the stable-only virt fix        -> applies (3-way)
  p7 api        master changed the same line                   -> conflicts
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.builders import Clock, UpstreamRepo, git

FILES = (
    "nova/api.py",
    "nova/compute.py",
    "nova/conf.py",
    "nova/virt.py",
    "nova/cache.py",
    "nova/quota.py",
    "nova/network.py",
    "nova/volume.py",
    "nova/scheduler.py",
    "nova/console.py",
)
GITREVIEW = "[gerrit]\nhost=review.opendev.org\nport=29418\nproject=openstack/nova.git\n"


def numbered(path: str) -> str:
    stem = Path(path).stem
    return "".join(f"{stem}_{n} = {n}\n" for n in range(1, 41))


def cid(word: str) -> str:
    """A Change-Id that reads as what it is ("I" + 40 hex digits)."""
    return "I" + word.encode().hex().ljust(40, "0")[:40]


class ReleaseHistory(UpstreamRepo):
    """The upstream; `sha` maps each commit's short name (see the module doc) to its sha."""

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        super().__init__(path, clock=clock)
        self.sha: dict[str, str] = {}

    def edit(self, name: str, message: str, changes: dict[str, dict[int, str]]) -> str:
        """Commit `changes` (path -> line number -> new line) on the current branch."""
        files: dict[str, str | bytes | None] = {}
        for path, lines in changes.items():
            text = (self.path / path).read_text().splitlines(keepends=True)
            for number, line in lines.items():
                text[number - 1] = line + "\n"
            files[path] = "".join(text)
        self.sha[name] = self.commit(message, files)
        return self.sha[name]

    def checkout(self, branch: str, *, create_at: str | None = None) -> None:
        if create_at is None:
            git(self.path, "checkout", "-q", branch)
        else:
            git(self.path, "checkout", "-q", "-b", branch, create_at)

    def cherry_pick(self, name: str, origin: str) -> str:
        """`git cherry-pick -x` (the message gains "(cherry picked from commit X)")."""
        self._git_dated("cherry-pick", "-x", self.sha[origin])
        self.sha[name] = self.head()
        return self.sha[name]

    def merge(self, name: str, branch: str, message: str) -> str:
        self._git_dated("merge", "-q", "--no-ff", "-m", message, branch)
        self.sha[name] = self.head()
        return self.sha[name]

    def revert(self, name: str, target: str, change_id: str) -> str:
        subject = git(self.path, "log", "-1", "--format=%s", self.sha[target]).strip()
        message = (
            f'Revert "{subject}"\n\nThis reverts commit {self.sha[target]}.\n\n'
            f"Change-Id: {cid(change_id)}\n"
        )
        self._git_dated("revert", "--no-edit", self.sha[target])
        self._git_dated("commit", "-q", "--amend", "-m", message, same_time=True)
        self.sha[name] = self.head()
        return self.sha[name]

    def _git_dated(self, *args: str, same_time: bool = False) -> None:
        if same_time:
            date = f"{self.clock.now} +0000"
            dates = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        else:
            dates = self.clock.tick()
        env = {**os.environ, **dates}
        proc = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, env=env)
        assert proc.returncode == 0, proc.stderr.decode()


def build(path: Path) -> ReleaseHistory:
    up = ReleaseHistory(path)
    files: dict[str, str | bytes | None] = {p: numbered(p) for p in FILES}
    files[".gitreview"] = GITREVIEW
    up.sha["init"] = up.commit("Initial import", files)
    up.edit(
        "hints",
        "Add scheduler hints\n\nChange-Id: " + cid("hints"),
        {"nova/api.py": {5: "hints = True"}},
    )
    up.tag("31.0.0.0rc1")
    up.checkout("stable/2025.1", create_at="31.0.0.0rc1")
    up.checkout("master")
    up.edit(
        "fix_rc2",
        "Fix a race in compute start-up\n\nChange-Id: " + cid("rc2"),
        {"nova/compute.py": {10: "compute_10 = 'locked'"}},
    )

    up.checkout("stable/2025.1")
    up.sha["gitreview"] = up.commit(
        "[stable-only] Update .gitreview for stable/2025.1\n\nChange-Id: " + cid("gitreview"),
        {".gitreview": GITREVIEW + "defaultbranch=stable/2025.1\n"},
    )
    up.cherry_pick("rc2", "fix_rc2")
    up.tag("31.0.0")

    up.checkout("master")
    up.edit(
        "bp1",
        "Handle timeouts in conf\n\nChange-Id: " + cid("bp1"),
        {"nova/conf.py": {10: "conf_10 = 'timeout'"}},
    )
    up.edit(
        "bp2",
        "Tidy conf comments\n\nChange-Id: " + cid("bp2"),
        {"nova/conf.py": {30: "conf_30 = 'tidy'"}},
    )
    up.edit(
        "cache",
        "Cache flavors\n\nChange-Id: " + cid("cache"),
        {"nova/cache.py": {5: "cache_5 = 'flavors'"}},
    )

    up.checkout("stable/2025.1")
    up.edit(
        "bp1_stable",
        "Handle timeouts in conf\n\nChange-Id: " + cid("bp1"),
        {"nova/conf.py": {10: "conf_10 = 'timeout'"}},
    )
    up.edit(
        "bp2_stable",
        "Tidy conf comments on stable\n\nChange-Id: " + cid("bp2-stable"),
        {"nova/conf.py": {30: "conf_30 = 'tidy'"}},
    )
    up.edit(
        "virt",
        "[stable-only] Fix volume detach on stable\n\nChange-Id: " + cid("virt"),
        {"nova/virt.py": {20: "virt_20 = 'detach-fixed'"}},
    )
    up.cherry_pick("cache_stable", "cache")
    up.tag("31.1.0")

    up.checkout("master")
    up.edit("quota", "Count cores in quota", {"nova/quota.py": {10: "quota_10 = 'cores'"}})
    up.edit(
        "network",
        "Retry network calls on timeout\n\nChange-Id: " + cid("network"),
        {"nova/network.py": {10: "network_10 = 'retry(3)'"}},
    )
    up.edit(
        "volume",
        "Validate the volume size\n\nChange-Id: " + cid("volume"),
        {"nova/volume.py": {10: "volume_10 = 'validated'"}},
    )
    up.checkout("sched", create_at="master")
    up.checkout("master")
    up.edit("api_log", "Log API calls", {"nova/api.py": {30: "api_30 = 'logged'"}})
    up.checkout("sched")
    up.edit("sched1", "Scheduler: weigh hosts", {"nova/scheduler.py": {10: "scheduler_10 = 'w'"}})
    up.edit("sched2", "Scheduler: filter hosts", {"nova/scheduler.py": {12: "scheduler_12 = 'f'"}})
    up.checkout("master")
    up.merge("sched_merge", "sched", 'Merge "Scheduler: filter hosts"')
    up.edit(
        "console",
        "Add a console banner\n\nChange-Id: " + cid("console"),
        {"nova/console.py": {5: "console_5 = 'banner'"}},
    )
    up.revert("revert_cache", "cache", "revert-cache")
    up.revert("revert_console", "console", "revert-console")
    up.edit("api_rename", "Rename the boot log", {"nova/api.py": {20: "api_20 = 'renamed'"}})
    up.tag("32.0.0")
    git(up.path, "branch", "-q", "-D", "sched")
    return up


def build_series(up: ReleaseHistory) -> None:
    """Branch `downstream` from 31.1.0 with the seven patches of the module doc."""
    up.checkout("downstream", create_at="31.1.0")
    up.edit("p1", "Count cores in quota", {"nova/quota.py": {10: "quota_10 = 'cores'"}})
    up.edit(
        "p2",
        "Retry network calls\n\nChange-Id: " + cid("network"),
        {"nova/network.py": {10: "network_10 = 'retry()'"}},
    )
    up.cherry_pick("p3", "volume")
    up.edit(
        "p4",
        "Weigh and filter hosts",
        {"nova/scheduler.py": {10: "scheduler_10 = 'w'", 12: "scheduler_12 = 'f'"}},
    )
    up.cherry_pick("p5", "console")
    up.edit("p6", "Log volume detach", {"nova/virt.py": {23: "virt_23 = 'logged'"}})
    up.edit("p7", "Name the boot log", {"nova/api.py": {20: "api_20 = 'named'"}})
    up.checkout("master")
