"""The downstream commits the example series (patchq/example/patches/) was exported from.

`export(upstream, out)` rebuilds the patch files; test_demo.py checks that they are byte-identical
to the shipped ones, so editing the demo's upstream without regenerating the example fails.
Regenerate with: python -m tests.demo.example_source
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from patchq import git
from patchq.demo import source as demosrc
from patchq.demo.source import DAY, KEN, LENA, T0, Commit, Edit

MARTA = "Marta Kowalska <mkowalska@example.com>"
PACKAGERS = "Distro OpenStack Packagers <openstack-packagers@example.com>"
JONAS = "Jonas Berg <jberg@example.com>"

LOCK_CID = "Ie1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0"
PBR_CID = "I2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"
STATE_CID = "I6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"
RATIO_CID = "Ia7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6"
KEYMAP_CID = "I4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e"
UNSHELVE_CID = "I8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f"


def downstream(shas: dict[str, str]) -> tuple[Commit, ...]:
    rbd = next(c for c in demosrc.MASTER_HISTORY if c.mark == "rbd_retry")
    return (
        Commit(
            "backport_rbd",
            rbd.message + f"(cherry picked from commit {shas['rbd_retry']})\n",
            KEN,
            rbd.when,
            demosrc.RBD_RETRY_EDITS,
        ),
        Commit(
            "resize_lock",
            "compute: Release the resize lock when the disk migration fails\n\n"
            "A failed migrate_disk_and_power_off left the per-instance lock held, so every\n"
            "later resize of that instance hung until nova-compute restarted.\n\n"
            f"Closes-Bug: #2102468\nChange-Id: {LOCK_CID}\n",
            MARTA,
            T0 + 80 * DAY,
            (
                Edit(
                    "nova/compute/manager.py",
                    """            raise
        lock.release()
""",
                    """            raise
        finally:
            lock.release()
""",
                ),
            ),
        ),
        Commit(
            "watchdog",
            "api: Validate the hw:watchdog_action extra spec\n\n"
            "An unknown action used to reach libvirt and fail the boot late.\n\n"
            f"Closes-Bug: #2099001\nChange-Id: {demosrc.CID_WATCHDOG}\n",
            LENA,
            T0 + 85 * DAY,
            (
                Edit(
                    "nova/api/validation/extra_specs.py",
                    """mem_page_size {value!r}")
""",
                    """mem_page_size {value!r}")
    elif name == "hw:watchdog_action":
        if value not in WATCHDOG_ACTIONS:
            raise exception.ValidationError(f"Invalid hw:watchdog_action {value!r}")
""",
                ),
            ),
        ),
        Commit(
            "no_pbr",
            "Remove runtime dependency on pbr\n\n"
            "The distribution ships nova without pbr at runtime: read the version from the\n"
            "installed package metadata instead.\n\n"
            f"Change-Id: {PBR_CID}\n",
            PACKAGERS,
            T0 + 30 * DAY,
            (
                Edit("requirements.txt", "pbr>=5.8.0 # Apache-2.0\n", ""),
                Edit("nova/version.py", "import pbr.version\n", "from importlib import metadata\n"),
                Edit("nova/version.py", 'version_info = pbr.version.VersionInfo("nova")\n\n\n', ""),
                Edit(
                    "nova/version.py",
                    "    return version_info.version_string()\n",
                    '    try:\n        return metadata.version("nova")\n'
                    "    except metadata.PackageNotFoundError:\n"
                    '        return "unknown"\n',
                ),
            ),
        ),
        Commit(
            "state_path",
            "Default state_path to /var/lib/nova\n\n"
            "The packages create /var/lib/nova owned by the nova user; $pybasedir is inside\n"
            "the read-only site-packages tree.\n\n"
            f"Change-Id: {STATE_CID}\n",
            PACKAGERS,
            T0 + 31 * DAY,
            (Edit("nova/conf/compute.py", '"$pybasedir",\n', '"/var/lib/nova",\n'),),
        ),
        Commit(
            "cpu_ratio",
            "conf: Default initial_cpu_allocation_ratio to 8.0\n\n"
            "Our reference hardware is sized for 8 vCPUs per physical core.\n\n"
            f"Change-Id: {RATIO_CID}\n",
            JONAS,
            T0 + 40 * DAY,
            (Edit("nova/conf/compute.py", "        default=16.0,\n", "        default=8.0,\n"),),
        ),
        Commit(
            "keymap",
            "vnc: Bring back the keymap option\n\n"
            "Guests without a USB tablet need the VNC keymap; upstream removed the option.\n\n"
            f"Change-Id: {KEYMAP_CID}\n",
            JONAS,
            T0 + 45 * DAY,
            (
                Edit(
                    "nova/conf/vnc.py",
                    """        help="Public address of the noVNC console proxy.",
    ),
""",
                    """        help="Public address of the noVNC console proxy.",
    ),
    cfg.StrOpt(
        "keymap",
        help="Keymap for VNC, for guests without a USB tablet.",
    ),
""",
                ),
            ),
        ),
        Commit(
            "unshelve_log",
            "compute: Log the instance when unshelve fails\n\n"
            "The error had no instance uuid, so operators could not tell which unshelve\n"
            "failed on a busy host.\n\n"
            f"Change-Id: {UNSHELVE_CID}\n",
            MARTA,
            T0 + 100 * DAY,
            (
                Edit(
                    "nova/compute/manager.py",
                    '            LOG.error("Unshelve failed")\n',
                    '            LOG.exception("Unshelve failed", instance=instance)\n',
                ),
            ),
        ),
    )


def export(upstream: Path, out: Path) -> list[Path]:
    """Write the example's patch files into `out` (the upstream must be demosrc-built)."""
    shas = demosrc.build(upstream)
    commits = downstream(shas)
    with git.Repo(upstream) as repo:
        stream = demosrc.fast_import_stream(
            commits,
            ref="refs/heads/downstream",
            tree=demosrc.tree_at("mem_page"),
            parent=shas["mem_page"],
        )
        git.fast_import(repo, stream)
        repo.run(
            "format-patch",
            "-q",
            "--zero-commit",
            *git.FORMAT_PATCH_FLAGS,
            "-o",
            str(out),
            "31.0.0..downstream",
        )
    return sorted(out.iterdir())


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[2] / "patchq" / "example" / "patches"
    with tempfile.TemporaryDirectory() as tmp:
        made = export(Path(tmp) / "nova", Path(tmp) / "out")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for path in made:
            shutil.copy(path, target / path.name)
        print("\n".join(p.name for p in made), file=sys.stderr)
