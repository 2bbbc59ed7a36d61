"""Rows for `patchq list`: each patch's series.yaml entry plus what its file says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from patchq.series.model import Series

if TYPE_CHECKING:  # the report imports age_days; --merge must not pay for git's modules
    from patchq.series.workspace import Workspace


def age_days(added: str | None, today: dt.date | None = None) -> int | None:
    if not added:
        return None
    try:
        day = dt.date.fromisoformat(added[:10])
    except ValueError:
        return None
    return ((today or dt.date.today()) - day).days


def upstream_link(links: Mapping[str, str]) -> str:
    """The one link `list` shows: the review, else the commit, the bug, the Change-Id."""
    for key in ("review", "commit", "bug", "change_id"):
        if links.get(key):
            return links[key]
    return ""


def rows(ws: Workspace, current: Series) -> list[dict[str, Any]]:
    out = []
    for position, patch in enumerate(current.patches, 1):
        info = ws.read_patch(patch)
        row = {
            "position": position,
            "name": patch.name,
            **patch.as_dict(),
            "subject": info.subject,
            "author": info.author,
            "age_days": age_days(patch.added),
        }
        out.append(row)
    return out
