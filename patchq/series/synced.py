"""Validation of the keys `patchq sync` writes under a patch's `upstream:` (changes, bug_task).

They are plain data that sync owns; a hand edit that breaks their shape is reported like any
other series.yaml problem, and the patch is then not used.
"""

from __future__ import annotations

from typing import Any

from patchq.series.model import BugTask, ReviewChange

CHANGE_KEYS = ("branch", "number", "status", "commit", "merged")
BUG_TASK_KEYS = ("target", "status", "importance", "fix_released")
GERRIT_STATUSES = ("NEW", "MERGED", "ABANDONED")


def parse_changes(node: Any) -> tuple[tuple[ReviewChange, ...], str | None]:
    """The `changes:` list, or the reason it cannot be read."""
    if node is None:
        return (), None
    if not isinstance(node, list):
        return (), "changes must be a list of mappings (written by `patchq sync`)"
    out: list[ReviewChange] = []
    for i, item in enumerate(node, 1):
        if not isinstance(item, dict):
            return (), f"changes[{i}] must be a mapping with branch, number and status"
        unknown = [str(k) for k in item if k not in CHANGE_KEYS]
        if unknown:
            return (), (
                f"changes[{i}]: unknown key '{unknown[0]}'; allowed: {', '.join(CHANGE_KEYS)}"
            )
        number = item.get("number")
        if not item.get("branch") or not isinstance(number, int) or isinstance(number, bool):
            return (), f"changes[{i}] needs a branch and a change number"
        status = str(item.get("status", ""))
        if status not in GERRIT_STATUSES:
            return (), (
                f"changes[{i}]: unknown Gerrit status '{status}'; expected one of: "
                f"{', '.join(GERRIT_STATUSES)}"
            )
        out.append(
            ReviewChange(
                branch=str(item["branch"]),
                number=number,
                status=status,
                commit=_text(item.get("commit")),
                merged=_text(item.get("merged")),
            )
        )
    return tuple(out), None


def parse_bug_task(node: Any) -> tuple[BugTask | None, str | None]:
    """The `bug_task:` mapping, or the reason it cannot be read."""
    if node is None:
        return None, None
    if not isinstance(node, dict) or not node.get("target") or not node.get("status"):
        return None, "bug_task must be a mapping with target and status (written by `patchq sync`)"
    unknown = [str(k) for k in node if k not in BUG_TASK_KEYS]
    if unknown:
        return None, f"bug_task: unknown key '{unknown[0]}'; allowed: {', '.join(BUG_TASK_KEYS)}"
    return (
        BugTask(
            target=str(node["target"]),
            status=str(node["status"]),
            importance=_text(node.get("importance")),
            fix_released=_text(node.get("fix_released")),
        ),
        None,
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
