"""`patchq rebase`: carry the series onto a new upstream release.

The plan (rebase_plan.py) is the status engine's verdicts against REF and its in-memory carry
of the series onto REF up to the first conflict: landed patches are dropped, the others become
commits on REF with their own author, date and message. No worktree is used unless a patch
conflicts; then a patchq-owned worktree shows the conflict to a human and the walk waits for
--continue (the status engine's Carrier goes on from the resolution), --skip or --abort. At
the end the carried commits are written back as patch files (refresh.py) and series.yaml gets
the new base and one history entry, through a journal (rebase_state.py), so a crash at any
point can be finished or undone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from patchq import console, git
from patchq.carry.engine import Carrier, PatchCommit
from patchq.carry.outcomes import CONFLICTS, PRESENT
from patchq.errors import ConfigError, GitError, PatchqError
from patchq.fsutil import checkpoint
from patchq.git import CommitInfo, Repo, Sha
from patchq.patches import patchfile
from patchq.rebase import refresh
from patchq.rebase.plan import Plan, carried, dropped, make_plan
from patchq.rebase.report import (
    CARRY,
    CONFLICT,
    DROP,
    NOT_REACHED,
    Report,
    Row,
    landed_detail,
    left_behind_history,
    left_behind_lines,
    summary_rows,
)
from patchq.rebase.state import (
    CARRIED,
    DROPPED,
    FINISHING,
    SKIPPED,
    STOPPED,
    WALKING,
    Conflict,
    Outcome,
    Output,
    RebaseDir,
    RebaseState,
)
from patchq.series import io as series
from patchq.series.edit import now_utc
from patchq.series.model import Patch
from patchq.series.workspace import Workspace
from patchq.status.verdict import CONFLICTS as PREDICTED_CONFLICT
from patchq.status.verdict import REVERSE_APPLY

Advance = Callable[[], None]


# -- entry points ---------------------------------------------------------------------------


def start(
    ws: Workspace,
    onto: str,
    *,
    dry_run: bool = False,
    progress: bool = False,
    full_worktree: bool = False,
) -> Report:
    """`patchq rebase --onto REF [--dry-run] [--full-worktree]` (the caller holds ws.lock()
    unless dry_run). `full_worktree`: a conflict stop checks out the whole tree instead of
    only the files the series touches; kept in the state for every later stop."""
    rdir = RebaseDir(ws)
    if rdir.exists():
        raise ConfigError(
            f"a rebase is already in progress in {ws.root}: run `patchq rebase --continue`, "
            "`--skip` or `--abort` first"
        )
    current = ws.load()
    threading.Thread(target=_import_what_the_finish_needs, daemon=True).start()
    with ws.open_repo(current) as repo, ThreadPoolExecutor(max_workers=1) as pool:
        # The backups are written while the plan is made (they only appear on begin()).
        staged = None if dry_run else pool.submit(rdir.stage, [p.file for p in current.patches])
        try:
            plan = make_plan(ws, repo, current, onto, refs=rdir.refs_prefix(), progress=progress)
        except BaseException:
            if staged is not None:
                staged.exception()
                rdir.clear_leftovers()
            raise
        if staged is None:
            return _dry_run(ws, repo, plan)
        staged.result()
        state = dataclasses.replace(plan.state, full_worktree=full_worktree)
        rdir.begin(state)
        return _run(ws, repo, rdir, state, progress=progress)


def _import_what_the_finish_needs() -> None:
    """Imports the finish and the summary table need (tens of ms), done while the plan mostly
    waits on git rather than after it."""
    import rich.table  # noqa: F401
    import ruamel.yaml  # noqa: F401


def _import_the_summary_table() -> None:
    """rich's table (tens of ms), imported in a thread while git writes the worktree or the
    patches rather than after (not sooner: the command's own imports would compete for the
    interpreter)."""
    if "rich.table" in sys.modules:
        return

    def load() -> None:
        import rich.console
        import rich.table
        import rich.text  # noqa: F401

    threading.Thread(target=load, daemon=True).start()


def resume(ws: Workspace, *, progress: bool = False) -> Report:
    """`patchq rebase --continue`: take the resolved worktree (if stopped) and go on."""
    rdir = _in_progress(ws, "--continue")
    state = rdir.load()
    with _open(ws, state) as repo:
        if state.phase == FINISHING:  # interrupted while writing the result: write it again
            refreshed: dict[str, bytes | None] = {f: b"" for f in rdir.journalled_writes()}
            return _complete(repo, rdir, state, summary_rows(state, refreshed))
        if state.phase == STOPPED and state.conflict is not None:
            if not state.conflict.ready:
                return _show_conflict(repo, rdir, state)
            state = _take_resolution(repo, rdir, state)
        return _run(ws, repo, rdir, state, progress=progress)


def skip(ws: Workspace, *, reason: str | None, progress: bool = False) -> Report:
    """`patchq rebase --skip [--reason TEXT]`: leave the conflicting patch out and go on."""
    rdir = _in_progress(ws, "--skip")
    state = rdir.load()
    conflict = state.conflict
    if state.phase != STOPPED or conflict is None:
        raise ConfigError(
            "the rebase is not stopped at a conflict, so there is nothing to skip: "
            "run `patchq rebase --continue`"
        )
    why = reason or f"conflict during rebase onto {state.onto}"
    outcome = Outcome(file=conflict.file, subject=conflict.subject, action=SKIPPED, reason=why)
    with _open(ws, state) as repo:
        state = dataclasses.replace(
            state,
            position=state.position + 1,
            outcomes=(*state.outcomes, outcome),
            conflict=None,
            phase=WALKING,
        )
        rdir.save(state, f"skipped {conflict.file}")
        return _run(ws, repo, rdir, state, progress=progress)


def abort(ws: Workspace) -> int:
    """`patchq rebase --abort`: series.yaml and every patch file back byte for byte, the
    worktree and temporary refs gone. Returns how many files had to be restored."""
    rdir = _in_progress(ws, "--abort")
    restored = rdir.restore()
    try:
        state: RebaseState | None = rdir.load()
    except ConfigError:
        state = None
    try:
        repo = _open(ws, state) if state is not None else ws.open_repo(ws.load())
    except PatchqError as exc:  # the upstream clone is gone: nothing of ours is left in it
        console.info(f"patchq: warning: {exc}; only the series files were restored")
    else:
        with repo:
            _tidy(repo, rdir, refs=state.refs if state else rdir.refs_prefix())
    rdir.discard()
    return restored


# -- the walk -------------------------------------------------------------------------------


def _run(
    ws: Workspace,
    repo: Repo,
    rdir: RebaseDir,
    state: RebaseState,
    *,
    progress: bool,
) -> Report:
    # The conflict worktree stays: the next stop moves it (git/worktree.py), the end or
    # --abort removes it.
    todo = len(state.entries) - state.position
    with console.progress(f"rebasing onto {state.onto}", total=todo) as bar:
        state = _walk(repo, rdir, state, advance=bar.advance, durable=True)
    if state.conflict is not None:
        return _stop(repo, rdir, state)
    return _finish(ws, repo, rdir, state)


def _walk(
    repo: Repo, rdir: RebaseDir, state: RebaseState, *, advance: Advance, durable: bool
) -> RebaseState:
    """Carry the remaining entries onto state.head with the status engine's Carrier (the same
    rules that made the plan); stop at the first conflict."""
    built: list[PatchCommit] = []

    def series(index: int) -> PatchCommit:  # only needed when git must merge
        if not built:
            built.extend(_old_series(repo, rdir, state))
        return built[index]

    carrier = Carrier(repo, onto=Sha(state.head), series=series)
    outcomes = list(state.outcomes)
    for index in range(state.position, len(state.entries)):
        entry = state.entries[index]
        if entry.landed:
            outcomes.append(dropped(entry, entry.evidence, entry.upstream_commit))
        else:
            info = patchfile.parse(rdir.original_patch(entry.file), source=entry.file)
            step = carrier.attempt(index, info)
            if step.outcome == CONFLICTS:
                conflict = Conflict(entry.file, entry.subject, step.conflicts, worktree="")
                return dataclasses.replace(
                    state,
                    position=index,
                    head=carrier.finish(),
                    outcomes=tuple(outcomes),
                    conflict=conflict,
                    phase=STOPPED,
                )
            if step.outcome == PRESENT:  # applying it changes nothing: upstream has it
                outcomes.append(dropped(entry, (REVERSE_APPLY,), None))
            else:
                carrier.accept(info, commit=True)
                outcomes.append(carried(entry, carrier.head))
        advance()
        if durable:
            checkpoint(f"picked {entry.file}")
    return dataclasses.replace(
        state,
        position=len(state.entries),
        head=carrier.finish(),
        outcomes=tuple(outcomes),
        phase=WALKING,
    )


def _old_series(repo: Repo, rdir: RebaseDir, state: RebaseState) -> list[PatchCommit]:
    """The series as commits on the old base, from the saved state and the backups."""
    infos: dict[str, CommitInfo] = {
        c.sha: c for c in repo.commit_info([e.old_commit for e in state.entries])
    }
    out = []
    for entry in state.entries:
        commit = infos[entry.old_commit]
        out.append(
            PatchCommit(
                patch=Patch(file=entry.file),
                info=patchfile.parse(rdir.original_patch(entry.file), source=entry.file),
                commit=commit.sha,
                tree=commit.tree,
                parent=commit.parents[0],
            )
        )
    return out


def _recommit(repo: Repo, info: CommitInfo, *, tree: Sha, parent: Sha) -> Sha:
    """The patch's commit again on a new parent: same author, date, committer and message,
    so the same series on the same base always gives the same shas."""
    return repo.write_commit(
        tree=tree,
        parents=[parent],
        message=info.message,
        author=f"{info.author_name} <{info.author_email}> {info.author_date}",
        committer=f"{info.committer_name} <{info.committer_email}> {info.committer_date}",
    )


# -- conflicts ------------------------------------------------------------------------------


def _stop(repo: Repo, rdir: RebaseDir, state: RebaseState) -> Report:
    assert state.conflict is not None
    conflict = dataclasses.replace(state.conflict, worktree=str(rdir.worktree), ready=False)
    state = dataclasses.replace(state, conflict=conflict)
    # Keep the commits alive while a human works (gc prunes unreachable objects).
    repo.update_refs(
        [(f"{state.refs}/head", Sha(state.head)), (f"{state.refs}/old", Sha(state.old_tip))],
        reason="patchq rebase",
    )
    rdir.save(state, f"stopped at {conflict.file}")
    return _show_conflict(repo, rdir, state)


def _show_conflict(repo: Repo, rdir: RebaseDir, state: RebaseState) -> Report:
    """(Re)make the worktree: new base + series so far + this patch's conflict markers."""
    assert state.conflict is not None
    entry = state.entries[state.position]
    _import_the_summary_table()
    # Checking out a ~5,000-file tree takes seconds: say what is going on meanwhile.
    with (
        console.progress(f"writing the conflict worktree {rdir.worktree}", 2) as bar,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        # The summary's patches are formatted (CPU) while git writes the worktree (I/O).
        formatted = pool.submit(_summary_files, repo, rdir, state)
        sparse = None if state.full_worktree else _series_paths(repo, state)
        _show_in_worktree(
            repo, rdir.worktree, head=Sha(state.head), pick=Sha(entry.old_commit), sparse=sparse
        )
        on_disk = 0 if sparse is None else git.worktree_files(rdir.worktree)
        shown = dataclasses.replace(state.conflict, ready=True, sparse_files=on_disk)
        state = dataclasses.replace(state, conflict=shown)
        rdir.save(state, "conflict ready")
        bar.advance(description="comparing the patches carried so far")
        files = formatted.result()
        bar.advance()
    return Report(
        onto=state.onto,
        onto_commit=state.onto_commit,
        rows=summary_rows(state, files),
        finished=False,
        conflict=state.conflict,
        left_behind=left_behind_lines(state),
    )


def _series_paths(repo: Repo, state: RebaseState) -> Callable[[], tuple[bytes, ...]]:
    """The paths a sparse conflict worktree holds: every path a patch of the series touches
    (old and new sides, created files included), read only when it is checked out afresh.
    git itself writes the conflicted paths, wherever an upstream rename put them."""
    return lambda: git.series_paths(repo, [e.old_commit for e in state.entries])


def _show_in_worktree(
    repo: Repo,
    worktree: Path,
    *,
    head: Sha,
    pick: Sha,
    sparse: Callable[[], tuple[bytes, ...]] | None,
) -> None:
    """The worktree at `head` with `pick`'s conflict markers (`sparse`: a sparse checkout of
    the paths it gives). Checked out once per rebase: a later stop moves it (only the files
    that differ are written); should git refuse the pick in a moved worktree (a human left a
    cherry-pick of their own going), it is checked out again from scratch."""
    moved = git.worktree_checkout(repo, worktree, head, sparse=sparse)
    checkpoint("worktree moved" if moved else "worktree created")
    try:
        git.worktree_pick_conflict(repo, worktree, pick)
    except GitError:
        if not moved:
            raise
        git.worktree_fresh(repo, worktree, head, sparse=sparse)
        checkpoint("worktree created")
        git.worktree_pick_conflict(repo, worktree, pick)
    checkpoint("conflict shown in worktree")


def _take_resolution(repo: Repo, rdir: RebaseDir, state: RebaseState) -> RebaseState:
    conflict = state.conflict
    assert conflict is not None
    worktree = rdir.worktree
    if not worktree.is_dir():
        raise ConfigError(
            f"the conflict worktree {worktree} is gone: run `patchq rebase --abort`, or "
            "`--skip` to leave the patch out"
        )
    unresolved = [p for p in conflict.paths if _has_markers(worktree / p)]
    if unresolved:
        raise ConfigError(
            f"{conflict.file}: {', '.join(unresolved)} in {worktree} still has conflict "
            "markers: resolve them, then run `patchq rebase --continue`"
        )
    tree = git.worktree_tree(repo, worktree)
    head = Sha(state.head)
    if tree == repo.commit_info([head])[0].tree:
        raise ConfigError(
            f"{conflict.file}: the resolved worktree has no changes left for this patch: "
            'run `patchq rebase --skip --reason "..."` to leave it out'
        )
    info = repo.commit_info([state.entries[state.position].old_commit])[0]
    commit = _recommit(repo, info, tree=tree, parent=head)
    outcome = Outcome(
        file=conflict.file, subject=conflict.subject, action=CARRIED, commit=commit, resolved=True
    )
    state = dataclasses.replace(
        state,
        position=state.position + 1,
        head=commit,
        outcomes=(*state.outcomes, outcome),
        conflict=None,
        phase=WALKING,
    )
    rdir.save(state, f"took resolution of {conflict.file}")
    return state


def _has_markers(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False  # deleted as the resolution
    return any(line.startswith((b"<<<<<<< ", b">>>>>>> ")) for line in data.split(b"\n"))


# -- finishing ------------------------------------------------------------------------------


def _finish(
    ws: Workspace,
    repo: Repo,
    rdir: RebaseDir,
    state: RebaseState,
) -> Report:
    original = rdir.original_series()
    if not ws.series_path.is_file() or ws.series_path.read_bytes() != original:
        raise ConfigError(
            f"{ws.series_path} changed while the rebase was in progress: undo the edit and run "
            "`patchq rebase --continue`, or `patchq rebase --abort`"
        )
    current = ws.load()
    _import_the_summary_table()
    # The conflict worktree is done with: its thousands of files are removed (I/O) while the
    # patches are formatted and series.yaml rendered (CPU). _tidy removes whatever a crash
    # leaves of it.
    removal = threading.Thread(target=git.worktree_remove, args=(repo, rdir.worktree))
    if rdir.worktree.exists():
        removal.start()
    with (
        console.progress("regenerating the carried patch files", 1) as bar,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        job = pool.submit(_result, repo, rdir, state)
        repo.run_deferred()  # the status scan's cache write, while git formats the patches
        series.warm_up_quick_render()
        files, entry = job.result()
        bar.advance()
    kept = {o.file for o in state.outcomes if o.action == CARRIED}
    new = dataclasses.replace(
        current,
        upstream=dataclasses.replace(
            current.upstream, base=state.onto, base_commit=state.onto_commit
        ),
        patches=tuple(p for p in current.patches if p.file in kept),
        history=(*current.history, entry),
    )
    text = series.quick_render(original, current, new)
    if text is None:
        text = series.render_edit(series.parse_for_edit(original), new)
    deletes = tuple(o.file for o in state.outcomes if o.action in (DROPPED, SKIPPED))
    changed = {f: data for f, data in files.items() if data is not None}
    rdir.write_output(Output(writes=changed, deletes=deletes, series_text=text))
    state = dataclasses.replace(state, phase=FINISHING)
    if removal.is_alive():
        removal.join()
    rdir.save(state, "finishing")
    return _complete(repo, rdir, state, summary_rows(state, files), history=entry)


def _result(
    repo: Repo, rdir: RebaseDir, state: RebaseState
) -> tuple[dict[str, bytes | None], dict[str, Any]]:
    """file -> new bytes (None: unchanged) for each carried patch, and the history entry."""
    files = _refreshed_files(repo, state, original=rdir.original_patch)
    outcomes = state.outcomes
    entry: dict[str, Any] = {
        "date": now_utc(),
        "from": state.from_ref,
        "from_commit": state.from_commit,
        "to": state.onto,
        "to_commit": state.onto_commit,
        "dropped": [
            {
                "file": o.file,
                "subject": o.subject,
                "evidence": list(o.evidence),
                "upstream_commit": o.upstream_commit,
            }
            for o in outcomes
            if o.action == DROPPED
        ],
        "skipped": [
            {"file": o.file, "subject": o.subject, "reason": o.reason}
            for o in outcomes
            if o.action == SKIPPED
        ],
        "refreshed": sum(1 for data in files.values() if data is not None),
        "carried": sum(1 for o in outcomes if o.action == CARRIED),
    }
    if state.left_behind:
        entry["left_behind"] = left_behind_history(state)
    return files, entry


def _summary_files(repo: Repo, rdir: RebaseDir, state: RebaseState) -> dict[str, bytes | None]:
    """What the summary a stop prints needs of _refreshed_files: whether each carried
    patch's file changes (b"": it does). The commits carried before the last stop are the
    same at this one, so only those carried since are formatted; the others' answers are
    kept in `.patchq/rebase/summary.json` by file and commit (a cache: ignored if damaged)."""
    cache = rdir.path / "summary.json"
    try:
        known = {str(k): bool(v) for k, v in json.loads(cache.read_bytes()).items()}
    except (OSError, ValueError, AttributeError):
        known = {}
    carried = [o for o in state.outcomes if o.action == CARRIED and o.commit]
    keys = [f"{o.file} {o.commit}" for o in carried]
    done = 0
    while done < len(carried) and keys[done] in known:
        done += 1
    # The carried commits form one chain, so the ones not known yet are its last commits.
    files = _refreshed_files(repo, state, original=rdir.original_patch, carried=carried[done:])
    for key, outcome in zip(keys[done:], carried[done:], strict=True):
        known[key] = files[outcome.file] is not None
    if done < len(carried):
        tmp = cache.with_name(f".summary.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known))
        os.replace(tmp, cache)
    return {o.file: b"" if known[key] else None for o, key in zip(carried, keys, strict=True)}


def _refreshed_files(
    repo: Repo,
    state: RebaseState,
    *,
    original: Callable[[str], bytes],
    carried: list[Outcome] | None = None,
) -> dict[str, bytes | None]:
    """file -> new bytes (None: unchanged) for each carried patch (or those of `carried`, a
    run of carried outcomes that ends the chain)."""
    if carried is None:
        carried = [o for o in state.outcomes if o.action == CARRIED and o.commit]
    if not carried:
        return {}
    new_commits = [Sha(o.commit or "") for o in carried]
    old_of = {e.file: Sha(e.old_commit) for e in state.entries}
    pairs = [(old_of[o.file], new) for o, new in zip(carried, new_commits, strict=True)]
    with ThreadPoolExecutor(max_workers=1) as pool:  # cheap: trees only, beside format-patch
        raws = pool.submit(git.commit_raw_diffs, repo, [sha for pair in pairs for sha in pair])
        new_texts = refresh.format_chain(repo, new_commits, split=True)
        moved = refresh.diffs_moved(repo, pairs, new_texts, raws.result())
    out: dict[str, bytes | None] = {}
    for outcome, text, has_moved in zip(carried, new_texts, moved, strict=True):
        before = original(outcome.file)
        after = refresh.refreshed_bytes(original=before, new_text=text, moved=has_moved)
        out[outcome.file] = None if after == before else after
    return out


def _complete(
    repo: Repo,
    rdir: RebaseDir,
    state: RebaseState,
    rows: tuple[Row, ...],
    *,
    history: dict[str, Any] | None = None,
) -> Report:
    rdir.replay_output()
    _tidy(repo, rdir, refs=state.refs)
    rdir.discard()
    return Report(
        onto=state.onto,
        onto_commit=state.onto_commit,
        rows=rows,
        finished=True,
        history=history,
        left_behind=left_behind_lines(state),
    )


# -- dry run --------------------------------------------------------------------------------


def _dry_run(ws: Workspace, repo: Repo, plan: Plan) -> Report:
    state = plan.state
    files = _refreshed_files(repo, state, original=lambda f: ws.patch_path(f).read_bytes())
    rows = list(summary_rows(state, files))
    conflict = None
    if state.position < len(state.entries):
        stop = state.entries[state.position]
        step = repo.pick(
            onto_tree=repo.commit_info([state.head])[0].tree,
            commit=repo.commit_info([stop.old_commit])[0],
        )
        conflict = Conflict(stop.file, stop.subject, step.conflicts, worktree="")
        rows.append(Row(stop.file, stop.subject, CONFLICT, ", ".join(step.conflicts)))
        for entry, predicted in zip(
            state.entries[state.position + 1 :], plan.predicted[state.position + 1 :], strict=True
        ):
            detail = landed_detail(entry) or f"{predicted} (if the conflict is skipped)"
            guess = DROP if entry.landed else CONFLICT if predicted == PREDICTED_CONFLICT else CARRY
            rows.append(Row(entry.file, entry.subject, NOT_REACHED, detail, predicted=guess))
    return Report(
        onto=state.onto,
        onto_commit=state.onto_commit,
        rows=tuple(rows),
        finished=conflict is None,
        conflict=conflict,
        dry_run=True,
        left_behind=left_behind_lines(state),
    )


# -- housekeeping ---------------------------------------------------------------------------


def _in_progress(ws: Workspace, flag: str) -> RebaseDir:
    rdir = RebaseDir(ws)
    if not rdir.exists():
        raise ConfigError(f"no rebase in progress in {ws.root}: nothing to {flag[2:]}")
    return rdir


def _open(ws: Workspace, state: RebaseState) -> Repo:
    if ws.upstream_override:
        return ws.open_repo()
    return Repo(Path(state.upstream))


def _tidy_worktree(repo: Repo, rdir: RebaseDir) -> None:
    if rdir.worktree.exists() or git.worktree_registered(repo, rdir.worktree):
        git.worktree_remove(repo, rdir.worktree)
        checkpoint("worktree removed")


def _tidy(repo: Repo, rdir: RebaseDir, *, refs: str) -> None:
    """Remove the conflict worktree and the temporary refs (refs/patchq/... only)."""
    _tidy_worktree(repo, rdir)
    repo.delete_refs([f"{refs}/head", f"{refs}/old"], reason="patchq rebase")
    checkpoint("temporary refs removed")
