"""The synthetic upstream behind `patchq demo`: a tiny nova with releases 31.0.0 and 32.0.0.

Every commit has fixed authors, committers and dates and is written by one `git fast-import`, so
the shas never change: the example series.yaml pins 31.0.0's sha as its base_commit.

The story the example series tells against it (patchq/example/):
- 32.0.0 contains the fix our 0001 backports, unchanged (same patch-id and Change-Id);
- 32.0.0 contains our submitted 0003 reworked in review (same Change-Id, different diff);
- 32.0.0 lowers initial_cpu_allocation_ratio, the line our 0006 changes: 0006 conflicts;
- stable/2025.1 carries a backport the demo imports with `patchq import --range`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from patchq import git
from patchq.git import Repo

STABLE_BRANCH = "stable/2025.1"
POINT_RELEASE = "31.0.1"


@dataclass(frozen=True)
class Edit:
    path: str
    old: str  # "" creates the file with `new`
    new: str


@dataclass(frozen=True)
class Commit:
    mark: str  # how the demo and the example refer to this commit
    message: str
    author: str  # "Name <email>"
    when: int  # unix seconds, UTC
    edits: tuple[Edit, ...]
    tag: str | None = None


RELEASE_BOT = "OpenStack Release Bot <infra-root@example.org>"
ALEX = "Alex Moreau <amoreau@example.org>"
PRIYA = "Priya Natarajan <priya@example.org>"
KEN = "Ken Sato <ksato@example.org>"
LENA = "Lena Fischer <lfischer@example.org>"
COMMITTER = "Zuul <zuul@example.org>"

CID_RBD_RETRY = "I3f1c2b9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
CID_WATCHDOG = "I7a2e4c6b8d0f1e3a5c7b9d1f3e5a7c9b1d3f5e7a"
CID_REBUILD_PW = "Ib4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2"
CID_CPU_RATIO = "I9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"
CID_PY310 = "I0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"
CID_MEM_PAGE = "I5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f"


RBD_RETRY_EDITS = (
    Edit(
        "nova/conf/libvirt.py",
        """        help="Timeout in seconds for a connection to the Ceph cluster.",
    ),
""",
        """        help="Timeout in seconds for a connection to the Ceph cluster.",
    ),
    cfg.IntOpt(
        "rbd_connect_retries",
        default=3,
        min=1,
        help="How many times to try connecting to the Ceph cluster before giving up.",
    ),
""",
    ),
    Edit(
        "nova/virt/libvirt/storage/rbd_utils.py",
        """        client = rados.Rados(rados_id=self.rbd_user, conffile=self.ceph_conf)
        try:
            client.connect(timeout=self.rbd_connect_timeout)
            pool_to_open = pool or self.pool
""",
        """        client = rados.Rados(rados_id=self.rbd_user, conffile=self.ceph_conf)
        retries = CONF.libvirt.rbd_connect_retries
        for attempt in range(1, retries + 1):
            try:
                client.connect(timeout=self.rbd_connect_timeout)
                break
            except rados.TimedOut:
                LOG.warning("Timed out connecting to Ceph (attempt %d of %d)", attempt, retries)
                if attempt == retries:
                    client.shutdown()
                    raise
        try:
            pool_to_open = pool or self.pool
""",
    ),
)

REBUILD_PW_EDITS = (
    Edit(
        "nova/compute/manager.py",
        """        LOG.info("Rebuilding instance with admin password %s", admin_password,
                 instance=instance)
""",
        """        LOG.info("Rebuilding instance", instance=instance)
""",
    ),
)

DAY = 86400
T0 = 1738573200  # 2025-02-03 09:00 UTC

MASTER_HISTORY: tuple[Commit, ...] = (
    Commit("initial", "Import nova\n", RELEASE_BOT, T0, ()),
    Commit(
        "mem_page",
        "api: Validate the hw:mem_page_size extra spec\n\n"
        "Reject unknown page sizes when a flavor is created instead of failing the boot.\n\n"
        f"Closes-Bug: #2093311\nChange-Id: {CID_MEM_PAGE}\n",
        PRIYA,
        T0 + 20 * DAY,
        (
            Edit(
                "nova/api/validation/extra_specs.py",
                """        validate_cpu_policy(value)
