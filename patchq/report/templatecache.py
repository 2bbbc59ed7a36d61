"""patchq's own report templates, compiled once and kept (jinja2's bytecode cache).

Compiling the aggregate page's template took about 0.1 s of each `report --merge --format
html`. jinja2's FileSystemBytecodeCache keeps the compiled code (marshal) per template, and
checks the template's source checksum and jinja2's and Python's versions before it uses an entry
(a changed template is compiled again). What it does not check, patchq puts in the directory
name: the environment's options. The cache is only used for patchq's own templates, never for
a `--template` of the user's (sandboxed), and only in a directory that is the user's alone
(usercache: ~/.cache/patchq/templates/<options>/, mode 0700, owned by this user, nobody else
may write to it or to the directories above it up to the cache root); anything else means no
cache, not an error.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from patchq import usercache

if TYPE_CHECKING:
    import jinja2


def bytecode_cache(*options: object) -> jinja2.BytecodeCache | None:
    """A cache for templates compiled with `options` (all that shapes the compiled code)."""
    import jinja2

    key = repr((jinja2.__version__, sys.version, options))
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    root = usercache.directory()
    if root is None:
        return None
    directory = root / "templates" / digest
    try:
        for path in (root, root / "templates", directory):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(path):
                return None
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(directory))


def _private(path: Path) -> bool:
    """A real directory (not a link) of this user that no one else can write to."""
    info = os.lstat(path)
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and mine and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
