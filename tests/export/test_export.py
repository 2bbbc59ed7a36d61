"""`patchq export`: debian (quilt + DEP-3), rpm (spec Patch lines), mbox, --check, and what an
export may never do. Real tools judge the output: quilt, lintian, rpmspec, rpmbuild, git am."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from debian import deb822

from patchq.series import io as series
from tests.builders import UpstreamRepo, git, run
from tests.export.helpers import (
    BUG,
    CID,
    MERGED,
    PICKED,
    REVIEW,
    SPEC_AUTOSETUP,
    SPEC_EXPLICIT,
    URL,
    make_series,
    need,
    need_specfile,
    ok,
    tool,
    tree_at,
)

NAMES = [
    "0001-api-Log-reboots-at-debug-level.patch",
    "0002-conf-Raise-the-default-timeout-to-60.patch",
    "0003-Keep-nova-s-state-under-var-lib-nova.patch",
    "0004-api-Log-deletions.patch",
    "0005-README-Say-what-nova-is.patch",
]


@pytest.fixture
def pkg(upstream: UpstreamRepo, workdir: Path) -> Path:
    return make_series(upstream, workdir)


def header(path: Path) -> deb822.Deb822:
    head = path.read_text().split("\n---\n", 1)[0]
    return deb822.Deb822(head + "\n")


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


# -- debian -----------------------------------------------------------------------------------


def test_debian_writes_series_and_dep3_headers(pkg: Path, tmp_path: Path) -> None:
    out = tmp_path / "debian" / "patches"
    result = run("export", "--format", "debian", str(out))
    assert result.exit_code == 0, result.stderr
    assert (out / "series").read_text() == "\n".join(
        ["# patchq: begin", *NAMES, "# patchq: end", ""]
    )
    submitted, pending, vendor, backport, merged = (header(out / n) for n in NAMES)
    assert submitted["Description"] == (
        "api: Log reboots at debug level\n The info line floods the log on big clouds.\n .\n"
        f" Closes-Bug: #2000001\n Change-Id: {CID}"
    )
    assert submitted["Author"] == "A U Thor <author@example.com>"
    assert submitted["Forwarded"] == REVIEW and submitted["Bug-Launchpad"] == BUG
    assert submitted["Change-Id"] == CID and "Origin" not in submitted
    assert pending["Forwarded"] == "no" and "Origin" not in pending
    assert vendor["Origin"] == "vendor" and vendor["Forwarded"] == "not-needed"
    assert vendor["Description"].endswith(" .\n Why it is carried: Debian's FHS layout")
    assert backport["Origin"] == f"upstream, {URL}/commit/{PICKED}"
    assert "Applied-Upstream" not in backport and "Forwarded" not in backport
    assert merged["Origin"] == f"upstream, {URL}/commit/{MERGED}"
    assert merged["Applied-Upstream"] == f"{URL}/commit/{MERGED}"
    added = series.load(pkg).patches[0].added
    assert {h["Last-Update"] for h in (submitted, pending, vendor, backport, merged)} == {added}
    # The diff follows the `---` line untouched.
    body = (out / NAMES[1]).read_bytes().split(b"\n---\n", 1)[1]
    assert body.startswith(b"diff --git a/nova/conf.py b/nova/conf.py\n")
    assert body in (pkg / "patches" / NAMES[1]).read_bytes()


def test_debian_quilt_push_applies_and_import_gives_the_series_back(
    pkg: Path, upstream: UpstreamRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need("quilt")
    source = tree_at(upstream.path, "1.0", tmp_path / "nova-1.0")
    ok(run("export", "--format", "debian", str(source / "debian" / "patches")))
    ok(run("apply", "--branch", "carried"))
    pushed = tool(
        "quilt", "push", "-a", "--fuzz=0", cwd=source, env={"QUILT_PATCHES": "debian/patches"}
    )
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert f"Now at patch debian/patches/{NAMES[-1]}" in pushed.stdout
    for path in ("nova/api.py", "nova/conf.py", "README.rst"):
        assert (source / path).read_text() == git(upstream.path, "show", f"carried:{path}")
    # import --quilt of the export gives back the same entries.
    again = tmp_path / "again"
    again.mkdir()
    monkeypatch.chdir(again)
    ok(run("init", "--upstream", str(upstream.path), "--base", "1.0", "--url", URL))
    ok(run("import", "--quilt", str(source / "debian" / "patches")))
    before, after = series.load(pkg).patches, series.load(again).patches
    assert [p.file for p in after] == NAMES
    # DEP-3 has one word for "the change is upstream": merged comes back as backport.
    expected = [p.status.value for p in before]
    expected[4] = "backport"
    assert [p.status.value for p in after] == expected
    for old, new in zip(before, after, strict=True):
        assert new.upstream.review == old.upstream.review
        assert new.upstream.bug == old.upstream.bug
        assert new.upstream.commit == old.upstream.commit
        assert new.upstream.change_id == old.upstream.change_id
    ok(run("apply", "--branch", "again"))
    assert git(upstream.path, "rev-parse", "again^{tree}") == git(
        upstream.path, "rev-parse", "carried^{tree}"
    )


@pytest.mark.slow
def test_lintian_finds_nothing_but_the_one_unforwarded_patch(
    pkg: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    need("lintian")
    need("dpkg-source")
    build = tmp_path / "build"
    orig = build / "nova_1.0.orig.tar.gz"
    build.mkdir()
    git(upstream.path, "archive", "--prefix=nova-1.0/", "-o", str(orig), "1.0")
    source = tree_at(upstream.path, "1.0", build / "nova-1.0")
    debian = source / "debian"
    (debian / "source").mkdir(parents=True)
    (debian / "source" / "format").write_text("3.0 (quilt)\n")
    (debian / "changelog").write_text(
        "nova (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n"
        " -- Jane Doe <jane@example.org>  Mon, 06 Jan 2025 10:00:00 +0000\n"
    )
    (debian / "control").write_text(
        "Source: nova\nMaintainer: Jane Doe <jane@example.org>\nSection: python\n"
        "Priority: optional\nStandards-Version: 4.6.2\nBuild-Depends: debhelper-compat (= 13)\n"
        "\nPackage: nova\nArchitecture: all\nDescription: cloud compute\n the nova service\n"
    )
    (debian / "rules").write_text("#!/usr/bin/make -f\n%:\n\tdh $@\n")
    (debian / "rules").chmod(0o755)
    ok(run("export", "--format", "debian", str(debian / "patches")))
    built = tool("dpkg-source", "-b", "nova-1.0", cwd=build)  # applies every patch, fuzz 0
    assert built.returncode == 0, built.stdout + built.stderr
    linted = tool(
        "lintian", "-I", "-E", "--pedantic", "--no-tag-display-limit", "nova_1.0-1.dsc", cwd=build
    )
    patch_tags = [
        line
        for line in linted.stdout.splitlines()
        if "patch" in line.split(":", 2)[-1].split()[0] or "dep3" in line
    ]
    # The pending patch is truly not forwarded: lintian read our header and says so (info).
    assert patch_tags == [
        f"I: nova source: patch-not-forwarded-upstream [debian/patches/{NAMES[1]}]"
    ], linted.stdout


def test_hand_written_header_fields_and_text_survive(pkg: Path, tmp_path: Path) -> None:
    out = tmp_path / "patches"
    out.mkdir()
    (out / NAMES[1]).write_text(
        "Description: old words\n old body\n"
        "Bug-Debian: https://bugs.debian.org/1098765\n"
        "Forwarded: yes\n"
        "Reviewed-by: Thomas Goirand <zigo@debian.org>\n"
        "X-Debian-Note: keep me\n"
        "\n"
        "Free text the packager wrote.\n"
        "---\n"
        "diff --git a/old b/old\n"
    )
    ok(run("export", "--format", "debian", str(out)))
    text = (out / NAMES[1]).read_text()
    head = header(out / NAMES[1])
    assert list(head.keys()) == [
        "Description",
        "Bug-Debian",
        "Forwarded",
        "Reviewed-by",
        "X-Debian-Note",
        "Author",
        "Last-Update",
    ]
    assert head["Description"] == "conf: Raise the default timeout to 60"
    assert head["Forwarded"] == "no"
    assert head["Bug-Debian"] == "https://bugs.debian.org/1098765"
    assert "\n\nFree text the packager wrote.\n---\ndiff --git a/nova/conf.py" in text
    first = files_of(out)
    ok(run("export", "--format", "debian", str(out)))
    assert files_of(out) == first


def test_series_lines_patchq_does_not_manage_stay_in_place(pkg: Path, tmp_path: Path) -> None:
    out = tmp_path / "patches"
    out.mkdir()
    (out / "debian-only.patch").write_text("Description: x\n---\n")
    (out / "series").write_text(
        "# Debian's own first\ndebian-only.patch\n"
        f"{NAMES[0]}\n"  # an earlier hand copy of one of ours: it becomes patchq's
        "#disabled.patch\nlast-one.patch -p1\n"
    )
    ok(run("export", "--format", "debian", str(out)))
    lines = (out / "series").read_text().splitlines()
    assert lines[:4] == [
        "# Debian's own first",
        "debian-only.patch",
        "#disabled.patch",
        "last-one.patch -p1",
    ]
    assert lines[4:] == ["# patchq: begin", *NAMES, "# patchq: end"]
    # With markers, the block is replaced in place and the rest kept byte for byte.
    (out / "series").write_text(
        "before.patch\n# patchq: begin\nstale.patch\n# patchq: end\nafter.patch\n"
    )
    (out / "stale.patch").write_text("old\n")
    (out / "before.patch").write_text("mine\n")
    ok(run("export", "--format", "debian", str(out)))
    assert (out / "series").read_text() == "\n".join(
        ["before.patch", "# patchq: begin", *NAMES, "# patchq: end", "after.patch", ""]
    )
    assert not (out / "stale.patch").exists()  # it was ours and left the series
    assert (out / "before.patch").read_text() == "mine\n"


def test_byte_stable_and_a_rebase_changes_exactly_what_it_changed(
    pkg: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    need_specfile()
    deb, mbox, spec = tmp_path / "deb", tmp_path / "series.mbox", tmp_path / "rpm" / "nova.spec"
    spec.parent.mkdir()
    spec.write_text(SPEC_AUTOSETUP)
    exports = [("debian", deb), ("mbox", mbox), ("rpm", spec)]
    for fmt, target in exports:
        ok(run("export", "--format", fmt, str(target)))
    first_deb, first_rpm, first_mbox = files_of(deb), files_of(spec.parent), mbox.read_bytes()
    stamps = {p: p.stat().st_mtime_ns for p in deb.iterdir()}
    for fmt, target in exports:
        ok(run("export", "--format", fmt, str(target)))
    assert (files_of(deb), files_of(spec.parent), mbox.read_bytes()) == (
        first_deb,
        first_rpm,
        first_mbox,
    )
    assert {p: p.stat().st_mtime_ns for p in deb.iterdir()} == stamps  # nothing rewritten
    # 2.0: upstream takes the README patch and moves the lines the timeout patch touches.
    patches_before = files_of(pkg / "patches")
    conf = (upstream.path / "nova" / "conf.py").read_text()
    upstream.commit("Say what nova is", {"README.rst": "nova\n\nOpenStack Compute.\n"})
    upstream.commit("conf: document", {"nova/conf.py": "# Options.\n" + conf})
    upstream.tag("2.0")
    ok(run("rebase", "--onto", "2.0"))
    assert [p.file for p in series.load(pkg).patches] == NAMES[:4]
    patches_after = files_of(pkg / "patches")
    refreshed = {n for n in NAMES[:4] if patches_before[n] != patches_after[n]}
    assert refreshed and len(refreshed) < 4
    for fmt, target in exports:
        ok(run("export", "--format", fmt, str(target)))
    deb_after, rpm_after = files_of(deb), files_of(spec.parent)
    assert set(deb_after) == {"series", *NAMES[:4]}  # the dropped one is removed
    assert set(rpm_after) == {"nova.spec", *NAMES[:4]}
    assert {n for n in deb_after if first_deb[n] != deb_after[n]} == {"series", *refreshed}
    assert {n for n in rpm_after if first_rpm[n] != rpm_after[n]} == {"nova.spec", *refreshed}
    assert NAMES[4].encode() not in spec.read_bytes()


# -- rpm ------------------------------------------------------------------------------------


def test_rpm_autosetup_spec_keeps_numbers_comments_and_every_other_byte(
    pkg: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    need_specfile()
    distgit = tmp_path / "distgit"
    distgit.mkdir()
    spec = distgit / "openstack-nova.spec"
    spec.write_text(SPEC_AUTOSETUP)
    (distgit / "0099-an-old-patch-dropped-since.patch").write_text("old\n")
    result = run("export", "--format", "rpm", str(spec))
    assert result.exit_code == 0, result.stderr
    text = spec.read_text()
    old_lines, new_lines = SPEC_AUTOSETUP.splitlines(), text.splitlines()
    block = [
        "#",
        "# patches_base=1.0",
        "#",
        f"Patch0001: {NAMES[0]}",
        "# keep this one until the stable branch has it",
        f"Patch0002: {NAMES[1]}",
        f"Patch0008:      {NAMES[2]}",
        f"Patch0009: {NAMES[3]}",
        f"Patch0010: {NAMES[4]}",
    ]
    start = old_lines.index("#")
    assert new_lines[start : start + len(block)] == block
    assert new_lines[:start] == old_lines[:start]
    assert new_lines[start + len(block) :] == old_lines[start + 7 :]
    for name in NAMES:
        assert (distgit / name).read_bytes() == (pkg / "patches" / name).read_bytes()
    assert not (distgit / "0099-an-old-patch-dropped-since.patch").exists()
    # rpmspec parses it; rpmbuild -bp applies every patch, in spec order, to the tarball.
    need("rpmspec")
    parsed = tool("rpmspec", "-P", str(spec), cwd=distgit)
    assert parsed.returncode == 0, parsed.stderr
    assert f"Patch0010: {NAMES[4]}" in parsed.stdout
    need("rpmbuild")
    git(
        upstream.path,
        "archive",
        "--prefix=nova-1.0/",
        "-o",
        str(distgit / "nova-1.0.tar.gz"),
        "1.0",
    )
    top = tmp_path / "rpmbuild"
    prepared = tool(
        "rpmbuild", "-bp", "--nodeps", "--define", f"_topdir {top}",
        "--define", f"_sourcedir {distgit}", str(spec), cwd=distgit,
    )  # fmt: skip
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    ok(run("apply", "--branch", "carried"))
    built = top / "BUILD" / "nova-1.0"
    for path in ("nova/api.py", "nova/conf.py", "README.rst"):
        assert (built / path).read_text() == git(upstream.path, "show", f"carried:{path}")


def test_rpm_explicit_patch_list_follows_the_series(pkg: Path, tmp_path: Path) -> None:
    need_specfile()
    spec = tmp_path / "python-nova.spec"
    spec.write_text(SPEC_EXPLICIT)
    ok(run("export", "--format", "rpm", str(spec)))
    text = spec.read_text()
    assert "Patch1:         " + NAMES[0] in text
    assert "Patch2:" not in text and "%patch -P 2" not in text
    numbers = [3, 4, 5, 6]
    for number, name in zip(numbers, NAMES[1:], strict=True):
        assert f"Patch{number}:         {name}\n" in text
    prep = text.split("%prep\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert prep == [
        "%setup -q -n nova-1.0",
        "# applied by hand, in this order",
        "%patch -P 1 -p1",
        *(f"%patch -P {n} -p1" for n in numbers),
        "echo prepared",
    ]
    if (rpmspec := need("rpmspec")) is not None:
        assert tool(rpmspec, "-P", str(spec), cwd=tmp_path).returncode == 0


def test_rpm_spec_without_patch_lines_gets_them_in_series_order(pkg: Path, tmp_path: Path) -> None:
    need_specfile()
    spec = tmp_path / "nova.spec"
    bare = SPEC_AUTOSETUP.split("\n#\n", 1)[0] + "\n" + SPEC_AUTOSETUP.split("Patch0007:", 1)[1]
    spec.write_text(bare.replace("      0099-an-old-patch-dropped-since.patch\n", "", 1))
    ok(run("export", "--format", "rpm", str(spec)))
    lines = spec.read_text().splitlines()
    at = lines.index("Source0:        nova-%{upstream_version}.tar.gz") + 1
    assert lines[at : at + 5] == [f"Patch{n:04d}: {name}" for n, name in enumerate(NAMES, 1)]


@pytest.mark.parametrize(
    ("prep", "expected"),
    [
        # old-style %patchN lines keep their style (RPM < 4.20 specs)
        (
            "%setup -q\n%patch1 -p1\n%patch2 -p1\n",
            "%setup -q\n" + "".join(f"%patch{n} -p1\n" for n in (1, 3, 4, 5, 6)),
        ),
        # %autosetup -N with %autopatch, and rdopkg's git am %{patches}: nothing to rewrite
        ("%autosetup -N\n%autopatch -p1\n", "%autosetup -N\n%autopatch -p1\n"),
        ("%setup -q\ngit am %{patches}\n", "%setup -q\ngit am %{patches}\n"),
    ],
)
def test_rpm_prep_styles(pkg: Path, tmp_path: Path, prep: str, expected: str) -> None:
    need_specfile()
    spec = tmp_path / "nova.spec"
    head = SPEC_EXPLICIT.split("%prep\n", 1)[0]
    spec.write_text(f"{head}%prep\n{prep}\n%build\ntrue\n")
    ok(run("export", "--format", "rpm", str(spec)))
    text = spec.read_text()
    prep_now = text.split("%prep\n", 1)[1].split("\n%build", 1)[0]
    assert prep_now == expected


def test_rpm_numberless_patch_line_is_refused(pkg: Path, tmp_path: Path) -> None:
    need_specfile()
    spec = tmp_path / "nova.spec"
    text = SPEC_EXPLICIT.replace("Patch2:         0099", "Patch:          0099")
    spec.write_text(text)
    result = run("export", "--format", "rpm", str(spec))
    assert result.exit_code == 2 and "has no number" in result.stderr
    assert spec.read_text() == text


def test_rpm_changelog_entry_on_request(pkg: Path, tmp_path: Path) -> None:
    need_specfile()
    spec = tmp_path / "nova.spec"
    spec.write_text(SPEC_AUTOSETUP)
    result = run("export", "--format", "rpm", str(spec), "--changelog", "Carry 5 patches")
    assert result.exit_code == 0, result.stderr
    log = spec.read_text().split("%changelog\n", 1)[1]
    assert log.splitlines()[1] == "- Carry 5 patches"
    assert log.endswith("- Package 1.0\n")


def test_rpm_unparsable_spec_is_one_line_naming_the_line_and_left_alone(
    pkg: Path, tmp_path: Path
) -> None:
    need_specfile()
    spec = tmp_path / "nova.spec"
    broken = SPEC_AUTOSETUP.replace("BuildArch:      noarch", "Bogus-Tag: yes")
    spec.write_text(broken)
    result = run("export", "--format", "rpm", str(spec))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "line 18: Unknown tag: Bogus-Tag: yes" in result.stderr and str(spec) in result.stderr
    assert spec.read_text() == broken
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["nova.spec"]


# -- mbox -----------------------------------------------------------------------------------


def test_mbox_git_am_gives_the_apply_branch_tree(
    pkg: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    mbox = tmp_path / "series.mbox"
    ok(run("export", "--format", "mbox", str(mbox)))
    ok(run("apply", "--branch", "carried"))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream.path), str(clone))
    git(clone, "checkout", "-q", "--detach", "1.0")
    am = subprocess.run(["git", "-C", str(clone), "am", "-q", str(mbox)], capture_output=True)
    assert am.returncode == 0, am.stderr.decode()
    assert git(clone, "rev-parse", "HEAD^{tree}") == git(
        upstream.path, "rev-parse", "carried^{tree}"
    )
    subjects = git(clone, "log", "--reverse", "--format=%s", "1.0..HEAD").splitlines()
    assert subjects == [
        "api: Log reboots at debug level",
        "conf: Raise the default timeout to 60",
        "Keep nova's state under /var/lib/nova",
        "api: Log deletions",
        "README: Say what nova is",
    ]
    separators = re.findall(rb"(?m)^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$", mbox.read_bytes())
    assert len(separators) == 5


# -- --check, targets from series.yaml, safety --------------------------------------------------


def test_check_writes_nothing_and_lists_every_difference(pkg: Path, tmp_path: Path) -> None:
    need_specfile()
    deb = tmp_path / "deb"
    spec = tmp_path / "nova.spec"
    spec.write_text(SPEC_AUTOSETUP)
    result = run("export", "--format", "debian", str(deb), "--check")
    assert result.exit_code == 1
    assert not deb.exists()
    assert f"{os.path.relpath(deb)}/series: missing (an export writes it)" in result.stdout
    ok(run("export", "--format", "debian", str(deb)))
    ok(run("export", "--format", "rpm", str(spec)))
    assert run("export", "--format", "debian", str(deb), "--check").exit_code == 0
    (deb / NAMES[2]).write_text((deb / NAMES[2]).read_text().replace("Forwarded", "Forwarded-X"))
    (deb / "series").write_text((deb / "series").read_text().replace(NAMES[3] + "\n", ""))
    spec.write_text(spec.read_text().replace(f"Patch0009: {NAMES[3]}", "Patch0009: other.patch"))
    before = {**files_of(tmp_path)}
    result = run("export", "--format", "debian", str(deb), "--check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{os.path.relpath(deb)}/{NAMES[2]}:9: differs from the export",
        f"{os.path.relpath(deb)}/series:5: + {NAMES[3]}",
    ]
    result = run("export", "--format", "rpm", str(spec), "--check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{os.path.relpath(spec)}:17: - Patch0009: other.patch",
        f"{os.path.relpath(spec)}:17: + Patch0011: {NAMES[3]}",  # other.patch left: a new number
    ]
    assert files_of(tmp_path) == before


def test_export_without_target_uses_series_yaml_and_check_reports_pq014(
    pkg: Path, tmp_path: Path
) -> None:
    text = (pkg / "series.yaml").read_text()
    (pkg / "series.yaml").write_text(
        text.replace(
            "patches:\n",
            "export:\n  debian: ../debian/patches  # the package\n  mbox: out.mbox\npatches:\n",
            1,
        )
    )
    result = run("check")
    assert result.exit_code == 0  # PQ014 is a warning
    assert "PQ014" in result.stdout and "debian/patches/series: missing" in result.stdout
    ok(run("export"))
    assert (pkg.parent / "debian" / "patches" / "series").is_file()
    assert (pkg / "out.mbox").is_file()
    assert "# the package" in (pkg / "series.yaml").read_text()
    assert "PQ014" not in run("check").stdout
    assert run("export", "--check").exit_code == 0
    ok(run("mark", "2", "submitted", "--review", REVIEW))  # a save keeps the export key
    assert (
        "export:\n  debian: ../debian/patches  # the package" in (pkg / "series.yaml").read_text()
    )
    result = run("export", "--check")
    assert result.exit_code == 1 and "differs from the export" in result.stdout


def test_bad_export_key_is_pq001(pkg: Path) -> None:
    text = (pkg / "series.yaml").read_text()
    (pkg / "series.yaml").write_text(
        text.replace("patches:\n", "export:\n  debain: x\npatches:\n", 1)
    )
    result = run("export")
    assert result.exit_code == 2
    assert "unknown key 'debain'; did you mean 'debian'?" in result.stderr


@pytest.mark.parametrize("where", ["patches", "patches/sub", ".patchq", "series.yaml", "."])
def test_targets_patchq_owns_are_refused(pkg: Path, where: str) -> None:
    fmt = "mbox" if where == "series.yaml" else "debian"
    before = files_of(pkg / "patches")
    result = run("export", "--format", fmt, where)
    assert result.exit_code == 2
    assert result.stderr.startswith("patchq: error: ") and result.stderr.count("\n") == 1
    assert files_of(pkg / "patches") == before


def test_symlink_in_target_is_refused(pkg: Path, tmp_path: Path) -> None:
    out = tmp_path / "deb"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    (out / NAMES[0]).symlink_to(outside)
    result = run("export", "--format", "debian", str(out))
    assert result.exit_code == 2 and "is a symlink" in result.stderr
    assert outside.read_text() == "precious\n"
    assert sorted(p.name for p in out.iterdir()) == [NAMES[0]]


@pytest.mark.parametrize("name", ["../outside.patch", "ABSOLUTE"])
def test_series_block_naming_a_file_outside_dir_is_refused(
    pkg: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / "deb"
    out.mkdir()
    outside = tmp_path / "outside.patch"
    outside.write_text("precious\n")
    name = str(outside) if name == "ABSOLUTE" else name
    (out / "series").write_text(f"# patchq: begin\n{name}\n# patchq: end\n")
    result = run("export", "--format", "debian", str(out))
    assert result.exit_code == 2 and "lies outside" in result.stderr
    assert outside.read_text() == "precious\n"
    assert sorted(p.name for p in out.iterdir()) == ["series"]


def test_interrupted_export_leaves_the_target_unchanged(
    pkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from patchq.export import common

    out = tmp_path / "deb"
    ok(run("export", "--format", "debian", str(out)))
    before = files_of(out)
    ok(run("mark", "1", "pending"))
    ok(run("mark", "3", "pending"))
    real = common._stage
    calls = []

    def stop_at_second(path: Path, data: bytes, **options: bool) -> Path:
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(path, data, **options)

    monkeypatch.setattr(common, "_stage", stop_at_second)
    result = run("export", "--format", "debian", str(out))
    assert result.exit_code == 130
    assert files_of(out) == before  # no file changed, no temp file left
    monkeypatch.undo()
    ok(run("export", "--format", "debian", str(out)))
    assert files_of(out) != before


def test_usage_errors(pkg: Path, tmp_path: Path) -> None:
    result = run("export", str(tmp_path / "x"))
    assert result.exit_code == 2 and "--format" in result.stderr
    result = run("export", "--format", "mbox", str(tmp_path / "x"), "--changelog", "y")
    assert result.exit_code == 2 and "--changelog goes with --format rpm" in result.stderr
    result = run("export", "--format", "rpm", str(tmp_path / "none.spec"))
    assert result.exit_code == 2 and "no such spec" in result.stderr
    result = run("export")
    assert result.exit_code == 2 and "names no export target" in result.stderr
