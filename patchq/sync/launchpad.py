"""Launchpad's REST API (anonymous, JSON): a bug's task for one project.

GET <root>/bugs/N/bug_tasks is the bug entry's bug_tasks_collection_link; asking it directly
saves a request per bug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from patchq.errors import ServerError
from patchq.series.model import BugTask
from patchq.sync.http import Http, StatusError, server_of

DEFAULT_ROOT = "https://api.launchpad.net/1.0"
MAX_PAGES = 10

# formats.md §5: bug URL forms and the LP: / Closes-Bug: shorthands.
_BUG = re.compile(r"(?:launchpad\.net/(?:[^/]+/\+bug|bugs)/|LP: ?#|-Bug: ?#?)(\d+)")

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class Query:
    root: str
    bug: int

    @property
    def key(self) -> str:
        return f"launchpad {self.root} bug {self.bug}"


def bug_number(text: str) -> int | None:
    """The Launchpad bug number in a URL or shorthand, or None for another tracker."""
    match = _BUG.search(text)
    return int(match.group(1)) if match else None


def fetch(http: Http, query: Query) -> list[dict[str, Any]]:
    """The bug's tasks (trimmed), following next_collection_link within the same root.

    A bug Launchpad does not show (404: private, or no such bug) is an empty list."""
    root = query.root.rstrip("/")
    url: str | None = f"{root}/bugs/{query.bug}/bug_tasks"
    tasks: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return tasks
        try:
            page = http.get_json(url)
        except StatusError as exc:
            if exc.status == 404 and not tasks:
                return []
            raise
        entries = page.get("entries") if isinstance(page, dict) else None
        if not isinstance(entries, list):
            raise ServerError(
                f"{server_of(url)}: bug {query.bug}'s tasks are not a Launchpad collection: "
                "is upstream.launchpad the API root? nothing written"
            )
        tasks.extend(_trim(t) for t in entries if isinstance(t, dict))
        following = page.get("next_collection_link")
        url = following if isinstance(following, str) and following.startswith(root) else None
    return tasks


def _trim(task: dict[str, Any]) -> dict[str, Any]:
    keep = ("bug_target_name", "status", "importance", "date_fix_released")
    return {k: task[k] for k in keep if k in task}


def _word(value: object) -> str | None:
    """A status or importance as Launchpad names them ("Fix Released"): short, printable."""
    if not isinstance(value, str) or not value.isprintable() or not 0 < len(value) <= 40:
        return None
    return value


def task_for(tasks: list[dict[str, Any]], target: str) -> BugTask | None:
    """The task of `target` itself (nova), not of a distribution package (nova (Ubuntu))."""
    for task in tasks:
        status = _word(task.get("status"))
        if task.get("bug_target_name") == target and status is not None:
            return BugTask(
                target=target,
                status=status,
                importance=_word(task.get("importance")),
                fix_released=launchpad_time(task.get("date_fix_released")),
            )
    return None


def launchpad_time(value: object) -> str | None:
    """'2026-03-25T08:00:00.123456+00:00' as '2026-03-25T08:00:00Z'."""
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    return f"{value[:10]}T{value[11:19]}Z"
