"""series.yaml's parsed data remembered per exact text, in the user's cache.

A warm `patchq status` is mostly interpreter start-up; importing PyYAML alone is ~25 ms of it
(its reader compiles a large regex at import), and parsing the document a few more. The same
bytes always parse to the same data, so the data of a text parsed once is kept as JSON under
the text's SHA-256 and read back with the json module every command imports anyway. Only
documents that JSON keeps exactly are kept (strings as keys, no sets or binary scalars, finite
numbers); the data is validated after a hit exactly as after a parse. Losing the cache only
costs the parse.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from typing import Any

from patchq import usercache

PREFIX = "series-"
KEEP = 32  # entries; the oldest go when a new one is written
_VERSION = 1


def key(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def recall(digest: str) -> tuple[bool, Any]:
    """(True, data) when the text with this digest was parsed before, else (False, None)."""
    entry = usercache.read_json(f"{PREFIX}{digest}.json")
    if entry is None or entry.get("version") != _VERSION or "data" not in entry:
        return False, None
    return True, entry["data"]


def remember(digest: str, data: Any) -> None:
    """Keep `data` for the text with this digest, when JSON gives exactly it back."""
    if not _json_exact(data):
        return
    entry = {"version": _VERSION, "data": data}
    # Unsorted: the order of a mapping's keys is what the user wrote (export formats run in it).
    usercache.write_json(f"{PREFIX}{digest}.json", entry, sort_keys=False)
    _prune()


def _json_exact(value: Any, depth: int = 0) -> bool:
    if depth > 64:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_json_exact(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_exact(v, depth + 1) for k, v in value.items())
    return False


def _prune() -> None:
    root = usercache.directory()
    if root is None:
        return
    with contextlib.suppress(OSError):
        entries = [e for e in os.scandir(root) if e.name.startswith(PREFIX) and e.is_file()]
        if len(entries) <= KEEP:
            return
        entries.sort(key=lambda e: e.stat().st_mtime_ns)
        for entry in entries[: len(entries) - KEEP]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
