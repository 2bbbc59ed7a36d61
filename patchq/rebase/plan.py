"""The plan of a rebase: the status engine's verdicts against REF (status.assess), and its
in-memory carry of the series onto REF up to the first conflict, which is therefore already
walked when the rebase starts.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from patchq.carry.engine import PatchCommit
from patchq.errors import ConfigError
from patchq.git import Repo, Sha
from patchq.patches.patchfile import PatchFile
from patchq.rebase.state import CARRIED, DROPPED, Entry, Outcome, RebaseState
from patchq.series.model import Patch, Series
from patchq.series.workspace import Workspace
from patchq.status.verdict import CONFLICTS, LANDED, PatchState


@dataclass(frozen=True)
class Plan:
    state: RebaseState  # walked up to the first conflict
    predicted: tuple[str, ...]  # the status engine's state of each entry (for --dry-run)


def make_plan(
    ws: Workspace, repo: Repo, current: Series, onto: str, *, refs: str, progress: bool
) -> Plan:
    from patchq.status.range import start_scan

    rng, cache = start_scan(current, repo, onto)  # git walks the range meanwhile...
    # ...and the status pipeline is imported (here: --skip and --continue walk with the carry
    # alone and need none of it).
    from patchq.status import pipeline as status

    try:
        if rng.against_commit == rng.base_commit:
            raise ConfigError(
                f"the series is already on {onto} ({rng.base_commit[:12]}): nothing to rebase"
            )
        pairs = status.read_series(ws, current)
    except BaseException:
        cache.cancel()
        raise
    # The series as commits on its old base is built on the second core meanwhile, through its
    # own Repo (object pipes are not shared across threads), once REF's copies of the patched
    # files are read: two readers of deep delta chains at once only slow each other.
    files_read = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        old_side = pool.submit(_old_side, repo.path, rng.base_commit, pairs, files_read)
        try:
            assessment = status.assess(
                ws,
                current,
                repo,
                against=onto,
                progress=progress,
                commit=True,
                pairs=pairs,
                hints=False,
                started=(rng, cache),
                files_read=files_read,
            )
        finally:
            files_read.set()
            old = old_side.result()
    repo.objects.flush()
    verdicts = assessment.result.patches
    chain = iter(repo.first_parent_chain(rng.against_commit, assessment.head))
    entries = [_entry(pc, v) for pc, v in zip(old, verdicts, strict=True)]
    outcomes: list[Outcome] = []
    tip = rng.against_commit
    for entry, v in zip(entries, verdicts, strict=True):
        if v.state == CONFLICTS:
            break
        if entry.landed:
            outcomes.append(dropped(entry, entry.evidence, entry.upstream_commit))
        else:
            tip = next(chain)
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
        left_behind=assessment.result.left_behind,
    )
    return Plan(state=state, predicted=tuple(v.state for v in verdicts))


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


def _old_side(
    path: Path, base: Sha, pairs: Sequence[tuple[Patch, PatchFile]], start: threading.Event
) -> list[PatchCommit]:
    from patchq.status import pipeline as status

    start.wait()
    with Repo(path) as own:
        return status.LazySeries(own, base, pairs).full()
