"""Debian DEP-3 patch headers: read the fields (imports.provenance says what they mean).

A DEP-3 header is a block of `Field: value` lines before the diff (or, in a git commit message, a
later "pseudo-header" paragraph). The last occurrence of a field wins, as in lintian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
