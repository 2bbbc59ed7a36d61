"""Patch files in `git format-patch` form: parse their header, message, trailers and diff.

Patch bytes are kept as bytes end to end (non-UTF-8 content and CRLF survive); text fields are
decoded with surrogateescape so nothing is lost on the way back.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from patchq.errors import ConfigError
from patchq.patches import subject as mail_subject

ZERO_FROM = b"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
CHANGE_ID_TRAILER = re.compile(r"^Change-Id:\s*(I[0-9a-f]{40})\s*$", re.M)
CHERRY_PICK_LINE = re.compile(r"^\(cherry picked from commit ([0-9a-f]{7,40})\)\s*$", re.M)
_DIFF_START = re.compile(rb"^(?:diff --git |diff -|Index: |--- \S)", re.M)
_DIFF_GIT_PATHS = re.compile(rb"^diff --git a/(.+?) b/(.+?)\r?$", re.M)
_MINUS_PLUS = re.compile(rb"^(?:---|\+\+\+) (?:[ab]/)?(.+?)(?:\t.*)?\r?$", re.M)


@dataclass(frozen=True)
class PatchFile:
    """What a patch file says about itself."""

    author: str  # "Name <email>"
    date: str  # RFC 2822, as in the file
    subject: str  # without what git's mail tools add ([PATCH n/m], Re:); tags like [OVN] kept
    body: str  # message after the subject, trailers included
    diff: bytes  # from the first diff line to the end
    raw: bytes  # the file as `git am` reads it (a mail's CRLF line ends are LF: see parse)

    @property
    def message(self) -> str:
        return self.subject + ("\n\n" + self.body if self.body.strip() else "") + "\n"

    @property
    def change_id(self) -> str | None:
        found = CHANGE_ID_TRAILER.findall(self.body)
        return found[-1] if found else None

    @property
    def cherry_picked_from(self) -> str | None:
        """The original commit: the first `(cherry picked from commit X)` line (a backport of
        a backport has one line per pick, oldest first)."""
        found = self.cherry_picks
        return found[0] if found else None

    @property
    def cherry_picks(self) -> tuple[str, ...]:
        """Every `(cherry picked from commit X)` line's commit, in message order."""
        return tuple(dict.fromkeys(CHERRY_PICK_LINE.findall(self.body)))

    @functools.cached_property
    def paths(self) -> tuple[str, ...]:
        return changed_paths(self.diff)  # a regex over the whole diff: asked again and again

    @property
    def has_mail_header(self) -> bool:
        """Whether the file starts like a mail (format-patch header), not like plain text."""
        text = self.raw[:4096].decode("utf-8", "surrogateescape").replace("\r\n", "\n")
        return bool(_split_mail(text)[0])

    def git_author_line(self) -> str:
        """ "Name <email> <secs> <zone>" for a commit object."""
        return f"{self.author} {git_date(self.date)}"


# Patches bigger than this are refused before they are read: parsing, patch-ids and git apply
# hold several copies of a patch in memory (a 100 MB patch cost about 1 GB). The biggest
# OpenStack commits are a few MB.
MAX_PATCH_BYTES = 32 * 1024 * 1024


def read(path: Path) -> PatchFile:
    return parse(read_bytes(path), source=str(path))


def read_bytes(path: Path, *, what: str = "patch ") -> bytes:
    """A patch file's bytes, refusing one over MAX_PATCH_BYTES without reading it."""
    try:
        size = path.stat().st_size
        if size > MAX_PATCH_BYTES:
            raise ConfigError(
                f"patch {path} is {size / 2**20:.0f} MB, over patchq's limit of "
                f"{MAX_PATCH_BYTES // 2**20} MB: split it into smaller patches"
            )
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what}{path}: {exc.strerror}") from None


def as_git_am_reads(raw: bytes) -> bytes:
    """A mail saved with CRLF line ends (a Windows mail client, a web download: its very
    first line ends in CRLF) reads as `git am` reads it: git mailsplit turns each CRLF into
    LF (am.keepcr is off by default; formats.md section 4), so a line of CRLF content, CR CR
    LF in such a file, keeps one CR. A file whose header lines end in LF is git's own
    format-patch output: its CRLFs are file content and stay, as `git apply` keeps them. The
    file itself is never rewritten."""
    first, _, _ = raw[:4096].partition(b"\n")
    if not first.endswith(b"\r"):
        return raw
    head = raw[:4096].decode("utf-8", "surrogateescape").replace("\r\n", "\n")
    return raw.replace(b"\r\n", b"\n") if _split_mail(head)[0] else raw


