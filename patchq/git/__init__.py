"""The only place patchq runs git.

Everything else gets patchq types (Sha, CommitInfo, MergeResult, ScannedCommit), never raw
processes. Every command runs with the upstream's hooks disabled, a neutral locale and no leaked
GIT_* from the caller's environment; `-v` prints each command before it runs.

core: one clone (`Repo`), its commands and objects; scan: landed detection's range scans and
batched diffs; index: a private index for whole-series applies; export: format-patch, fast-import
and the patchq-owned conflict worktree.
"""

from patchq.git.core import (
    SHA_RE,
    CommitInfo,
    MergeResult,
    Repo,
    Sha,
    as_sha,
    clean_env,
    commit_object,
    git_argv,
    init_repo,
)
from patchq.git.export import (
    FORMAT_PATCH_FLAGS,
    checkout,
    fast_import,
    format_patch_chain,
    format_patches,
    worktree_add,
    worktree_pick_conflict,
    worktree_registered,
    worktree_remove,
    worktree_tree,
)
from patchq.git.history import first_parent_touching, merge_bases
from patchq.git.index import ApplyResult, PrivateIndex
from patchq.git.scan import (
    DiffFeed,
    RangeReader,
    RangeScan,
    ScannedCommit,
    ScanStreams,
    commit_diffs,
    commit_names,
    commit_raw_diffs,
    path_key,
    reached_by,
    rev_list,
    scan_range,
    scan_shas,
    split_diffs,
    start_scan,
    stop,
)
from patchq.git.worktree import (
    series_paths,
    worktree_checkout,
    worktree_checkout_token,
    worktree_files,
    worktree_fresh,
)

__all__ = [
    "FORMAT_PATCH_FLAGS",
    "SHA_RE",
    "ApplyResult",
    "CommitInfo",
    "DiffFeed",
    "MergeResult",
    "PrivateIndex",
    "RangeReader",
    "RangeScan",
    "Repo",
    "ScanStreams",
    "ScannedCommit",
    "Sha",
    "as_sha",
    "checkout",
    "clean_env",
    "commit_diffs",
    "commit_names",
    "commit_object",
    "commit_raw_diffs",
    "fast_import",
    "first_parent_touching",
    "format_patch_chain",
    "format_patches",
    "git_argv",
    "init_repo",
    "merge_bases",
    "path_key",
    "reached_by",
    "rev_list",
    "scan_range",
    "scan_shas",
    "series_paths",
    "split_diffs",
    "start_scan",
    "stop",
    "worktree_add",
    "worktree_checkout",
    "worktree_checkout_token",
    "worktree_files",
    "worktree_fresh",
    "worktree_pick_conflict",
    "worktree_registered",
    "worktree_remove",
    "worktree_tree",
]
