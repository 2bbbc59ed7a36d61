"""The series model: typed, immutable values that series.py loads from and saves to series.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    MERGED = "merged"
    BACKPORT = "backport"
    REJECTED = "rejected"
    DOWNSTREAM_ONLY = "downstream-only"

    def __str__(self) -> str:
        return self.value


STATUSES = tuple(s.value for s in Status)
# series.yaml `policy:` (docs/ci.md), validated when series.yaml is read. ignore and warn
# name `patchq check` ids: a new check's id goes here too (tests/series/test_policy.py).
POLICY_KEYS = (
    "require_owner",
    "max_pending_days",
    "max_carried_releases",
    "max_sync_age_days",
    "ignore",
    "warn",
)
CHECK_IDS = tuple(f"PQ{n:03d}" for n in range(1, 18))


# The words status, rebase, report and check share, spelled once. Their values travel as plain
# strings (JSON, series.yaml history, the cache): modules name them through these enums.
class State(str, Enum):
    """Where a patch stands against an upstream ref (`patchq status`)."""

    LANDED = "landed"
    APPLIES = "applies"
    CONFLICTS = "conflicts"

    def __str__(self) -> str:
        return self.value


class Evidence(str, Enum):
    """Why a patch is called landed, strongest first (the order they are reported in)."""

    PATCH_ID = "patch-id"
    CHANGE_ID = "change-id"
    CHERRY_PICK = "cherry-pick"
    REVERSE_APPLY = "reverse-apply"

    def __str__(self) -> str:
        return self.value


class Action(str, Enum):
    """What a rebase did with a patch (series.yaml history keeps these words)."""

    DROPPED = "dropped"
    CARRIED = "carried"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


CHANGE_ID_RE = re.compile(r"^I[0-9a-f]{40}$")
COMMIT_RE = re.compile(r"^[0-9a-f]{7,40}$")


@dataclass(frozen=True)
class ReviewChange:
    """One Gerrit change carrying the patch's Change-Id; one per branch (written by sync)."""

    branch: str  # master, stable/2025.1
    number: int
    status: str  # as Gerrit says it: NEW, MERGED or ABANDONED
    commit: str | None = None  # the merged commit (MERGED only)
    merged: str | None = None  # merge time, 2026-03-20T10:02:11Z (MERGED only)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class BugTask:
    """The Launchpad bug's task for the series' project (written by sync)."""

    target: str  # nova
    status: str  # New, In Progress, Fix Committed, Fix Released, ...
    importance: str | None = None
    fix_released: str | None = None  # 2026-03-25T08:00:00Z

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class UpstreamLinks:
    """Where a patch stands upstream; every field optional."""

    change_id: str | None = None  # Gerrit Change-Id: I + 40 hex
    review: str | None = None  # https://review.opendev.org/c/openstack/nova/+/951234
    commit: str | None = None  # the upstream commit it is, or was picked from
    bug: str | None = None  # https://bugs.launchpad.net/nova/+bug/2101234
    # What `patchq sync` last read from Gerrit and Launchpad, and when and where from.
    changes: tuple[ReviewChange, ...] = ()
    bug_task: BugTask | None = None
    synced: str | None = None  # 2026-12-03T19:02:11Z
    synced_from: str | None = None  # https://review.opendev.org

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key == "changes":
                if value:
                    out[key] = [change.as_dict() for change in value]
            elif isinstance(value, BugTask):
                out[key] = value.as_dict()
            elif value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class Patch:
    """One series.yaml entry: a patch file and what is known of it upstream."""

    file: str  # relative to patches/
    status: Status = Status.PENDING
    reason: str | None = None
    owner: str | None = None
    added: str | None = None  # YYYY-MM-DD
    upstream: UpstreamLinks = field(default_factory=UpstreamLinks)

    @property
    def name(self) -> str:
        return self.file[: -len(".patch")] if self.file.endswith(".patch") else self.file

    def as_dict(self) -> dict[str, Any]:
        """The series.yaml entry, in canonical key order, without empty keys."""
        out: dict[str, Any] = {"file": self.file, "status": self.status.value}
        for key in ("reason", "owner", "added"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        links = self.upstream.as_dict()
        if links:
            out["upstream"] = links
        return out


@dataclass(frozen=True)
class Upstream:
    """series.yaml's `upstream:` block: where the clone is and what the series is based on."""

    name: str
    path: str  # local clone, relative to series.yaml
    base: str  # the ref the series applies to
    base_commit: str
    url: str | None = None
    branch: str | None = None  # None: not written in series.yaml, "master" is used
    gerrit: str | None = None  # review server for sync; None: https://review.opendev.org
    project: str | None = None  # Gerrit project; None: openstack/<name>
    launchpad: str | None = None  # Launchpad API root; None: https://api.launchpad.net/1.0

    @property
    def trunk(self) -> str:
        return self.branch or "master"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.url is not None:
            out["url"] = self.url
        out["path"] = self.path
        if self.branch is not None:
            out["branch"] = self.branch
        out.update(base=self.base, base_commit=self.base_commit)
        for key in ("gerrit", "project", "launchpad"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Series:
    """The whole series.yaml: the single source of truth of a series."""

    upstream: Upstream
    patches: tuple[Patch, ...] = ()
    history: tuple[dict[str, Any], ...] = ()  # one entry per rebase or drop, plain data
    policy: dict[str, Any] | None = None  # reserved for `patchq check`
    version: int = 1
    export: dict[str, str] | None = None  # format -> target path, for `patchq export`

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "upstream": self.upstream.as_dict()}
        if self.policy is not None:
            out["policy"] = self.policy
        if self.export is not None:
            out["export"] = dict(self.export)
        out["patches"] = [p.as_dict() for p in self.patches]
        out["history"] = [dict(h) for h in self.history]
        return out
