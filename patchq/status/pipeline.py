"""`patchq status`: where each carried patch stands against an upstream ref, with evidence.

The upstream range base..REF is scanned once for metadata (no blob diffs), and only the upstream
commits whose path set could match a carried patch are diffed. The patches are then carried, in
order, onto REF in memory (engine.Carrier): that decides applies/conflicts and gives the
reverse-apply evidence. Patch-ids judge only the patches that did not go onto the stack.
Results are cached per commit sha (cache.CommitCache).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

from patchq import console, git
from patchq.carry.outcomes import APPLIES, PRESENT, CarryStep
from patchq.errors import ConfigError, ConflictError, PatchqError
from patchq.git import Repo, ScannedCommit, Sha
from patchq.patches.patchfile import PatchFile
from patchq.series.model import Patch, Series
from patchq.series.workspace import Workspace
from patchq.status import detect, left_behind, verdict
from patchq.status.cache import CommitCache, DiffFacts
from patchq.status.range import Range, start_scan

if TYPE_CHECKING:
    from patchq.carry.engine import Carrier, PatchCommit, SeriesSource

T = TypeVar("T")


def require_related(rng: Range, repo: Repo) -> list[Sha]:
    """REF must share history with base (`git merge-base` exists); it need not contain it.
    Asked before the scan, which for unrelated histories would walk all of REF's. Returns
    the merge bases (the left-behind list starts from them)."""
    if rng.base_commit == rng.against_commit:
        return [rng.base_commit]
    bases = git.merge_bases(repo, rng.base_commit, rng.against_commit)
    if not bases:
        raise ConfigError(
            f"base {rng.base} ({rng.base_commit[:12]}) and {rng.against} "
            f"({rng.against_commit[:12]}) share no history in {repo.path}: pick a REF of the "
            "same project"
        )
    return bases


def read_series(ws: Workspace, current: Series) -> list[tuple[Patch, PatchFile]]:
    pairs = [(patch, ws.read_patch(patch)) for patch in current.patches]
    for patch, info in pairs:
        # A mail with no diff is a message-only patch; plain text with neither is no patch at
        # all (a file overwritten by mistake), and "applies" would be a verdict on nothing.
        if not info.diff.strip() and not info.has_mail_header:
            raise ConfigError(
                f"{ws.patch_path(patch.file)}: not a patch (no mail header and no diff): "
                "regenerate it with `git format-patch`, or `patchq drop` it"
            )
    return pairs


def carried_view(index: int, patch: Patch, info: PatchFile, patch_id: str | None) -> detect.Carried:
    cids = {c for c in (info.change_id, patch.upstream.change_id) if c}
    # Every cherry-pick line counts: a backport of a backport names each commit it came from.
    recorded = (patch.upstream.commit, *info.cherry_picks)
    picked = tuple(dict.fromkeys(c for c in recorded if c))
    return detect.Carried(
        index=index,
        change_ids=frozenset(cids),
        picked_from=picked,
        path_key=git.path_key(info.paths),
        patch_id=patch_id,
    )


@dataclass(frozen=True)
class Evidence:
    """What the range says about each patch, before the in-memory carry."""

    found: dict[int, dict[str, str]]  # patch index -> evidence kind -> upstream sha


def gather_evidence(
    repo: Repo,
    rng: Range,
    carried: Sequence[detect.Carried],
    live: Sequence[ScannedCommit],
    scanned: Sequence[ScannedCommit],
    cache: CommitCache,
) -> Evidence:
    """The evidence the range's metadata gives (Change-Ids, recorded cherry-picks): known
    before any patch is carried. Patch-ids are added after the carry (assess), for the
    patches that did not go onto the stack."""
    found: dict[int, dict[str, str]] = {p.index: {} for p in carried}
    for index, sha in detect.by_change_id(carried, live).items():
        found[index][verdict.CHANGE_ID] = sha
    reachable = reachable_picks(repo, rng, detect.unresolved_picks(carried, scanned), cache)
    if reachable:
        cancelled = reverted_outside(repo, scanned, cache)
        reachable = {name: sha for name, sha in reachable.items() if sha not in cancelled}
    for index, sha in detect.by_cherry_pick(carried, live, reachable).items():
        found[index][verdict.CHERRY_PICK] = sha
    return Evidence(found)


def reachable_picks(
    repo: Repo, rng: Range, recorded: Sequence[str], cache: CommitCache
) -> dict[str, str]:
    """Recorded commits outside base..REF that REF still reaches (two git processes however
    many there are, and none when the answers are cached); a commit the repository does not
    have is no evidence and no error."""
    out: dict[str, str] = {}
    unknown = []
    for name in recorded:
        known = cache.outcome(f"reach {rng.against_commit} {name}")
        if known is None:
            unknown.append(name)
        elif known[0]:
            out[name] = known[0]
    shas = git.commit_names(repo, unknown)
    reached = git.reached_by(repo, rng.against_commit, sorted(set(shas.values())))
    for name in unknown:
        sha = shas.get(name)
        answer = sha if sha is not None and sha in reached else ""
        cache.put_outcome(f"reach {rng.against_commit} {name}", answer, ())
        if answer:
            out[name] = answer
    return out


def reverted_outside(
    repo: Repo, scanned: Sequence[ScannedCommit], cache: CommitCache
) -> frozenset[str]:
    """Full shas of commits outside base..REF that a revert inside it cancels (a commit
    older than base, or one only base has): no evidence of anything in REF."""
    out: set[str] = set()
    unknown = []
    for name in detect.outside_revert_targets(scanned):
        known = cache.outcome(f"commit {name}")
        if known is None:
            unknown.append(name)
        elif known[0]:
            out.add(known[0])
    for name, sha in git.commit_names(repo, unknown).items():
        cache.put_outcome(f"commit {name}", sha, ())
        out.add(sha)
    return frozenset(out)


def evaluate(
    ws: Workspace,
    current: Series,
    repo: Repo,
    *,
    against: str | None = None,
    progress: bool = False,
    started: tuple[Range, CommitCache] | None = None,
) -> verdict.StatusResult:
    """Each patch's state against REF (default: tip of upstream.branch), evidence included.
    `started`: range.start_scan() of the caller (git then walks while this module loads)."""
    return assess(ws, current, repo, against=against, progress=progress, started=started).result


@dataclass(frozen=True)
class Assessment:
    """A status result and the commit a carry onto REF ends at."""

    result: verdict.StatusResult
    head: Sha  # REF plus a commit per patch that applies (what `patchq apply` publishes)


def assess(
    ws: Workspace,
    current: Series,
    repo: Repo,
    *,
    against: str | None,
    progress: bool,
    commit: bool = False,
    pairs: list[tuple[Patch, PatchFile]] | None = None,
    hints: bool = True,
    started: tuple[Range, CommitCache] | None = None,
    files_read: threading.Event | None = None,
) -> Assessment:
    """evaluate(), plus (commit=True) the commits of the patches that apply, on REF.
    `pairs` is read_series() when the caller has it already. `hints=False` leaves out the
    `similar` hints, and with them the diffs of upstream commits that only a hint needs.
    `started`: start_scan() of the caller, which then reads the series meanwhile.
    `files_read` is set once REF's copies of the patched files are read."""
    rng, cache = started or start_scan(current, repo, against)
    if pairs is None:
        try:
            pairs = read_series(ws, current)
        except BaseException:
            cache.cancel()
            raise
    own = OwnPatchIds(repo, cache, [info.diff for _, info in pairs])
    series = LazySeries(repo, rng.base_commit, pairs)
    early = None
    if commit or not cache.knows_range(rng.base_commit, rng.against_commit):
        # A cold run: read REF's copies of the patched files while the range is scanned.
        early = EarlyCarrier(repo, rng.against_commit, series, guess=not hints, done=files_read)
    elif files_read is not None:
        files_read.set()
    keys = [git.path_key(info.paths) for _, info in pairs]
    feed = Prefetch(repo, cache, keys, early if not hints else None)
    try:
        related = None  # known to share history (a cached range), not yet asked
        if not cache.knows_range(rng.base_commit, rng.against_commit):
            # Asked while the range is scanned (it walks both histories too).
            related = InThread(lambda: require_related(rng, repo))
        scan = cache.scan(rng.base_commit, rng.against_commit, on_new=feed.add)
        bases = related.get() if related is not None else None
        scanned = scan.commits
        live = detect.live_commits(scanned)
        own_ids = own.get()
        carried = [
            carried_view(i, patch, info, own_ids[i]) for i, (patch, info) in enumerate(pairs)
        ]
        evidence = gather_evidence(repo, rng, carried, live, scanned, cache)
        # The carry needs no patch-id: git finishes the diffs meanwhile.
        steps, head = carry(
            repo, rng, series, evidence, cache, early, progress=progress, commit=commit
        )
    except BaseException:
        cache.cancel()
        if early is not None:
            early.wait()  # let the reader finish before the repo (and its cat-file) closes
        feed.close()
        raise
    prefetched, prefetched_ids = feed.result()
    # Patch-ids judge only the patches that did not go onto the stack: a patch that still
    # applies to REF is not in REF, whatever an upstream commit's patch-id says.
    judged = [c for c, step in zip(carried, steps, strict=True) if not step.accepted]
    facts = cache.diff_facts(
        detect.patch_id_candidates(carried if hints else judged, live),
        prefetched,
        prefetched_ids,
    )
    upstream_ids = {sha: f.patch_id for sha, f in facts.items() if f.patch_id}
    for index, sha in detect.by_patch_id(judged, live, upstream_ids).items():
        evidence.found[index][verdict.PATCH_ID] = sha
    states = verdicts(repo, rng, series, evidence, steps, scanned, cache)
    behind: tuple[verdict.LeftBehind, ...] = ()
    if not scan.base_is_ancestor:
        cancelled = reverted_outside(repo, scanned, cache)
        behind = left_behind.classify(
            repo, cache, rng.base_commit, rng.against_commit, scanned, cancelled, bases
        )
    cache.save(deferred=True)
    if hints:
        states = add_similar(states, carried, pairs, live, facts)
    result = verdict.StatusResult(
        base=rng.base,
        base_commit=rng.base_commit,
        against=rng.against,
        against_commit=rng.against_commit,
        patches=tuple(states),
        left_behind=behind,
    )
    return Assessment(result, head)


