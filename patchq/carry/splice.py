"""Hunks applied to a file's bytes as they are: git apply's placement without a list of lines.

nova's files are up to 1 MB, and splitting one into lines and joining them again cost more
than everything else the carry did with it. Here a hunk's preimage is found with `bytes.find`
at line starts, lines are counted (newlines, from the start) only where it matches in more
than one place, and the postimage is spliced in. The placement is diffapply's line-based
reference, which is git apply's `find_pos`: the match nearest to the hunk's line wins, forward
on a tie; a hunk that starts at line 1 must match at the start, one without trailing context
at the end; a line without its newline only at the end of the file. tests/carry/test_splice.py
compares the two, and both with `git apply`.

A hunk whose lines would split the file differently from its own lines (an empty line, a line
without its newline before the last, a postimage without its newline that is not spliced in
at the end) is left to the reference: `Odd` is raised and the caller starts over there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NL = 10  # b"\n"[0]


class Odd(Exception):
    """The splice cannot be sure to do what the line-based reference does: use that."""


@dataclass(frozen=True)
class Change:
    """One hunk as the splice needs it (diffapply.Hunk.change)."""

    pre: bytes  # the preimage lines, joined
    post: bytes  # the postimage lines, joined
    guess: int  # the 0-based line where the hunk says the preimage is
    match_beginning: bool  # the hunk starts at line 1 (or 0): only the start of the file will do
    match_end: bool  # no trailing context: only the end of the file will do

    def inverted(self, *, guess: int, match_beginning: bool) -> Change:
        """The change that undoes this one (trailing context stays what it is)."""
        return Change(self.post, self.pre, guess, match_beginning, self.match_end)


def plain(lines: Sequence[bytes], joined: bytes) -> bool:
    """Whether `lines` (joined: `joined`) are lines as a file's bytes split into: none empty,
    each ending with its newline but the last. (A hunk's line holds no newline but at its end.)"""
    if not lines:
        return True
    complete = joined.count(b"\n")
    return bool(lines[-1]) and complete == len(lines) - (joined[-1] != NL)


def splice(content: bytes, changes: Sequence[Change]) -> bytes | None:
    """`content` with every change applied in turn, or None where one does not match."""
    buf = content
    for change in changes:
        pre, post = change.pre, change.post
        if not pre:
            at = _insertion(buf, change)
        elif change.match_beginning:
            at = _at_start(buf, pre, change.match_end)
        elif change.match_end or pre[-1] != NL:  # no newline: only at the end of the file
            at = _at_end(buf, pre)
        else:
            at = _nearest(buf, pre, change.guess)
        if at < 0:
            return None
        end = at + len(pre)
        if post and post[-1] != NL and end != len(buf):
            raise Odd("a postimage without its newline before the end of the file")
        with memoryview(buf) as view:
            buf = b"".join((view[:at], post, view[end:]))
    return buf


def _insertion(buf: bytes, change: Change) -> int:
    """Where a hunk with no preimage goes: into an empty file when it starts at line 1, else
    after the last line (it has no trailing context)."""
    if change.match_beginning:
        return 0 if not buf else -1
    if buf and buf[-1] != NL:
        raise Odd("lines added after a last line without its newline")
    return len(buf)


def _at_start(buf: bytes, pre: bytes, match_end: bool) -> int:
    if match_end:
        return 0 if buf == pre else -1
    ok = buf.startswith(pre) and (pre[-1] == NL or len(buf) == len(pre))
    return 0 if ok else -1


def _at_end(buf: bytes, pre: bytes) -> int:
    at = len(buf) - len(pre)
    ok = at >= 0 and buf.endswith(pre) and (at == 0 or buf[at - 1] == NL)
    return at if ok else -1


def _nearest(buf: bytes, pre: bytes, guess: int) -> int:
    """Where the match of `pre` (ending with a newline) nearest to line `guess` starts (forward
    wins a tie), or -1. Lines are counted only when there is more than one match: counting
    newlines costs four times what finding the preimage does."""
    first = _line_start_match(buf, pre, 0)
    if first < 0 or _line_start_match(buf, pre, first + 1) < 0:
        return first
    backward = backward_line = -1
    line = pos = 0
    at = first
    while at >= 0:
        line += buf.count(b"\n", pos, at)
        pos = at
        if line >= guess:
            if backward >= 0 and guess - backward_line < line - guess:
                return backward
            return at
        backward, backward_line = at, line
        at = _line_start_match(buf, pre, at + 1)
    return backward


def _line_start_match(buf: bytes, pre: bytes, start: int) -> int:
    """The first match of `pre` at a line start, from offset `start` on."""
    at = buf.find(pre, start)
    while at > 0 and buf[at - 1] != NL:
        at = buf.find(pre, at + 1)
    return at
