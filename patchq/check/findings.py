"""What `patchq check` reports and what every check reads: the check ids, Finding, Report,
and Inputs (the series loaded once). Shared by checks.py and upstream.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from patchq.patches import patchfile
from patchq.series import io as series
from patchq.series.model import Patch, Series
from patchq.series.workspace import Workspace

ERROR, WARNING, SKIPPED = "error", "warning", "skipped"

# Policy validation (series.io) knows these ids as series.model.CHECK_IDS: add a new one there.
CHECKS = {
    "PQ001": "series.yaml is valid (schema, types, unknown keys, policy)",
    "PQ002": "every listed patch file exists",
    "PQ003": "every file in patches/ is listed in the series",
    "PQ004": "every patch file parses as a patch",
    "PQ005": "no change is carried twice (equal patch-id)",
    "PQ006": "metadata required by the status (and policy) is present",
    "PQ007": "base_commit is what base resolves to",
    "PQ008": "the series applies to base",
    "PQ009": "no patch has already landed in --against REF",
    "PQ010": "no patch conflicts with --against REF",
    "PQ011": "no pending patch is older than policy max_pending_days",
    "PQ012": "no patch is carried longer than policy max_carried_releases",
    "PQ013": "moving to --against REF loses no commit of the base (a warning)",
    "PQ014": "the export targets in series.yaml match what `patchq export` writes",
    "PQ015": "no submitted patch's change is abandoned; no merged one is in the base",
    "PQ016": "the last sync is not older than policy max_sync_age_days",
    "PQ017": "no subject lost the bracket tags of its upstream commit",
}
# Checks that judge each patch (one JUnit testcase per patch); the others judge the series.
PER_PATCH = frozenset(
    {"PQ002", "PQ004", "PQ005", "PQ006", "PQ008", "PQ009", "PQ010", "PQ011", "PQ012"}
    | {"PQ015", "PQ016", "PQ017"}
)
NEEDS_UPSTREAM = ("PQ005", "PQ007", "PQ008", "PQ009", "PQ010", "PQ013", "PQ017")
AGAINST_CHECKS = ("PQ009", "PQ010", "PQ013")  # only with --against REF
SERIES_FILE = series.SERIES_FILE


@dataclass(frozen=True)
class Finding:
    """One problem (or one skipped check); `file` is relative to the series directory."""

    id: str
    severity: str  # ERROR | WARNING | SKIPPED
    patch: str | None
    file: str
    line: int | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    checks: tuple[str, ...]  # ids that ran or were skipped, sorted
    patches: tuple[str, ...]  # listed patch files, in series order

    @property
    def failed(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def counts(self) -> dict[str, int]:
        out = {ERROR: 0, WARNING: 0, SKIPPED: 0}
        for finding in self.findings:
            out[finding.severity] += 1
        return out


@dataclass(frozen=True)
class Entry:
    """A `patches:` entry as written, even when validation rejected its metadata."""

    index: int
    file: str
    patch: Patch | None  # None when series.yaml validation rejected the entry
    raw: bytes | None  # None when the file is missing or unreadable
    parsed: patchfile.PatchFile | None  # None when it is not a patch

    @property
    def rel(self) -> str:
        return f"{series.PATCHES_DIR}/{self.file}"


@dataclass(frozen=True)
class Inputs:
    """Everything the checks read, loaded once."""

    ws: Workspace
    series: Series | None
    raw: dict[str, Any]  # series.yaml as plain data, for what validation rejected
    entries: tuple[Entry, ...]
    lines: Callable[[Sequence[str | int]], int | None]
    policy: dict[str, Any]
    today: dt.date


Check = Callable[["Inputs"], Iterator[Finding]]


def error(check_id: str, patch: str | None, file: str, line: int | None, message: str) -> Finding:
    return Finding(check_id, ERROR, patch, file, line, message)


def skipped(check_id: str, reason: str) -> Finding:
    return Finding(
        check_id, SKIPPED, None, SERIES_FILE, None, f"{CHECKS[check_id]}: skipped: {reason}"
    )
