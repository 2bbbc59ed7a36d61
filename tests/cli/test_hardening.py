"""Misuse of the CLI by packagers, release engineers and CI: one-line errors, exit codes,
nothing lost or corrupted."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from patchq.series import io as series
from tests.builders import UpstreamRepo, add_patch, git, run


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("patchq: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".patchq" not in p.parts
    }


@pytest.fixture
def three(series_dir: Path) -> Path:
    for file, subject in (("a.patch", "A"), ("b.patch", "B"), ("c.patch", "C")):
        add_patch(series_dir, file, subject)
    return series_dir


# -- usage errors are one line too ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["--bogus"], "No such option '--bogus'"),
        (["nosuch"], "No such command 'nosuch'"),
        (["mark"], "Missing argument 'NAME': see `patchq mark --help`"),
        (["mark", "-1", "merged"], "No such option '-1'"),
        (["move", "1", "--to", "x"], "'x' is not a valid integer"),
        (["move", "1", "--to", "0"], "--to 0: positions run from 1 to 3"),
        (["rebase"], "give exactly one of --onto REF"),
        (["rebase", "--onto", "1.0", "--continue"], "give exactly one of --onto REF"),
    ],
)
def test_usage_errors_are_one_line_exit_2(three: Path, args: list[str], wanted: str) -> None:
    before = files_of(three)
    result = run(*args)
    assert result.exit_code == 2
    assert wanted in one_error_line(result.stderr)
    assert "Usage:" not in result.stderr and result.stdout == ""
    assert files_of(three) == before


def test_bare_patchq_still_shows_help() -> None:
    result = run()
    assert "Usage:" in result.stdout + result.stderr
    assert "patchq: error" not in result.stderr


def test_dash_c_to_a_file_says_it_is_not_a_directory(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run("-C", str(afile), "list")
    assert result.exit_code == 2
    assert f"-C {afile}: is not a directory" in one_error_line(result.stderr)
    missing = run("-C", str(tmp_path / "nope"), "list")
    assert "no such directory" in one_error_line(missing.stderr)


# -- messages that named the wrong cause --------------------------------------------------


def test_upstream_pointing_at_a_file(series_dir: Path, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run("status", "--upstream", str(afile))
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert f"{afile} is not a directory" in line and "does not exist" not in line


def test_empty_series_says_it_is_empty(series_dir: Path) -> None:
    before = files_of(series_dir)
    for args in (["mark", "1", "merged"], ["drop", "1"], ["move", "1", "--to", "1"]):
        result = run(*args)
        assert result.exit_code == 2
        line = one_error_line(result.stderr)
        assert "the series in series.yaml is empty" in line and "1..0" not in line
    assert files_of(series_dir) == before


def test_demo_into_a_path_under_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run("demo", str(afile / "sub"))
    assert result.exit_code == 2
    assert f"cannot create {afile / 'sub'}" in one_error_line(result.stderr)


# -- check --output -------------------------------------------------------------------------


def test_check_output_into_a_directory_or_empty_name(three: Path, tmp_path: Path) -> None:
    for target in (str(tmp_path), ""):
        result = run("check", "--output", target)
        assert result.exit_code == 2
        assert "is a directory: give a file name" in one_error_line(result.stderr)


def test_check_output_under_a_file_names_the_file(three: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = run("check", "--output", str(blocker / "sub" / "x.xml"))
    assert result.exit_code == 2
    assert f"{blocker} is a file, not a directory" in one_error_line(result.stderr)
    assert blocker.read_text() == "x"


def test_check_output_is_relative_to_dash_c(
    three: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("-C", str(three), "check", "--output", "ci.xml", "--format", "junit")
    assert result.exit_code == 0, result.stderr
    assert (three / "ci.xml").is_file()
    assert not (tmp_path / "ci.xml").exists()


# -- apply --branch -------------------------------------------------------------------------


@pytest.mark.parametrize("branch", ["@", "@{-1}", "refs/heads/x", "a..b", "-x", "HEAD"])
def test_apply_refuses_branch_names_git_would_expand_or_nest(
    three: Path, upstream: UpstreamRepo, branch: str
) -> None:
    before = upstream.snapshot()
    result = run("apply", "--branch", branch)
    assert result.exit_code == 2
    assert "is not a valid branch name" in one_error_line(result.stderr)
    assert upstream.snapshot() == before
    assert "refs/heads/@" not in git(upstream.path, "for-each-ref")


# -- series.yaml edits: CRLF and comments ---------------------------------------------------


def test_mark_keeps_crlf_line_endings(three: Path) -> None:
    path = three / "series.yaml"
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    result = run("mark", "2", "submitted")
    assert result.exit_code == 0, result.stderr
    after = path.read_bytes()
    assert after.count(b"\n") == after.count(b"\r\n") == crlf.count(b"\r\n")
    changed = [
        (old, new)
        for old, new in zip(crlf.split(b"\r\n"), after.split(b"\r\n"), strict=True)
        if old != new
    ]
    assert changed == [(b"    status: pending", b"    status: submitted")]
    assert series.load(three).patches[1].status == "submitted"


SECTIONS = """\
  # -- fixes ---
  - file: a.patch
    status: pending

  # -- packaging ---
  - file: b.patch
    status: pending
  - file: c.patch
    status: pending
