"""patchq's compiled templates are kept in a private cache and used only when they are what
jinja2 would compile now: same bytes out, a changed template compiled again, no cache in a
directory someone else may write to, none for a user's own (sandboxed) template."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from patchq import usercache
from patchq.report import render, templatecache


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = usercache.directory()
    assert root is not None
    return root / "templates"


def page(source: str) -> str:
    env = render.environment(jinja2.DictLoader({"page.j2": source}), autoescape=True)
    return env.get_template("page.j2").render(name="<nova>")


def test_a_kept_template_renders_the_same_and_a_changed_one_is_compiled_again(
    cache_root: Path,
) -> None:
    assert page("hello {{ name }}\n") == "hello &lt;nova&gt;\n"
    [entry] = list(cache_root.glob("*/__jinja2_*.cache"))
    assert oct(entry.parent.stat().st_mode & 0o777) == "0o700"
    stamp = entry.stat().st_mtime_ns
    assert page("hello {{ name }}\n") == "hello &lt;nova&gt;\n"
    assert entry.stat().st_mtime_ns == stamp  # read, not written again
    assert page("bye {{ name }}\n") == "bye &lt;nova&gt;\n"  # same name, new source
    assert entry.read_bytes() != b""


def test_options_that_shape_the_code_get_their_own_entries(cache_root: Path) -> None:
    loader = jinja2.DictLoader({"page.j2": "{{ name }}"})
    plain = render.environment(loader, autoescape=False).get_template("page.j2")
    assert plain.render(name="<x>") == "<x>"
    assert page("{{ name }}") == "&lt;x&gt;".replace("x", "nova")
    assert len(list(cache_root.iterdir())) == 2


def test_no_cache_where_others_may_write_or_for_a_users_template(
    cache_root: Path, tmp_path: Path
) -> None:
    cache_root.mkdir(parents=True)
    os.chmod(cache_root, 0o777)
    assert templatecache.bytecode_cache("x") is None
    assert page("hi {{ name }}") == "hi &lt;nova&gt;"
    assert not list(cache_root.iterdir())
    os.chmod(cache_root, 0o700)
    env = render.environment(jinja2.DictLoader({}), autoescape=True, sandboxed=True)
    assert env.bytecode_cache is None


def test_no_home_means_no_cache_and_a_relative_xdg_value_is_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert usercache.directory() == Path.home() / ".cache" / "patchq"

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", no_home)
    assert usercache.directory() is None
    assert usercache.read_json("x.json") is None
    usercache.write_json("x.json", {"a": 1})  # nothing to write to, and no error
    assert templatecache.bytecode_cache("x") is None
    assert page("hi {{ name }}") == "hi &lt;nova&gt;"
