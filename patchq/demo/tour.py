"""`patchq demo`: build the synthetic upstream, copy the example series next to it, and walk
through the real commands, each printed before its output like a tutorial.

Layout of the demo directory:
    nova/              the synthetic upstream (demosrc.py): tags 31.0.0, 32.0.0, stable/2025.1
                       with the point release 31.0.1 on it
    packaging/         series.yaml + patches/, a copy of patchq/example/ (upstream.path: ../nova)
    debian/patches/    a small quilt series the demo imports
    package/           where the demo exports to: debian/patches/ and openstack-nova.spec
    stable-updates/    a second series, on 31.0.1, that the tour moves to 32.0.0 (--dry-run)
    oslo.config/, oslo.config-packaging/   a tiny second project, for the distribution report

To add a command to the tour, add one Step to STEPS (later issues: status, rebase, report).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from patchq.demo import second
from patchq.demo import source as demosrc
from patchq.errors import ConfigError, ExitCode, PatchqError

STABLE_DIR = "stable-updates"


@dataclass(frozen=True)
class Step:
    """One command of the tour: what it shows, and the patchq arguments (run in packaging/)."""

    say: str
    args: tuple[str, ...]
    ok_codes: tuple[int, ...] = (0,)  # status/check exit 1 when they find something
    show: tuple[str, ...] = ()  # files (relative to packaging/) printed after the command
    at_root: bool = False  # run in the demo directory, each series with its own clone
    where: str = "packaging"  # the directory of the demo it runs in (unless at_root)


# The tour of the foundation commands (issue 2); tests check the series they leave behind.
FOUNDATION_STEPS: tuple[Step, ...] = (
    Step("The example series: 8 patches carried on nova 31.0.0.", ("list",)),
    Step(
        "Pull the fixes upstream backported to the stable branch (patchq never changes the clone).",
        ("import", "--range", f"31.0.0..{demosrc.STABLE_BRANCH}"),
    ),
    Step(
        "The .gitreview change is stable-branch housekeeping, not a fix: drop it.",
        (
            "drop",
            "0009-Update-.gitreview-for-stable-2025.1",
            "--reason",
            "stable-branch housekeeping",
        ),
    ),
    Step(
        "Keep the backports together at the top.",
        ("move", "0010-compute-Do-not-log-the-admin-password-on-rebuild", "--after", "1"),
    ),
    Step(
        "Take a patch from Debian's quilt series; its DEP-3 header says where it stands.",
        ("import", "--quilt", "../debian/patches"),
    ),
    Step(
        "0008 went to Gerrit today.",
        (
            "mark",
            "0008-compute-Log-the-instance-when-unshelve-fails",
            "submitted",
            "--review",
            "https://review.opendev.org/c/openstack/nova/+/955102",
        ),
    ),
    Step("The series now.", ("list",)),
)

# The stable-updates channel: a series on the point release 31.0.1, which OpenStack tags on
# stable/2025.1, so that 32.0.0 does not contain it (issue 10).
STABLE_STEPS: tuple[Step, ...] = (
    Step(
        f"In ../{STABLE_DIR}: the stable-updates series sits on {demosrc.POINT_RELEASE}, tagged "
        f"on {demosrc.STABLE_BRANCH}; 32.0.0 on master does not contain it.",
        ("init", "--upstream", "../nova", "--base", demosrc.POINT_RELEASE),
        where=STABLE_DIR,
    ),
    Step(
        "It carries Debian's patch too.",
        ("import", "--quilt", "../debian/patches"),
        where=STABLE_DIR,
    ),
    Step(
        f"Moving it from {demosrc.POINT_RELEASE} to 32.0.0: which stable commits would it lose?",
        ("rebase", "--onto", "32.0.0", "--dry-run"),
        where=STABLE_DIR,
    ),
)

# Everything `patchq demo` runs, in order. Later issues add one Step each here, e.g.
#   Step("What would 32.0.0 do?", ("status", "--against", "32.0.0"), ok_codes=(0, 1)),
STEPS: list[Step] = [
    *FOUNDATION_STEPS,
    Step("The CI gate: every check that needs no newer release.", ("check",)),
    Step(
        "32.0.0 is out. What has landed there, with evidence, and what still applies?",
        ("status", "--against", "32.0.0"),
    ),
    Step(
        "The same question as a CI gate: landed patches should be dropped (exit 1).",
        ("check", "--against", "32.0.0"),
        ok_codes=(1,),
    ),
    Step(
        "Carry the series to 32.0.0; it drops what landed and stops where a patch conflicts.",
        ("rebase", "--onto", "32.0.0"),
        ok_codes=(1,),
    ),
    Step(
        "32.0.0 lowered the default itself; leave our 8.0 out.",
        ("rebase", "--skip", "--reason", "upstream lowered the default to 4.0 in 32.0.0"),
    ),
    Step("The series on 32.0.0.", ("list",)),
    Step(
        "The carried-patch report release engineers publish: one self-contained HTML page.",
        ("report", "--format", "html", "--output", "report.html"),
    ),
    Step("The same report as Markdown, for the release notes.", ("report", "--format", "markdown")),
    *STABLE_STEPS,
]

# The tour ends here, after the sync: the series goes into the package.
EXPORT_STEPS: tuple[Step, ...] = (
    Step(
        "Put the series into the Debian package: a quilt series and DEP-3 headers.",
        ("export", "--format", "debian", "../package/debian/patches"),
        show=(
            "../package/debian/patches/series",
            "../package/debian/patches/"
            "0002-compute-Release-the-resize-lock-when-the-disk-migrat.patch",
        ),
    ),
    Step(
        "And into the RPM spec: its Patch lines follow the series, the files go beside it.",
        ("export", "--format", "rpm", "../package/openstack-nova.spec"),
        ok_codes=(0, 2),  # 2: RPM's Python bindings are missing here (the error says so)
        show=("../package/openstack-nova.spec",),
    ),
    Step(
        "CI proves the package matches series.yaml (exit 1 and a list when it does not).",
        ("export", "--format", "debian", "../package/debian/patches", "--check"),
    ),
)

DEMO_SPEC = """\
Name:           openstack-nova
Version:        32.0.0
Release:        1%{?dist}
Summary:        OpenStack Compute (nova)
License:        Apache-2.0
URL:            https://opendev.org/openstack/nova
Source0:        nova-%{version}.tar.gz

