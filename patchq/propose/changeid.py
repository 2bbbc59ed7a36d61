"""Change-Id trailers made the way Gerrit's commit-msg hook makes them, and added to a patch
file without touching any other byte.

The hook (gerrit resources/.../hooks/commit-msg) hashes, as a git blob, the committer ident
(`git var GIT_COMMITTER_IDENT`), the parent commit and the message, and adds
`Change-Id: I<hash>` to the message's trailer block (`git interpret-trailers`).
"""

from __future__ import annotations

import hashlib
import re

from patchq.errors import PatchqError
from patchq.patches import patchfile

_TRAILER_LINE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9-]*:\s.*|\(cherry picked from commit \S+\))$")


def gerrit_change_id(*, committer_ident: str, parent: str, message: str) -> str:
    """`{ git var GIT_COMMITTER_IDENT; echo $refhash; cat $1; } | git hash-object --stdin`."""
    data = f"{committer_ident}\n{parent}\n{message}".encode("utf-8", "surrogateescape")
    return "I" + hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def add_trailer(raw: bytes, change_id: str) -> bytes:
    """The patch file with `Change-Id: <id>` at the end of its message's trailer block (a new
    paragraph when the message ends in prose); the header, diffstat and diff are kept byte
    for byte, and a CRLF file stays CRLF."""
    nl = b"\r\n" if raw.count(b"\r\n") * 2 > raw.count(b"\n") else b"\n"
    parsed = patchfile.parse(raw)
    start = raw.find(nl + nl) + 2 * len(nl) if parsed.has_mail_header else 0
    diff_at = raw.find(parsed.diff) if parsed.diff else len(raw)
    brk = raw.find(nl + b"---" + nl, start - len(nl))
    end = brk + len(nl) if 0 <= brk < diff_at else diff_at
    message = raw[start:end]
    kept = message.rstrip(b"\r\n")
    line = f"Change-Id: {change_id}".encode() + nl
    if not kept:
        new_message = line
    else:
        last = kept.split(nl + nl)[-1].decode("utf-8", "surrogateescape").split(nl.decode())
        is_trailers = len(kept.split(nl + nl)) > 1 and all(
            _TRAILER_LINE.match(x) or x.startswith((" ", "\t")) for x in last
        )
        new_message = kept + nl + (b"" if is_trailers else nl) + line
    out = raw[:start] + new_message + raw[end:]
    check = patchfile.parse(out)
    if check.change_id != change_id or check.diff != parsed.diff:
        raise PatchqError(
            "patchq could not add a Change-Id trailer to this patch without changing its "
            "diff: add `Change-Id: " + change_id + "` to its message by hand"
        )
    return out
