"""What a patch's own words say about where it stands upstream: DEP-3 fields (Origin,
Forwarded, Applied-Upstream, Bug) and OpenStack footers, mapped to a series status and links
(docs/series-format.md has the table)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchq.patches.dep3 import Fields
from patchq.series.model import Status

_COMMIT = re.compile(r"(?:commit[:/]|[?&]id=)([0-9a-f]{7,40})\b")
_URL = re.compile(r"https?://\S+")
# OpenStack footers (Closes-Bug: #N) point at Launchpad.
_LP_FOOTER = re.compile(r"^(?:Closes|Partial|Related)-Bug:\s*#?(\d+)\s*$", re.M | re.I)


@dataclass(frozen=True)
class Verdict:
    """What the DEP-3 fields say; `status` is None when they say nothing about it."""

    status: Status | None = None
    commit: str | None = None
    review: str | None = None
    bug: str | None = None


def verdict(fields: Fields, message: str = "") -> Verdict:
    """Map DEP-3 fields to patchq's status and links (docs/series-format.md has the table)."""
    origin = fields.get("origin") or ""
    applied = fields.get("applied-upstream")
    forwarded = fields.get("forwarded")
    category = origin.split(",", 1)[0].strip().lower() if "," in origin else origin.lower()
    commit = _first(_COMMIT, origin) or _first(_COMMIT, applied or "")
    review = None
    if forwarded and _URL.match(forwarded.strip()):
        review = forwarded.strip()
    bugs = fields.bugs
    bug = bugs[0] if bugs else None
    if bug is None and (lp := _LP_FOOTER.search(message)):
        bug = f"https://bugs.launchpad.net/bugs/{lp.group(1)}"
    status: Status | None = None
    if category in ("upstream", "backport"):
        status = Status.BACKPORT
    elif applied:
        status = Status.MERGED
    elif forwarded is not None:
        word = forwarded.strip().lower()
        status = {"not-needed": Status.DOWNSTREAM_ONLY, "no": Status.PENDING}.get(
            word, Status.SUBMITTED
        )
    elif bugs and fields.is_dep3:
        status = Status.SUBMITTED  # DEP-3: a missing Forwarded means "yes" when Bug is set
    return Verdict(status=status, commit=commit, review=review, bug=bug)


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None