# patches_base=32.0.0
Patch0001:      0002-compute-Release-the-resize-lock-when-the-disk-migrat.patch

BuildArch:      noarch

%description
OpenStack Compute (nova).

%prep
%autosetup -n nova-%{version} -p1

%changelog
* Mon Oct 06 2025 Demo Packager <packager@example.org> - 32.0.0-1
- Update to 32.0.0
"""

# Run against a local stand-in for review.opendev.org and Launchpad (review_server.py), which
# the demo starts and points series.yaml at (upstream.gerrit, upstream.launchpad).
SYNC_STEPS: tuple[Step, ...] = (
    Step(
        "What do Gerrit and Launchpad say now? A dry run prints the changes, writes nothing.",
        ("sync", "--dry-run"),
    ),
    Step("Record them: 0002 merged upstream (and is under review on stable/2025.1).", ("sync",)),
    Step("The series after the sync.", ("list",)),
)

# The tour ends with the whole distribution: this nova and a tiny second project (second.py).
DISTRIBUTION_STEPS: tuple[Step, ...] = (
    Step(
        "The whole distribution: this nova and a tiny oslo.config series, one report.",
        ("report", "packaging", f"{second.NAME}-packaging"),
        at_root=True,
    ),
)

QUILT_SERIES = "# Debian's patches for nova\nadd-nova-status-entry-point.patch\n"
QUILT_PATCH = """\
Description: Install the nova-status command
 Debian ships nova-status in the nova-common package; upstream's setup.cfg
 forgot the console script.
Author: Debian OpenStack Team <team+openstack@tracker.debian.org>
Forwarded: https://review.opendev.org/c/openstack/nova/+/953311
Bug-Debian: https://bugs.debian.org/1098765
Last-Update: 2025-06-12
---
--- a/setup.cfg
+++ b/setup.cfg
@@ -15,3 +15,4 @@
 console_scripts =
     nova-compute = nova.cmd.compute:main
     nova-scheduler = nova.cmd.scheduler:main
