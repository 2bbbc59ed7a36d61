"""patchq status: every evidence kind on real histories, applies/conflicts, errors, cache."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from patchq import console
from patchq.status.cache import cache_path
from tests.builders import NOVA_API, NOVA_CONF, Downstream, UpstreamRepo, cherry_pick, git, run

CID_A = "I" + "a" * 40
CID_B = "I" + "b" * 40
TIMEOUT_CONF = NOVA_CONF.replace('"rbd_pool": "vms",', '"rbd_pool": "vms",\n    "rbd_timeout": 60,')
LOUD_API = NOVA_API.replace('LOG.info("rebooting', 'LOG.warning("rebooting')


@pytest.fixture
def downstream(upstream: UpstreamRepo, tmp_path: Path) -> Downstream:
    return Downstream(upstream, tmp_path / "down")


def status_json(*args: str) -> dict[str, Any]:
    result = run("status", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def states(*args: str) -> dict[str, dict[str, Any]]:
    """Patch name without the NNNN- prefix -> its JSON entry."""
    return {p["name"][5:]: p for p in status_json(*args)["patches"]}


def rev(repo: UpstreamRepo | Downstream, ref: str) -> str:
    return git(repo.path, "rev-parse", ref).strip()


def test_landed_applies_conflicts(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    landed = downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.commit("Delete quietly", {"README.rst": "nova downstream\n"})
    downstream.export(series_dir)
    cherry_pick(upstream, downstream, landed)
    upstream.commit("Rewrite readme", {"README.rst": "The nova project\n"})
    upstream.tag("2.0")
    before = upstream.snapshot()
    data = status_json("--against", "2.0")
    assert upstream.snapshot() == before
    got = {p["name"][5:]: p for p in data["patches"]}
    assert got["Add-rbd-timeout"]["state"] == "landed"
    assert got["Add-rbd-timeout"]["evidence"] == ["patch-id", "reverse-apply"]
    assert got["Add-rbd-timeout"]["upstream_commit"] == rev(upstream, "2.0~1")
    assert got["Log-reboots-louder"]["state"] == "applies"
    assert got["Delete-quietly"]["state"] == "conflicts"
    assert got["Delete-quietly"]["conflicts"] == ["README.rst"]
    assert set(data) == {
        "base",
        "base_commit",
        "against",
        "against_commit",
        "patches",
        "left_behind",
    }
    assert data["left_behind"] == []
    assert set(data["patches"][0]) == {
        "name", "file", "subject", "status", "state", "evidence", "upstream_commit",
        "conflicts", "similar",
    }  # fmt: skip
    assert data["against"] == "2.0" and data["against_commit"] == rev(upstream, "2.0")
    assert data["base"] == "1.0" and data["base_commit"] == rev(upstream, "1.0")
    text = run("status", "--against", "2.0")
    assert text.exit_code == 0, text.stderr
    short = {r: rev(upstream, r)[:12] for r in ("1.0", "2.0", "2.0~1")}
    assert text.stdout == (
        f"against 2.0 ({short['2.0']}), base 1.0 ({short['1.0']})\n"
        "#  patch                    state      evidence                 upstream      notes\n"
        f"1  0001-Add-rbd-timeout     landed     patch-id, reverse-apply  {short['2.0~1']}\n"
        "2  0002-Log-reboots-louder  applies\n"
        "3  0003-Delete-quietly      conflicts                                         "
        "conflicts: README.rst\n"
        "3 patches: 1 landed, 1 apply, 1 conflicts\n"
    )
    assert upstream.snapshot() == before


def test_reworked_landing_with_change_id_kept(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    downstream.commit(f"Add rbd timeout\n\nChange-Id: {CID_A}", {"nova/conf.py": TIMEOUT_CONF})
    downstream.export(series_dir)
    reworked = NOVA_CONF.replace('"rbd_pool": "vms",', '"rbd_pool": "vms",\n    "rbd_timeout": 90,')
    landed = upstream.commit(f"Add an rbd timeout option\n\nChange-Id: {CID_A}", {
        "nova/conf.py": reworked})  # fmt: skip
    upstream.tag("2.0")
    got = states("--against", "2.0")["Add-rbd-timeout"]
    assert got["state"] == "landed"
    assert got["evidence"] == ["change-id"]
    assert got["upstream_commit"] == landed
    text = run("status", "--against", "2.0")
    assert "landed (modified upstream)" in text.stdout


def test_change_id_from_metadata_and_patch_id_only(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    first = downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.export(series_dir, p2={"change_id": CID_B, "status": "submitted"})
    # landed with no trailer at all and another message: only the diff says it is the same
    by_diff = cherry_pick(upstream, downstream, first, message="Timeouts for rbd")
    reworked = LOUD_API.replace('"hard": hard', '"hard": bool(hard)')
    by_cid = upstream.commit(f"Louder reboots\n\nChange-Id: {CID_B}", {"nova/api.py": reworked})
    upstream.tag("2.0")
    got = states("--against", "2.0")
    assert got["Add-rbd-timeout"]["evidence"] == ["patch-id", "reverse-apply"]
    assert got["Add-rbd-timeout"]["upstream_commit"] == by_diff
    assert got["Log-reboots-louder"]["evidence"] == ["change-id"]
    assert got["Log-reboots-louder"]["upstream_commit"] == by_cid
    assert got["Log-reboots-louder"]["status"] == "submitted"


def test_cherry_pick_evidence_and_unknown_commit(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    reworked = NOVA_CONF.replace('"rbd_pool": "vms",', '"rbd_pool": "vms",\n    "rbd_timeout": 90,')
    picked = upstream.commit("Add an rbd timeout option", {"nova/conf.py": reworked})
    upstream.tag("2.0")
    downstream.commit(f"Add rbd timeout\n\n(cherry picked from commit {picked})", {
        "nova/conf.py": TIMEOUT_CONF})  # fmt: skip
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.commit("Say hello", {"hello.txt": "hello\n"})
    downstream.export(
        series_dir,
        p2={"commit": picked[:12], "status": "backport"},
        p3={"commit": "f" * 40, "status": "backport"},  # not in the repository: no evidence
    )
    got = states("--against", "2.0")
    assert got["Add-rbd-timeout"]["evidence"] == ["cherry-pick"]
    assert got["Add-rbd-timeout"]["upstream_commit"] == picked
    assert got["Log-reboots-louder"]["state"] == "landed"
    assert got["Log-reboots-louder"]["evidence"] == ["cherry-pick"]
    assert got["Say-hello"]["state"] == "applies"
    assert got["Say-hello"]["evidence"] == []


def test_cherry_pick_reachable_before_base(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    older = rev(upstream, "1.0")
    downstream.commit("Say hello", {"hello.txt": "hello\n"})
    downstream.export(series_dir, p1={"commit": older})
    upstream.commit("Unrelated", {"other.txt": "x\n"})
    upstream.tag("2.0")
    got = states("--against", "2.0")["Say-hello"]
    assert got["evidence"] == ["cherry-pick"] and got["upstream_commit"] == older


def test_reverse_apply_names_the_commit_that_completed_the_change(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    both = TIMEOUT_CONF.replace('"workers": 4', '"workers": 8')
    downstream.commit("Tune conf", {"nova/conf.py": both})
    downstream.export(series_dir)
    upstream.commit(
        "More workers", {"nova/conf.py": NOVA_CONF.replace('"workers": 4', '"workers": 8')}
    )
    completed = upstream.commit("Timeout too", {"nova/conf.py": both, "README.rst": "nova!\n"})
    upstream.commit("Docs", {"README.rst": "nova docs\n"})
    upstream.tag("2.0")
    got = states("--against", "2.0")["Tune-conf"]
    assert got["state"] == "landed"
    assert got["evidence"] == ["reverse-apply"]
    assert got["upstream_commit"] == completed
    text = run("status", "--against", "2.0")
    assert "landed (modified upstream)" not in text.stdout


def test_reverted_commit_is_no_evidence_and_reverting_the_revert_restores_it(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    landed = downstream.commit(f"Add rbd timeout\n\nChange-Id: {CID_A}", {
        "nova/conf.py": TIMEOUT_CONF})  # fmt: skip
    downstream.export(series_dir)
    upstream_sha = cherry_pick(upstream, downstream, landed)
    revert = upstream.commit(
        f'Revert "Add rbd timeout"\n\nThis reverts commit {upstream_sha}.',
        {"nova/conf.py": NOVA_CONF},
    )
    upstream.tag("2.0")
    got = states("--against", "2.0")["Add-rbd-timeout"]
    assert got["state"] == "applies"
    assert got["evidence"] == []
    assert got["similar"] is None or got["similar"]["commit"] != revert
    upstream.commit(
        f'Reapply "Add rbd timeout"\n\nThis reverts commit {revert}.',
        {"nova/conf.py": TIMEOUT_CONF},
    )
    upstream.tag("3.0")
    again = states("--against", "3.0")["Add-rbd-timeout"]
    assert again["state"] == "landed"
    assert again["evidence"][:2] == ["patch-id", "change-id"]
    assert again["upstream_commit"] == upstream_sha


def test_similar_is_a_hint_not_a_verdict(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    mine = NOVA_API.replace("LOG.info(", "LOG.warning(")
    downstream.commit("Warn on every action", {"nova/api.py": mine})
    downstream.export(series_dir)
    theirs = mine.replace('LOG.warning("deleting', 'LOG.error("deleting')
    similar = upstream.commit("Raise log levels", {"nova/api.py": theirs})
    upstream.tag("2.0")
    got = states("--against", "2.0")["Warn-on-every-action"]
    assert got["state"] == "conflicts"
    assert got["evidence"] == []
    assert got["similar"]["commit"] == similar
    assert got["similar"]["subject"] == "Raise log levels"
    assert 0.5 <= got["similar"]["score"] < 1.0


def test_dependent_patches_are_judged_on_the_stack(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    first = downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.commit("Raise rbd timeout", {
        "nova/conf.py": TIMEOUT_CONF.replace("60", "120")})  # fmt: skip
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.commit("Even louder", {"nova/api.py": LOUD_API.replace(
        'LOG.warning("rebooting', 'LOG.error("rebooting')})  # fmt: skip
    downstream.export(series_dir)
    cherry_pick(upstream, downstream, first)
    upstream.commit("Quiet reboots", {"nova/api.py": NOVA_API.replace(
        'LOG.info("rebooting %s", instance)', 'LOG.debug("rebooting %s", instance)')})  # fmt: skip
    upstream.tag("2.0")
    got = states("--against", "2.0")
    assert got["Add-rbd-timeout"]["state"] == "landed"
    assert got["Raise-rbd-timeout"]["state"] == "applies"  # on top of upstream's version
    assert got["Log-reboots-louder"]["state"] == "conflicts"
    assert got["Even-louder"]["state"] == "conflicts"  # its base never made it into the stack


def test_renames_mode_changes_added_deleted_and_binary_files(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    binary = bytes(range(256)) * 4
    downstream.commit("Tune conf", {"nova/conf.py": TIMEOUT_CONF})
    script = downstream.commit("Add tool", {"tools/run.sh": "#!/bin/sh\necho run\n"})
    os.chmod(downstream.path / "tools/run.sh", 0o755)
    mode = downstream.commit("Make tool executable")
    added = downstream.commit("Add logo", {"doc/logo.bin": binary})
    deleted = downstream.commit("Drop readme", {"README.rst": None})
    git(downstream.path, "mv", "nova/api.py", "nova/compute_api.py")
    renamed = downstream.commit("Rename api")
    downstream.export(series_dir)
    # upstream renames conf.py (the first patch must follow it) and takes the others as-is
    upstream.commit("Move conf", {"nova/conf.py": None, "nova/config.py": NOVA_CONF})
    for sha in (script, mode, added, deleted, renamed):
        cherry_pick(upstream, downstream, sha)
    upstream.tag("2.0")
    before = upstream.snapshot()
    got = states("--against", "2.0")
    assert upstream.snapshot() == before
    assert got["Tune-conf"]["state"] == "applies"
    for name in ("Add-tool", "Make-tool-executable", "Add-logo", "Drop-readme", "Rename-api"):
        assert got[name]["state"] == "landed", name
        assert "patch-id" in got[name]["evidence"], name
        assert "reverse-apply" in got[name]["evidence"], name


def test_binary_change_not_landed_applies(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    downstream.commit("Add logo", {"doc/logo.bin": bytes(range(256))})
    downstream.commit("Change logo", {"doc/logo.bin": bytes(reversed(range(256)))})
    downstream.export(series_dir)
    upstream.commit("Unrelated", {"README.rst": "nova 2\n"})
    upstream.tag("2.0")
    got = states("--against", "2.0")
    assert [p["state"] for p in got.values()] == ["applies", "applies"]


def test_empty_series(series_dir: Path, upstream: UpstreamRepo) -> None:
    upstream.commit("Unrelated", {"README.rst": "nova 2\n"})
    upstream.tag("2.0")
    data = status_json("--against", "2.0")
    assert data["patches"] == []
    text = run("status", "--against", "2.0")
    assert text.exit_code == 0
    assert text.stdout == (
        f"against 2.0 ({rev(upstream, '2.0')[:12]}), base 1.0 ({rev(upstream, '1.0')[:12]})\n"
        "#  patch  state  evidence  upstream  notes\n"
        "0 patches: 0 landed, 0 apply, 0 conflicts\n"
    )


def test_against_defaults_to_branch_tip(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    landed = downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.export(series_dir)
    cherry_pick(upstream, downstream, landed)
    data = status_json()
    assert data["against"] == "master"
    assert data["against_commit"] == upstream.head()
    assert data["patches"][0]["state"] == "landed"


def test_errors_are_one_line_exit_2(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream, tmp_path: Path
) -> None:
    downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.export(series_dir)
    unknown = run("status", "--against", "9.9")
    assert unknown.exit_code == 2
    clone = f"{series_dir}/../nova"
    assert unknown.stderr == (
        f"patchq: error: ref '9.9' is not a commit in {clone}: check the name or fetch it\n"
    )
    assert len(unknown.stderr.strip().splitlines()) == 1
    git(upstream.path, "checkout", "-q", "--orphan", "other")
    git(upstream.path, "commit", "-q", "--allow-empty", "-m", "unrelated root")
    git(upstream.path, "tag", "orphan")
    git(upstream.path, "checkout", "-q", "-f", "master")
    unrelated = run("status", "--against", "orphan")
    assert unrelated.exit_code == 2
    assert unrelated.stderr == (
        f"patchq: error: base 1.0 ({rev(upstream, '1.0')[:12]}) and orphan "
        f"({rev(upstream, 'orphan')[:12]}) share no history in {clone}: pick a REF of the same "
        "project\n"
    )
    older = run("status", "--against", "1.0~0")
    assert older.exit_code == 0, older.stderr  # base itself: an empty range
    missing = run("--upstream", str(tmp_path / "nowhere"), "status")
    assert missing.exit_code == 2
    assert missing.stderr == (
        f"patchq: error: upstream repository {tmp_path / 'nowhere'} does not exist: "
        "pass --upstream PATH or set upstream.path in series.yaml\n"
    )
    dashed = run("status", "--against", "--upload-pack=evil")
    assert dashed.exit_code == 2


def test_rebase_in_progress_is_said(series_dir: Path, upstream: UpstreamRepo) -> None:
    (series_dir / ".patchq").mkdir()
    (series_dir / ".patchq" / "rebase").write_text("{}")
    text = run("status", "--against", "1.0")
    assert text.exit_code == 0, text.stderr
    assert "rebase is in progress" in text.stdout


def test_cache_makes_second_run_diff_nothing_and_survives_corruption(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    landed = downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.export(series_dir)
    cherry_pick(upstream, downstream, landed)
    upstream.commit("Other conf", {"nova/conf.py": TIMEOUT_CONF.replace('"vms"', '"volumes"')})
    upstream.commit("Readme", {"README.rst": "nova upstream\n"})
    upstream.tag("2.0")
    cold = run("-v", "status", "--against", "2.0", "--format", "json")
    assert cold.exit_code == 0, cold.stderr
    assert " log -z" in cold.stderr and " diff-tree --stdin" in cold.stderr
    path = cache_path_of(upstream)
    assert path.is_file()
    assert str(series_dir) not in str(path)
    warm = run("-v", "status", "--against", "2.0", "--format", "json")
    assert warm.stdout == cold.stdout
    for command in (" log -z", " diff-tree ", " rev-list ", " merge-base "):
        assert command not in warm.stderr, command
    assert " cat-file " not in warm.stderr and " merge-tree " not in warm.stderr
    # a changed patch is judged afresh: its recorded outcome no longer matches
    git(downstream.path, "checkout", "-q", "-b", "other", "1.0")
    console.settings.verbose = False
    conflicting = downstream.commit("Readme", {"README.rst": "nova downstream\n"})
    text = git(downstream.path, "format-patch", "-1", "--stdout", conflicting)
    second = sorted((series_dir / "patches").glob("0002-*.patch"))[0]
    second.write_text(text)
    res = run("status", "--against", "2.0", "--format", "json")
    assert res.exit_code == 0, res.stderr
    changed = json.loads(res.stdout)
    assert [p["state"] for p in changed["patches"]] == ["landed", "conflicts"]
    second.write_text(git(downstream.path, "format-patch", "-1", "--stdout", "downstream"))
    for garbage in (b"\x00not json", b'{"format": "other", "version": 1}', corrupt(path)):
        path.write_bytes(garbage)
        again = run("status", "--against", "2.0", "--format", "json")
        assert again.exit_code == 0, again.stderr
        assert again.stdout == cold.stdout
        assert json.loads(path.read_text())["format"] == "patchq-commit-cache"


def cache_path_of(upstream: UpstreamRepo) -> Path:
    from patchq.git import Repo

    with Repo(upstream.path) as repo:
        return cache_path(repo)


def corrupt(path: Path) -> bytes:
    """A well-formed cache whose records have the wrong shape."""
    data = json.loads(path.read_text())
    for sha in data["commits"]:
        data["commits"][sha] = [1, 2, 3]
    return json.dumps(data).encode()


def test_message_only_patch_is_not_landed(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    downstream.commit("Say hello", {"hello.txt": "hello\n"})
    downstream.commit("Note for packagers", {"note.txt": "x\n"})
    names = downstream.export(series_dir)
    (series_dir / "patches" / names[1]).write_text(
        "From: Jane <jane@example.org>\nDate: Tue, 14 Nov 2023 22:13:20 +0000\n"
        "Subject: [PATCH] Note for packagers\n\nNothing to change, only to say.\n"
    )
    upstream.commit("Unrelated", {"README.rst": "nova 2\n"})
    upstream.tag("2.0")
    got = states("--against", "2.0")
    assert got["Note-for-packagers"]["state"] == "applies"
    assert got["Note-for-packagers"]["evidence"] == []


def test_deleting_a_file_upstream_renamed_is_not_landed(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    downstream.commit("Drop readme", {"README.rst": None})
    downstream.export(series_dir)
    git(upstream.path, "mv", "README.rst", "README.md")
    upstream.commit("Markdown readme")
    upstream.tag("2.0")
    got = states("--against", "2.0")["Drop-readme"]
    assert got["state"] == "conflicts"
    assert got["evidence"] == []


def test_a_deferred_cache_save_is_seen_by_the_next_reader(upstream: UpstreamRepo) -> None:
    from patchq.git import Repo
    from patchq.status.cache import CommitCache

    upstream.commit("Readme", {"README.rst": "nova upstream\n"})
    with Repo(upstream.path) as repo:
        base, ref = repo.resolve_or_fail("1.0"), repo.resolve_or_fail("HEAD")
        cache = CommitCache(repo)
        assert not cache.knows_range(base, ref)
        cache.scan(base, ref)
        cache.save(deferred=True)
        assert CommitCache(repo).knows_range(base, ref)  # it waits for the write
        assert json.loads(cache_path(repo).read_text())["ranges"][f"{base}..{ref}"] == [ref]


def test_a_patch_that_still_applies_is_not_landed_by_its_patch_id(
    series_dir: Path, upstream: UpstreamRepo, downstream: Downstream
) -> None:
    """Upstream took the same diff, then undid it by hand (no revert commit): REF lacks the
    change, so dropping the patch would lose it. Status and rebase both keep it."""
    first = downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.export(series_dir)
    cherry_pick(upstream, downstream, first, message="Timeouts for rbd")
    upstream.commit("Drop the rbd timeout again", {"nova/conf.py": NOVA_CONF})
    upstream.tag("2.0")
    got = states("--against", "2.0")["Add-rbd-timeout"]
    assert (got["state"], got["evidence"]) == ("applies", [])
    result = run("rebase", "--onto", "2.0")
    assert result.exit_code == 0, result.stderr
    assert "0 dropped" in result.stdout and "1 carried" in result.stdout


def always(self: Any, info: Any) -> bool:
    return True


def fails(self: Any, info: Any) -> bool:
    raise OSError("cannot guess")


@pytest.mark.parametrize("guess", [always, fails])
def test_rebase_names_the_landed_commit_even_when_its_guess_was_wrong(
    series_dir: Path,
    upstream: UpstreamRepo,
    downstream: Downstream,
    monkeypatch: pytest.MonkeyPatch,
    guess: Any,
) -> None:
    """The rebase skips the diffs of upstream look-alikes of patches that seem to apply; when
    that guess is wrong the diffs are made after the carry, and the evidence is the same."""
    from patchq.carry.engine import Carrier

    first = downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.commit("Log reboots louder", {"nova/api.py": LOUD_API})
    downstream.export(series_dir)
    by_diff = cherry_pick(upstream, downstream, first, message="Timeouts for rbd")
    upstream.tag("2.0")
    monkeypatch.setattr(Carrier, "applies_cleanly", guess)
    result = run("rebase", "--onto", "2.0")
    assert result.exit_code == 0, result.stderr
    history = yaml.safe_load((series_dir / "series.yaml").read_text())["history"][-1]
    assert [d["evidence"] for d in history["dropped"]] == [["patch-id", "reverse-apply"]]
    assert history["dropped"][0]["upstream_commit"] == by_diff
    assert history["carried"] == 1


def test_a_bug_in_the_guess_is_not_hidden(
    series_dir: Path,
    upstream: UpstreamRepo,
    downstream: Downstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only git failing makes the guess give up quietly; a bug surfaces as one (exit 3)."""
    from click.testing import CliRunner

    from patchq.carry.engine import Carrier
    from patchq.cli import cli

    def broken(self: Any, info: Any) -> bool:
        raise KeyError("a bug")

    downstream.commit("Add rbd timeout", {"nova/conf.py": TIMEOUT_CONF})
    downstream.export(series_dir)
    upstream.commit("Docs", {"README.rst": "nova docs\n"})
    upstream.tag("2.0")
    monkeypatch.setattr(Carrier, "applies_cleanly", broken)
    result = CliRunner().invoke(cli, ["rebase", "--onto", "2.0", "--dry-run"])
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith("patchq: internal error: KeyError: 'a bug'; details in ")
