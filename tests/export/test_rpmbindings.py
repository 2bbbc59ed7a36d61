"""RPM's bindings come from the user's cache when the rpm-shim would ask the system Python: the
same module either way, and a stale or broken cache entry only means the shim runs again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from patchq.export import rpmbindings

LOAD = (
    "import sys; from patchq.export import rpmbindings; rpmbindings.load(); import rpm; "
    "print(rpm.__file__, hasattr(rpm, 'get_system_sitepackages_and_suffixes'), "
    "'/usr/lib/rpm' == rpm.expandMacro('%getconfdir') or rpm.expandMacro('%getconfdir'))"
)


def python(code: str, cache: Path) -> list[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


@pytest.fixture
def shim(tmp_path: Path) -> None:
    # Asked of a fresh interpreter: in this one, an earlier test may have imported `rpm`.
    probe = "from patchq.export import rpmbindings; print(rpmbindings._shim_path())"
    if python(probe, tmp_path / "cache") == ["None"]:
        pytest.skip("`rpm` is not packit's rpm-shim here: nothing to cache")


def test_the_cached_bindings_are_the_module_the_shim_loads(shim: None, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = python("import rpm; print(rpm.__file__)", cache)[0]
    first = python(LOAD, cache)  # the shim runs, and its answer is kept
    entry = json.loads((cache / "patchq" / rpmbindings.CACHE).read_text())
    assert entry["path"] == str(Path(plain).parent.parent)
    second = python(LOAD, cache)  # from the cache: the shim's code never ran
    assert first[0] == second[0] == plain
    assert (first[1], second[1]) == ("True", "False")
    assert first[2] == second[2]


@pytest.mark.parametrize("content", ["not json", '{"key": [], "path": "/"}', "BADKEY"])
def test_a_broken_or_stale_entry_falls_back_to_the_shim(
    shim: None, tmp_path: Path, content: str
) -> None:
    cache = tmp_path / "cache"
    plain = python("import rpm; print(rpm.__file__)", cache)[0]
    python(LOAD, cache)
    path = cache / "patchq" / rpmbindings.CACHE
    if content == "BADKEY":  # the right key, a directory without RPM's bindings
        entry = json.loads(path.read_text())
        content = json.dumps({**entry, "path": str(tmp_path)})
    path.write_text(content)
    loaded = python(LOAD, cache)
    assert loaded[:2] == [plain, "True"]  # the shim ran, and gave the same module
    assert json.loads(path.read_text())["path"] == str(Path(plain).parent.parent)
