"""Apply a git diff to file contents in Python, the way `git apply` does (no fuzz).

This is patchq's fast path for building and carrying the series: no process, no index. It
handles the common diff shapes (modify, add, delete, rename, mode change, missing newline at
end of file); anything else (binary patches, copies, submodules, quoted paths) makes `parse`
return None, and the caller lets git do that patch. A hunk that does not match returns None
from `apply_hunks`: the caller falls back to git's 3-way machinery.

`apply_hunks` splices hunks into the file's bytes (splice.py); `apply_hunks_by_lines`, on a
list of the file's lines, is the reference it is tested against and what applies the odd
hunks splice leaves alone.
"""

from __future__ import annotations

import io
import itertools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from patchq.carry.splice import Change, Odd, plain, splice
from patchq.patches.hunks import HunkHeader, parse_header

_UNSUPPORTED = (
    b"GIT binary patch",
    b"Binary files ",
    b"copy from ",
    b"copy to ",
)

_GIT_HEADER = re.compile(rb"^diff --git a/(.+) b/(.+)$")

# A hunk line's first byte (its tag), the rest, and each tag as inverted() writes it.
_FIRST_BYTE = operator.itemgetter(0)
_AFTER_TAG = operator.itemgetter(slice(1, None))
_SWAPPED_TAG = [bytes([b]) for b in range(256)]
_SWAPPED_TAG[ord("+")], _SWAPPED_TAG[ord("-")] = b"-", b"+"


@dataclass(frozen=True)
class Hunk:
    old_start: int
    new_start: int
    lines: tuple[bytes, ...]  # b" ...", b"-...", b"+..." with their line endings

    def image(self) -> tuple[list[bytes], list[bytes]]:
        """(preimage, postimage) lines without their prefix."""
        pre = [ln[1:] for ln in self.lines if ln[:1] != b"+"]
        post = [ln[1:] for ln in self.lines if ln[:1] != b"-"]
        return pre, post

    def inverted(self) -> Hunk:
        tags = map(_SWAPPED_TAG.__getitem__, map(_FIRST_BYTE, self.lines))
        lines = tuple(map(bytes.__add__, tags, map(_AFTER_TAG, self.lines)))
        inverse = Hunk(self.new_start, self.old_start, lines)
        change = self.change
        if change is not None:  # the same bytes, sides swapped: no need to join them again
            vars(inverse)["change"] = change.inverted(
                guess=inverse.new_start - 1 if inverse.new_start else 0,
                match_beginning=inverse.old_start <= 1,
            )
        return inverse

    @cached_property
    def change(self) -> Change | None:
        """The hunk as splice applies it; None when only the line-based reference can."""
        pre, post = self.image()
        pre_bytes, post_bytes = b"".join(pre), b"".join(post)
        if not (plain(pre, pre_bytes) and plain(post, post_bytes)):
            return None
        _, trailing = self.context_counts()
        return Change(
            pre=pre_bytes,
            post=post_bytes,
            guess=self.new_start - 1 if self.new_start else 0,
            match_beginning=self.old_start <= 1,
            match_end=trailing == 0,
        )

    def context_counts(self) -> tuple[int, int]:
        """(leading, trailing) context lines, as git apply counts them."""
        leading = 0
        for ln in self.lines:
            if ln[:1] != b" ":
                break
            leading += 1
        trailing = 0
        for ln in reversed(self.lines):
            if ln[:1] != b" ":
                break
            trailing += 1
        return leading, trailing


@dataclass(frozen=True)
class FilePatch:
    old_path: str | None  # None: the file is created
    new_path: str | None  # None: the file is deleted
    old_mode: str | None
    new_mode: str | None
    hunks: tuple[Hunk, ...]

    def inverted(self) -> FilePatch:
        """The patch that undoes this one."""
        return FilePatch(
            self.new_path,
            self.old_path,
            self.new_mode,
            self.old_mode,
            tuple(h.inverted() for h in self.hunks),
        )


def parse(diff: bytes) -> list[FilePatch] | None:
    """The file patches of a `git diff`/format-patch diff; None when a shape is unsupported."""
    if any(marker in diff for marker in _UNSUPPORTED):
        return None
    starts = _file_starts(diff)
    if diff[: starts[0] if starts else len(diff)].strip():
        return None  # text before the first file that is not a git diff
    out: list[FilePatch] = []
    for start, end in itertools.pairwise([*starts, len(diff)]):
        parsed = _parse_file(diff[start:end])
        if parsed is None:
            return None
        out.append(parsed)
    return out


