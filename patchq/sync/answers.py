"""The last answers of Gerrit and Launchpad, kept in .patchq/sync.json for `sync --offline`.

Keyed by the question (server and query), so an offline sync replays exactly what an online
one would have asked; each answer keeps when it was fetched, which is what offline reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchq.errors import ConfigError
from patchq.fsutil import atomic_write

CACHE_FILE = "sync.json"
MAX_CACHE = 64 * 1024 * 1024
FORMAT = 1


@dataclass(frozen=True)
class Answer:
    fetched: str  # 2026-12-03T19:02:11Z
    source: str  # https://review.opendev.org
    data: list[dict[str, Any]]


def load(state_dir: Path) -> dict[str, Answer]:
    """The kept answers; none when nothing was ever synced."""
    path = state_dir / CACHE_FILE
    if not path.is_file():
        return {}
    damaged = ConfigError(f"{path} is damaged: delete it and run `patchq sync` without --offline")
    if path.stat().st_size > MAX_CACHE:
        raise damaged
    try:
        raw = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        raise damaged from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise damaged
    out: dict[str, Answer] = {}
    for key, item in (raw.get("answers") or {}).items():
        try:
            out[str(key)] = Answer(
                fetched=str(item["fetched"]), source=str(item["source"]), data=list(item["data"])
            )
        except (KeyError, TypeError):
            raise damaged from None
    return out


def save(state_dir: Path, fresh: dict[str, Answer]) -> None:
    """Merge `fresh` into the kept answers (a sync of some patches keeps the others')."""
    kept = load(state_dir)
    kept.update(fresh)
    document = {
        "format": FORMAT,
        "answers": {
            key: {"fetched": a.fetched, "source": a.source, "data": a.data}
            for key, a in sorted(kept.items())
        },
    }
    atomic_write(state_dir / CACHE_FILE, json.dumps(document, indent=1).encode("utf-8") + b"\n")
