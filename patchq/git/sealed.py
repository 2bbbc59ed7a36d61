"""A sealed view of the upstream clone: its objects, and none of its config, attributes or hooks.

The clone is not trusted to run anything. Its config can name merge drivers
(`merge.<x>.driver`), filters (`filter.<x>.clean/smudge/process`) and diff programs
(`diff.<x>.textconv/command`); its `info/attributes`, a committed `.gitattributes` or the
user's global attributes file can point any path at them; and merge-tree, `apply -3`,
`hash-object`, checkout and `add` run them. git 2.39 has no `--attr-source`, and a merge
driver that a config defines cannot be undefined with `-c`, so overrides are not enough: the
commands that read, merge or write file contents run against a private GIT_DIR that patchq
made (in its scratch dir, or as the conflict worktree's `.git`), whose object store is the
clone's (GIT_OBJECT_DIRECTORY, so everything written lands in the clone as before), with no
config of anyone's (GIT_CONFIG_GLOBAL=/dev/null, no system config) and no attributes except a
worktree's own `.gitattributes`, whose drivers are then defined nowhere and so fall back to
git's built-in ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# The git subcommands that may run a driver, filter or diff program somewhere (or read file
# contents in a way attributes change): Repo runs these in the sealed GIT_DIR. They take
# object names, never refs (the sealed GIT_DIR has none). format-patch takes ref names and
# stays in the clone: it never runs textconv or an external diff (and patchq passes
# --no-textconv --no-ext-diff to say so).
SEALED_COMMANDS = frozenset({"merge-tree", "apply", "hash-object", "diff-tree"})

# No attribute sources beyond the (sealed) repository's own: the user's global attributes
# file (default ~/.config/git/attributes) is read even when GIT_CONFIG_GLOBAL is /dev/null.
SEALED_CONFIG = ("core.attributesFile=/dev/null", "core.hooksPath=/dev/null")


def subcommand(args: Sequence[str]) -> str | None:
    """The git subcommand in `args`, skipping leading `-c key=value` pairs."""
    i = 0
    while i < len(args):
        if args[i] == "-c":
            i += 2
            continue
        return args[i]
    return None


def sealed_env(git_dir: Path, objects: Path, work_tree: Path | None = None) -> dict[str, str]:
    env = {
        "GIT_DIR": str(git_dir),
        "GIT_OBJECT_DIRECTORY": str(objects),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_ATTR_NOSYSTEM": "1",
    }
    if work_tree is not None:
        env["GIT_WORK_TREE"] = str(work_tree)
    return env


def make_git_dir(
    path: Path,
    *,
    objects: Path,
    object_format: str,
    shallow: Path | None,
    head: str | None = None,
    bare: bool = True,
) -> None:
    """A minimal GIT_DIR borrowing `objects` (also as an alternate, so a human's own git
    commands in the conflict worktree find every object); written by hand rather than with
    `git init`, which would copy the user's template hooks."""
    (path / "refs" / "heads").mkdir(parents=True)
    (path / "objects" / "info").mkdir(parents=True)
    (path / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    (path / "HEAD").write_text(f"{head}\n" if head else "ref: refs/heads/patchq-sealed\n")
    (path / "config").write_text(config_text(object_format, bare=bare))
    if shallow is not None and shallow.is_file():
        (path / "shallow").write_bytes(shallow.read_bytes())


def config_text(object_format: str, *, bare: bool) -> str:
    """The whole config of a sealed GIT_DIR: nothing but the repository format."""
    version = 0 if object_format == "sha1" else 1
    lines = [
        "[core]",
        f"\trepositoryformatversion = {version}",
        f"\tbare = {'true' if bare else 'false'}",
        "\tfilemode = true",
        "\tlogallrefupdates = false",
    ]
    if version:
        lines += ["[extensions]", f"\tobjectformat = {object_format}"]
    return "\n".join(lines) + "\n"