class InThread(Generic[T]):
    """`job()` run in a thread (one that mostly waits on git); get() is its result, or
    raises what it raised."""

    def __init__(self, job: Callable[[], T]) -> None:
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(job,), daemon=True)
        self._thread.start()

    def _run(self, job: Callable[[], T]) -> None:
        try:
            self._result = job()
        except BaseException as exc:
            self._error = exc

    def get(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


class OwnPatchIds:
    """The series' own `git patch-id --stable`s: cached per diff (a warm run asks git
    nothing), the others asked of one git process in a thread while the range is scanned."""

    def __init__(self, repo: Repo, cache: CommitCache, diffs: list[bytes]) -> None:
        self.cache = cache
        self.keys = [digest("patch-id", diff) for diff in diffs]
        self.known = [cache.outcome(key) for key in self.keys]
        self.missing = [i for i, known in enumerate(self.known) if known is None]
        wanted = [diffs[i] for i in self.missing]
        self._asked = InThread(lambda: repo.patch_ids(wanted)) if wanted else None

    def get(self) -> list[str | None]:
        if self._asked is not None:
            for i, pid in zip(self.missing, self._asked.get(), strict=True):
                self.known[i] = (pid or "", ())
                self.cache.put_outcome(self.keys[i], pid or "", ())
            self._asked = None
        return [known[0] or None if known is not None else None for known in self.known]


class EarlyCarrier:
    """A Carrier onto REF whose files are read in a thread, while the main thread scans.
    `guess`: then also tell which patches apply cleanly to REF on their own (`likely`): the
    ones whose upstream look-alikes Prefetch need not diff."""

    def __init__(
        self,
        repo: Repo,
        onto: Sha,
        series: LazySeries,
        *,
        guess: bool = False,
        done: threading.Event | None = None,
    ) -> None:
        self._done = done
        self._result: Carrier | BaseException | None = None
        self.likely: frozenset[int] | None = None  # set once, by the thread
        self._thread = threading.Thread(
            target=self._make, args=(repo, onto, series, guess), daemon=True
        )
        self._thread.start()

    def _make(self, repo: Repo, onto: Sha, series: LazySeries, guess: bool) -> None:
        try:
            from patchq.carry.engine import Carrier

            carrier = Carrier(repo, onto=onto, series=series.source())
            infos = [info for _, info in series.pairs]
            carrier.prefetch(infos)
            self._result = carrier
            if guess:
                self.likely = likely_applying(carrier, infos)
        except BaseException as exc:  # re-raised in get(), on the main thread
            self._result = exc
        finally:
            if self._done is not None:
                self._done.set()

    def wait(self) -> None:
        self._thread.join()

    def get(self) -> Carrier:
        self._thread.join()
        if isinstance(self._result, BaseException):
            raise self._result
        assert self._result is not None
        return self._result


def likely_applying(carrier: Carrier, infos: Sequence[PatchFile]) -> frozenset[int]:
    """The patches that apply cleanly to REF on their own; none when git cannot answer (a
    git error, a pipe to git gone: it is only a guess, and every look-alike is then diffed).
    Anything else is a bug, which EarlyCarrier.get() raises."""
    try:
        return frozenset(i for i, info in enumerate(infos) if carrier.applies_cleanly(info))
    except (PatchqError, OSError):
        return frozenset()


class Prefetch:
    """Diffs of the upstream commits that could match a carried patch (same path set), asked
    of one `git diff-tree --stdin` while the scan still streams. Given an EarlyCarrier to
    guess from, commits that only look like patches that apply cleanly to REF are left out:
    patch-ids judge only the patches that do not go onto the stack, and a wrong guess costs
    a diff later (CommitCache.diff_facts), never a verdict."""

    def __init__(
        self, repo: Repo, cache: CommitCache, keys: list[str], early: EarlyCarrier | None
    ) -> None:
        self.repo, self.cache, self.keys, self.early = repo, cache, keys, early
        self.wanted = set(keys)
        self.skip: set[str] | None = None if early is not None else set()
        self.held: list[ScannedCommit] = []
        self.feed: git.DiffFeed | None = None

    def add(self, commit: ScannedCommit) -> None:
        if commit.path_key not in self.wanted or self.cache.has_facts(commit.sha):
            return
        if self.skip is None:
            assert self.early is not None
            if self.early.likely is None:
                self.held.append(commit)  # until the guess is in
                return
            self._settle(self.early.likely)
        self._send(commit)

    def result(self) -> tuple[dict[str, bytes], dict[str, str]]:
        """The diffs, and the patch-ids git computed while they streamed."""
        if self.skip is None:
            assert self.early is not None
            self.early.wait()
            self._settle(self.early.likely or frozenset())  # no guess: diff them all
        if self.feed is None:
            return {}, {}
        return self.feed.result(), self.feed.patch_ids()

    def close(self) -> None:
        """Stop the diffs (after an error)."""
        if self.feed is not None:
            self.feed.close()
            self.feed = None

    def _settle(self, likely: frozenset[int]) -> None:
        needed = {key for i, key in enumerate(self.keys) if i not in likely}
        self.skip = self.wanted - needed
        held, self.held = self.held, []
        for commit in held:
            self._send(commit)

    def _send(self, commit: ScannedCommit) -> None:
        assert self.skip is not None
        if commit.path_key not in self.skip:
            if self.feed is None:
                self.feed = git.DiffFeed(self.repo, patch_ids=True)
            self.feed.add(commit.sha)


class LazySeries:
    """The series' patches as commits for git's 3-way merge, made only when needed (the carry
    engine is imported then: a warm status replays recorded outcomes without it); a series
    that does not apply to its own base is a configuration problem for status (exit 2)."""

    def __init__(self, repo: Repo, base: Sha, pairs: Sequence[tuple[Patch, PatchFile]]) -> None:
        self.repo, self.base, self.pairs = repo, base, pairs
        self._source: SeriesSource | None = None

    def source(self) -> SeriesSource:
        if self._source is None:
            self._source = _checked_source(self.repo, self.base, self.pairs)
        return self._source

    def full(self) -> list[PatchCommit]:
        return self.source().full()


def _checked_source(
    repo: Repo, base: Sha, pairs: Sequence[tuple[Patch, PatchFile]]
) -> SeriesSource:
    from patchq.carry.engine import SeriesSource

    class Checked(SeriesSource):
        def full(self) -> list[PatchCommit]:
            try:
                return super().full()
            except ConflictError as exc:
                raise ConfigError(
                    f"{exc} onto its base: the series is broken; fix it first"
                ) from None

    return Checked(repo, base, pairs)


@dataclass(frozen=True)
class Step:
    """One patch carried onto the stack on REF."""

    outcome: str  # engine.APPLIES / PRESENT / CONFLICTS
    conflicts: tuple[str, ...]
    accepted: bool  # it went onto the stack (it applies and nothing says it landed)


def carry(
    repo: Repo,
    rng: Range,
    series: LazySeries,
    evidence: Evidence,
    cache: CommitCache,
    early: EarlyCarrier | None,
    *,
    progress: bool,
    commit: bool,
) -> tuple[list[Step], Sha]:
    """Carry the patches in order onto REF; landed ones stay out of the stack. Outcomes are
    cached under a digest of REF and the patches so far: a second run reads no files."""
    pairs = series.pairs
    carrier: Carrier | None = None
    cached = None if commit else replay(cache, rng, pairs, evidence)
    if cached is None:
        carrier = (early or EarlyCarrier(repo, rng.against_commit, series)).get()
    steps: list[Step] = []
    key: str = rng.against_commit
    with console.progress("status", len(pairs) if progress else 0) as bar:
        for index, (_, info) in enumerate(pairs):
            # Already landed by other evidence: reverse-apply is checked exactly (as
            # `git apply -R --check`), with no 3-way merge, which costs a merge per patch.
            exact_only = bool(evidence.found.get(index))
            key = digest(key, info.diff + (b"\0exact" if exact_only else b""))
            step = (
                cached[index]
                if cached is not None
                else carrier_attempt(carrier, index, info, exact_only=exact_only)
            )
            cache.put_outcome(key, step.outcome, step.conflicts)
            accepted = step.outcome == APPLIES and not exact_only
            if accepted and carrier is not None:
                carrier.accept(info, commit=commit)
            steps.append(Step(step.outcome, step.conflicts, accepted))
            key = digest(key, b"+" if accepted else b"-")
            bar.advance()
    return steps, carrier.finish() if carrier is not None else rng.against_commit


def verdicts(
    repo: Repo,
    rng: Range,
    series: LazySeries,
    evidence: Evidence,
    steps: Sequence[Step],
    scanned: Sequence[ScannedCommit],
    cache: CommitCache,
) -> list[verdict.PatchState]:
    """Each patch's state from its carry step and all the evidence."""
    states = []
    for index, ((patch, info), step) in enumerate(zip(series.pairs, steps, strict=True)):
        found = dict(evidence.found.get(index, {}))
        if step.outcome == PRESENT:
            found[verdict.REVERSE_APPLY] = ""
        if found:
            upstream = landed_commit(found) or first_present_cached(
                repo, cache, rng, series, index, scanned
            )
            kinds = tuple(k for k in verdict.EVIDENCE_KINDS if k in found)
            states.append(
                verdict.PatchState(
                    patch, info.subject, verdict.LANDED, evidence=kinds, upstream_commit=upstream
                )
            )
        elif step.accepted:
            states.append(verdict.PatchState(patch, info.subject, verdict.APPLIES))
        else:
            states.append(
                verdict.PatchState(patch, info.subject, verdict.CONFLICTS, conflicts=step.conflicts)
            )
    return states


def carrier_attempt(
    carrier: Carrier | None, index: int, info: PatchFile, *, exact_only: bool
) -> CarryStep:
    assert carrier is not None
    return carrier.attempt(index, info, exact_only=exact_only)


def digest(key: str, data: bytes) -> str:
    """The next link of a chain of content digests (what the carry so far depended on)."""
    return hashlib.sha1(key.encode() + b"\0" + data).hexdigest()


def replay(
    cache: CommitCache, rng: Range, pairs: Sequence[tuple[Patch, PatchFile]], evidence: Evidence
) -> list[CarryStep] | None:
    """The outcomes recorded for this exact REF and series, or None if any is missing."""
    steps = []
    key: str = rng.against_commit
    for index, (_, info) in enumerate(pairs):
        exact_only = bool(evidence.found.get(index))
        key = digest(key, info.diff + (b"\0exact" if exact_only else b""))
        recorded = cache.outcome(key)
        if recorded is None:
            return None
        step = CarryStep(*recorded)
        steps.append(step)
        accepted = step.outcome == APPLIES and not evidence.found.get(index)
        key = digest(key, b"+" if accepted else b"-")
    return steps


def first_present_cached(
    repo: Repo,
    cache: CommitCache,
    rng: Range,
    series: LazySeries,
    index: int,
    scanned: Sequence[ScannedCommit],
) -> str | None:
    chain = f"first-parent {rng.base_commit}..{rng.against_commit}"
    key = digest(chain, series.pairs[index][1].diff)
    recorded = cache.outcome(key)
    if recorded is not None:
        return recorded[0] or None
    found = first_present(repo, series, index, scanned, rng)
    cache.put_outcome(key, found or "", ())
    return found


def landed_commit(found: dict[str, str]) -> str | None:
    """The upstream commit the strongest evidence names."""
    for kind in verdict.EVIDENCE_KINDS:
        if found.get(kind):
            return found[kind]
    return None


def first_present(
    repo: Repo, series: LazySeries, index: int, scanned: Sequence[ScannedCommit], rng: Range
) -> str | None:
    """The commit of base..REF that brought the patch's change (reverse-apply evidence):
    the first commit along REF's first-parent chain whose tree has it; when that is a merge,
    the search goes on down the merged side's first-parent chain (OpenStack merges every
    change through a merge commit), so a single commit is named when one can be. None when
    the chain does not show the change appearing at one commit."""
    info = series.pairs[index][1]
    if not scanned:
        return None

    def present(sha: str) -> bool:
        from patchq.carry.engine import Carrier

        carrier = Carrier(repo, onto=Sha(sha), series=series.source())
        return carrier.attempt(index, info).outcome == PRESENT

    found = first_on_chain(repo, rng.against_commit, [rng.base_commit], info.paths, present)
    for _ in range(8):  # merges of merges: a few levels at most
        if found is None:
            return None
        parents = repo.commit_info([found])[0].parents
        if len(parents) < 2:
            return found
        inner = first_on_chain(repo, parents[1], [parents[0]], info.paths, present)
        if inner is None:
            return found  # the change appears only with the merge itself
        found = inner
    return found


def first_on_chain(
    repo: Repo,
    tip: Sha,
    exclude: Sequence[Sha],
    paths: Sequence[str],
    present: Callable[[str], bool],
) -> Sha | None:
    """Bisect tip's first-parent chain (down to what `exclude` reaches) for the first commit
    where the change is present; None unless it is absent just before that commit."""
    touching = git.first_parent_touching(repo, tip, exclude, paths)
    if not touching or not present(touching[-1]):
        return None
    lo, hi = 0, len(touching) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if present(touching[mid]):
            hi = mid
        else:
            lo = mid + 1
    parents = repo.commit_info([touching[lo]])[0].parents
    if parents and present(parents[0]):
        return None
    return touching[lo]


def add_similar(
    states: Sequence[verdict.PatchState],
    carried: Sequence[detect.Carried],
    pairs: Sequence[tuple[Patch, PatchFile]],
    live: Sequence[ScannedCommit],
    facts: dict[str, DiffFacts],
) -> list[verdict.PatchState]:
    """For patches that did not land: an upstream commit that looks like a reworked version."""
    open_ = [c for c, s in zip(carried, states, strict=True) if s.state != verdict.LANDED]
    candidates = detect.similar_candidates(open_, live)
    prints = {sha: f.lines for sha, f in facts.items()}
    subjects: dict[str, str] = {c.sha: c.subject for c in live}
    out = list(states)
    for index, shas in candidates.items():
        best = detect.best_similar(detect.changed_lines(pairs[index][1].diff), shas, prints)
        if best is not None:
            sha, score = best
            similar = verdict.Similar(sha, subjects[sha], round(score, 2))
            out[index] = replace(out[index], similar=similar)
    return out