def _file_starts(diff: bytes) -> list[int]:
    """Where each line that starts with "diff --git " starts."""
    starts = [0] if diff.startswith(b"diff --git ") else []
    at = diff.find(b"\ndiff --git ")
    while at >= 0:
        starts.append(at + 1)
        at = diff.find(b"\ndiff --git ", at + 1)
    return starts


def _parse_file(chunk: bytes) -> FilePatch | None:
    lines = io.BytesIO(chunk).readlines()  # not split_lines: its cache is for file contents
    header = lines[0].rstrip(b"\r\n")
    if b'"' in header:
        return None  # quoted (unusual) paths: let git parse them
    m = _GIT_HEADER.match(header)
    if m is None or header.count(b" b/") != 1:
        return None  # paths that cannot be split unambiguously: let git parse them
    old_path: str | None = m.group(1).decode("utf-8", "surrogateescape")
    new_path: str | None = m.group(2).decode("utf-8", "surrogateescape")
    old_mode = new_mode = None
    i = 1
    while i < len(lines) and not lines[i].startswith(b"@@"):
        line = lines[i].rstrip(b"\r\n")
        if line.startswith((b"--- ", b"+++ ")):  # the usual lines first (no two prefixes overlap)
            pass
        elif line.startswith(b"index "):
            parts = line.split()
            if len(parts) == 3:
                old_mode = old_mode or parts[2].decode()
                new_mode = new_mode or parts[2].decode()
        elif line.startswith(b"new file mode "):
            old_path, new_mode = None, line[14:].decode()
        elif line.startswith(b"deleted file mode "):
            new_path, old_mode = None, line[18:].decode()
        elif line.startswith(b"old mode "):
            old_mode = line[9:].decode()
        elif line.startswith(b"new mode "):
            new_mode = line[9:].decode()
        elif line.startswith(b"rename from "):
            old_path = line[12:].decode("utf-8", "surrogateescape")
        elif line.startswith(b"rename to "):
            new_path = line[10:].decode("utf-8", "surrogateescape")
        elif line.startswith((b"similarity index ", b"dissimilarity index ")):
            pass
        else:
            return None
        i += 1
    if not all(safe_path(p) for p in (old_path, new_path) if p is not None):
        return None  # git apply refuses these with a proper message
    hunks = _parse_hunks(lines, i)
    if hunks is None:
        return None
    for mode in (old_mode, new_mode):
        if mode is not None and mode not in ("100644", "100755", "120000"):
            return None
    return FilePatch(old_path, new_path, old_mode, new_mode, tuple(hunks))


def safe_path(path: str) -> bool:
    """A relative path with no empty, ".", ".." or ".git" component (as git apply checks)."""
    return not path.startswith("/") and all(
        part not in ("", ".", "..") and part.lower() != ".git" for part in path.split("/")
    )


def _parse_hunks(lines: Sequence[bytes], start: int) -> list[Hunk] | None:
    """The hunks of `lines[start:]` (a file's part of a diff)."""
    tags = bytes(map(_FIRST_BYTE, lines))  # each line's first byte, for C-level counts
    hunks: list[Hunk] = []
    i = start
    while i < len(lines):
        if lines[i] in (b"-- \n", b"-- "):
            break  # format-patch's signature: after the last hunk, never inside one
        if not lines[i].strip():
            i += 1  # blank lines between or after hunks (mailers add them)
            continue
        header = parse_header(lines[i])
        if header is None:
            return None
        found = _plain_body(lines, tags, i + 1, header) or _body_by_lines(lines, i + 1, header)
        if found is None:
            return None
        body, i = found
        hunks.append(Hunk(header.old_start, header.new_start, body))
    return hunks


def _plain_body(
    lines: Sequence[bytes], tags: bytes, start: int, header: HunkHeader
) -> tuple[tuple[bytes, ...], int] | None:
    """The hunk's lines and where the next part starts, when the lines up to the next `@@`
    line are exactly its lines, each " ", "-" or "+" (the usual shape); else None, and
    _body_by_lines reads it line by line. Every such line counts toward the header's old or new
    length or both, so where the counts match here the line-by-line reading ends at the same
    line."""
    end = tags.find(b"@", start)
    if end < 0:
        end = len(lines)
    context = tags.count(b" ", start, end)
    removed = tags.count(b"-", start, end)
    added = tags.count(b"+", start, end)
    if (
        context + removed + added != end - start
        or context + removed != header.old_len
        or context + added != header.new_len
    ):
        return None
    return tuple(lines[start:end]), end


