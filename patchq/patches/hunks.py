"""The unified-diff hunk header, `@@ -a,b +c,d @@`: the one parser patchq has for it."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class HunkHeader:
    """Start lines and line counts; a count left out in the header is 1."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int


def parse_header(line: bytes) -> HunkHeader | None:
    """The header at the start of `line`, or None when `line` is not a hunk header."""
    match = _HEADER.match(line)
    if match is None:
        return None
    old_start, old_len, new_start, new_len = match.groups()
    return HunkHeader(int(old_start), int(old_len or 1), int(new_start), int(new_len or 1))
