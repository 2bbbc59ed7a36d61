"""Debian DEP-3 patch headers: read the fields, and what they say about a patch's upstream status.

A DEP-3 header is a block of `Field: value` lines before the diff (or, in a git commit message, a
later "pseudo-header" paragraph). The last occurrence of a field wins, as in lintian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchq.series.model import Status

_FIELD_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$")
# Fields that only DEP-3 uses: their presence makes a block a DEP-3 header.
_DEP3_ONLY = ("description", "origin", "forwarded", "applied-upstream", "last-update")
KNOWN = (
    *_DEP3_ONLY,
    "subject",
    "author",
    "from",
    "bug",
    "reviewed-by",
    "acked-by",
)
_COMMIT = re.compile(r"(?:commit[:/]|[?&]id=)([0-9a-f]{7,40})\b")
_URL = re.compile(r"https?://\S+")
# OpenStack footers (Closes-Bug: #N) point at Launchpad.
_LP_FOOTER = re.compile(r"^(?:Closes|Partial|Related)-Bug:\s*#?(\d+)\s*$", re.M | re.I)


@dataclass(frozen=True)
class Fields:
    """DEP-3 fields in file order; names lower-cased, multi-line values keep their newlines."""

    items: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        found = [v for k, v in self.items if k == name]
        return found[-1] if found else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.items if k == name]

    @property
    def is_dep3(self) -> bool:
        return any(k in _DEP3_ONLY for k, _ in self.items)

    @property
    def bugs(self) -> list[str]:
        """Bug first (the upstream tracker), then Bug-<Vendor> in file order."""
        return self.all("bug") + [v for k, v in self.items if k.startswith("bug-")]

    def __add__(self, other: Fields) -> Fields:
        return Fields(self.items + other.items)


@dataclass(frozen=True)
class Verdict:
    """What the DEP-3 fields say; `status` is None when they say nothing about it."""

    status: Status | None = None
    commit: str | None = None
    review: str | None = None
    bug: str | None = None


def parse_block(lines: list[str]) -> Fields | None:
    """The fields of one header paragraph, or None when the paragraph is not a header."""
    items: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and items:
            more = line[1:] if line[:1] == " " else line.lstrip("\t")
            name, value = items[-1]
            items[-1] = (name, value + "\n" + ("" if more.strip() == "." else more))
            continue
        match = _FIELD_LINE.match(line)
        if not match:
            return None
        items.append((match.group(1).lower(), match.group(2).strip()))
    return Fields(tuple(items)) if items else None


def paragraphs(text: str) -> list[list[str]]:
    out: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def pseudo_headers(message: str) -> Fields:
    """DEP-3 fields in the paragraphs of a commit message (gbp pq keeps them there)."""
    found = Fields()
    for para in paragraphs(message)[1:]:
        block = parse_block(para)
        if block is not None:
            known = tuple((k, v) for k, v in block.items if k in KNOWN or k.startswith("bug-"))
            found = found + Fields(known)
    return found


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
