"""What patchq learned about upstream commits, kept on disk keyed by commit sha.

A commit never changes, so its Change-Ids, revert target, path set, patch-id and changed-line
fingerprint are computed once. The cache lives in the upstream repo's git dir
(`<git-dir>/patchq/cache/commits.json`), never in a worktree. A file that does not parse, has
another format or version, or holds a malformed record is ignored and rebuilt: it is never
trusted over git.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchq import git
from patchq.fsutil import atomic_write
from patchq.git import RangeScan, Repo, ScannedCommit, Sha
from patchq.status import detect

FORMAT = "patchq-commit-cache"
VERSION = 1


MAX_OUTCOMES = 5000  # carry outcomes kept (newest); a series of 200 adds 200 per new REF


class CorruptCache(ValueError):
    pass


@dataclass(frozen=True)
class DiffFacts:
    """What a commit's diff says: its patch-id and changed-line fingerprint."""

    patch_id: str | None
    lines: tuple[str, ...]


def cache_path(repo: Repo) -> Path:
    return repo.git_dir / "patchq" / "cache" / "commits.json"


class CommitCache:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.path = cache_path(repo)
        self.commits: dict[str, list[Any]] = {}
        self.ranges: dict[str, list[str]] = {}
        self.outcomes: dict[str, list[Any]] = {}
        self.apart: set[str] = set()  # ranges whose base is not an ancestor of their ref
        self.changed = False
        self._started: dict[tuple[Sha, Sha], Any] = {}  # start(): scans running, not yet read
        self._load()

    # -- disk ---------------------------------------------------------------------------

    def _load(self) -> None:
        self.repo.wait_deferred()  # an earlier save(deferred=True) of this repo's cache
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return
        if not (
            isinstance(data, dict)
            and data.get("format") == FORMAT
            and data.get("version") == VERSION
            and isinstance(data.get("commits"), dict)
            and isinstance(data.get("ranges"), dict)
        ):
            return
        self.commits, self.ranges = data["commits"], data["ranges"]
        outcomes = data.get("outcomes")
        self.outcomes = outcomes if isinstance(outcomes, dict) else {}
        # Files written before "apart" existed kept only ranges whose base is an ancestor.
        apart = data.get("apart")
        if isinstance(apart, list) and all(isinstance(k, str) for k in apart):
            self.apart = set(apart)

    def _forget(self) -> None:
        self.commits, self.ranges, self.outcomes, self.changed = {}, {}, {}, True
        self.apart = set()

    def save(self, *, deferred: bool = False) -> None:
        """Write the cache atomically if anything was learned; a failure to write is not an
        error (the cache is an optimisation). `deferred`: only take a snapshot now, written
        by the repo's deferred jobs (Repo.defer): when the process is waiting on git anyway,
        or when the repo closes, or before the next CommitCache of the repo reads."""
        if not self.changed:
            return
        data = {"format": FORMAT, "version": VERSION, "commits": dict(self.commits)}
        data["ranges"] = dict(self.ranges)
        data["outcomes"] = dict(list(self.outcomes.items())[-MAX_OUTCOMES:])
        data["apart"] = sorted(self.apart)
        self.changed = False
        path = self.path
        if deferred:
            self.repo.defer(lambda: _write(path, data))
        else:
            _write(path, data)

    # -- range scans --------------------------------------------------------------------

    def start(self, base: Sha, ref: Sha) -> None:
        """Start the `git log`s a cold scan() of base..ref will read, so that git walks the
        range while the caller prepares; cancel() if scan() is not called after all."""
        if f"{base}..{ref}" not in self.ranges and not self.commits:
            self._started[(base, ref)] = git.start_scan(self.repo, base, ref)

    def cancel(self) -> None:
        """Stop the scans started and not finished (after an error)."""
        for streams in self._started.values():
            streams.stop()
        self._started.clear()

    def scan(
        self, base: Sha, ref: Sha, *, on_new: Callable[[ScannedCommit], None] | None = None
    ) -> RangeScan:
        """git.scan_range, cached: a range seen before costs no git at all, and a new range
        over known commits costs one `git rev-list`. `on_new` sees each commit scanned from
        git as it arrives (one call at a time, perhaps on another thread). The caller has
        made sure base and ref share history (the range is kept whether or not base is an
        ancestor of ref)."""
        key = f"{base}..{ref}"
        known = self.ranges.get(key)
        if known is not None:
            try:
                commits = [self._scanned(sha) for sha in known]
                return RangeScan(commits, base_is_ancestor=key not in self.apart)
            except (CorruptCache, KeyError, TypeError, ValueError, IndexError, AttributeError):
                self._forget()
        if self.commits:
            shas, ancestor = git.rev_list(self.repo, base, ref)
            fresh = git.scan_shas(self.repo, [s for s in shas if s not in self.commits])
            for commit in fresh:
                if on_new is not None:
                    on_new(commit)
            return self._record(base, ref, shas, ancestor, fresh)
        started = self._started.pop((base, ref), None)
        found = git.scan_range(self.repo, base, ref, on_commit=on_new, started=started)
        shas = [c.sha for c in found.commits]
        return self._record(base, ref, shas, found.base_is_ancestor, found.commits)

    def _record(
        self, base: Sha, ref: Sha, shas: list[Sha], ancestor: bool, fresh: list[ScannedCommit]
    ) -> RangeScan:
        """Keep what a scan of base..ref learned; the range's commits, oldest first."""
        for commit in fresh:
            self.commits[commit.sha] = [
                commit.subject,
                ",".join(commit.change_ids),
                commit.reverts or "",
                commit.path_key,
                None,
                None,
            ]
            self.changed = True
        key = f"{base}..{ref}"
        self.ranges[key] = list(shas)
        if not ancestor:
            self.apart.add(key)
        self.changed = True
        by_sha = {c.sha: c for c in fresh}
        try:
            return RangeScan([by_sha.get(s) or self._scanned(s) for s in shas], ancestor)
        except (CorruptCache, KeyError, TypeError, ValueError, IndexError, AttributeError):
            self._forget()
            return self.scan(base, ref)

    def knows_range(self, base: Sha, ref: Sha) -> bool:
        return f"{base}..{ref}" in self.ranges

    def scanned(self, sha: str) -> ScannedCommit | None:
        """What a scan learned of `sha`, if any scan did."""
        try:
            return self._scanned(sha)
        except (CorruptCache, KeyError, TypeError, ValueError, AttributeError):
            return None

    def _scanned(self, sha: str) -> ScannedCommit:
        subject, cids, reverts, paths, _, _ = self.commits[sha]
        if type(subject) is not str or type(paths) is not str or type(reverts) is not str:
            raise CorruptCache(sha)
        return ScannedCommit(Sha(sha), subject, tuple(cids.split(",")) if cids else (),
                             reverts or None, paths)  # fmt: skip

    # -- carry outcomes, keyed by a digest of what they depend on ------------------------

    def outcome(self, key: str) -> tuple[str, tuple[str, ...]] | None:
        value = self.outcomes.get(key)
        if not (isinstance(value, list) and len(value) == 2):
            return None
        outcome, conflicts = value
        if not (isinstance(outcome, str) and isinstance(conflicts, list)):
            return None
        if not all(isinstance(path, str) for path in conflicts):
            return None
        return outcome, tuple(conflicts)

    def put_outcome(self, key: str, outcome: str, conflicts: Sequence[str]) -> None:
        if self.outcome(key) != (outcome, tuple(conflicts)):
            self.outcomes.pop(key, None)
            self.outcomes[key] = [outcome, list(conflicts)]
            self.changed = True

    # -- diffs --------------------------------------------------------------------------

    def has_facts(self, sha: str) -> bool:
        record = self.commits.get(sha)
        return record is not None and _facts(record) is not None

    def diff_facts(
        self,
        shas: Sequence[str],
        diffs: dict[str, bytes] | None = None,
        ids: dict[str, str] | None = None,
    ) -> dict[str, DiffFacts]:
        """Patch-id and changed-line fingerprint of each commit; only the commits not seen
        before are diffed (ONE `git diff-tree --stdin`, ONE `git patch-id`). `diffs` holds
        diffs already fetched (git.DiffFeed), `ids` the patch-ids of those of them that
        have one (a fetched diff missing from it is asked again)."""
        out: dict[str, DiffFacts] = {}
        missing = []
        for sha in shas:
            record = self.commits.get(sha)
            facts = _facts(record) if record is not None else None
            if facts is None:
                missing.append(sha)
            else:
                out[sha] = facts
        if not missing:
            return out
        diffs = dict(diffs or {})
        diffs.update(git.commit_diffs(self.repo, [s for s in missing if s not in diffs]))
        by_sha: dict[str, str | None] = {s: ids[s] for s in missing if ids and s in ids}
        order = [s for s in missing if s not in by_sha and diffs.get(s, b"").strip()]
        by_sha.update(zip(order, self.repo.patch_ids([diffs[s] for s in order]), strict=True))
        for sha in missing:
            facts = DiffFacts(by_sha.get(sha), tuple(detect.changed_lines(diffs.get(sha, b""))))
            out[sha] = facts
            record = self.commits.get(sha)
            if isinstance(record, list) and len(record) == 6:
                record[4], record[5] = facts.patch_id or "", list(facts.lines)
                self.changed = True
        return out


def _write(path: Path, data: dict[str, Any]) -> None:
    """Replace the cache file (no fsync: a cache lost in a crash is only rebuilt)."""
    text = json.dumps(data, separators=(",", ":"))
    with contextlib.suppress(OSError):
        atomic_write(path, text.encode(), durable=False, mode=0o600)


def _facts(record: Any) -> DiffFacts | None:
    if not (isinstance(record, list) and len(record) == 6):
        return None
    pid, lines = record[4], record[5]
    if not (isinstance(pid, str) and isinstance(lines, list)):
        return None
    if not all(isinstance(line, str) for line in lines):
        return None
    return DiffFacts(pid or None, tuple(lines))