""",
                """        validate_cpu_policy(value)
    elif name == "hw:mem_page_size":
        if value not in ("small", "large", "any") and not value.isdigit():
            raise exception.ValidationError(f"Invalid hw:mem_page_size {value!r}")
""",
            ),
        ),
        tag="31.0.0",
    ),
    Commit(
        "rbd_retry",
        "libvirt: Retry the rbd connection on ETIMEDOUT\n\n"
        "A Ceph monitor election makes the first connection attempt time out; retry a few\n"
        "times before failing the whole instance boot.\n\n"
        f"Closes-Bug: #2098765\nChange-Id: {CID_RBD_RETRY}\n",
        KEN,
        T0 + 75 * DAY,
        RBD_RETRY_EDITS,
    ),
    Commit(
        "rebuild_pw",
        "compute: Do not log the admin password on rebuild\n\n"
        f"Closes-Bug: #2101177\nChange-Id: {CID_REBUILD_PW}\n",
        ALEX,
        T0 + 90 * DAY,
        REBUILD_PW_EDITS,
    ),
    Commit(
        "watchdog",
        "api: Validate the hw:watchdog_action extra spec\n\n"
        "An unknown action used to reach libvirt and fail the boot late. Validate it when\n"
        "the flavor is created and list the valid actions in the error.\n\n"
        f"Closes-Bug: #2099001\nChange-Id: {CID_WATCHDOG}\n",
        LENA,
        T0 + 120 * DAY,
        (
            Edit(
                "nova/api/validation/extra_specs.py",
                """def validate(name, value):
""",
                """def validate_watchdog_action(value):
    if value not in WATCHDOG_ACTIONS:
        raise exception.ValidationError(
            f"Invalid hw:watchdog_action {value!r}; expected one of "
            f"{', '.join(WATCHDOG_ACTIONS)}"
        )


def validate(name, value):
""",
            ),
            Edit(
                "nova/api/validation/extra_specs.py",
                """mem_page_size {value!r}")
""",
                """mem_page_size {value!r}")
    elif name == "hw:watchdog_action":
        validate_watchdog_action(value)
""",
            ),
        ),
    ),
    Commit(
        "cpu_ratio",
        "conf: Lower the default initial_cpu_allocation_ratio to 4.0\n\n"
        "16 vCPUs per core overcommits modern hosts badly; 4.0 matches what operators set.\n\n"
        f"Change-Id: {CID_CPU_RATIO}\n",
        PRIYA,
        T0 + 150 * DAY,
        (
            Edit(
                "nova/conf/compute.py",
                """        default=16.0,
        min=0.0,
        help="Virtual CPU to physical CPU allocation ratio for new compute nodes.",
""",
                """        default=4.0,
        min=0.0,
        help="Virtual CPU to physical CPU allocation ratio for new compute nodes. "
        "Changed from 16.0 to 4.0 in 32.0.0.",