def parse(raw: bytes, *, source: str = "patch") -> PatchFile:
    raw = as_git_am_reads(raw)
    start = diff_start(raw)
    head, diff = (raw[:start], raw[start:]) if start is not None else (raw, b"")
    text = head.decode("utf-8", "surrogateescape").replace("\r\n", "\n")
    headers, message = _split_mail(text)
    subject = mail_subject.from_header(_decode(headers.get("subject", "")))
    body = message
    if not subject:
        # No Subject header: the first paragraph is the subject, as git am takes it (whole).
        first, _, rest = message.strip("\n").partition("\n\n")
        subject, body = " ".join(first.split()), rest
    body = strip_diffstat(body).strip("\n")
    if not diff.strip() and not subject:
        raise ConfigError(f"{source}: not a patch (no diff and no subject)")
    return PatchFile(
        author=_decode(headers.get("from", "")).strip() or "Unknown <unknown@localhost>",
        date=headers.get("date", "").strip() or "Thu, 1 Jan 1970 00:00:00 +0000",
        subject=subject,
        body=body,
        diff=diff,
        raw=raw,
    )


_PATCH_BREAK = re.compile(rb"^---[ \t]*\r?$", re.M)
_HUNK_HEADER = re.compile(rb"^@@ -\d", re.M)


def diff_start(raw: bytes) -> int | None:
    """Where the diff begins. In a mail (format-patch) the message ends at its `---` line, so
    a diff line quoted in the message is message text; elsewhere the first diff line."""
    first = _DIFF_START.search(raw)
    if first is None:
        return None
    cut = _PATCH_BREAK.search(raw)
    # A hunk before the `---` line: `first` is the diff, and that line a removed "--" line.
    if (
        cut is not None
        and cut.start() > first.start()
        and not _HUNK_HEADER.search(raw, first.start(), cut.start())
    ):
        head = raw[: first.start()].decode("utf-8", "surrogateescape").replace("\r\n", "\n")
        headers = _split_mail(head)[0]
        after = _DIFF_START.search(raw, cut.end())
        if after is not None and ("from" in headers or "subject" in headers):
            return after.start()
    return first.start()


def _split_mail(text: str) -> tuple[dict[str, str], str]:
    lines = text.split("\n")
    if lines and lines[0].startswith("From ") and not lines[0].startswith("From: "):
        lines = lines[1:]
    headers: dict[str, str] = {}
    i, last = 0, None
    while i < len(lines):
        line = lines[i]
        if line == "":
            i += 1
            break
        if line[:1] in (" ", "\t") and last:
            headers[last] += " " + line.strip()
        elif ":" in line and re.match(r"^[A-Za-z][A-Za-z0-9-]*:", line):
            key, _, value = line.partition(":")
            last = key.lower()
            headers[last] = value.strip()
        else:
            # Not a header block at all: the whole text is the message.
            return {}, text
        i += 1
    return headers, "\n".join(lines[i:])


def strip_diffstat(body: str) -> str:
    # The message ends at a line that is "---" (git's patch break); the rest is the diffstat.
    out = []
    for line in body.split("\n"):
        if line.rstrip() == "---":
            break
        out.append(line)
    return "\n".join(out)


def _decode(value: str) -> str:
    if "=?" not in value:
        return value  # no RFC 2047 encoded word: decoding gives the text back as it is
    import email.errors
    import email.header

    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (email.errors.HeaderParseError, LookupError, UnicodeDecodeError):
        return value


def git_date(rfc2822: str) -> str:
    import email.utils

    parsed = email.utils.parsedate_tz(rfc2822)
    if parsed is None:
        return "0 +0000"
    stamp = email.utils.mktime_tz(parsed)
    offset = parsed[9] or 0
    sign = "-" if offset < 0 else "+"
    offset = abs(offset)
    return f"{stamp} {sign}{offset // 3600:02d}{offset % 3600 // 60:02d}"


def changed_paths(diff: bytes) -> tuple[str, ...]:
    """Every path a diff touches (both sides of renames), in order of appearance."""
    found: list[str] = []
    pairs = _DIFF_GIT_PATHS.findall(diff)
    if pairs:
        for a, b in pairs:
            found += [a.decode("utf-8", "surrogateescape"), b.decode("utf-8", "surrogateescape")]
    else:
        for name in _MINUS_PLUS.findall(diff):
            if name != b"/dev/null":
                found.append(name.decode("utf-8", "surrogateescape"))
    return tuple(dict.fromkeys(found))


