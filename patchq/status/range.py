"""The range a status judges, base..REF: both names resolved by one git process, and the
range's `git log` started at once.

Light on purpose (no carry engine, no verdicts): a command starts the scan first and imports the
rest of the status pipeline while git walks (status.pipeline.evaluate(started=...)).
"""

from __future__ import annotations

from dataclasses import dataclass

from patchq.errors import ConfigError
from patchq.git import Repo, Sha
from patchq.series.model import Series
from patchq.status.cache import CommitCache


@dataclass(frozen=True)
class Range:
    """base..REF, named as the user wrote them and resolved to commits."""

    base: str
    base_commit: Sha
    against: str
    against_commit: Sha


def resolve_range(current: Series, repo: Repo, against: str | None) -> Range:
    """base..REF; REF must exist (ConfigError, exit 2). The scan of the range tells whether
    it contains base (require_ancestor). Every name is looked up by one git process."""
    up = current.upstream
    trunk = f"origin/{up.trunk}"
    ref_name = up.trunk if against is None else against  # "" is a name, and not a commit
    names = [up.base_commit or up.base, ref_name, *([trunk] if against is None else [])]
    found = repo.resolve_all(names)
    base_commit = found[0]
    if base_commit is None and up.base_commit:
        # Not the base ref instead: it may have moved, and the series would then look broken.
        raise ConfigError(missing_base(up.base, up.base_commit, repo))
    if base_commit is None:
        raise ConfigError(not_a_commit("base", up.base, repo))
    if against is None:
        name = up.trunk
        ref = found[1] or found[2]
        if ref is None:
            raise ConfigError(
                f"upstream branch {name!r} is not in {repo.path}: pass --against REF "
                "or set upstream.branch in series.yaml"
            )
    else:
        name = against
        ref = found[1]
        if ref is None:
            raise ConfigError(not_a_commit("ref", against, repo))
    return Range(up.base, base_commit, name, ref)


def not_a_commit(what: str, ref: str, repo: Repo) -> str:
    """Repo.resolve_or_fail's message."""
    return f"{what} {ref!r} is not a commit in {repo.path}: check the name or fetch it"


def missing_base(base: str, base_commit: str, repo: Repo) -> str:
    return (
        f"the base commit {base_commit[:12]} (upstream.base_commit, base {base}) is missing "
        f"from {repo.path}: fetch it, e.g. `git -C {repo.path} fetch origin {base}` or the "
        f"branch that has it, or fix upstream.base_commit in series.yaml"
    )


def start_scan(current: Series, repo: Repo, against: str | None) -> tuple[Range, CommitCache]:
    """The range to judge against, and its cache with the range's `git log` already started
    when the cache does not know it (assess reads it)."""
    rng = resolve_range(current, repo, against)
    cache = CommitCache(repo)
    cache.start(rng.base_commit, rng.against_commit)
    return rng, cache
