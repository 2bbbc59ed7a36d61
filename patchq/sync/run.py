"""`patchq sync`: ask Gerrit and Launchpad about the series' patches, apply the answers.

Three steps: decide the questions (one Gerrit query per Change-Id or review number, one
Launchpad query per bug), get every answer (from the network, or from .patchq/sync.json
offline), then apply them to a new Series. Nothing is written here; the caller saves the
series and the answers only when every question was answered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from patchq.errors import ConfigError
from patchq.series import io as series_io
from patchq.series.model import Patch, Series
from patchq.sync import gerrit, launchpad
from patchq.sync.answers import Answer
from patchq.sync.apply import Found, Outcome, apply
from patchq.sync.http import Http, run_all

AnyQuery = gerrit.Query | launchpad.Query


@dataclass(frozen=True)
class Servers:
    gerrit: str
    project: str
    launchpad: str
    bug_target: str  # the Launchpad project whose bug task is read (nova)

    @classmethod
    def of(cls, current: Series) -> Servers:
        up = current.upstream
        project = up.project or f"openstack/{up.name}"
        return cls(
            gerrit=(up.gerrit or gerrit.DEFAULT_SERVER).rstrip("/"),
            project=project,
            launchpad=(up.launchpad or launchpad.DEFAULT_ROOT).rstrip("/"),
            bug_target=project.rsplit("/", 1)[-1],
        )


@dataclass(frozen=True)
class Target:
    """One patch and the questions asked about it."""

    index: int
    patch: Patch
    review: gerrit.Query | None
    bug: launchpad.Query | None


@dataclass
class Result:
    before: Series
    after: Series
    outcomes: list[Outcome]
    skipped: list[tuple[str, str]]  # (file, why)
    fresh: dict[str, Answer]  # answers fetched now (to keep for --offline)
    oldest: str | None  # offline: when the oldest answer used was fetched
    servers: Servers
    offline: bool
    asked: int = 0  # distinct questions (a Change-Id query, a bug), follow-ups included

    @property
    def changed(self) -> bool:
        return self.after != self.before


Fetcher = Callable[[Sequence[AnyQuery]], dict[str, Answer]]


def targets(current: Series, names: Sequence[str], servers: Servers) -> list[Target]:
    """The patches to ask about: the named ones, else every patch with something to ask."""
    if names:
        indexes = sorted({series_io.find_patch(current, n) for n in names})
    else:
        indexes = list(range(len(current.patches)))
    out: list[Target] = []
    for i in indexes:
        patch = current.patches[i]
        out.append(Target(i, patch, _review_query(patch, servers), _bug_query(patch, servers)))
    return out


def _review_query(patch: Patch, servers: Servers) -> gerrit.Query | None:
    links = patch.upstream
    if links.change_id:
        return gerrit.Query(servers.gerrit, servers.project, links.change_id)
    number = gerrit.review_number(links.review) if links.review else None
    if number is not None:
        return gerrit.Query(servers.gerrit, servers.project, str(number))
    return None


def _bug_query(patch: Patch, servers: Servers) -> launchpad.Query | None:
    number = launchpad.bug_number(patch.upstream.bug) if patch.upstream.bug else None
    return launchpad.Query(servers.launchpad, number) if number is not None else None


def online_fetcher(http: Http, *, now: str, on_done: Callable[[], None]) -> Fetcher:
    def fetch_one(query: AnyQuery) -> list[dict[str, Any]]:
        if isinstance(query, gerrit.Query):
            return gerrit.fetch(http, query)
        return launchpad.fetch(http, query)

    def fetch(queries: Sequence[AnyQuery]) -> dict[str, Answer]:
        return {
            q.key: Answer(fetched=now, source=_source(q), data=data)
            for q, data in run_all(fetch_one, queries, on_done=on_done)
        }

    return fetch


def offline_fetcher(kept: dict[str, Answer], *, on_done: Callable[[], None]) -> Fetcher:
    def fetch(queries: Sequence[AnyQuery]) -> dict[str, Answer]:
        out = {}
        for q in queries:
            on_done()
            if q.key in kept:
                out[q.key] = kept[q.key]
        return out

    return fetch


def _source(query: AnyQuery) -> str:
    return query.server if isinstance(query, gerrit.Query) else query.root


def count_questions(chosen: Sequence[Target]) -> int:
    keys = {q.key for t in chosen for q in (t.review, t.bug) if q is not None}
    return len(keys)


def sync(
    current: Series,
    chosen: Sequence[Target],
    servers: Servers,
    fetch: Fetcher,
    *,
    offline: bool,
) -> Result:
    queries: dict[str, AnyQuery] = {}
    for t in chosen:
        for q in (t.review, t.bug):
            if q is not None:
                queries.setdefault(q.key, q)
    answers = fetch(list(queries.values()))
    # A patch known only by its review URL: ask again by the Change-Id Gerrit gave, to find
    # the same change on the other branches.
    follow: dict[str, gerrit.Query] = {}
    for t in chosen:
        change_id = _learnt_change_id(t, answers, servers)
        if change_id is not None:
            q = gerrit.Query(servers.gerrit, servers.project, change_id)
            if q.key not in answers:
                follow.setdefault(q.key, q)
    if follow:
        answers.update(fetch(list(follow.values())))
    patches = list(current.patches)
    outcomes: list[Outcome] = []
    skipped: list[tuple[str, str]] = []
    used: list[str] = []
    for t in chosen:
        if t.review is None and t.bug is None:
            skipped.append((t.patch.file, "no Change-Id, review URL or Launchpad bug"))
            continue
        found = _found(t, answers, servers, trunk=current.upstream.trunk)
        if found is None:
            skipped.append((t.patch.file, "no answer kept for it: run `patchq sync` online"))
            continue
        outcome = apply(t.patch, found, trunk=current.upstream.trunk)
        outcomes.append(outcome)
        patches[t.index] = outcome.after
        used.append(found.synced)
    after = dataclasses.replace(current, patches=tuple(patches))
    return Result(
        before=current,
        after=after,
        outcomes=outcomes,
        skipped=skipped,
        fresh={} if offline else answers,
        oldest=min(used) if used and offline else None,
        servers=servers,
        offline=offline,
        asked=len(queries) + len(follow),
    )


def _learnt_change_id(t: Target, answers: dict[str, Answer], servers: Servers) -> str | None:
    if t.review is None or t.patch.upstream.change_id:
        return None
    answer = answers.get(t.review.key)
    if answer is None:
        return None
    for change in answer.data:
        if change.get("project") == servers.project and str(change.get("_number")) == (
            t.review.term
        ):
            change_id = change.get("change_id")
            return change_id if isinstance(change_id, str) else None
    return None


def _found(t: Target, answers: dict[str, Answer], servers: Servers, *, trunk: str) -> Found | None:
    used: list[Answer] = []
    changes = None
    review_url = None
    change_id = t.patch.upstream.change_id or _learnt_change_id(t, answers, servers)
    if t.review is not None:
        key = (
            gerrit.Query(servers.gerrit, servers.project, change_id).key
            if change_id
            else t.review.key
        )
        answer = answers.get(key) or answers.get(t.review.key)
        if answer is not None:
            used.append(answer)
            changes = gerrit.changes_for(answer.data, project=servers.project, change_id=change_id)
    bug_task = None
    if t.bug is not None and t.bug.key in answers:
        used.append(answers[t.bug.key])
        bug_task = launchpad.task_for(answers[t.bug.key].data, servers.bug_target)
    if not used:
        return None
    tracked = next((c for c in changes or () if c.branch == trunk), None)
    if tracked is not None:
        review_url = gerrit.change_url(servers.gerrit, servers.project, tracked.number)
    return Found(
        changes=changes,
        bug_task=bug_task,
        bug_asked=t.bug is not None and t.bug.key in answers,
        synced=min(a.fetched for a in used),
        synced_from=", ".join(dict.fromkeys(a.source for a in used)),
        review_url=review_url,
        change_id=change_id,
    )


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def age(since: str, *, now: dt.datetime | None = None) -> str:
    """'3 h', '2 days': how long ago an ISO UTC time was."""
    then = dt.datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    seconds = max(0, int(((now or dt.datetime.now(dt.timezone.utc)) - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def refuse_unknown_servers(servers: Servers) -> None:
    for url in (servers.gerrit, servers.launchpad):
        if not url.startswith(("https://", "http://")):
            raise ConfigError(
                f"{series_io.SERIES_FILE}: upstream server {url!r} is not an http(s) URL: "
                "fix upstream.gerrit or upstream.launchpad"
            )