"""


def with_sections(root: Path, *, key_comment: str = "") -> Path:
    path = root / "series.yaml"
    text = path.read_text()
    head = text[: text.index("patches:")]
    tail = text[text.index("history:") :] if "history:" in text else ""
    path.write_text(f"{head}patches:{key_comment}\n{SECTIONS}{tail}")
    assert [p.file for p in series.load(root).patches] == ["a.patch", "b.patch", "c.patch"]
    return path


def test_drop_first_keeps_the_next_patchs_comment(three: Path) -> None:
    path = with_sections(three)
    result = run("drop", "1")
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert "# -- packaging ---\n  - file: b.patch" in text
    assert [p.file for p in series.load(three).patches] == ["b.patch", "c.patch"]


def test_move_to_first_takes_its_comment_along(three: Path) -> None:
    path = with_sections(three, key_comment="  # carried")
    result = run("move", "b", "--to", "1")
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    assert "patches:  # carried\n" in text
    assert "# -- packaging ---\n  - file: b.patch" in text
    assert "# -- fixes ---\n  - file: a.patch" in text
    assert text.index("b.patch") < text.index("a.patch") < text.index("c.patch")


@pytest.mark.parametrize("key_comment", ["", "  # carried"])
def test_dropping_every_patch_leaves_valid_yaml(three: Path, key_comment: str) -> None:
    path = with_sections(three, key_comment=key_comment)
    for _ in range(3):
        result = run("drop", "1")
        assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(path.read_text())  # was "patches: # carried\n[]": invalid YAML
    assert data["patches"] == []
    assert key_comment.strip() in path.read_text()
    assert run("list").exit_code == 0


@pytest.mark.parametrize("key_comment", ["", "  # carried"])
def test_the_comment_block_after_the_last_patch_outlives_it(three: Path, key_comment: str) -> None:
    path = with_sections(three, key_comment=key_comment)
    block = "\n# --- history below: written by patchq ---\n"
    path.write_text(path.read_text().replace("history:", block.lstrip("\n") + "history:"))
    for count in (3, 2, 1):
        result = run("drop", str(count))
        assert result.exit_code == 0, result.stderr
        assert block in path.read_text(), count
    text = path.read_text()
    assert text.index("patches:") < text.index(block) < text.index("history:")
    assert yaml.safe_load(text)["patches"] == []
    assert len(yaml.safe_load(text)["history"]) == 3


# -- a stopped rebase whose state was damaged by hand -----------------------------------------


@pytest.fixture
def stopped(series_dir: Path, upstream: UpstreamRepo) -> Path:
    from tests.builders import make_series, release_two

    make_series(upstream, series_dir)
    release_two(upstream)
    assert run("rebase", "--onto", "2.0").exit_code == 1
    return series_dir


@pytest.mark.parametrize("verb", ["--continue", "--skip"])
def test_state_json_that_is_not_an_object(stopped: Path, verb: str) -> None:
    (stopped / ".patchq" / "rebase" / "state.json").write_text("[]")
    before = files_of(stopped)
    result = run("rebase", verb)
    assert result.exit_code == 2
    assert "state.json is unreadable" in one_error_line(result.stderr)
    assert files_of(stopped) == before
    assert run("rebase", "--abort").exit_code == 0


@pytest.mark.parametrize("verb", ["--skip", "--abort"])
def test_missing_backup_is_one_line_and_writes_nothing(stopped: Path, verb: str) -> None:
    import shutil

    shutil.rmtree(stopped / ".patchq" / "rebase" / "backup")
    before = files_of(stopped)
    result = run("rebase", verb)
    assert result.exit_code == 2
    assert "the rebase backup" in one_error_line(result.stderr)
    assert "restore them from version control" in result.stderr
    assert files_of(stopped) == before


@pytest.mark.parametrize("damage", ["manifest", "blob"])
def test_damaged_backup_on_abort_writes_nothing(stopped: Path, damage: str) -> None:
    backup = stopped / ".patchq" / "rebase" / "backup"
    if damage == "manifest":
        (backup / "manifest.json").write_text("[1]")
    else:
        blob = bytearray((backup / "blob").read_bytes())
        blob[len(blob) // 2] ^= 1
        (backup / "blob").write_bytes(bytes(blob))
    (stopped / "series.yaml").write_text("changed by hand\n")
    before = files_of(stopped)
    result = run("rebase", "--abort")
    assert result.exit_code == 2
    assert "the rebase backup in" in one_error_line(result.stderr)
    assert "is damaged" in result.stderr and "restore series.yaml" in result.stderr
    assert files_of(stopped) == before


def test_skip_after_series_yaml_was_deleted(stopped: Path) -> None:
    (stopped / "series.yaml").unlink()
    result = run("rebase", "--skip")
    assert result.exit_code == 2
    assert "series.yaml changed while the rebase was in progress" in one_error_line(result.stderr)
    assert not (stopped / "series.yaml").exists()
    assert run("rebase", "--abort").exit_code == 0
    assert series.load(stopped).patches


# -- files where patchq expects directories, and a symlinked series.yaml ---------------------


def test_init_when_patches_is_a_file(upstream: UpstreamRepo, workdir: Path) -> None:
    (workdir / "patches").write_text("notes\n")
    result = run("init", "--upstream", str(upstream.path), "--base", "1.0")
    assert result.exit_code == 2
    assert "patches is a file" in one_error_line(result.stderr)
    assert not (workdir / "series.yaml").exists()
    assert (workdir / "patches").read_text() == "notes\n"


@pytest.mark.parametrize(
    "args", [["mark", "1", "merged"], ["drop", "1"], ["rebase", "--onto", "1.0"]]
)
def test_state_dir_that_is_a_file(three: Path, args: list[str]) -> None:
    (three / ".patchq").write_text("x")
    before = files_of(three)
    result = run(*args)
    assert result.exit_code == 2
    assert ".patchq is a file" in one_error_line(result.stderr)
    assert files_of(three) == before


def test_mark_writes_through_a_symlinked_series_yaml(three: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "series.yaml"
    real.parent.mkdir()
    (three / "series.yaml").rename(real)
    (three / "series.yaml").symlink_to(real)
    result = run("mark", "a", "submitted")
    assert result.exit_code == 0, result.stderr
    assert (three / "series.yaml").is_symlink()
    assert series.load(three).patches[0].status == "submitted"
    assert "status: submitted" in real.read_text()


# -- a patch file that is plain text: no mail header, no diff ---------------------------


@pytest.mark.parametrize(
    "args",
    [["status"], ["apply", "--branch", "built"], ["rebase", "--onto", "2.0", "--dry-run"]],
)
def test_plain_text_patch_file_is_not_applies(
    three: Path, upstream: UpstreamRepo, args: list[str]
) -> None:
    upstream.commit("Release 2.0", {"README.rst": "nova 2\n"})
    upstream.tag("2.0")
    (three / "patches" / "b.patch").write_text("hello world\nthis is not a patch\n")
    before, snap = files_of(three), upstream.snapshot()
    result = run(*args)
    assert result.exit_code == 2
    assert "b.patch: not a patch (no mail header and no diff)" in one_error_line(result.stderr)
    assert "applies" not in result.stdout
    assert files_of(three) == before and upstream.snapshot() == snap


# -- text that YAML 1.1 would read back as something else --------------------------------------


@pytest.mark.parametrize("text", ["yes", "no", "on", "Off", "12", "1.0", "null", "~"])
def test_mark_reason_and_owner_read_back_as_written(three: Path, text: str) -> None:
    result = run("mark", "a", "submitted", "--reason", text, "--owner", text)
    assert result.exit_code == 0, result.stderr
    patch = series.load(three).patches[0]
    assert (patch.reason, patch.owner) == (text, text)


# -- an --output that would overwrite the series ----------------------------------------------


@pytest.mark.parametrize("command", ["report", "check"])
@pytest.mark.parametrize("target", ["series.yaml", "./series.yaml", "patches/a.patch", ".patchq/x"])
def test_output_never_overwrites_the_series(three: Path, command: str, target: str) -> None:
    before = files_of(three)
    result = run(command, "--output", target)
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert "is the series file itself" in line or "is inside" in line
    assert files_of(three) == before
    assert series.load(three).patches


def test_rebase_keeps_crlf_line_endings(series_dir: Path, upstream: UpstreamRepo) -> None:
    from tests.builders import make_series, release_two

    make_series(upstream, series_dir)
    release_two(upstream)
    path = series_dir / "series.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert run("rebase", "--onto", "2.0").exit_code == 1  # stops at the conflict
    result = run("rebase", "--skip")
    assert result.exit_code == 0, result.stderr
    after = path.read_bytes()
    assert after.count(b"\n") == after.count(b"\r\n") > 10
    assert series.load(series_dir).upstream.base == "2.0"


def test_demo_interrupted_step_exits_130_without_a_second_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from patchq.demo import tour as demo

    steps = [demo.Step("list", ("list",)), demo.Step("never", ("status",))]
    said: list[str] = []
    with pytest.raises(SystemExit) as stop:  # 130: what a Ctrl-C inside a step returns
        demo.run_steps(demo.Layout(tmp_path), steps, say=said.append, invoke=lambda argv: 130)
    assert stop.value.code == 130
    assert len(said) == 1  # stopped after the interrupted step
    assert "patchq: error" not in capsys.readouterr().err


def test_init_name_branch_url_read_back_as_written(upstream: UpstreamRepo, workdir: Path) -> None:
    result = run(
        "init", "--upstream", str(upstream.path), "--base", "1.0", "--name", "yes",
        "--branch", "on", "--url", "no",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    loaded = series.load(workdir).upstream
    assert (loaded.name, loaded.branch, loaded.url) == ("yes", "on", "no")


# -- subjects are data, not rich markup -------------------------------------------------------


def test_list_and_rebase_plan_print_brackets_in_subjects(
    series_dir: Path, upstream: UpstreamRepo
) -> None:
    for file, subject in (("a.patch", "Close [/] tag"), ("b.patch", "Make [bold]x[/bold] work")):
        add_patch(series_dir, file, subject)
    listed = run("list")
    assert listed.exit_code == 0, listed.stderr
    assert "Close [/] tag" in listed.stdout and "Make [bold]x[/bold] work" in listed.stdout
    upstream.commit("Release 2.0", {"README.rst": "nova 2\n"})
    upstream.tag("2.0")
    plan = run("rebase", "--onto", "2.0", "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    assert "Close [/] tag" in plan.stdout and "[bold]x[/bold]" in plan.stdout


@pytest.mark.parametrize(
    "args", [["list"], ["report", "--format", "text"], ["report", "--format", "markdown"]]
)
def test_control_characters_in_subjects_never_reach_the_output(
    series_dir: Path, args: list[str]
) -> None:
    add_patch(series_dir, "a.patch", "\x1b[31mRed\x1b]0;title\x07 and \x01 more")
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert "Red" in result.stdout and "more" in result.stdout
    assert not any(ch in result.stdout for ch in "\x1b\x07\x01")


# -- duplicate keys ---------------------------------------------------------------------------


def test_duplicate_keys_are_refused_not_a_traceback(three: Path) -> None:
    path = three / "series.yaml"
    path.write_text(
        path.read_text().replace(
            "    status: pending\n", "    status: pending\n    status: merged\n", 1
        )
    )
    before = files_of(three)
    for args in (["list"], ["mark", "a", "submitted"]):
        result = run(*args)
        assert result.exit_code == 2
        assert "duplicate key 'status'" in one_error_line(result.stderr)
    checked = run("check", "--format", "json")
    assert checked.exit_code == 1
    assert "duplicate key 'status'" in checked.stdout
    assert files_of(three) == before


def test_apply_onto_empty_string_is_refused_not_the_base(
    three: Path, upstream: UpstreamRepo
) -> None:
    before = upstream.snapshot()
    result = run("apply", "--onto", "", "--branch", "built")
    assert result.exit_code == 2
    assert "ref '' is not a commit" in one_error_line(result.stderr)
    assert upstream.snapshot() == before


LEADS = """\
version: 1
patches: # eol
  # lead a
  - file: a   # inline a
  # lead b
  - file: b
    status: x # inline b

  # lead c
  - file: c
# tail of list
history: [] # h
"""


@pytest.mark.parametrize(
    "order",
    [p for n in range(4) for p in itertools.permutations("abc", n)],
)
def test_every_reorder_and_removal_keeps_each_comment_with_its_patch(order: tuple[str]) -> None:
    import io

    from ruamel.yaml import YAML

    from patchq.series import yamledit

    yml = series._yaml(YAML)
    doc = yml.load(LEADS)
    items = {item["file"]: dict(item) for item in doc["patches"]}
    yamledit.reconcile_document(
        doc, {"version": 1, "patches": [items[k] for k in order], "history": []}
    )
    out = io.StringIO()
    yml.dump(doc, out)
    text = out.getvalue()
    assert [p["file"] for p in yaml.safe_load(text)["patches"]] == list(order)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for key in "abc":
        if key in order:
            assert lines[lines.index(f"# lead {key}") + 1].startswith(f"- file: {key}"), text
        else:
            assert f"lead {key}" not in text, text
    assert "# eol" in text and "# h" in text
    assert "# tail of list" in text  # a block between two keys outlives the list's items
    assert text.index("# tail of list") < text.index("history:")
