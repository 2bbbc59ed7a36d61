"""git patch-id over many patches in one process, mapped back to each patch."""

from __future__ import annotations

from patchq.git import DiffFeed, Repo
from tests.builders import NOVA_API, UpstreamRepo, git


def test_a_bare_sha_line_in_a_message_does_not_split_the_patch(upstream: UpstreamRepo) -> None:
    # A real nova backport says "Conflicts are due to a lack of the following commit\n<sha>":
    # git patch-id takes a bare sha line for the start of another patch (diff-tree --stdin).
    upstream.commit(
        "Log reboots louder\n\nConflicts are due to a lack of the following commit\n"
        + "a722640b2fea2beba9de4455ee27d38171d56fed\n",
        {"nova/api.py": NOVA_API.replace('LOG.info("rebooting', 'LOG.warning("rebooting')},
    )
    upstream.commit("Readme", {"README.rst": "The nova project\n"})
    first = git(upstream.path, "format-patch", "-1", "--stdout", "HEAD~1").encode()
    second = git(upstream.path, "format-patch", "-1", "--stdout", "HEAD").encode()
    expected = [
        git(upstream.path, "patch-id", "--stable", input=text).split()[0]
        for text in (first, second)
    ]
    with Repo(upstream.path) as repo:
        assert repo.patch_ids([first, second]) == expected


def test_patch_ids_streamed_from_diff_tree_are_the_ones_asked_one_by_one(
    upstream: UpstreamRepo,
) -> None:
    """DiffFeed(patch_ids=True) pipes diff-tree into patch-id as the diffs arrive: each id must
    be what patch_ids() gives for that commit's diff alone (renames, binary, mode, add,
    delete, and a commit with no diff)."""
    api = upstream.path / "nova" / "api.py"
    shas = [
        upstream.commit("Modify", {"nova/api.py": NOVA_API + "# more\n"}),
        upstream.commit("Add", {"nova/new.py": "x = 1\n" * 40}),
        upstream.commit("Binary", {"nova/blob.bin": bytes(range(256)) * 8}),
    ]
    git(upstream.path, "mv", "nova/new.py", "nova/moved.py")
    git(upstream.path, "commit", "-q", "-m", "Rename")
    shas.append(git(upstream.path, "rev-parse", "HEAD").strip())
    api.chmod(0o755)
    git(upstream.path, "commit", "-q", "-am", "Mode")
    shas.append(git(upstream.path, "rev-parse", "HEAD").strip())
    git(upstream.path, "commit", "-q", "--allow-empty", "-m", "Empty")
    shas.append(git(upstream.path, "rev-parse", "HEAD").strip())
    shas.append(upstream.commit("Delete", {"nova/blob.bin": None}))
    with Repo(upstream.path) as repo:
        feed = DiffFeed(repo, patch_ids=True)
        for sha in shas:
            feed.add(sha)
        diffs = feed.result()
        streamed = feed.patch_ids()
        ids = repo.patch_ids([diffs.get(s, b"") for s in shas])
        one_by_one = dict(zip(shas, ids, strict=True))
    expected = {sha: pid for sha, pid in one_by_one.items() if pid}
    assert len(expected) == len(shas) - 1  # the empty commit has no patch-id
    assert streamed == expected
