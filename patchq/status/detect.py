"""Landed detection: each evidence kind is a small pure function over data patchq.git fetched.

Precision first: a patch wrongly called landed gets dropped, so every kind only matches an
upstream commit whose change is still in REF (one that upstream reverted later is no evidence),
and `similar` is a hint, never a verdict.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from patchq.git import ScannedCommit

# `similar` needs the same files and most changed lines alike.
SIMILAR_MIN_SCORE = 0.5


@dataclass(frozen=True)
class Carried:
    """A carried patch as detection sees it."""

    index: int  # position in the series
    change_ids: frozenset[str]  # trailer and metadata
    picked_from: tuple[str, ...]  # metadata upstream.commit and "(cherry picked from commit X)"
    path_key: str  # git.path_key of the paths it touches
    patch_id: str | None


def live_commits(scanned: Sequence[ScannedCommit]) -> list[ScannedCommit]:
    """The commits of the range (oldest first) whose change is still in REF: a commit reverted
    later in the range is dropped (and comes back if the revert is itself reverted); revert
    commits themselves are evidence of nothing."""
    if not any(c.reverts for c in scanned):
        return list(scanned)
    by_prefix = PrefixIndex(c.sha for c in scanned)
    present: dict[str, bool] = {}
    revert_of: dict[str, str] = {}
    for commit in scanned:
        present[commit.sha] = True
        target = by_prefix.find(commit.reverts) if commit.reverts else None
        if target is None:
            continue
        revert_of[commit.sha] = target
        present[target] = False
        if target in revert_of:  # reverting a revert brings the original back
            present[revert_of[target]] = True
    return [c for c in scanned if present[c.sha] and c.sha not in revert_of]


def outside_revert_targets(scanned: Sequence[ScannedCommit]) -> list[str]:
    """The (possibly abbreviated) commits that reverts of the range name but the range does
    not hold (they predate base, or are base-only), when the revert is itself still in REF:
    their change is not in REF, whatever reaches them."""
    reverts = [c for c in scanned if c.reverts]
    if not reverts:
        return []
    index = PrefixIndex(c.sha for c in scanned)
    standing = {c.sha for c in live_commits(scanned)} | {c.sha for c in reverts}
    # A revert reverted later in the range is not standing.
    for commit in reverts:
        target = index.find(commit.reverts or "")
        if target is not None:
            standing.discard(target)
    named = {c.reverts for c in reverts if c.reverts and c.sha in standing}
    return sorted(name for name in named if index.find(name) is None)


class PrefixIndex:
    """Full shas looked up by a (possibly abbreviated) sha."""

    def __init__(self, shas: Iterable[str]) -> None:
        self._all = sorted(set(shas))

    def find(self, prefix: str) -> str | None:
        prefix = prefix.lower()
        i = bisect.bisect_left(self._all, prefix)
        hits = [s for s in self._all[i : i + 2] if s.startswith(prefix)]
        return hits[0] if len(hits) == 1 else None


def by_change_id(carried: Sequence[Carried], live: Sequence[ScannedCommit]) -> dict[int, str]:
    """Patch index -> the first live upstream commit carrying one of its Change-Ids."""
    first: dict[str, str] = {}
    for commit in live:
        for cid in commit.change_ids:
            first.setdefault(cid, commit.sha)
    out: dict[int, str] = {}
    for patch in carried:
        hits = [first[c] for c in sorted(patch.change_ids) if c in first]
        if hits:
            out[patch.index] = hits[0]
    return out


def by_cherry_pick(
    carried: Sequence[Carried], live: Sequence[ScannedCommit], reachable: Mapping[str, str]
) -> dict[int, str]:
    """Patch index -> its recorded upstream commit, when that commit is live in base..REF or
    (`reachable`: resolved by the caller) otherwise reachable from REF."""
    if not any(p.picked_from for p in carried):
        return {}
    index = PrefixIndex(c.sha for c in live)
    out: dict[int, str] = {}
    for patch in carried:
        for recorded in patch.picked_from:
            sha = index.find(recorded) or reachable.get(recorded)
            if sha:
                out[patch.index] = sha
                break
    return out


def unresolved_picks(carried: Sequence[Carried], scanned: Sequence[ScannedCommit]) -> list[str]:
    """Recorded upstream commits that are not in base..REF at all (the caller asks git whether
    REF reaches them: they may predate base)."""
    if not any(p.picked_from for p in carried):
        return []
    index = PrefixIndex(c.sha for c in scanned)
    return sorted({r for p in carried for r in p.picked_from if index.find(r) is None})


def patch_id_candidates(carried: Sequence[Carried], live: Sequence[ScannedCommit]) -> list[str]:
    """Upstream commits worth diffing: equal patch-ids need equal path sets."""
    wanted = {p.path_key for p in carried if p.path_key}
    return [c.sha for c in live if c.path_key in wanted]


def by_patch_id(
    carried: Sequence[Carried], live: Sequence[ScannedCommit], ids: Mapping[str, str]
) -> dict[int, str]:
    """Patch index -> the first live upstream commit with the same `git patch-id --stable`."""
    first: dict[str, str] = {}
    for commit in live:
        pid = ids.get(commit.sha)
        if pid:
            first.setdefault(pid, commit.sha)
    return {p.index: first[p.patch_id] for p in carried if p.patch_id and p.patch_id in first}


# -- similar: a hint for patches that did not land -----------------------------------------


def similar_candidates(
    carried: Sequence[Carried], live: Sequence[ScannedCommit]
) -> dict[int, list[str]]:
    """Patch index -> upstream commits that touch the same files (the commits diffed for
    patch-ids anyway)."""
    by_paths: dict[str, list[str]] = {}
    for commit in live:
        by_paths.setdefault(commit.path_key, []).append(commit.sha)
    return {p.index: by_paths[p.path_key] for p in carried if p.path_key in by_paths}


def changed_lines(diff: bytes) -> list[str]:
    """Short digests of a diff's added and removed lines (whitespace-insensitive), so a
    commit's fingerprint is small enough to cache."""
    lines = _CHANGED_LINE.findall(b"\n" + diff)
    if not lines:
        return []
    # One C pass for every line's whitespace (the newlines that separate them stay), and a
    # copy of an empty hasher: the same digests as blake2b(body, digest_size=6), faster.
    out = []
    for line in b"\n".join(lines).translate(None, _BLANKS).split(b"\n"):
        if len(line) > 1:
            digest = _EMPTY_DIGEST.copy()
            digest.update(line[1:])
            out.append(("+" if line[0] == _PLUS else "-") + digest.hexdigest())
    return out


# A line that starts with "+" or "-" and is no "+++ "/"--- " file header line.
_CHANGED_LINE = re.compile(rb"\n((?!\+\+\+ |--- )[+-][^\n]*)")
_BLANKS = b" \t\r\x0b\x0c"  # what bytes.split() splits at, but the newline
_EMPTY_DIGEST = hashlib.blake2b(digest_size=6)
_PLUS = ord("+")


def line_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Multiset Jaccard of changed lines: 1.0 = the same lines added and removed."""
    ca, cb = Counter(a), Counter(b)
    union = sum((ca | cb).values())
    return sum((ca & cb).values()) / union if union else 0.0


def best_similar(
    lines: Sequence[str], candidates: Sequence[str], fingerprints: Mapping[str, Sequence[str]]
) -> tuple[str, float] | None:
    """The candidate whose changed lines are most alike, when most of them are."""
    best: tuple[str, float] | None = None
    for sha in candidates:
        score = line_similarity(lines, fingerprints.get(sha, ()))
        if score >= SIMILAR_MIN_SCORE and (best is None or score > best[1]):
            best = (sha, score)
    return best
