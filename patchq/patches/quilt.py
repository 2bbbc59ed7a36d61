"""quilt patch directories: the `series` file, and diffs made for `patch -pN` turned into -p1.

quilt series syntax: one patch per line, relative to the directory; `#` starts a comment; a
`-pN` option after the name sets the strip level (default 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from patchq.errors import ConfigError
from patchq.patches.hunks import parse_header

_COMMENT = re.compile(r"(?:^|\s+)#.*$")


@dataclass(frozen=True)
class Entry:
    path: Path
    strip: int
    line: int  # in the series file, for messages


def find_series(directory: Path) -> Path:
    """The series file of a quilt dir; a source tree with debian/patches/ works too."""
    for candidate in (directory / "series", directory / "debian" / "patches" / "series"):
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"{directory} has no quilt series file: point --quilt at the directory holding "
        "`series` (e.g. debian/patches)"
    )


def read_series(series_file: Path) -> list[Entry]:
    try:
        text = series_file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {series_file}: {exc}") from None
    base = series_file.parent
    entries: list[Entry] = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = _COMMENT.sub("", raw).split()
        if not words:
            continue
        where = f"{series_file}:{number}"
        name, options = words[0], words[1:]
        strip = 1
        for option in options:
            match = re.fullmatch(r"-p(\d+)", option)
            if match:
                strip = int(match.group(1))
            elif option == "-R":
                raise ConfigError(f"{where}: -R (reversed) is not supported: reverse {name} first")
            else:
                raise ConfigError(f"{where}: unknown option {option!r}: only -pN is supported")
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts:
            raise ConfigError(f"{where}: {name} is outside {base}: use a relative name")
        path = base / name
        if any(e.path == path for e in entries):
            raise ConfigError(f"{where}: {name} is listed twice: keep one line")
        if not path.is_file():
            raise ConfigError(f"{where}: {name} does not exist: fix the series file")
        entries.append(Entry(path=path, strip=strip, line=number))
    if not entries:
        raise ConfigError(f"{series_file} lists no patches: nothing to import")
    return entries


def restrip(diff: bytes, strip: int, *, source: str) -> bytes:
    """Rewrite a diff made for `patch -p<strip>` so its file headers read `a/PATH` and `b/PATH`."""
    if strip == 1:
        return diff
    lines = diff.splitlines(keepends=True)
    out: list[bytes] = []
    old_left = new_left = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            if tag in (b" ", b"\r", b"\n"):
                old_left, new_left = old_left - 1, new_left - 1
            elif tag == b"-":
                old_left -= 1
            elif tag == b"+":
                new_left -= 1
            out.append(line)
        elif line.startswith(b"--- ") and i + 1 < len(lines) and lines[i + 1].startswith(b"+++ "):
            out.append(_header(line, b"--- ", b"a/", strip, source))
            out.append(_header(lines[i + 1], b"+++ ", b"b/", strip, source))
            i += 1
        elif line.startswith(b"diff --git "):
            raise ConfigError(f"{source}: a git diff is always -p1; fix the -p{strip} in series")
        else:
            hunk = parse_header(line)
            if hunk:
                old_left, new_left = hunk.old_len, hunk.new_len
            out.append(line)
        i += 1
    return b"".join(out)


def _header(line: bytes, tag: bytes, prefix: bytes, strip: int, source: str) -> bytes:
    body = line[len(tag) :]
    ending = body[len(body.rstrip(b"\r\n")) :]
    body = body[: len(body) - len(ending)]
    path, tab, rest = body.partition(b"\t")
    if path == b"/dev/null":
        return line
    parts = [p for p in path.split(b"/") if p]
    if len(parts) <= strip:
        shown = path.decode("utf-8", "replace")
        raise ConfigError(f"{source}: cannot strip {strip} components from path {shown!r}")
    return tag + prefix + b"/".join(parts[strip:]) + tab + rest + ending