+    nova-status = nova.cmd.status:main
"""


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def upstream(self) -> Path:
        return self.root / "nova"

    @property
    def packaging(self) -> Path:
        return self.root / "packaging"

    @property
    def quilt(self) -> Path:
        return self.root / "debian" / "patches"

    @property
    def second_upstream(self) -> Path:
        return self.root / second.NAME

    @property
    def second_packaging(self) -> Path:
        return self.root / f"{second.NAME}-packaging"


def example_dir() -> Path:
    """The example series shipped inside the package (also the repository's top level)."""
    return Path(str(resources.files("patchq") / "example"))


def prepare(target: Path | None) -> Layout:
    """Build the upstream and copy the example series; refuses a non-empty directory."""
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="patchq-demo-"))
    elif target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target} is not an empty directory: give a new directory to the demo")
    layout = Layout(target.resolve())
    try:
        layout.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {target}: {exc.strerror}: give a new directory") from None
    demosrc.build(layout.upstream)
    source = example_dir()
    layout.packaging.mkdir()
    shutil.copyfile(source / "series.yaml", layout.packaging / "series.yaml")
    shutil.copytree(source / "patches", layout.packaging / "patches")
    (layout.root / STABLE_DIR).mkdir()
    layout.quilt.mkdir(parents=True)
    (layout.quilt / "series").write_text(QUILT_SERIES)
    (layout.quilt / "add-nova-status-entry-point.patch").write_text(QUILT_PATCH)
    (layout.root / "package").mkdir()
    (layout.root / "package" / "openstack-nova.spec").write_text(DEMO_SPEC)
    second.build(layout.second_upstream, layout.second_packaging)
    return layout


def run_steps(
    layout: Layout,
    steps: Sequence[Step],
    *,
    say: Callable[[str], None],
    invoke: Callable[[list[str]], int],
) -> list[tuple[Step, int]]:
    """Run each step through `invoke` (`patchq ARGV` -> exit code: the CLI passes one that
    runs it in-process); stop at the first unexpected exit code."""
    import shlex

    done = []
    for step in steps:
        say(f"\n# {step.say}\n$ patchq {shlex.join(step.args)}")
        sys.stdout.flush()
        # --upstream: a PATCHQ_UPSTREAM in the caller's environment must not redirect the tour.
        # (After the command: given before it, the command-level envvar would override it.)
        where = ["-C", str(layout.root / step.where), "--upstream", str(layout.upstream)]
        if step.at_root:  # every series finds its own clone through its upstream.path
            where = ["-C", str(layout.root)]
        with _without_env("PATCHQ_UPSTREAM" if step.at_root else None):
            code = invoke([*step.args, *where])
        if code in (ExitCode.INTERRUPTED, ExitCode.BUG):  # the step already said so
            sys.exit(code)
        if code not in step.ok_codes:
            raise PatchqError(
                f"demo step `patchq {shlex.join(step.args)}` exited with {code}: "
                f"the demo is in {layout.root}"
            )
        for name in step.show:
            show_file(layout.packaging / name, name, say)
        done.append((step, code))
    return done


def show_file(path: Path, label: str, say: Callable[[str], None]) -> None:
    """Print a file the way `cat` would; a patch only down to its `---` line."""
    text = path.read_text("utf-8", "replace")
    if path.suffix == ".patch":
        text = text.split("\n---\n", 1)[0] + "\n---\n[diff]\n"
    say(f"$ cat {label}\n{text.rstrip()}")


@contextmanager
def _without_env(name: str | None) -> Iterator[None]:
    saved = os.environ.pop(name, None) if name else None
    try:
        yield
    finally:
        if name and saved is not None:
            os.environ[name] = saved


def run_sync_steps(
    layout: Layout, *, say: Callable[[str], None], invoke: Callable[[list[str]], int]
) -> list[tuple[Step, int]]:
    """Start the local review server, point series.yaml at it, and run SYNC_STEPS."""
    import dataclasses

    from patchq.demo import review_server
    from patchq.series.workspace import Workspace

    with review_server.serve() as url:
        ws = Workspace(layout.packaging)
        current = ws.load()
        upstream = dataclasses.replace(
            current.upstream, gerrit=url, launchpad=url + review_server.LAUNCHPAD_PATH
        )
        ws.save(dataclasses.replace(current, upstream=upstream))
        say(
            f"\n# A stand-in for review.opendev.org and Launchpad answers at {url}; the demo "
            "set upstream.gerrit and upstream.launchpad in series.yaml to it."
        )
        return run_steps(layout, SYNC_STEPS, say=say, invoke=invoke)
