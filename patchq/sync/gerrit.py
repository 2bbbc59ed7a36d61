"""Gerrit's REST API, read anonymously: find every change (one per branch) for a Change-Id.

A query (`change:<id> project:<project>`) and not GET /changes/<id>: a Change-Id present on
master and on stable branches is ambiguous for the single-change endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from patchq.errors import ServerError
from patchq.series.model import ReviewChange
from patchq.sync.http import Http, server_of

DEFAULT_SERVER = "https://review.opendev.org"
PAGE = 100
MAX_PAGES = 20  # 2,000 changes for one Change-Id is a server bug, not a result

# https://review.opendev.org/c/openstack/nova/+/951234, .../#/c/951234/, .../951234
_REVIEW_NUMBER = re.compile(r"(?:/\+/|/#/c/|/c/|^https?://[^/]+/)(\d+)(?:/\d+)?/?(?:[#?].*)?$")


_SHA = re.compile(r"^[0-9a-f]{40}$")
_BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class Query:
    """One Gerrit question: `change:<term> project:<project>` on a server."""

    server: str
    project: str
    term: str  # a Change-Id (I + 40 hex) or a change number

    @property
    def key(self) -> str:
        return f"gerrit {self.server} change:{self.term} project:{self.project}"


def review_number(url: str) -> int | None:
    """The change number in a review URL, or None when the URL names none."""
    match = _REVIEW_NUMBER.search(url.strip())
    return int(match.group(1)) if match else None


def change_url(server: str, project: str, number: int) -> str:
    return f"{server.rstrip('/')}/c/{project}/+/{number}"


def fetch(http: Http, query: Query) -> list[dict[str, Any]]:
    """Every change the query finds, following `_more_changes`, trimmed to what sync uses."""
    url = f"{query.server.rstrip('/')}/changes/"
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        params = {
            "q": f"change:{query.term} project:{query.project}",
            "o": "CURRENT_REVISION",
            "n": PAGE,
            "S": len(found),
        }
        page = http.get_json(url, params)
        if not isinstance(page, list) or not all(isinstance(c, dict) for c in page):
            raise ServerError(
                f"{server_of(url)}: /changes/ did not answer a list of changes: is "
                "upstream.gerrit a Gerrit server? nothing written"
            )
        found.extend(_trim(change) for change in page)
        if not page or not page[-1].get("_more_changes"):
            return found
    raise ServerError(
        f"{server_of(url)}: more than {MAX_PAGES} pages of changes for {query.term}: "
        "nothing written"
    )


def _trim(change: dict[str, Any]) -> dict[str, Any]:
    keep = ("project", "branch", "change_id", "_number", "status", "subject", "submitted")
    out = {k: change[k] for k in keep if k in change}
    if "current_revision" in change:
        out["current_revision"] = change["current_revision"]
    return out


def changes_for(
    answer: list[dict[str, Any]], *, project: str, change_id: str | None
) -> tuple[ReviewChange, ...]:
    """The answer's changes of `project` (and `change_id`, when known) as series records."""
    out: list[ReviewChange] = []
    seen: set[int] = set()
    for change in answer:
        if change.get("project") != project:
            continue
        if change_id is not None and change.get("change_id") != change_id:
            continue
        number = change.get("_number")
        status = change.get("status")
        branch = change.get("branch")
        if not isinstance(number, int) or number in seen or not isinstance(branch, str):
            continue
        if status not in ("NEW", "MERGED", "ABANDONED"):
            continue  # DRAFT on pre-2.15 servers: not a review state patchq records
        if not _BRANCH.match(branch):
            continue  # not a branch name: nothing a server should send, nothing to record
        seen.add(number)
        merged = status == "MERGED"
        commit = change.get("current_revision") if merged else None
        out.append(
            ReviewChange(
                branch=branch.removeprefix("refs/heads/"),
                number=number,
                status=status,
                commit=commit if isinstance(commit, str) and _SHA.match(commit) else None,
                merged=gerrit_time(change.get("submitted")) if merged else None,
            )
        )
    return tuple(out)


def gerrit_time(value: object) -> str | None:
    """'2026-03-20 10:02:11.000000000' (UTC) as '2026-03-20T10:02:11Z'."""
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    return f"{value[:10]}T{value[11:19]}Z"
