"""series.yaml is loaded boundedly and strictly: anchors and aliases (a "billion laughs" in a
few hundred bytes) are refused at once, and every key has a type."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from patchq.errors import ConfigError
from patchq.series import io as series
from tests.builders import add_patch, run
from tests.cli.test_hardening import one_error_line


def bomb(depth: int, *, where: str = "reason") -> str:
    """Nine aliases per level, `depth` levels: 9**depth strings once expanded."""
    lines = ["version: 1", "upstream: {name: n, path: p, base: b, base_commit: c}"]
    lines.append("junk0: &a0 [x, x, x, x, x, x, x, x, x]")
    for level in range(1, depth + 1):
        lines.append(f"junk{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    lines += ["patches:", "  - file: x.patch", f"    {where}: *a{depth}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("depth", [8, 9, 10, 11, 12])
def test_alias_bombs_are_refused_at_once(tmp_path: Path, depth: int) -> None:
    (tmp_path / "series.yaml").write_text(bomb(depth))
    started, cpu = time.perf_counter(), time.process_time()
    with pytest.raises(ConfigError) as caught:
        series.load(tmp_path)
    assert time.process_time() - cpu < 0.1
    assert time.perf_counter() - started < 1.0  # wall clock: a loaded CI box gets slack
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'series.yaml'}:3: YAML anchor '&a0'")
    assert "\n" not in message


def test_an_alias_alone_is_refused_naming_its_line(series_dir: Path) -> None:
    add_patch(series_dir, "a.patch", "A")
    path = series_dir / "series.yaml"
    path.write_text(path.read_text().replace("status: pending", "status: *nowhere"))
    result = run("list")
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert ("YAML" in line and "*nowhere" in line) or "alias" in line
    assert f"{path}:" in line


def test_star_and_ampersand_in_quoted_text_are_fine(series_dir: Path) -> None:
    add_patch(series_dir, "a.patch", "A")
    path = series_dir / "series.yaml"
    path.write_text(
        path.read_text().replace(
            "status: pending", "status: pending\n    reason: 'see *bold* & &amp; docs'"
        )
    )
    assert series.load(series_dir).patches[0].reason == "see *bold* & &amp; docs"


@pytest.mark.parametrize(
    ("old", "new", "wanted"),
    [
        (
            "status: pending",
            "status: pending\n    reason: [a, b]",
            "reason must be text, not a list",
        ),
        (
            "status: pending",
            "status: pending\n    owner: {x: 1}",
            "owner must be text, not a mapping",
        ),
        ("status: pending", "status: [pending]", "status must be text, not a list"),
        ("status: pending", "status: pending\n    added: [2025]", "added must be text, not a list"),
        (
            "status: pending",
            "status: pending\n    upstream:\n      review: [a]",
            "upstream.review must be text, not a list",
        ),
        ("file: a.patch", "file: [a.patch]", "file must be text, not a list"),
    ],
)
def test_a_wrong_type_in_a_patch_is_refused_with_file_and_line(
    series_dir: Path, old: str, new: str, wanted: str
) -> None:
    add_patch(series_dir, "a.patch", "A")
    path = series_dir / "series.yaml"
    text = path.read_text().replace(old, new)
    path.write_text(text)
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "[" in line or "{" in line)
    result = run("list")
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert wanted in line, line
    assert f"{path}:" in line
    number = int(line.split(f"{path}:")[1].split(":")[0])
    assert abs(number - line_no) <= 1, (line, line_no)


@pytest.mark.parametrize("key", ["path", "name", "url", "branch", "base", "base_commit"])
def test_a_wrong_type_in_upstream_is_refused(series_dir: Path, key: str) -> None:
    path = series_dir / "series.yaml"
    text = path.read_text()
    lines = [
        f"  {key}: [a]" if line.startswith(f"  {key}:") else line for line in text.splitlines()
    ]
    if not any(line.startswith(f"  {key}:") for line in text.splitlines()):
        lines.insert(lines.index("upstream:") + 1, f"  {key}: [a]")
    path.write_text("\n".join(lines) + "\n")
    result = run("list")
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert f"upstream.{key} must be text, not a list" in line, line
    assert f"{path}:" in line
