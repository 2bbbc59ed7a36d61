"""Hunks applied to a file's bytes as they are: git apply's placement without a list of lines.

nova's files are up to 1 MB, and splitting one into lines and joining them again cost more
than everything else the carry did with it. Here a hunk's preimage is found with `bytes.find`
at line starts, a match's line number is a count of newlines from a known line start, and the
postimage is spliced in. The placement is diffapply's line-based reference, which is git
apply's `find_pos`: the match nearest to the hunk's line wins, forward on a tie; a hunk that
starts at line 1 must match at the start, one without trailing context at the end; a line
without its newline only at the end of the file. tests/carry/test_splice.py compares the two,
and both with `git apply`.

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
    pre_lines: int
    post_lines: int
    guess: int  # the 0-based line where the hunk says the preimage is
    match_beginning: bool  # the hunk starts at line 1 (or 0): only the start of the file will do
    match_end: bool  # no trailing context: only the end of the file will do

    def inverted(self, *, guess: int, match_beginning: bool) -> Change:
        """The change that undoes this one (trailing context stays what it is)."""
        return Change(
            self.post,
            self.pre,
            self.post_lines,
            self.pre_lines,
            guess,
            match_beginning,
            self.match_end,
        )


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
    line = pos = 0  # a line start in buf, and its line number: where to search from
    for change in changes:
        pre, post = change.pre, change.post
        at_line: int | None = None  # unknown: the next search starts at the top again
        if not pre:
            at = _insertion(buf, change)
        elif change.match_beginning:
            at, at_line = _at_start(buf, pre, change.match_end), 0
        elif change.match_end:
            at = _at_end(buf, pre)
        else:
            if change.guess < line:
                line = pos = 0
            found = _nearest(buf, pre, change.guess, line, pos)
            at_line, at = found if found is not None else (None, -1)
        if at < 0:
            return None
        end = at + len(pre)
        if post and post[-1] != NL:
            if end != len(buf):
                raise Odd("a postimage without its newline before the end of the file")
            at_line = None  # the end is no line start to count from
        with memoryview(buf) as view:
            buf = b"".join((view[:at], post, view[end:]))
        if at_line is None:
            line = pos = 0
        else:
            line, pos = at_line + change.post_lines, at + len(post)
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


def _nearest(buf: bytes, pre: bytes, guess: int, line: int, pos: int) -> tuple[int, int] | None:
    """(line, offset) of the match of `pre` nearest to line `guess` (forward wins a tie), a
    search that starts at the line start `pos`, line `line` <= guess."""
    if pre[-1] != NL:  # its last line has no newline: only at the end of the file
        at = _at_end(buf, pre)
        if at < 0:
            return None
        if at >= pos:
            return line + buf.count(b"\n", pos, at), at
        return line - buf.count(b"\n", at, pos), at
    forward = backward = None
    start, cursor_line, cursor = pos, line, pos
    while (at := buf.find(pre, start)) >= 0:
        start = at + 1
        if at and buf[at - 1] != NL:
            continue  # inside a line
        line += buf.count(b"\n", pos, at)
        pos = at
        if line >= guess:
            forward = (line, at)
            break
        backward = (line, at)
    if (
        backward is None
        and cursor
        and (forward is None or cursor_line - 1 > 2 * guess - forward[0])
    ):
        # The nearest match before the guess may be above where the search started; it only
        # wins when nearer than the forward one: above line 2*guess - forward line it is not.
        end = cursor - 1 + len(pre)
        while (at := buf.rfind(pre, 0, end)) >= 0:
            if at and buf[at - 1] != NL:
                end = at - 1 + len(pre)
                continue
            backward = (cursor_line - buf.count(b"\n", at, cursor), at)
            break
    if forward is not None and (backward is None or forward[0] - guess <= guess - backward[0]):
        return forward
    return backward
