"""The plan of a rebase: the status engine's verdicts against REF, and the walk up to the first
conflict already done in memory.

This is status.assess without its `similar` hints (rebase does not need them, and on a
20,000-commit range they cost more than the rest of the plan), with the series built and
carried by rebase_fast (the same commits and verdicts, without a git process per patch).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from patchq import detect, git, rebase_fast, refresh, status
from patchq.engine import PatchCommit
from patchq.errors import ConfigError
from patchq.git import Repo, ScannedCommit, Sha
from patchq.model import Patch, Series
from patchq.patchfile import PatchFile
from patchq.rebase_state import CARRIED, DROPPED, Entry, Outcome, RebaseState
from patchq.verdict import CONFLICTS, LANDED, PatchState
from patchq.workspace import Workspace


@dataclass(frozen=True)
class Plan:
    state: RebaseState  # walked up to the first conflict
    predicted: tuple[str, ...]  # the status engine's state of each entry (for --dry-run)
    old_texts: dict[str, bytes]  # each patch formatted on the old base (refresh.py compares)


def make_plan(
    ws: Workspace, repo: Repo, current: Series, onto: str, *, refs: str, progress: bool
) -> Plan:
    rng = status.resolve_range(current, repo, onto)
    if rng.against_commit == rng.base_commit:
        raise ConfigError(
            f"the series is already on {onto} ({rng.base_commit[:12]}): nothing to rebase"
        )
    pairs = status.read_series(ws, current)
    trees = rebase_fast.Trees(repo)
    name = current.upstream.base
    # The upstream scan runs on the second core while this thread builds and merges the chain
    # (its git processes share no state with the persistent object pipes used here).
    with ThreadPoolExecutor(max_workers=2) as pool:
        evidence = pool.submit(_evidence, repo, rng, pairs)
        commits = rebase_fast.build_chain(
            repo, trees, base=rng.base_commit, patches=pairs, name=name
        )
        old_texts = pool.submit(_old_texts, repo, rng.base_commit, commits)
        alone = rebase_fast.merge_all(repo, trees.entries_root(rng.against_commit), commits)
        found, scanned = evidence.result()
        walked = rebase_fast.carry(repo, trees, rng, commits, found, scanned, alone=alone)
        old_by_file = old_texts.result()
    verdicts = walked.states
    entries = [_entry(pc, v) for pc, v in zip(commits, verdicts, strict=True)]
    outcomes: list[Outcome] = []
    tip = rng.against_commit
    for entry, v, new in zip(entries, verdicts, walked.commits, strict=True):
        if v.state == CONFLICTS:
            break
        if entry.landed:
            outcomes.append(dropped(entry, entry.evidence, entry.upstream_commit))
        else:
            assert new is not None
            tip = new
            outcomes.append(carried(entry, tip))
    state = RebaseState(
        onto=onto,
        onto_commit=rng.against_commit,
        from_ref=current.upstream.base,
        from_commit=rng.base_commit,
        entries=tuple(entries),
        position=len(outcomes),
        head=tip,
        outcomes=tuple(outcomes),
        refs=refs,
        upstream=str(repo.path.resolve()),
    )
    return Plan(state=state, predicted=tuple(v.state for v in verdicts), old_texts=old_by_file)


def old_patch_texts(repo: Repo, state: RebaseState) -> dict[str, bytes]:
    """Each patch of a saved rebase formatted on the old base (after a resume)."""
    shas = [Sha(e.old_commit) for e in state.entries]
    texts = refresh.format_chain(repo, base=Sha(state.from_commit), commits=shas)
    return {e.file: t for e, t in zip(state.entries, texts, strict=True)}


def _old_texts(repo: Repo, base: Sha, commits: Sequence[PatchCommit]) -> dict[str, bytes]:
    texts = refresh.format_chain(repo, base=base, commits=[pc.commit for pc in commits])
    return {pc.patch.file: t for pc, t in zip(commits, texts, strict=True)}


def _evidence(
    repo: Repo, rng: status.Range, pairs: Sequence[tuple[Patch, PatchFile]]
) -> tuple[dict[int, dict[str, str]], list[ScannedCommit]]:
    """status.assess's evidence gathering (patch-id, Change-Id, cherry-pick), unchanged."""
    scanned = git.scan_range(repo, rng.base_commit, rng.against_commit)
    live = detect.live_commits(scanned)
    own_ids = repo.patch_ids([info.diff for _, info in pairs]) if pairs else []
    views = [status.carried_view(i, p, info, own_ids[i]) for i, (p, info) in enumerate(pairs)]
    upstream_ids = status.upstream_patch_ids(repo, detect.patch_id_candidates(views, live))
    evidence = status.gather_evidence(repo, rng, views, live, scanned, upstream_ids)
    return evidence.found, scanned


def _entry(pc: PatchCommit, verdict: PatchState) -> Entry:
    landed = verdict.state == LANDED
    return Entry(
        file=pc.patch.file,
        subject=pc.info.subject,
        old_commit=pc.commit,
        landed=landed,
        evidence=tuple(verdict.evidence) if landed else (),
        upstream_commit=verdict.upstream_commit if landed else None,
    )


def dropped(entry: Entry, evidence: tuple[str, ...], upstream_commit: str | None) -> Outcome:
    return Outcome(
        file=entry.file,
        subject=entry.subject,
        action=DROPPED,
        evidence=evidence,
        upstream_commit=upstream_commit,
    )


def carried(entry: Entry, commit: Sha) -> Outcome:
    return Outcome(file=entry.file, subject=entry.subject, action=CARRIED, commit=commit)


def first_parent_chain(repo: Repo, base: Sha, tip: Sha) -> list[Sha]:
    if base == tip:
        return []
    out = repo.text("rev-list", "--first-parent", "--reverse", f"{base}..{tip}")
    return [Sha(line) for line in out.split()]
