"""RPM's Python bindings for specfile, without asking the system Python every time.

RPM's bindings (`rpm`) belong to the system's Python. In a virtualenv, the `rpm` package on PyPI
is a shim (packit's rpm-shim) that, on every import, runs each system interpreter it finds
(`/usr/bin/python3.X`, `/usr/bin/python3`) to learn their site-packages, then loads the real
module from there: 0.1-0.5 s of every `export --format rpm`. The answer only changes when those
interpreters do, so patchq keeps it in the user's cache (usercache, `rpm-bindings.json`), keyed
on the shim file and the interpreters' identity (path, size, mtime, inode). With a valid entry,
patchq imports the real module from that directory as the shim would (the directory first on
sys.path for that one import, then the shim's own check that RPM answers `%getconfdir`). Without
one, or when anything about it fails, the shim runs as before and its answer is kept.
Either way `sys.modules["rpm"]` ends up as the same system module.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from pathlib import Path

from patchq import usercache

CACHE = "rpm-bindings.json"
_SHIM_MARK = b"RPM shim module"


def load() -> None:
    """Import `rpm`; errors are left to specfile's own import, which reports them."""
    if "rpm" in sys.modules:
        return
    shim = _shim_path()
    if shim is None:
        return  # the real bindings (a system Python), or none at all
    key = _key(shim)
    cached = usercache.read_json(CACHE)
    if cached is not None and cached.get("key") == key and _import_from(cached.get("path")):
        return
    try:  # the shim: asks the system interpreters, then becomes the real module
        rpm = importlib.import_module("rpm")
    except Exception:  # specfile's import raises it again, with its own message
        return
    origin = getattr(rpm, "__file__", None)
    if origin and Path(origin).parent.name == "rpm" and Path(origin).resolve() != shim:
        usercache.write_json(CACHE, {"key": key, "path": str(Path(origin).parent.parent)})


def _shim_path() -> Path | None:
    try:
        spec = importlib.util.find_spec("rpm")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    try:
        with open(spec.origin, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return None
    return Path(spec.origin).resolve() if _SHIM_MARK in head else None


def _key(shim: Path) -> list[str]:
    """What the shim's answer depends on: the shim, and the interpreters it would ask."""
    major, minor, _ = platform.python_version_tuple()
    interpreters = (
        "/usr/libexec/platform-python",
        f"/usr/bin/python{major}.{minor}",
        f"/usr/bin/python{major}",
    )
    return [_identity(Path(p)) for p in (str(shim), *interpreters)]


def _identity(path: Path) -> str:
    try:
        real = path.resolve()
        st = real.stat()
    except OSError:
        return f"{path}: none"
    return f"{path} -> {real}: {st.st_size} {st.st_mtime_ns} {st.st_ino}"


def _import_from(directory: object) -> bool:
    if not isinstance(directory, str) or not os.path.isabs(directory):
        return False
    if not os.path.isfile(os.path.join(directory, "rpm", "__init__.py")):
        return False
    sys.path.insert(0, directory)
    try:
        rpm = importlib.import_module("rpm")
        found = Path(rpm.__file__ or "").parent.parent == Path(directory)
        ok = found and os.path.isdir(rpm.expandMacro("%getconfdir"))
    except Exception:
        ok = False
    finally:
        sys.path.remove(directory)
    if not ok:
        for name in [n for n in sys.modules if n == "rpm" or n.startswith("rpm.")]:
            del sys.modules[name]
    return ok
