"""`patchq export --format mbox FILE`: every patch file, in series order, as one mbox.

patches/ already holds `git format-patch` messages, so the mbox is their concatenation. A file
that does not start with format-patch's `From <sha>` separator gets format-patch's zero one, so
`git am` (mailsplit) sees where each message begins.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from patchq.errors import ConfigError
from patchq.export.common import Loaded, Output
from patchq.patches import patchfile


def plan(loaded: Sequence[Loaded], target: Path) -> Output:
    parts = []
    for item in loaded:
        raw = item.parsed.raw
        if not raw.startswith(b"From "):
            raw = patchfile.ZERO_FROM + raw
        if not raw.endswith(b"\n"):
            raw += b"\n"
        parts.append(raw)
    if target.is_symlink():
        raise ConfigError(f"{target} is a symlink: export writes only regular files")
    return Output("mbox", target, {target: b"".join(parts)})