""",
            ),
        ),
    ),
    Commit(
        "py310",
        f"Drop support for Python 3.9\n\nChange-Id: {CID_PY310}\n",
        ALEX,
        T0 + 200 * DAY,
        (Edit("setup.cfg", "python_requires = >=3.9\n", "python_requires = >=3.10\n"),),
        tag="32.0.0",
    ),
)


def stable_history(shas: dict[str, str]) -> tuple[Commit, ...]:
    """stable/2025.1: branched from 31.0.0, with one real backport of a master fix."""
    rebuild = next(c for c in MASTER_HISTORY if c.mark == "rebuild_pw")
    return (
        Commit(
            "gitreview",
            f"Update .gitreview for {STABLE_BRANCH}\n\nChange-Id: I{'1' * 40}\n",
            RELEASE_BOT,
            T0 + 61 * DAY,
            (
                Edit(
                    ".gitreview",
                    "project=openstack/nova.git\n",
                    f"project=openstack/nova.git\ndefaultbranch={STABLE_BRANCH}\n",
                ),
            ),
        ),
        Commit(
            "stable_rebuild_pw",
            rebuild.message + f"(cherry picked from commit {shas['rebuild_pw']})\n",
            rebuild.author,
            rebuild.when + 3 * DAY,
            REBUILD_PW_EDITS,
            tag=POINT_RELEASE,  # tagged on the branch: 32.0.0 does not contain it
        ),
    )


# -- writing the repository ----------------------------------------------------------------


def apply_edits(tree: dict[str, str], edits: tuple[Edit, ...]) -> dict[str, str]:
    out = dict(tree)
    for edit in edits:
        if not edit.old:
            out[edit.path] = edit.new
            continue
        text = out[edit.path]
        if text.count(edit.old) != 1:
            raise AssertionError(f"demo edit of {edit.path} does not match exactly once")
        out[edit.path] = text.replace(edit.old, edit.new)
    return out


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def fast_import_stream(
    commits: tuple[Commit, ...],
    *,
    ref: str,
    tree: dict[str, str],
    parent: str | None,
    project: str = "nova",
) -> bytes:
    """A `git fast-import` stream that writes `commits` (and their tags) on `ref`."""
    out: list[bytes] = []
    current: dict[str, str] = {} if parent is None else tree
    for index, commit in enumerate(commits):
        new = tree if parent is None and index == 0 else apply_edits(current, commit.edits)
        out.append(f"commit {ref}\nmark :{index + 1}\n".encode())
        out.append(f"author {commit.author} {commit.when} +0000\n".encode())
        out.append(f"committer {COMMITTER} {commit.when + 3600} +0000\n".encode())
        out.append(_data(commit.message))
        if index == 0 and parent:
            out.append(f"from {parent}\n".encode())
        for path in sorted(p for p in new if new[p] != current.get(p)):
            out.append(f"M 100644 inline {path}\n".encode() + _data(new[path]))
        out.append(b"\n")
        if commit.tag:
            out.append(f"tag {commit.tag}\nfrom :{index + 1}\n".encode())
            out.append(f"tagger {RELEASE_BOT} {commit.when + 7200} +0000\n".encode())
            out.append(_data(f"{project} {commit.tag}\n"))
        current = new
    return b"".join(out) + b"done\n"


def build(path: Path) -> dict[str, str]:
    """Create the synthetic upstream in `path` and check out master; returns each mark's sha.

    Two fast-import runs: the stable branch's cherry-pick line names a master commit's sha.
    """
    git.init_repo(path)
    with Repo(path) as repo:
        master = fast_import_stream(
            MASTER_HISTORY, ref="refs/heads/master", tree=initial_tree(), parent=None
        )
        git.fast_import(repo, master)
        count = len(MASTER_HISTORY)
        shas: dict[str, str] = {
            c.mark: repo.resolve_or_fail(f"master~{count - 1 - i}")
            for i, c in enumerate(MASTER_HISTORY)
        }
        stable = stable_history(shas)
        git.fast_import(
            repo,
            fast_import_stream(
                stable,
                ref=f"refs/heads/{STABLE_BRANCH}",
                tree=tree_at("mem_page"),
                parent=shas["mem_page"],
            ),
        )
        for i, commit in enumerate(stable):
            shas[commit.mark] = repo.resolve_or_fail(f"{STABLE_BRANCH}~{len(stable) - 1 - i}")
        git.checkout(repo, "master")
    return shas


def initial_tree() -> dict[str, str]:
    from patchq.demo.tree import INITIAL_TREE

    return dict(INITIAL_TREE)


def tree_at(mark: str) -> dict[str, str]:
    """The files of master at commit `mark`."""
    tree = initial_tree()
    for commit in MASTER_HISTORY:
        tree = apply_edits(tree, commit.edits)
        if commit.mark == mark:
            return tree
    raise KeyError(mark)
