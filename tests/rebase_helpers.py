"""A small downstream series on the conftest upstream, and an upstream 2.0 that moves under it:
one patch landed, one needing new context, one untouched, one conflicting, and one after the
conflict whose diff does not move."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from conftest import NOVA_API, NOVA_CONF, UpstreamRepo, git

CID_LANDED = "I" + "1" * 40

# Downstream patches, as (file, subject, body, {path: new content from 1.0 + earlier patches}).
P1 = "0001-Add-rbd-timeout-option.patch"
P2 = "0002-Log-hard-reboots.patch"
P3 = "0003-Add-downstream-README-note.patch"
P4 = "0004-Quieter-delete-logging.patch"
P5 = "0005-More-workers.patch"

API_REBOOT = NOVA_API.replace(
    '    LOG.info("rebooting %s", instance)\n',
    '    LOG.info("rebooting %s", instance)\n    if hard:\n        LOG.warning("hard reboot")\n',
)
API_DELETE = API_REBOOT.replace(
    'LOG.info("deleting %s", instance)', 'LOG.debug("deleting %s", instance)'
)
CONF_RBD = NOVA_CONF.replace(
    '    "rbd_pool": "vms",\n', '    "rbd_pool": "vms",\n    "rbd_timeout": 60,\n'
)
CONF_WORKERS = CONF_RBD.replace('"workers": 4', '"workers": 8')

SERIES = [
    (
        P1,
        "Add rbd timeout option",
        f"Operators need it.\n\nChange-Id: {CID_LANDED}\n",
        {"nova/conf.py": CONF_RBD},
    ),
    (P2, "Log hard reboots", "So that support can see them.\n", {"nova/api.py": API_REBOOT}),
    (
        P3,
        "Add downstream README note",
        "Packaging note.\n",
        {"README.rst": "nova\n\nDownstream build.\n"},
    ),
    (P4, "Quieter delete logging", "Deletes are noisy.\n", {"nova/api.py": API_DELETE}),
    (P5, "More workers", "Our hosts are big.\n", {"nova/conf.py": CONF_WORKERS}),
]


def make_series(upstream: UpstreamRepo, root: Path, series: list | None = None) -> None:
    """Commit the downstream patches on a throwaway branch, export them with format-patch into
    root/patches, list them in root/series.yaml (initialised on 1.0), drop the branch."""
    series = SERIES if series is None else series
    git(upstream.path, "checkout", "-q", "-b", "downstream", "1.0")
    for _file, subject, body, files in series:
        upstream.commit(f"{subject}\n\n{body}", files)
    out = git(upstream.path, "format-patch", "-o", str(root / "patches"), "1.0..downstream")
    made = [Path(line).name for line in out.split()]
    git(upstream.path, "checkout", "-q", "master")
    git(upstream.path, "branch", "-q", "-D", "downstream")
    entries = ""
    for name, (file, *_rest) in zip(made, series, strict=True):
        (root / "patches" / name).rename(root / "patches" / file)
        entries += f"  - file: {file}\n    status: pending\n"
    path = root / "series.yaml"
    path.write_text(path.read_text().replace("patches: []\n", "patches:\n" + entries))


def release_two(upstream: UpstreamRepo) -> str:
    """Upstream moves on: takes P1 (same diff and Change-Id), edits boot() above P2's hunk,
    rewrites the delete() log line P4 also changes, and tags 2.0."""
    upstream.commit("Unrelated: add docs", {"doc/index.rst": "docs\n"})
    upstream.commit(
        f"Add rbd timeout option\n\nOperators need it.\n\nChange-Id: {CID_LANDED}\n",
        {"nova/conf.py": CONF_RBD},
    )
    boot = NOVA_API.replace(
        "def boot(instance, flavor):\n",
        'def boot(instance, flavor):\n    """Boot it."""\n',
    )
    upstream.commit("Document boot", {"nova/api.py": boot})
    delete = boot.replace(
        'LOG.info("deleting %s", instance)', 'LOG.info("deleting instance %s", instance)'
    )
    upstream.commit("Clearer delete message", {"nova/api.py": delete})
    upstream.tag("2.0")
    return upstream.head()


def digest_tree(root: Path) -> dict[str, str]:
    """sha256 of series.yaml and every file under patches/ (what --abort must restore)."""
    files = [root / "series.yaml", *sorted((root / "patches").rglob("*"))]
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if p.is_file()
    }


def copy_workspace(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".patchq"))
    return target
