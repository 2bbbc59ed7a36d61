"""The user's cache directory for patchq ($XDG_CACHE_HOME/patchq, else ~/.cache/patchq): small
facts that are costly to find and cheap to check, never anything a series depends on. Losing
it only costs time."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from patchq.fsutil import atomic_write

MAX_BYTES = 1 << 20  # a cache file larger than this is not ours: ignored


def directory() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "patchq"


def read_json(name: str) -> dict[str, Any] | None:
    """The JSON object in the cache file `name`, or None (missing, unreadable, not an object)."""
    try:
        with (directory() / name).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(name: str, data: dict[str, Any]) -> None:
    """Best effort: a cache that cannot be written is only slower next time."""
    with contextlib.suppress(OSError):
        atomic_write(
            directory() / name,
            json.dumps(data, sort_keys=True).encode(),
            durable=False,
            mode=0o600,
        )
