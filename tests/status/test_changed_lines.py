"""detect.changed_lines reads a diff's changed lines with a regex and one whitespace pass; its
digests are cached on disk, so they must be those of the line-by-line reading it replaced."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patchq.status.detect import changed_lines


def line_by_line(diff: bytes) -> list[str]:
    """changed_lines as it was first written: the reference."""
    out = []
    for line in diff.split(b"\n"):
        if line[:1] in (b"+", b"-") and not line.startswith((b"+++ ", b"--- ")):
            body = b"".join(line[1:].split())
            if body:
                out.append(line[:1].decode() + hashlib.blake2b(body, digest_size=6).hexdigest())
    return out


PIECES = [b"+", b"-", b"+++ ", b"--- ", b"+++", b" ", b"\t", b"\r", b"\x0b", b"\x0c", b"\xa0"]
PIECES += [b"\x1c", b"\n", b"\r\n", b"a", b"def f():", b"@@ -1 +1 @@", b"\\ No newline at end"]
pieces = st.sampled_from(PIECES)


@given(st.lists(pieces, max_size=40).map(b"".join))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(b"")
@example(b"+++ a/x\n--- b/x\n+x\n-  y \r\n+\n- \t\n++foo\n--bar")
def test_changed_lines_are_those_of_the_line_by_line_reading(diff: bytes) -> None:
    assert changed_lines(diff) == line_by_line(diff)
