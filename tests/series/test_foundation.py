"""init, list, mark, drop, move and series.yaml round-trips."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from patchq.series import io as series
from tests.builders import PATCH, UpstreamRepo, add_patch, git, run


def test_init_pins_base_and_refuses_overwrite(series_dir: Path, upstream: UpstreamRepo) -> None:
    loaded = series.load(series_dir)
    assert loaded.upstream.base == "1.0"
    assert loaded.upstream.base_commit == git(upstream.path, "rev-parse", "1.0").strip()
    assert (series_dir / "patches").is_dir()
    again = run("init", "--upstream", str(upstream.path), "--base", "1.0")
    assert again.exit_code == 2
    assert again.stderr == (
        f"patchq: error: {series_dir / 'series.yaml'} already exists: "
        "edit it, or remove it to start over\n"
    )


def test_init_unknown_ref_and_not_a_repo(
    upstream: UpstreamRepo, workdir: Path, tmp_path: Path
) -> None:
    bad_ref = run("init", "--upstream", str(upstream.path), "--base", "9.9")
    assert bad_ref.exit_code == 2
    assert bad_ref.stderr == (
        f"patchq: error: base '9.9' is not a commit in {upstream.path}: "
        "check the name or fetch it\n"
    )
    plain = tmp_path / "plain"
    plain.mkdir()
    not_repo = run("init", "--upstream", str(plain), "--base", "1.0")
    assert not_repo.exit_code == 2
    assert not_repo.stderr == (
        f"patchq: error: {plain} is not a git repository: point --upstream at a clone of upstream\n"
    )
    assert not (workdir / "series.yaml").exists()


def test_mark_keeps_comments_and_blank_lines(series_dir: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "First")
    add_patch(series_dir, "0002-b.patch", "Second")
    path = series_dir / "series.yaml"
    text = path.read_text().replace(
        "  - file: 0002-b.patch", "\n  # carried until 2.0, see bug 123\n  - file: 0002-b.patch"
    )
    text = text.replace("version: 1", "version: 1  # do not bump")
    path.write_text(text)
    result = run(
        "mark",
        "0002-b",
        "submitted",
        "--review",
        "https://review.example/1",
        "--reason",
        "needed by operators",
    )
    assert result.exit_code == 0, result.stderr
    after = path.read_text()
    assert "version: 1  # do not bump" in after
    assert "\n\n  # carried until 2.0, see bug 123\n  - file: 0002-b.patch\n" in after
    assert "    status: submitted\n    reason: needed by operators\n" in after
    assert "      review: https://review.example/1\n" in after
    # Only the edited entry changed.
    assert after.count("status: pending") == 1


def test_list_json_and_text(series_dir: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "Add the a file")
    result = run("list", "--format", "json")
    assert result.exit_code == 0
    row = json.loads(result.stdout)["patches"][0]
    assert row["name"] == "0001-a"
    assert row["file"] == "0001-a.patch"
    assert row["subject"] == "Add the a file"
    assert row["author"] == "Jane Doe <jane@example.org>"
    text = run("list")
    assert "Add the a file" in text.stdout and "pending" in text.stdout


def test_drop_records_history_and_removes_file(series_dir: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "First")
    add_patch(series_dir, "0002-b.patch", "Second")
    result = run("drop", "1", "--reason", "landed")
    assert result.exit_code == 0, result.stderr
    assert not (series_dir / "patches" / "0001-a.patch").exists()
    loaded = series.load(series_dir)
    assert [p.file for p in loaded.patches] == ["0002-b.patch"]
    dropped = loaded.history[-1]["dropped"][0]
    assert dropped == {"file": "0001-a.patch", "subject": "First", "reason": "landed"}


def test_move_before_after_to(series_dir: Path) -> None:
    for i, name in enumerate(["a", "b", "c"], 1):
        add_patch(series_dir, f"000{i}-{name}.patch", name)

    def order() -> list[str]:
        return [p.file[5] for p in series.load(series_dir).patches]

    assert run("move", "0003-c", "--before", "1").exit_code == 0
    assert order() == ["c", "a", "b"]
    assert run("move", "c", "--after", "3").exit_code == 2  # "c" is no name: a, b are
    assert run("move", "0003-c", "--to", "3").exit_code == 0
    assert order() == ["a", "b", "c"]
    assert run("move", "1", "--after", "0002-b").exit_code == 0
    assert order() == ["b", "a", "c"]
    bad = run("move", "1", "--to", "9")
    assert bad.exit_code == 2 and "positions run from 1 to 3" in bad.stderr


def test_validation_errors_name_file_and_line(series_dir: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "First")
    path = series_dir / "series.yaml"
    good = path.read_text()
    cases = {
        "statuss: pending": "unknown key 'statuss'; did you mean 'status'?",
        "status: merge": "unknown status 'merge'; expected one of: pending, submitted",
        "status: pending\n    upstream:\n      change_id: Ixyz": "bad Change-Id 'Ixyz'",
        "status: pending\n  - file: 0001-a.patch": "0001-a.patch is listed twice",
    }
    for replacement, message in cases.items():
        path.write_text(good.replace("status: pending", replacement, 1))
        result = run("list")
        assert result.exit_code == 2, replacement
        assert message in result.stderr, result.stderr
        assert f"{path}:" in result.stderr
        assert "Traceback" not in result.stderr


def test_path_traversal_and_missing_file(series_dir: Path, tmp_path: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "First")
    path = series_dir / "series.yaml"
    good = path.read_text()
    (tmp_path / "secret.patch").write_text("secret")
    (series_dir / "patches" / "link.patch").symlink_to(tmp_path / "secret.patch")
    for bad, message in {
        "../../secret.patch": "escapes patches/",
        "/etc/passwd": "is absolute",
        "link.patch": "symlink out of patches/",
        "0009-missing.patch": "patches/0009-missing.patch is missing",
    }.items():
        path.write_text(good.replace("file: 0001-a.patch", f"file: {bad}"))
        result = run("list")
        assert result.exit_code == 2
        assert message in result.stderr, result.stderr


def test_yaml_syntax_error_names_line(series_dir: Path) -> None:
    path = series_dir / "series.yaml"
    path.write_text(path.read_text() + "patches: [\n")
    result = run("list")
    assert result.exit_code == 2
    assert result.stderr == (
        f"patchq: error: {path}:11: YAML syntax error: did not find expected node content: "
        "fix the file\n"
    )


def test_no_series_yaml(workdir: Path) -> None:
    result = run("list")
    assert result.exit_code == 2
    assert result.stderr == (
        f"patchq: error: no series.yaml in {workdir}: run `patchq init` or pass -C DIR\n"
    )


def test_global_options_after_command(series_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    result = run("list", "-C", str(series_dir), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"patches": []}


def test_patch_ids_of_format_patch_files_map_to_their_inputs(upstream: UpstreamRepo) -> None:
    from patchq.git import Repo

    one = PATCH.format(subject="One", cid="1" * 40, path="one.txt").encode()
    two = PATCH.format(subject="Two", cid="2" * 40, path="two.txt").encode()
    with Repo(upstream.path) as repo:
        ids = repo.patch_ids([one, two, one])
    assert ids[0] is not None and ids[1] is not None
    assert ids[0] != ids[1]
    assert ids[2] == ids[0]


def test_upstream_flag_beats_environment(
    series_dir: Path, upstream: UpstreamRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATCHQ_UPSTREAM", "/nonexistent")
    result = run("--upstream", str(upstream.path), "import", "--range", "1.0..1.0")
    assert "/nonexistent" not in result.stderr


def test_commit_info_keeps_repeated_requests(upstream: UpstreamRepo) -> None:
    from patchq.git import Repo

    head = upstream.head()
    with Repo(upstream.path) as repo:
        infos = repo.commit_info([head, head])
    assert [i.sha for i in infos] == [head, head]


def test_new_dates_are_written_as_plain_dates(series_dir: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "First")
    import dataclasses

    current = series.load(series_dir)
    patched = dataclasses.replace(current.patches[0], added="2026-01-02")
    series.save(series_dir, dataclasses.replace(current, patches=(patched,)))
    assert "    added: 2026-01-02\n" in (series_dir / "series.yaml").read_text()
    assert series.load(series_dir).patches[0].added == "2026-01-02"


def test_version_and_every_command_help_has_an_example() -> None:
    from patchq import __version__
    from patchq.cli import cli

    version = run("--version")
    assert version.exit_code == 0 and __version__ in version.stdout
    assert set(cli.commands) >= {
        "init",
        "import",
        "list",
        "mark",
        "drop",
        "move",
        "demo",
        "status",
        "apply",
        "rebase",
        "report",
        "check",
    }
    for name in cli.commands:
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Example" in result.stdout, f"`patchq {name} --help` shows no example"


def test_verbose_shows_git_commands_on_stderr(series_dir: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "First")
    result = run("-v", "status", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "+ git -C" in result.stderr
    assert "+ git" not in result.stdout
    json.loads(result.stdout)


def test_history_times_are_written_plain_and_read_back_as_text(series_dir: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "First")
    assert run("drop", "1", "--reason", "gone").exit_code == 0
    text = (series_dir / "series.yaml").read_text()
    assert re.search(r"\n  - date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n", text), text
    entry = series.load(series_dir).history[-1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["date"])


def test_upstream_from_environment_when_no_flag(
    upstream: UpstreamRepo, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATCHQ_UPSTREAM", str(upstream.path))
    assert run("init", "--base", "1.0").exit_code == 0
    text = (workdir / "series.yaml").read_text()
    text = text.replace("path: ../nova", "path: ../nowhere")
    (workdir / "series.yaml").write_text(text)
    result = run("status", "--format", "json")  # upstream.path is wrong; the env var is not
    assert result.exit_code == 0, result.stderr
    monkeypatch.delenv("PATCHQ_UPSTREAM")
    missing = run("status")
    assert missing.exit_code == 2 and "nowhere" in missing.stderr


def test_quiet_silences_diagnostics_not_errors(series_dir: Path) -> None:
    add_patch(series_dir, "0001-a.patch", "First")
    loud = run("mark", "1", "submitted", "--review", "https://review.example/1")
    assert loud.exit_code == 0 and "0001-a.patch: submitted" in loud.stderr
    quiet = run("-q", "mark", "1", "merged")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    failed = run("-q", "mark", "9", "merged")
    assert failed.exit_code == 2 and "no patch '9'" in failed.stderr