def render(*, author: str, date: str, subject: str, body: str, diff: bytes) -> bytes:
    """A format-patch style file with a zero From line (deterministic, `git am`-able): the
    whole subject comes back through `git am` and `git am -k` (see subject_lines)."""
    head, first = subject_lines(subject)
    header = f"From: {author}\nDate: {date}\n{head}"
    if any(ord(ch) > 127 for ch in header + first):
        header += (
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n"
        )
    # The blank line ends the mail header, body or not.
    parts = [p for p in (first.strip(), body.strip()) if p]
    message = "\n" + "".join(part + "\n\n" for part in parts).removesuffix("\n")
    text = header + (message if parts else "\n") + "---\n"
    if not diff.endswith(b"\n"):
        diff += b"\n"
    return ZERO_FROM + text.encode("utf-8", "surrogateescape") + diff


def subject_lines(subject: str) -> tuple[str, str]:
    """(Subject header line, first message paragraph) that carry `subject` whole.

    `Subject: [PATCH] x` is what git format-patch writes, and plain `git am` gives back x. A
    subject that starts with its own bracket group (`[OVN] x`) would lose it that way, so it
    goes, with no Subject header, as the message's first line: `git am` and `git am -k` then
    take it verbatim."""
    if mail_subject.survives_header(subject):
        return f"Subject: [PATCH] {subject}\n", ""
    return "", subject


def am_safe(text: bytes) -> bytes:
    """A `git format-patch` text whose subject `git am` would cut, in subject_lines() form;
    any other text unchanged."""
    end = text.find(b"\n\n")
    if end < 0:
        return text
    lines = text[: end + 1].split(b"\n")[:-1]
    at = next((i for i, line in enumerate(lines) if line.lower().startswith(b"subject:")), None)
    if at is None:
        return text
    stop = at + 1
    while stop < len(lines) and lines[stop][:1] in (b" ", b"\t"):
        stop += 1
    value = b" ".join(line.strip() for line in lines[at:stop])[len(b"subject:") :]
    subject = mail_subject.from_header(_decode(value.decode("utf-8", "surrogateescape")))
    if mail_subject.survives_header(subject):
        return text
    kept = lines[:at] + lines[stop:]
    first = subject.encode("utf-8", "surrogateescape")
    if not first.isascii() and not any(h.lower().startswith(b"content-type:") for h in kept):
        kept += [
            b"MIME-Version: 1.0",
            b"Content-Type: text/plain; charset=UTF-8",
            b"Content-Transfer-Encoding: 8bit",
        ]
    body = text[end + 2 :]
    gap = b"\n" if body.startswith(b"---\n") else b"\n\n"
    return b"\n".join(kept) + b"\n\n" + first + gap + body


def with_subject(raw: bytes, subject: str) -> bytes:
    """`raw` with its subject replaced (in subject_lines() form); everything else kept."""
    start = diff_start(raw)
    head_bytes, rest = (raw[:start], raw[start:]) if start is not None else (raw, b"")
    crlf = b"\r\n" in head_bytes
    head = head_bytes.decode("utf-8", "surrogateescape").replace("\r\n", "\n")
    lines = head.split("\n")
    unix_from = [lines.pop(0)] if lines and lines[0].startswith("From ") else []
    headers, message = _split_mail("\n".join(lines))
    if headers:
        block = lines[: lines.index("")] if "" in lines else lines
        kept, skipping = [], False
        for line in block:
            if line[:1] in (" ", "\t") and skipping:
                continue
            skipping = line.lower().startswith("subject:")
            if not skipping:
                kept.append(line)
        had_subject = len(kept) != len(block)
    else:
        kept, had_subject = [], False
    if not had_subject:  # the subject is the message's first paragraph: replace it
        _, _, message = message.lstrip("\n").partition("\n\n")
    header_line, first = subject_lines(subject) if headers else ("", subject)
    if header_line:
        at = next((i + 1 for i, h in enumerate(kept) if h.lower().startswith("date:")), len(kept))
        kept.insert(at, header_line.rstrip("\n"))
    mime = any(h.lower().startswith("content-type:") for h in kept)
    if headers and first and not first.isascii() and not mime:
        kept += [
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
        ]
    body = message.lstrip("\n")
    text = "\n".join(unix_from + kept)
    if kept or unix_from:
        text += "\n\n"
    if first:
        text += first + ("\n" if body.startswith("---") or not body.strip() else "\n\n")
    text += body
    out = text.encode("utf-8", "surrogateescape")
    if crlf:
        out = out.replace(b"\n", b"\r\n")
    return out + rest
