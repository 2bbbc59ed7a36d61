"""A small distribution for the aggregate tests: three synthetic upstreams (nova, neutron,
glance) each with a series directory, one series whose series.yaml does not parse, and one
whose upstream clone is missing. Shas are stable: dates are fixed (conftest.hermetic)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.builders import Downstream, UpstreamRepo, cherry_pick, git

EPOCH = "1764000000"  # 2025-11-24T16:00:00Z


@dataclass(frozen=True)
class Spec:
    subject: str
    meta: str  # series.yaml lines under the `- file:` line (4-space indent)
    path: str = ""  # the file the patch edits (default: a new file of its own)


# name -> (patches, index of the patch upstream 2.0 takes, whether 2.0 rewrites the README)
PROJECTS: dict[str, tuple[list[Spec], int | None, bool]] = {
    "nova": (
        [
            Spec(
                "Add rbd timeout",
                "    status: submitted\n    added: '2025-01-10'\n    upstream:\n"
                "      review: https://review.opendev.org/c/openstack/nova/+/951234\n",
            ),
            Spec(
                "Distro <b>branding</b>",
                "    status: downstream-only\n    reason: our logo\n    added: '2024-03-01'\n",
                "README.rst",
            ),
            Spec("Log reboots louder", "    status: pending\n    added: '2025-09-01'\n"),
        ],
        0,
        True,
    ),
    "neutron": (
        [
            Spec(
                "[OVN] Fix MTU on ports",
                "    status: submitted\n    added: '2024-11-05'\n    upstream:\n"
                "      change_id: I1111111111111111111111111111111111111111\n",
            ),
            Spec(
                "Reject bad CIDRs",
                "    status: rejected\n    reason: upstream said no\n    added: '2023-12-24'\n",
            ),
        ],
        None,
        False,
    ),
    "glance": (
        [Spec("Quiet the image cache", "    status: pending\n")],
        None,
        False,
    ),
}

NOVA_HISTORY = """\
history:
- date: 2025-04-02T10:00:00Z
  from: '0.9'
  from_commit: 1111111111111111111111111111111111111111
  to: '1.0'
  to_commit: 2222222222222222222222222222222222222222
  dropped:
  - file: 0009-landed.patch
    subject: Fix landed upstream
    evidence: [patch-id]
  skipped: []
  refreshed: 2
  carried: 3
"""


def make_project(tmp: Path, distro: Path, name: str) -> Path:
    """An upstream at tmp/up/<name> (tag 1.0, and 2.0 after it) and its series in
    distro/<name> on 1.0, upstream.path relative."""
    specs, landed, rewrite = PROJECTS[name]
    up = UpstreamRepo(tmp / "up" / name)
    up.commit("Initial import", {f"{name}/main.py": "print('hi')\n", "README.rst": f"{name}\n"})
    up.tag("1.0")
    down = Downstream(up, tmp / "down" / name)
    shas = []
    for i, spec in enumerate(specs, 1):
        path = spec.path or f"{name}/extra{i}.py"
        shas.append(down.commit(spec.subject, {path: f"# {spec.subject}\n"}))
    root = distro / name
    (root / "patches").mkdir(parents=True)
    git(down.path, "format-patch", "-q", "--no-signature", "-o", str(root / "patches"), "1.0..")
    files = sorted(p.name for p in (root / "patches").glob("*.patch"))
    if landed is not None:
        cherry_pick(up, down, shas[landed])
    if rewrite:
        up.commit("Rewrite readme", {"README.rst": f"The {name} project\n"})
    up.commit("Unrelated upstream work", {f"{name}/other.py": "x = 1\n"})
    up.tag("2.0")
    entries = "".join(
        f"  - file: {file}\n{spec.meta}" for file, spec in zip(files, specs, strict=True)
    )
    base_commit = git(up.path, "rev-parse", "1.0").strip()
    (root / "series.yaml").write_text(
        "version: 1\n"
        "upstream:\n"
        f"  name: {name}\n"
        f"  url: https://opendev.org/openstack/{name}\n"
        f"  path: ../../up/{name}\n"
        "  base: '1.0'\n"
        f"  base_commit: {base_commit}\n"
        f"patches:\n{entries}" + (NOVA_HISTORY if name == "nova" else "history: []\n")
    )
    return root


def make_distro(tmp: Path) -> Path:
    """tmp/distro/{nova,neutron,glance} good; keystone has bad YAML; heat's clone is missing."""
    distro = tmp / "distro"
    for name in PROJECTS:
        make_project(tmp, distro, name)
    broken = distro / "keystone"
    (broken / "patches").mkdir(parents=True)
    (broken / "series.yaml").write_text("version: 1\nupstream: [name: keystone\n")
    lost = distro / "heat"
    (lost / "patches").mkdir(parents=True)
    (lost / "series.yaml").write_text(
        "version: 1\nupstream:\n  name: heat\n  path: ../../up/heat\n  base: '1.0'\n"
        f"  base_commit: {'c' * 40}\npatches: []\nhistory: []\n"
    )
    return distro


def clone_without(tmp: Path, name: str, tag: str) -> None:
    """Drop `tag` from the upstream clone of `name` (a clone that lacks the REF)."""
    subprocess.run(
        ["git", "-C", str(tmp / "up" / name), "tag", "-d", tag], check=True, capture_output=True
    )