def _body_by_lines(
    lines: Sequence[bytes], start: int, header: HunkHeader
) -> tuple[tuple[bytes, ...], int] | None:
    """The hunk's lines read one by one (empty context lines, "\\ No newline at end of file")
    and where the next part starts; None when they do not add up to the header's lengths."""
    old_len, new_len = header.old_len, header.new_len
    body: list[bytes] = []
    i = start
    seen_old = seen_new = 0
    while i < len(lines) and (seen_old < old_len or seen_new < new_len):
        line = lines[i]
        tag = line[:1]
        if line == b"\n":
            line, tag = b" " + line, b" "  # an empty context line some tools strip
        if tag == b"\\":
            if not body:
                return None
            body[-1] = _strip_eol(body[-1])
            i += 1
            continue
        if tag not in (b" ", b"-", b"+"):
            return None
        seen_old += tag != b"+"
        seen_new += tag != b"-"
        body.append(line)
        i += 1
    if i < len(lines) and lines[i].startswith(b"\\"):
        if not body:
            return None
        body[-1] = _strip_eol(body[-1])
        i += 1
    if seen_old != old_len or seen_new != new_len:
        return None
    return tuple(body), i


def _strip_eol(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\n") else line


def split_lines(content: bytes) -> list[bytes]:
    """Lines with their "\n" kept; only "\n" ends a line (as in git)."""
    cached = _SPLIT_CACHE.get(content)
    if cached is not None:
        return list(cached)
    lines = io.BytesIO(content).readlines()  # splits at b"\n" only, in C
    if len(content) > 4096:
        # The same big file is split again and again (forward and reverse, patch after patch).
        if len(_SPLIT_CACHE) >= 16:
            _SPLIT_CACHE.pop(next(iter(_SPLIT_CACHE)))
        _SPLIT_CACHE[content] = lines
        return list(lines)
    return lines


_SPLIT_CACHE: dict[bytes, list[bytes]] = {}


def apply_hunks(content: bytes, hunks: Sequence[Hunk]) -> bytes | None:
    """The content with the hunks applied, or None where one does not match."""
    changes = []
    for hunk in hunks:
        change = hunk.change
        if change is None:
            return apply_hunks_by_lines(content, hunks)
        changes.append(change)
    try:
        return splice(content, changes)
    except Odd:
        return apply_hunks_by_lines(content, hunks)


def apply_hunks_by_lines(content: bytes, hunks: Sequence[Hunk]) -> bytes | None:
    """apply_hunks on a list of the file's lines: the reference, and what does the hunks
    splice leaves alone."""
    image = split_lines(content)
    for hunk in hunks:
        pre, post = hunk.image()
        _, trailing = hunk.context_counts()
        guess = hunk.new_start - 1 if hunk.new_start else 0
        at = _find(image, pre, guess, match_beginning=hunk.old_start <= 1, match_end=trailing == 0)
        if at < 0:
            return None
        image[at : at + len(pre)] = post
    return b"".join(image)


def _find(
    image: list[bytes], pre: list[bytes], guess: int, *, match_beginning: bool, match_end: bool
) -> int:
    """Where `pre` occurs, searching outward from `guess` (git apply's find_pos)."""
    if len(pre) > len(image):
        return -1
    if match_beginning:
        guess = 0
    elif match_end:
        guess = len(image) - len(pre)
    guess = max(0, min(guess, len(image)))

    def fits(at: int) -> bool:
        if match_beginning and at != 0:
            return False
        if match_end and at + len(pre) != len(image):
            return False
        return image[at : at + len(pre)] == pre

    if fits(guess):
        return guess
    if not pre:
        return -1
    # Candidate starts come from the occurrences of the preimage's longest (rarest) line,
    # found by C-level list.index; nearest to the guess first (forward wins a tie, as in git
    # apply's find_pos).
    anchor = max(range(len(pre)), key=lambda k: len(pre[k]))
    starts = []
    at = -1
    while True:
        try:
            at = image.index(pre[anchor], at + 1)
        except ValueError:
            break
        if at - anchor >= 0:
            starts.append(at - anchor)
    starts.sort(key=lambda i: (abs(i - guess), i < guess))
    return next((i for i in starts if fits(i)), -1)
