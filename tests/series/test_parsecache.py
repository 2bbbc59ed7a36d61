"""series.yaml parsed once per exact text: a later command reads the data back from the user
cache without importing PyYAML, and gets exactly what a parse gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from patchq.errors import ConfigError
from patchq.series import io as series
from patchq.series import parsecache
from tests.builders import add_patch


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "patchq"


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"{parsecache.PREFIX}*.json")) if cache.is_dir() else []


def test_a_second_load_reads_the_cache_and_never_imports_yaml(
    series_dir: Path, cache_home: Path
) -> None:
    add_patch(series_dir, "a.patch", "A")
    first = series.load(series_dir)
    assert len(entries(cache_home)) == 1
    probe = (
        "import sys; from pathlib import Path; from patchq.series import io;"
        f"s = io.load(Path({str(series_dir)!r})); print(repr(s)); print('yaml' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home.parent)}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == [repr(first), "False"]


def test_a_hit_gives_what_the_parse_gave_and_an_edit_is_parsed_again(
    series_dir: Path, cache_home: Path
) -> None:
    add_patch(series_dir, "a.patch", "A")
    parsed = series.load(series_dir)
    assert series.load(series_dir) == parsed
    path = series_dir / "series.yaml"
    path.write_text(path.read_text().replace("status: pending", "status: submitted"))
    edited = series.load(series_dir)
    assert edited.patches[0].status.value == "submitted"
    assert len(entries(cache_home)) == 2


def test_errors_are_never_cached(series_dir: Path, cache_home: Path) -> None:
    add_patch(series_dir, "a.patch", "A")
    path = series_dir / "series.yaml"
    path.write_text(path.read_text() + "version: 1\n")  # a duplicate key
    for _ in range(2):
        with pytest.raises(ConfigError, match="duplicate key 'version'"):
            series.load(series_dir)
    assert entries(cache_home) == []


def test_a_broken_entry_is_ignored_and_data_json_cannot_keep_is_not_kept(
    series_dir: Path, cache_home: Path
) -> None:
    add_patch(series_dir, "a.patch", "A")
    parsed = series.load(series_dir)
    [entry] = entries(cache_home)
    entry.write_text("{not json")
    assert series.load(series_dir) == parsed
    entry.write_text(json.dumps({"version": 999, "data": {}}))
    assert series.load(series_dir) == parsed
    assert not parsecache._json_exact({1: "int key"})
    assert not parsecache._json_exact({"x": {1, 2}})
    assert not parsecache._json_exact([float("nan")])
    assert parsecache._json_exact({"a": [1, 2.5, None, True, "x"]})


def test_the_cache_keeps_a_bounded_number_of_entries(cache_home: Path) -> None:
    for i in range(parsecache.KEEP + 5):
        parsecache.remember(parsecache.key(str(i).encode()), {"i": i})
    assert len(entries(cache_home)) == parsecache.KEEP


def test_no_cache_directory_only_costs_the_parse(
    series_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_patch(series_dir, "a.patch", "A")
    monkeypatch.setattr("patchq.usercache.directory", lambda: None)
    assert series.load(series_dir) == series.load(series_dir)


def test_a_hit_keeps_the_order_of_mapping_keys(series_dir: Path, cache_home: Path) -> None:
    """The order the user wrote is data: export formats run in it."""
    add_patch(series_dir, "a.patch", "A")
    path = series_dir / "series.yaml"
    path.write_text(path.read_text() + "export:\n  rpm: x.spec\n  mbox: all.mbox\n  debian: d\n")
    parsed = series.load(series_dir)
    assert list(parsed.export or {}) == ["rpm", "mbox", "debian"]
    assert len(entries(cache_home)) >= 1
    hit = series.load(series_dir)
    assert list(hit.export or {}) == ["rpm", "mbox", "debian"]
    assert repr(hit) == repr(parsed)
