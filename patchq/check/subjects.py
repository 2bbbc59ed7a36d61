"""PQ017: a patch's subject lost the bracket tags of the upstream commit it came from.

Before issue 11, patchq read subjects like plain `git am` does and dropped every leading
`[...]` group (`[OVN] x` became `x`); rebases then wrote that short subject into the refreshed
files. Nothing is rewritten behind the user's back: this check names such patches and the
`patchq mark NAME --subject TEXT` that restores the upstream subject.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from patchq import git
from patchq.check.findings import Finding, Inputs, error
from patchq.git import Repo
from patchq.patches import subject as mail_subject


def check_subjects(inputs: Inputs, repo: Repo) -> Iterator[Finding]:
    """PQ017, for the patches whose upstream commit (upstream.commit, or a cherry-pick line)
    is in the clone: only a subject that equals the upstream one minus its leading tags is
    reported, never a reworded one."""
    wanted: dict[str, list[str]] = {}
    for entry in inputs.entries:
        if entry.patch is None or entry.parsed is None:
            continue
        names = [entry.patch.upstream.commit, *entry.parsed.cherry_picks]
        wanted[entry.file] = [n for n in dict.fromkeys(names) if n]
    shas = git.commit_names(repo, sorted({n for names in wanted.values() for n in names}))
    if not shas:
        return
    subjects = {c.sha: c.subject for c in repo.commit_info(sorted(set(shas.values())))}
    for entry in inputs.entries:
        if entry.file not in wanted or entry.patch is None or entry.parsed is None:
            continue
        ours = entry.parsed.subject
        for name in wanted[entry.file]:
            sha = shas.get(name)
            theirs = subjects.get(sha) if sha else None
            if theirs is None or theirs == ours:
                continue
            if mail_subject.cleanup(theirs, keep_non_patch=False) == ours:
                fix = f"patchq mark {shlex.quote(entry.patch.name)} --subject {shlex.quote(theirs)}"
                yield error(
                    "PQ017",
                    entry.file,
                    entry.rel,
                    None,
                    f"{entry.file}: subject {ours!r} lost the tags of upstream commit "
                    f"{sha[:12] if sha else name} ({theirs!r}): run `{fix}`",
                )
                break
