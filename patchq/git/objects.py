"""git's object formats, read and written without a process: object names, commit and tree
objects, and the version-2 pack index. Nothing here runs git."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NewType

from patchq.errors import GitError

Sha = NewType("Sha", str)  # 40 lowercase hex, validated by as_sha()

SHA_RE = re.compile(r"^[0-9a-f]{40}$")


def as_sha(text: str) -> Sha:
    value = text.strip()
    if not SHA_RE.match(value):
        raise GitError(f"git returned {value!r} where a commit sha was expected")
    return Sha(value)


TREE_MODE = "40000"


def commit_object(
    *, tree: Sha, parents: Sequence[Sha], message: str, author: str, committer: str
) -> bytes:
    """The raw content of a commit object (what `git cat-file commit` prints)."""
    lines = [f"tree {tree}"] + [f"parent {p}" for p in parents]
    lines += [f"author {author}", f"committer {committer}", "", message]
    body = "\n".join(lines)
    if not body.endswith("\n"):
        body += "\n"
    return body.encode("utf-8", "surrogateescape")


def commit_parents(data: bytes) -> list[Sha]:
    """The parents a raw commit object names, in order."""
    header = data.split(b"\n\n", 1)[0].split(b"\n")
    return [Sha(line[7:].decode()) for line in header if line.startswith(b"parent ")]


def parse_tree(data: bytes) -> dict[str, tuple[str, str]]:
    entries: dict[str, tuple[str, str]] = {}
    i = 0
    while i < len(data):
        space = data.index(b" ", i)
        nul = data.index(b"\0", space)
        mode = data[i:space].decode()
        name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
        entries[name] = (mode, data[nul + 1 : nul + 21].hex())
        i = nul + 21
    return entries


def format_tree(entries: dict[str, tuple[str, str]]) -> bytes:
    def key(name: str) -> bytes:
        raw = name.encode("utf-8", "surrogateescape")
        return raw + b"/" if entries[name][0] == TREE_MODE else raw

    out = []
    for name in sorted(entries, key=key):
        mode, sha = entries[name]
        raw = name.encode("utf-8", "surrogateescape")
        out.append(mode.encode() + b" " + raw + b"\0" + bytes.fromhex(sha))
    return b"".join(out)


def pack_index(entries: Sequence[tuple[bytes, int, int]], pack_checksum: bytes) -> bytes:
    """A version-2 pack index (.idx) for (sha, crc32, offset) entries, offsets < 2 GiB."""
    import hashlib
    import struct

    ordered = sorted(entries)
    fanout = [0] * 256
    for sha, _, _ in ordered:
        fanout[sha[0]] += 1
    total = 0
    for i in range(256):
        total += fanout[i]
        fanout[i] = total
    out = b"\xfftOc" + struct.pack(">I", 2) + struct.pack(">256I", *fanout)
    out += b"".join(sha for sha, _, _ in ordered)
    out += b"".join(struct.pack(">I", crc & 0xFFFFFFFF) for _, crc, _ in ordered)
    out += b"".join(struct.pack(">I", off) for _, _, off in ordered)
    out += pack_checksum
    return out + hashlib.sha1(out).digest()
