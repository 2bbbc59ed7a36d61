"""The commits a move leaves behind: in base and not in REF (REF..base: rc fixes, stable
backports, `[stable-only]` changes made after the branch point). Each is `in-target` when
REF has the same change as another commit (by its recorded cherry-pick origin, its Change-Id
or its patch-id, and not reverted in REF), else `lost`: moving drops it from what ships.

Empty, at no cost, when base is an ancestor of REF. Otherwise one metadata scan of REF..base
(cached like the upstream range), one `git log` for the left-behind commits' messages, and
diffs only of the commits that need a patch-id; the answer is cached per (base, REF).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from patchq import git
from patchq.git import Repo, ScannedCommit, Sha
from patchq.patches.patchfile import CHERRY_PICK_LINE
from patchq.status import detect
from patchq.status.cache import CommitCache
from patchq.status.verdict import IN_TARGET, LOST, LeftBehind


def classify(
    repo: Repo,
    cache: CommitCache,
    base: Sha,
    ref: Sha,
    upstream: Sequence[ScannedCommit],
    reverted: frozenset[str],
    merge_bases: Sequence[Sha] | None = None,
) -> tuple[LeftBehind, ...]:
    """The non-merge commits of REF..base, oldest first, each with its state.

    `upstream`: the scan of base..REF (what REF adds); `reverted`: full shas outside that
    range which a revert inside it cancels (pipeline.reverted_outside); `merge_bases`: of
    base and REF, when the caller has asked git already. A commit reverted on the base side,
    and its revert, are left out: together they change nothing."""
    key = f"left-behind {base} {ref}"
    known = cache.outcome(key)
    if known is not None:
        restored = _restore(known[0], cache)
        if restored is not None:
            return restored
    commits = detect.live_commits(_behind(repo, cache, base, ref, merge_bases))
    found = _find_in_target(repo, cache, ref, commits, upstream, reverted)
    out = tuple(
        LeftBehind(
            commit=c.sha,
            subject=c.subject,
            change_id=c.change_ids[0] if c.change_ids else None,
            state=IN_TARGET if c.sha in found else LOST,
            upstream_commit=found.get(c.sha),
        )
        for c in commits
    )
    cache.put_outcome(key, json.dumps([[c.commit, c.upstream_commit or ""] for c in out]), ())
    return out


def _behind(
    repo: Repo, cache: CommitCache, base: Sha, ref: Sha, merge_bases: Sequence[Sha] | None
) -> list[ScannedCommit]:
    """REF..base. With one merge base M it is M..base: the same commits, and a walk of the
    base's side only (REF..base walks all of REF's history since M, which can be thousands
    of commits)."""
    bases = git.merge_bases(repo, base, ref) if merge_bases is None else merge_bases
    if len(bases) == 1:
        return cache.scan(bases[0], base).commits
    return cache.scan(ref, base).commits


def _find_in_target(
    repo: Repo,
    cache: CommitCache,
    ref: Sha,
    commits: Sequence[ScannedCommit],
    upstream: Sequence[ScannedCommit],
    reverted: frozenset[str],
) -> dict[str, str]:
    """Left-behind sha -> the commit of REF with the same change, strongest evidence first:
    recorded cherry-pick origin, then Change-Id, then patch-id."""
    live = detect.live_commits(upstream)
    live_index = detect.PrefixIndex(c.sha for c in live)
    range_index = detect.PrefixIndex(c.sha for c in upstream)
    origins = _origins(repo, commits)
    outside = sorted({o for os_ in origins.values() for o in os_ if range_index.find(o) is None})
    reached = _reached_outside(repo, ref, outside, reverted)
    by_cid: dict[str, str] = {}
    for commit in live:
        for cid in commit.change_ids:
            by_cid.setdefault(cid, commit.sha)
    found: dict[str, str] = {}
    for commit in commits:
        hit = next(
            (h for o in origins.get(commit.sha, ()) if (h := live_index.find(o) or reached.get(o))),
            None,
        ) or next((by_cid[c] for c in commit.change_ids if c in by_cid), None)
        if hit:
            found[commit.sha] = hit
    rest = [c for c in commits if c.sha not in found]
    if rest:
        found.update(_by_patch_id(cache, rest, live))
    return found


def _origins(repo: Repo, commits: Sequence[ScannedCommit]) -> dict[str, tuple[str, ...]]:
    """Each commit's recorded "(cherry picked from commit X)" lines, newest pick first (a
    chained backport names the stable commit it came from and, before that, master's)."""
    infos = repo.commit_info([c.sha for c in commits])
    return {
        info.sha: tuple(reversed(CHERRY_PICK_LINE.findall(info.message)))
        for info in infos
        if "cherry picked from" in info.message
    }


def _reached_outside(
    repo: Repo, ref: Sha, names: Sequence[str], reverted: frozenset[str]
) -> dict[str, str]:
    """Recorded origins outside base..REF that REF reaches and no revert in REF cancels."""
    if not names:
        return {}
    shas = git.commit_names(repo, names)
    reached = git.reached_by(repo, ref, sorted(set(shas.values())))
    return {n: s for n, s in shas.items() if s in reached and s not in reverted}


def _by_patch_id(
    cache: CommitCache, rest: Sequence[ScannedCommit], live: Sequence[ScannedCommit]
) -> dict[str, str]:
    """Equal `git patch-id --stable` with a live commit of REF (equal path sets only)."""
    keys = {c.path_key for c in rest if c.path_key}
    candidates = [c.sha for c in live if c.path_key in keys]
    if not candidates:
        return {}
    facts = cache.diff_facts([c.sha for c in rest] + candidates)
    first: dict[str, str] = {}
    for sha in candidates:
        pid = facts[sha].patch_id
        if pid:
            first.setdefault(pid, sha)
    out: dict[str, str] = {}
    for commit in rest:
        pid = facts[commit.sha].patch_id
        if pid and pid in first:
            out[commit.sha] = first[pid]
    return out


def _restore(recorded: str, cache: CommitCache) -> tuple[LeftBehind, ...] | None:
    """The classification recorded for (base, REF), its commits read from the cache; None
    when anything is missing or malformed (it is then made again)."""
    try:
        pairs = [(str(a), str(b)) for a, b in json.loads(recorded)]
    except (ValueError, TypeError):
        return None
    out = []
    for sha, upstream in pairs:
        c = cache.scanned(sha)
        if c is None:
            return None
        out.append(
            LeftBehind(
                commit=c.sha,
                subject=c.subject,
                change_id=c.change_ids[0] if c.change_ids else None,
                state=IN_TARGET if upstream else LOST,
                upstream_commit=upstream or None,
            )
        )
    return tuple(out)


# -- text -----------------------------------------------------------------------------------


def summary_lines(base: str, against: str, items: Sequence[LeftBehind]) -> list[str]:
    """ "31.1.0 has 14 commits that 32.0.0 lacks: 12 are in 32.0.0 as other commits, 2 would be
    lost:" and a row per lost commit; nothing when nothing is left behind."""
    if not items:
        return []
    lost = [c for c in items if c.state == LOST]
    kept = len(items) - len(lost)
    head = (
        f"{base} has {_n(len(items), 'commit')} that {against} lacks: "
        f"{kept} {'is' if kept == 1 else 'are'} in {against} as "
        f"{'another commit' if kept == 1 else 'other commits'}, {len(lost)} would be lost"
    )
    if not lost:
        return [head]
    return [head + ":"] + [f"  {c.commit[:12]} {c.subject}" for c in lost]


def _n(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
