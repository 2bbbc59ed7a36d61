"""The user's cache directory for patchq ($XDG_CACHE_HOME/patchq, else ~/.cache/patchq): small
facts that are costly to find and cheap to check, never anything a series depends on. Losing
it only costs time, and so does having none (no home directory): every use is optional."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from patchq.fsutil import atomic_write

MAX_BYTES = 1 << 20  # a cache file larger than this is not ours: ignored


def directory() -> Path | None:
    """Where patchq's cache is, or None when there is no home to put it in."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(cache):  # the XDG spec: a relative value is ignored
        try:
            cache = str(Path.home() / ".cache")
        except RuntimeError:  # no $HOME and no password entry
            return None
    return Path(cache) / "patchq"


def read_json(name: str) -> dict[str, Any] | None:
    """The JSON object in the cache file `name`, or None (missing, unreadable, not an object)."""
    root = directory()
    if root is None:
        return None
    try:
        with (root / name).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(name: str, data: dict[str, Any], *, sort_keys: bool = True) -> None:
    """Best effort: a cache that cannot be written is only slower next time. `sort_keys=False`
    when the order of the keys is data too."""
    root = directory()
    if root is None:
        return
    with contextlib.suppress(OSError):
        atomic_write(
            root / name, json.dumps(data, sort_keys=sort_keys).encode(), durable=False, mode=0o600
        )
