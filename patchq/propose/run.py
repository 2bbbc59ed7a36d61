"""`patchq propose`: one carried patch as a commit on the tip of an upstream branch, ready for
Gerrit, in a branch of the upstream clone that is never checked out.

The patch is carried the way `status` carries the series (carry.engine.Carrier: exact apply in
memory, else a 3-way pick of the patch on the series before it); a Change-Id is added the way
Gerrit's commit-msg hook adds one when the patch has none, and written back to the patch file
and series.yaml.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from patchq.carry.engine import Carrier, SeriesSource
from patchq.carry.outcomes import APPLIES, CONFLICTS
from patchq.errors import ConfigError, ConflictError
from patchq.git import Repo, Sha, as_sha, remote
from patchq.patches import patchfile
from patchq.propose.changeid import add_trailer, gerrit_change_id
from patchq.series import io as series_io
from patchq.series.model import Patch, Series, Status
from patchq.series.workspace import Workspace
from patchq.status import pipeline
from patchq.status.apply import checked_out_branches

BRANCH_PREFIX = "patchq/propose/"


@dataclass(frozen=True)
class Proposal:
    patch: Patch  # as it is after propose (Change-Id, status)
    ref: str  # refs/heads/patchq/propose/<name>
    commit: Sha
    tip: Sha  # the tip of --branch it was carried onto
    branch: str
    change_id: str
    added_change_id: bool
    pushed: str | None = None  # git's summary of the push

    @property
    def short_ref(self) -> str:
        return self.ref.removeprefix("refs/heads/")


def propose(
    ws: Workspace, current: Series, repo: Repo, *, name: str, branch: str
) -> tuple[Proposal, Series, bytes | None]:
    """Create the proposal branch; returns it, the new series and the patch file's new bytes
    (None when the file already had a Change-Id). Writes nothing but the branch."""
    index = series_io.find_patch(current, name)
    patch = current.patches[index]
    tip = _branch_tip(repo, branch)
    pairs = pipeline.read_series(ws, current)
    info = pairs[index][1]
    if not info.diff.strip():
        raise ConfigError(f"{patch.file} has no diff: there is nothing to propose upstream")
    carrier = Carrier(
        repo, onto=tip, series=SeriesSource(repo, as_sha(current.upstream.base_commit), pairs)
    )
    step = carrier.attempt(index, info)
    if step.outcome == CONFLICTS:
        paths = ", ".join(step.conflicts) or "see `patchq status --against " + branch + "`"
        raise ConflictError(
            f"{patch.file} does not apply to {branch} ({tip[:12]}): conflicts in {paths}; "
            "nothing was created",
            paths=step.conflicts,
        )
    if step.outcome != APPLIES:
        raise ConflictError(
            f"{patch.file} changes nothing on {branch} ({tip[:12]}): upstream already has it; "
            "nothing was created"
        )
    carrier.accept(info, commit=False)
    tree = carrier.tree.flush()
    carrier.writer.flush()
    ident = remote.committer_ident(repo.path)
    new_raw: bytes | None = None
    change_id = info.change_id
    if change_id is None:
        change_id = patch.upstream.change_id or gerrit_change_id(
            committer_ident=ident, parent=tip, message=info.message
        )
        new_raw = add_trailer(info.raw, change_id)
        info = patchfile.parse(new_raw)
    commit = repo.write_commit(
        tree=tree,
        parents=[tip],
        message=info.message,
        author=info.git_author_line(),
        committer=ident,
    )
    ref = _proposal_ref(repo, patch)
    old = repo.resolve(ref)
    repo.update_ref(ref, commit, old or "0" * 40, reason=f"patchq propose {patch.name}")
    links = dataclasses.replace(patch.upstream, change_id=change_id)
    updated = dataclasses.replace(patch, upstream=links)
    patches = list(current.patches)
    patches[index] = updated
    proposal = Proposal(
        patch=updated,
        ref=ref,
        commit=commit,
        tip=tip,
        branch=branch,
        change_id=change_id,
        added_change_id=new_raw is not None,
    )
    return proposal, dataclasses.replace(current, patches=tuple(patches)), new_raw


_REVIEW_URL = re.compile(r"https?://\S+/\+/\d+")


def review_url(remote_lines: list[str]) -> str | None:
    """The change URL Gerrit prints after a push to refs/for/ ("remote:   https://.../+/N")."""
    for line in remote_lines:
        match = _REVIEW_URL.search(line)
        if match:
            return match.group(0)
    return None


def mark_submitted(current: Series, proposal: Proposal, *, review: str | None) -> Series:
    """The pushed patch is submitted, with the review URL Gerrit gave (when it gave one)."""

    def submitted(patch: Patch) -> Patch:
        links = patch.upstream
        if review is not None:
            links = dataclasses.replace(links, review=review)
        return dataclasses.replace(patch, status=Status.SUBMITTED, upstream=links)

    patches = tuple(submitted(p) if p.file == proposal.patch.file else p for p in current.patches)
    return dataclasses.replace(current, patches=patches)


def _branch_tip(repo: Repo, branch: str) -> Sha:
    if branch.startswith("-") or not branch:
        raise ConfigError(f"--branch {branch!r} is not a branch name")
    for candidate in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}", branch):
        sha = repo.resolve(candidate)
        if sha is not None:
            return sha
    raise ConfigError(
        f"--branch {branch}: no such branch in {repo.path} (nor origin/{branch}): fetch it, "
        "or name another branch"
    )


def _proposal_ref(repo: Repo, patch: Patch) -> str:
    short = BRANCH_PREFIX + patch.name
    proc = repo.run("check-ref-format", "--branch", short, check=False)
    if proc.returncode != 0 or proc.stdout.decode(errors="replace").strip() != short:
        raise ConfigError(
            f"{patch.file}: {short!r} is not a valid branch name: rename the patch file"
        )
    if short in checked_out_branches(repo):
        raise ConfigError(
            f"branch {short} is checked out in {repo.path}: switch away from it first"
        )
    return f"refs/heads/{short}"


def push_command(repo: Repo, proposal: Proposal, remote_name: str | None) -> str:
    """The command that sends the proposal to Gerrit for review."""
    if remote_name is None:
        names = remote.remote_names(repo.path)
        remote_name = "gerrit" if "gerrit" in names else "origin"
    where = repo.path.resolve()
    return f"git -C {where} push {remote_name} {proposal.short_ref}:refs/for/{proposal.branch}"
