"""A series with one patch of each upstream status, and the real packaging tools to judge its
exports (quilt, lintian/dpkg-source, rpmspec/rpmbuild): each is skipped, saying why, when the
tool is not installed (.ci/run installs them)."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.builders import UpstreamRepo, git, run

URL = "https://opendev.org/openstack/nova"
REVIEW = "https://review.opendev.org/c/openstack/nova/+/951234"
BUG = "https://bugs.launchpad.net/nova/+bug/2000001"
CID = "I" + "0123456789abcdef" * 2 + "01234567"
PICKED = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
MERGED = "fedcba9876543210fedcba9876543210fedcba98"


def need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed (.ci/run installs it with apt-get as root)")
    return found


def need_specfile() -> None:
    try:
        import specfile  # noqa: F401
    except ImportError as exc:
        pytest.skip(
            f"specfile cannot load RPM's Python bindings ({exc}): apt-get install python3-rpm"
        )


def make_series(upstream: UpstreamRepo, workdir: Path) -> Path:
    """Five patches on 1.0: submitted, pending, downstream-only, backport, merged."""
    git(upstream.path, "checkout", "-q", "-b", "down", "1.0")
    api = (upstream.path / "nova" / "api.py").read_text()
    conf = (upstream.path / "nova" / "conf.py").read_text()
    upstream.commit(
        "api: Log reboots at debug level\n\nThe info line floods the log on big clouds.\n\n"
        f"Closes-Bug: #2000001\nChange-Id: {CID}\n",
        {"nova/api.py": api.replace('LOG.info("rebooting', 'LOG.debug("rebooting')},
    )
    upstream.commit(
        "conf: Raise the default timeout to 60",
        {"nova/conf.py": conf.replace('"timeout": 30', '"timeout": 60')},
    )
    upstream.commit(
        "Keep nova's state under /var/lib/nova\n\nDebian's FHS layout.\n",
        {
            "nova/conf.py": conf.replace('"timeout": 30', '"timeout": 60').replace(
                '"rbd_pool": "vms",', '"rbd_pool": "vms",\n    "state_path": "/var/lib/nova",'
            )
        },
    )
    upstream.commit(
        f"api: Log deletions\n\n(cherry picked from commit {PICKED})\n",
        {
            "nova/api.py": api.replace('LOG.info("rebooting', 'LOG.debug("rebooting').replace(
                "    return True", '    LOG.debug("deleted %s", instance)\n    return True'
            )
        },
    )
    upstream.commit("README: Say what nova is", {"README.rst": "nova\n\nOpenStack Compute.\n"})
    git(upstream.path, "checkout", "-q", "master")
    ok(run("init", "--upstream", str(upstream.path), "--base", "1.0", "--url", URL))
    ok(run("import", "--range", "1.0..down"))
    ok(run("mark", "1", "submitted", "--review", REVIEW, "--bug", BUG))
    ok(run("mark", "3", "downstream-only", "--reason", "Debian's FHS layout"))
    ok(run("mark", "4", "backport", "--commit", PICKED))
    ok(run("mark", "5", "merged", "--commit", MERGED))
    return workdir


def ok(result: object) -> None:
    code = getattr(result, "exit_code", None)
    assert code == 0, f"exit {code}: {getattr(result, 'stderr', '')}{getattr(result, 'stdout', '')}"


def tree_at(upstream: Path, ref: str, target: Path, prefix: str = "") -> Path:
    """Files of `ref` unpacked into `target` (git archive), as a tarball would give them."""
    archive = target.parent / f"{target.name}.tar"
    git(upstream, "archive", f"--prefix={prefix}", "-o", str(archive), ref)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    return target


def tool(
    *argv: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


SPEC_AUTOSETUP = """\
%global upstream_version 1.0
Name:           openstack-nova
Version:        1.0
Release:        1%{?dist}
Summary:        OpenStack Compute (nova)
License:        Apache-2.0
URL:            https://launchpad.net/nova
Source0:        nova-%{upstream_version}.tar.gz

#
# patches_base=1.0
#
Patch0001: 0001-api-Log-reboots-at-debug-level.patch
# keep this one until the stable branch has it
Patch0002: 0002-conf-Raise-the-default-timeout-to-60.patch
Patch0007:      0099-an-old-patch-dropped-since.patch

BuildArch:      noarch

%description
Nova's compute service.

%prep
%autosetup -n nova-%{upstream_version} -p1

%build
true

%install
true

%files

%changelog
* Mon Jan 06 2025 Jane Doe <jane@example.org> - 1.0-1
- Package 1.0
"""

SPEC_EXPLICIT = """\
Name:           python-nova
Version:        1.0
Release:        1
Summary:        nova
License:        Apache-2.0
Source0:        nova-1.0.tar.gz
Patch1:         0001-api-Log-reboots-at-debug-level.patch
Patch2:         0099-an-old-patch-dropped-since.patch

%description
nova

%prep
%setup -q -n nova-1.0
# applied by hand, in this order
%patch -P 1 -p1
%patch -P 2 -p1
echo prepared

%build
true

%files

%changelog
* Mon Jan 06 2025 Jane Doe <jane@example.org> - 1.0-1
- Package 1.0
"""
