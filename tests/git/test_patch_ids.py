"""git patch-id over many patches in one process, mapped back to each patch."""

from __future__ import annotations

from patchq.git import Repo
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
