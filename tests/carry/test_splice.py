"""splice (hunks applied to a file's bytes) against the line-based reference and `git apply`.

Files are drawn from a few short lines, so context repeats and a hunk has several places to
go; hunks are applied to a copy of their file with lines added and removed around them
(offsets), with CRLF lines, files that end without a newline, and hunks no file matches."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patchq.carry import diffapply
from patchq.carry.diffapply import Hunk, apply_hunks, apply_hunks_by_lines, parse
from patchq.carry.splice import Change, Odd, splice

LINES = [b"a\n", b"b\n", b"a\n", b"\n", b"c\r\n", b"    pass\n", b"a"]
line = st.sampled_from(LINES[:-1])
MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def files(draw: st.DrawFn, max_size: int = 30) -> list[bytes]:
    """A file as its lines: the last may lack its newline."""
    lines: list[bytes] = draw(st.lists(line, max_size=max_size))
    ending = draw(st.booleans())
    if lines and ending:
        lines[-1] = lines[-1].rstrip(b"\n")
    return [ln for ln in lines if ln]


@st.composite
def hunk_lists(draw: st.DrawFn, old: list[bytes]) -> list[Hunk]:
    """Hunks against `old`, in order, as a diff of it would have them (starts may be off)."""
    hunks: list[Hunk] = []
    at, delta = 0, 0
    while at <= len(old) and len(hunks) < 4 and draw(st.booleans()):
        start = draw(st.integers(at, len(old)))
        leading = draw(st.integers(0, min(3, len(old) - start)))
        removed = draw(st.integers(0, min(3, len(old) - start - leading)))
        trailing = draw(st.integers(0, min(3, len(old) - start - leading - removed)))
        added = draw(st.lists(line, max_size=3))
        if added and draw(st.integers(0, 9)) == 0:
            added[-1] = added[-1].rstrip(b"\n")  # odd: only right at the end of a file
        if draw(st.integers(0, 19)) == 0:
            added.append(b"")  # odd: an empty line
        cut = old[start : start + leading + removed + trailing]
        lines = (
            [b" " + ln for ln in cut[:leading]]
            + [b"-" + ln for ln in cut[leading : leading + removed]]
            + [b"+" + ln for ln in added]
            + [b" " + ln for ln in cut[leading + removed :]]
        )
        jitter = draw(st.sampled_from([0, 0, 0, 1, -1, 5, -5, 20]))
        old_start = start + 1 if cut else start
        new_start = max(0, start + delta + (1 if len(cut) - removed + len(added) else 0) + jitter)
        hunks.append(Hunk(old_start, new_start, tuple(lines)))
        delta += len(added) - removed
        at = start + len(cut) + 1
    return hunks


@st.composite
def moved(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    """`lines` with lines added and removed here and there (the upstream of a carried patch)."""
    out = list(lines)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(out)))
        what = draw(st.sampled_from(["delete", "insert", "copy"]))
        if what == "delete" and at < len(out) and out[at].endswith(b"\n"):
            del out[at]
        elif what == "copy":  # a few lines again elsewhere: more places for a hunk to go
            size = draw(st.integers(1, 6))
            block = [ln for ln in out[at : at + size] if ln.endswith(b"\n")]
            to = draw(st.integers(0, len(out)))
            if to == len(out) and out and not out[-1].endswith(b"\n"):
                to -= 1
            out[to:to] = block
        else:
            out.insert(at, draw(line))
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[bytes, list[Hunk]]:
    old = draw(files())
    hunks = draw(hunk_lists(old))
    target = draw(st.one_of(st.just(old), moved(old)))
    return b"".join(target), hunks


@given(cases())
@MANY
@example((b"a\nb\n", [Hunk(1, 1, (b" a\n", b"+x\n", b" b\n"))]))
@example((b"a\nb", [Hunk(2, 2, (b" a\n", b"-b", b"+b\n"))]))
@example((b"", [Hunk(0, 1, (b"+a\n",))]))
@example((b"x", [Hunk(0, 2, (b"+a\n",))]))
def test_splice_places_hunks_like_the_line_based_reference(case: tuple[bytes, list[Hunk]]) -> None:
    like_the_reference(*case)


@pytest.mark.slow
@given(cases())
@settings(max_examples=5_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_splice_places_hunks_like_the_reference_many_more_times(
    case: tuple[bytes, list[Hunk]],
) -> None:
    like_the_reference(*case)


def like_the_reference(content: bytes, hunks: list[Hunk]) -> None:
    want = apply_hunks_by_lines(content, hunks)
    assert apply_hunks(content, hunks) == want
    inverse = [h.inverted() for h in hunks]
    assert apply_hunks(content, inverse) == apply_hunks_by_lines(content, inverse)
    if want is not None:  # what was added comes off again, exactly where it went
        assert apply_hunks(want, inverse) == apply_hunks_by_lines(want, inverse)


def changes(hunks: list[Hunk]) -> list[Change]:
    out = [h.change for h in hunks]
    assert all(c is not None for c in out)
    return [c for c in out if c is not None]


def test_nearest_match_wins_and_forward_wins_a_tie() -> None:
    hunk = Hunk(6, 6, (b" a\n", b"-b\n", b"+B\n", b" x\n"))  # says: line 6
    # a/b/x at lines 3 and 9: three lines either way from line 6, forward wins.
    content = b"x\nx\na\nb\nx\nx\nx\nx\na\nb\nx\n"
    out = splice(content, changes([hunk]))
    assert out == apply_hunks_by_lines(content, [hunk])
    assert out == b"x\nx\na\nb\nx\nx\nx\nx\na\nB\nx\n"
    # One line nearer above: that one.
    content = b"x\nx\nx\na\nb\nx\nx\nx\na\nb\nx\n"
    out = splice(content, changes([hunk]))
    assert out == apply_hunks_by_lines(content, [hunk])
    assert out == b"x\nx\nx\na\nB\nx\nx\nx\na\nb\nx\n"


def test_a_later_hunk_may_match_above_where_the_one_before_went() -> None:
    first = Hunk(4, 4, (b" x\n", b"-y\n", b"+Y\n", b" z\n"))
    # Says line 12, beyond the end; the only match is above the first hunk.
    second = Hunk(12, 12, (b" p\n", b"-q\n", b"+Q\n", b" r\n"))
    content = b"p\nq\nr\nx\ny\nz\nend\n"
    out = splice(content, changes([first, second]))
    assert out == apply_hunks_by_lines(content, [first, second]) == b"p\nQ\nr\nx\nY\nz\nend\n"
    # The same above and below: the one below is nearer.
    content = b"p\nq\nr\nx\ny\nz\np\nq\nr\n"
    out = splice(content, changes([first, second]))
    assert out == apply_hunks_by_lines(content, [first, second]) == b"p\nq\nr\nx\nY\nz\np\nQ\nr\n"
    # Says line 2, above where the first one went (it went 5 lines below its own line 4).
    third = Hunk(2, 2, (b" p\n", b"-q\n", b"+Q\n", b" r\n"))
    content = b"p\nq\nr\n" + b"-\n" * 5 + b"x\ny\nz\np\nq\nr\n"
    out = splice(content, changes([first, third]))
    assert out == apply_hunks_by_lines(content, [first, third])
    assert out == b"p\nQ\nr\n" + b"-\n" * 5 + b"x\nY\nz\np\nq\nr\n"
    # Above it only inside a line: no match at all.
    content = b"xp\nq\nr\nx\ny\nz\n"
    assert splice(content, changes([first, second])) is None
    assert apply_hunks_by_lines(content, [first, second]) is None


def test_a_preimage_without_newline_matches_only_at_the_end() -> None:
    first = Hunk(5, 5, (b" x\n", b"-y\n", b"+Y\n", b" z\n"))
    last = Hunk(2, 2, (b" a\n", b"-b", b"+B\n"))  # says line 2: the end is above the first
    content = b"a\nb\n" + b"-\n" * 3 + b"x\ny\nz\na\nb"
    out = splice(content, changes([first, last]))
    assert out == apply_hunks_by_lines(content, [first, last])
    assert out == b"a\nb\n" + b"-\n" * 3 + b"x\nY\nz\na\nB\n"


def test_a_match_inside_a_line_is_no_match() -> None:
    hunk = Hunk(2, 2, (b" a\n", b"-b\n", b"+B\n", b" c\n"))
    assert splice(b"xa\nb\nc\n", changes([hunk])) is None
    assert splice(b"xa\nb\nc\na\nb\nc\n", changes([hunk])) == b"xa\nb\nc\na\nB\nc\n"


def test_odd_postimages_are_left_to_the_reference() -> None:
    # Lines added after a last line that has no newline.
    hunk = Hunk(2, 2, (b"+x\n",))
    with pytest.raises(Odd):
        splice(b"a", changes([hunk]))
    assert apply_hunks(b"a", [hunk]) == apply_hunks_by_lines(b"a", [hunk]) == b"ax\n"
    # An empty line: no change for splice at all.
    assert Hunk(1, 1, (b"-a\n", b"+")).change is None


def test_inverted_hunks_carry_their_change_swapped() -> None:
    hunk = Hunk(3, 4, (b" a\n", b"-b\n", b"+B\n", b"+C\n", b" c"))
    inverse = hunk.inverted()
    assert inverse == Hunk(4, 3, (b" a\n", b"+b\n", b"-B\n", b"-C\n", b" c"))
    fresh = Hunk(inverse.old_start, inverse.new_start, inverse.lines)
    assert inverse.change == fresh.change  # seeded by inverted(), computed by fresh


# -- against git apply ------------------------------------------------------------------------


def git_diff(old: bytes, new: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "a"), Path(tmp, "b")
        a.write_bytes(old)
        b.write_bytes(new)
        proc = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "a", "b"],
            cwd=tmp,
            capture_output=True,
        )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout.replace(b"a/a", b"a/f.txt").replace(b"b/b", b"b/f.txt")


def git_apply(content: bytes, diff: bytes) -> bytes | None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "f.txt").write_bytes(content)
        proc = subprocess.run(["git", "apply", "-"], cwd=tmp, input=diff, capture_output=True)
        return Path(tmp, "f.txt").read_bytes() if proc.returncode == 0 else None


@st.composite
def git_cases(draw: st.DrawFn) -> tuple[bytes, bytes, bytes]:
    old = draw(files(max_size=25).filter(bool))
    new = draw(moved(old))
    if draw(st.booleans()) and new:
        new[-1] = new[-1].rstrip(b"\n") or b"z"
    target = draw(st.one_of(st.just(old), moved(old)))
    return b"".join(old), b"".join(new), b"".join(target)


@given(git_cases())
@FEW
def test_parse_and_splice_apply_git_diffs_like_git_apply(case: tuple[bytes, bytes, bytes]) -> None:
    old, new, target = case
    diff = git_diff(old, new)
    if not diff:
        return
    parsed = parse(diff)
    assert parsed is not None and len(parsed) == 1
    hunks = list(parsed[0].hunks)
    assert apply_hunks(old, hunks) == new
    ours = apply_hunks(target, hunks)
    assert ours == apply_hunks_by_lines(target, hunks)
    theirs = git_apply(target, diff)
    if ours is None and theirs is not None:
        # git compares a last preimage line that has no newline as a prefix of the file's
        # line (`memcmp` of the preimage's bytes): "a" matches "a\n" and the newline moves.
        # The reference (and so diffapply) does not apply such a hunk; git's 3-way merge
        # decides it.
        assert any(not h.image()[0][-1].endswith(b"\n") for h in hunks if h.image()[0])
        return
    assert ours == theirs
    back = [h.inverted() for h in hunks]
    assert apply_hunks(new, back) == old


# -- the hunk reader: usual shapes at C speed, the rest line by line ---------------------------


@given(git_cases())
@FEW
def test_hunks_read_at_c_speed_are_those_read_line_by_line(
    case: tuple[bytes, bytes, bytes],
) -> None:
    old, new, _ = case
    diff = git_diff(old, new)
    signed = diff + b"-- \n2.39.5\n\n"
    blank = diff.replace(b"\n@@", b"\n\n@@")  # a mailer's blank line between hunks
    for text in (diff, signed, blank):
        assert parse(text) == slowly(parse, text)


def slowly(parse: Callable[[bytes], object], text: bytes) -> object:
    """`parse(text)` with every hunk read line by line."""
    original = diffapply._plain_body
    diffapply._plain_body = lambda *args: None
    try:
        return parse(text)
    finally:
        diffapply._plain_body = original
