"""The `patchq check` checks that need the upstream clone: PQ005, PQ007 to PQ010, PQ013.

Each is a generator of findings. Without a usable clone they are all reported as skipped
with the reason (or, with --require-upstream, the run stops with exit code 2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from patchq import console
from patchq.check.findings import SERIES_FILE, WARNING, Entry, Finding, Inputs, error, skipped
from patchq.errors import ConfigError
from patchq.git import ApplyResult, PrivateIndex, Repo, Sha
from patchq.status import verdict


def run(
    inputs: Inputs, wanted: list[str], *, against: str | None, require_upstream: bool
) -> Iterator[Finding]:
    repo, reason = _open_upstream(inputs)
    if repo is None:
        if require_upstream:
            raise ConfigError(f"{reason} (--require-upstream)")
        for check_id in wanted:
            yield skipped(check_id, reason)
        return
    with repo:
        if against is not None:
            repo.resolve_or_fail(against, what="--against")
        if "PQ005" in wanted:
            yield from check_duplicates(inputs, repo)
        if "PQ017" in wanted:
            from patchq.check.subjects import check_subjects

            yield from check_subjects(inputs, repo)
        base, base_findings = _base_commit(inputs, repo)
        if "PQ007" in wanted:
            yield from base_findings
        needs_base = [c for c in ("PQ008", "PQ009", "PQ010", "PQ013") if c in wanted]
        if inputs.series is None or base is None:
            why = "the upstream section of series.yaml is invalid (see PQ001)"
            if inputs.series is not None:
                why = f"upstream.base {inputs.series.upstream.base!r} is not in {repo.path}"
            for check_id in needs_base:
                yield skipped(check_id, why)
            return
        # The status engine needs a series that applies to its base: the patches PQ008
        # finds broken are left out of its stack.
        broken = list(check_applies(inputs, repo, base)) if needs_base else []
        if "PQ008" in wanted:
            yield from broken
        if against is not None and {"PQ009", "PQ010", "PQ013"} & set(wanted):
            skip = {f.patch for f in broken}
            yield from check_against(inputs, repo, against, wanted, skip=skip)


def _open_upstream(inputs: Inputs) -> tuple[Repo | None, str]:
    ws = inputs.ws
    if inputs.series is None and not ws.upstream_override:
        return None, "the upstream section of series.yaml is invalid (see PQ001)"
    try:
        return ws.open_repo(inputs.series), ""
    except ConfigError as exc:
        return None, f"no upstream repository: {exc}"


def _diffs(inputs: Inputs) -> list[Entry]:
    """The entries whose file is a patch with a diff (the others get PQ002 or PQ004)."""
    return [e for e in inputs.entries if e.parsed is not None and e.parsed.diff.strip()]


def check_duplicates(inputs: Inputs, repo: Repo) -> Iterator[Finding]:
    """PQ005: two patch files carry the same change (equal `git patch-id --stable`)."""
    entries = _diffs(inputs)
    ids = repo.patch_ids((e.parsed.diff if e.parsed else b"") for e in entries)
    first: dict[str, Entry] = {}
    for entry, pid in zip(entries, ids, strict=True):
        if pid is None:
            continue
        if pid not in first:
            first[pid] = entry
            continue
        yield error(
            "PQ005",
            entry.file,
            entry.rel,
            None,
            f"{entry.file} carries the same change as {first[pid].file} "
            f"(patch-id {pid[:12]}): drop one of them",
        )


def _base_commit(inputs: Inputs, repo: Repo) -> tuple[Sha | None, list[Finding]]:
    """The commit to apply the series to, and PQ007 when base and base_commit disagree."""
    if inputs.series is None:
        return None, []
    upstream = inputs.series.upstream
    pinned = repo.resolve(upstream.base_commit)
    resolved = repo.resolve(upstream.base)
    key, message = "base_commit", None
    if resolved is None:
        key, message = (
            "base",
            (
                f"upstream.base {upstream.base!r} is not a commit in {repo.path}: fetch it "
                "or fix upstream.base"
            ),
        )
    elif pinned is None:
        message = (
            f"upstream.base_commit {upstream.base_commit} is not in {repo.path}: fetch it, or "
            f"set it to {resolved} (what {upstream.base} resolves to)"
        )
    elif pinned != resolved:
        message = (
            f"upstream.base_commit is {pinned[:12]} but {upstream.base} resolves to "
            f"{resolved[:12]}: the tag moved or base_commit is stale; fix one of them"
        )
    if message is None:
        return pinned or resolved, []
    line = inputs.lines(("upstream", key))
    return pinned or resolved, [error("PQ007", None, SERIES_FILE, line, message)]


def check_applies(inputs: Inputs, repo: Repo, base: Sha) -> Iterator[Finding]:
    """PQ008: every patch applies, in order, to base (3-way merges allowed, as in rebase).
    One line per failing patch; the last one names the earlier failures, once."""
    failing = list(_failing_patches(inputs, repo, base))
    for number, (entry, result) in enumerate(failing):
        last = number == len(failing) - 1
        yield _not_applying(
            inputs, entry, result, number, [e.file for e, _ in failing] if last else []
        )


def _failing_patches(inputs: Inputs, repo: Repo, base: Sha) -> Iterator[tuple[Entry, ApplyResult]]:
    """The patches that do not apply, in order, each tried with the failing ones before it
    left out.

    The whole series goes through one `git apply` (all or nothing). When that fails, runs of
    1, 2, 4, ... patches are applied from the last failure on (each success moves the private
    index forward) until one fails; bisecting that run finds the next failing patch, which
    is tried alone with the 3-way fallback and reported if it still fails. That is about
    2*log2(gap) `git apply` runs per failing patch instead of one run per patch.
    """
    assert inputs.series is not None
    entries = _diffs(inputs)
    # The diffs alone: git apply would also read a diff quoted in a message as one.
    scratch = repo.scratch_dir()
    files = []
    for number, entry in enumerate(entries):
        assert entry.parsed is not None
        files.append(scratch / f"pq008-{number}.diff")
        files[-1].write_bytes(entry.parsed.diff)
    index = PrivateIndex(repo, repo.commit_info([base])[0].tree)
    if index.apply_all(files):
        return
    low = 0  # entries[:low] are applied to the index, or reported
    with console.progress("checking that the series applies", len(entries)) as bar:
        while low < len(entries):
            size, high = 1, low + 1
            while index.apply_all(files[low:high]):
                bar.advance(high - low)
                if high == len(entries):
                    return
                size, low = size * 2, high
                high = min(low + size, len(entries))
            while high - low > 1:  # applying entries[low:high] fails
                middle = (low + high) // 2
                if index.apply_all(files[low:middle]):
                    bar.advance(middle - low)
                    low = middle
                else:
                    high = middle
            result = index.apply(files[low].read_bytes())  # alone, with the 3-way fallback
            if not result.clean:
                yield entries[low], result
            bar.advance()
            low += 1


def _not_applying(
    inputs: Inputs, entry: Entry, result: ApplyResult, earlier: int, names: list[str]
) -> Finding:
    """`earlier` failing patches were left out before this one; `names` (on the last finding
    only) lists every failing patch, once for the whole run."""
    assert inputs.series is not None
    paths = ", ".join(result.conflicts) or result.detail or "see `git apply`"
    subject = entry.parsed.subject if entry.parsed else ""
    where = inputs.series.upstream.base
    message = f"{entry.file} ({subject}) does not apply to {where}: {paths}"
    if earlier:
        plural = "es" if earlier > 1 else ""
        message += f" (checked without the {earlier} failing patch{plural} above)"
    if len(names) > 1:
        message += f"; {len(names)} patches do not apply: {', '.join(names)}"
    return error("PQ008", entry.file, entry.rel, None, message)


def check_against(
    inputs: Inputs, repo: Repo, against: str, wanted: list[str], *, skip: set[str | None]
) -> Iterator[Finding]:
    """PQ009 (landed in REF: drop it) and PQ010 (will conflict with REF), from the status
    engine; patches that are not patches (PQ004) or do not apply to base (PQ008) are left
    out of its stack."""
    from patchq.status import pipeline as status

    assert inputs.series is not None
    good = {e.file for e in _diffs(inputs)} - skip
    patches = tuple(p for p in inputs.series.patches if p.file in good)
    current = dataclasses.replace(inputs.series, patches=patches)
    result = status.evaluate(inputs.ws, current, repo, against=against, progress=True)
    rel = {e.file: e.rel for e in inputs.entries}
    for state in result.patches:
        file = state.patch.file
        if state.state == verdict.LANDED and "PQ009" in wanted:
            commit = f" as {state.upstream_commit[:12]}" if state.upstream_commit else ""
            evidence = ", ".join(state.evidence) or "unknown"
            yield error(
                "PQ009",
                file,
                rel.get(file, file),
                None,
                f"{file} ({state.subject}) has landed in {against}{commit} "
                f"(evidence: {evidence}): drop it with `patchq drop {state.patch.name}` "
                f"or `patchq rebase --onto {against}`",
            )
        elif state.state == verdict.CONFLICTS and "PQ010" in wanted:
            paths = ", ".join(state.conflicts) or "unknown paths"
            yield error(
                "PQ010",
                file,
                rel.get(file, file),
                None,
                f"{file} ({state.subject}) will conflict with {against}: {paths}",
            )
    if "PQ013" in wanted:
        yield from lost_commits(inputs, result, against)


def lost_commits(inputs: Inputs, result: verdict.StatusResult, against: str) -> Iterator[Finding]:
    """PQ013 (a warning): a commit of the base that REF does not have in any form (a
    stable-only fix, say) and that moving to REF would drop from what ships."""
    assert inputs.series is not None
    base = inputs.series.upstream.base
    line = inputs.lines(("upstream", "base"))
    for commit in result.lost:
        yield Finding(
            "PQ013",
            WARNING,
            None,
            SERIES_FILE,
            line,
            f"{base} has {commit.commit[:12]} ({commit.subject}) and {against} does not: "
            f"moving to {against} loses it; carry it as a patch if it must ship",
        )
