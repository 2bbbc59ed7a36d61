"""Renderers for `patchq check`: text, json, junit (JUnit XML) and github (workflow commands).

Each takes a check.Report and returns the whole document as a string; nothing here prints.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from patchq.check.findings import (
    CHECKS,
    ERROR,
    PER_PATCH,
    SERIES_FILE,
    SKIPPED,
    WARNING,
    Finding,
    Report,
)

FORMATS = ("text", "json", "junit", "github")
# The testcase name of the checks that judge the whole series rather than one patch.
SERIES_SUBJECT = {
    "PQ001": SERIES_FILE,
    "PQ003": "patches/",
    "PQ007": SERIES_FILE,
    "PQ013": SERIES_FILE,
}


def render(
    report: Report,
    fmt: str,
    *,
    paint: Callable[[str, str], str] | None = None,
    path_prefix: str = "",
) -> str:
    renderers: dict[str, Callable[[], str]] = {
        "text": lambda: text(report, paint=paint),
        "json": lambda: as_json(report),
        "junit": lambda: junit(report),
        "github": lambda: github(report, path_prefix=path_prefix),
    }
    return renderers[fmt]()


def summary(report: Report) -> str:
    counts = report.counts()
    scope = f"{len(report.checks)} checks on {len(report.patches)} patches"
    if not report.findings:
        return f"patchq check: ok ({scope})"
    parts = [
        _plural(counts[ERROR], "error"),
        _plural(counts[WARNING], "warning"),
        f"{counts[SKIPPED]} skipped",
    ]
    verdict = "failed" if report.failed else "passed"
    return f"patchq check: {verdict}: {', '.join(parts)} ({scope})"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# -- text -----------------------------------------------------------------------------------


def text(report: Report, *, paint: Callable[[str, str], str] | None = None) -> str:
    """Findings grouped by patch (series-wide ones first), then the summary line. `paint`
    styles a word for a terminal, given its role: "patch" or the finding's severity."""
    groups: dict[str, list[Finding]] = {}
    for finding in report.findings:
        groups.setdefault(finding.patch or SERIES_FILE, []).append(finding)
    lines: list[str] = []
    for name, found in groups.items():
        lines.append(paint(name, "patch") if paint else name)
        for finding in found:
            label = f"{finding.severity:<7}"
            if paint:
                label = paint(label, finding.severity)
            where = finding.file + (f":{finding.line}" if finding.line else "")
            lines.append(f"  {label} {finding.id}  {where}  {finding.message}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


# -- json -----------------------------------------------------------------------------------


def as_json(report: Report) -> str:
    """A list of {id, severity, patch, file, line, message} (docs/ci.md documents it)."""
    return json.dumps([f.as_json() for f in report.findings], indent=2) + "\n"


# -- junit ----------------------------------------------------------------------------------


def junit(report: Report) -> str:
    """One testcase per (check, patch); a failure per failed testcase, skipped for skips."""
    suites = ET.Element("testsuites", name="patchq check")
    counts = junit_suite(suites, report, name="patchq check")
    set_counts(suites, counts)
    return junit_document(suites)


def junit_suite(
    suites: ET.Element, report: Report, *, name: str, prefix: str = ""
) -> dict[str, int]:
    """Add one <testsuite> for `report` (file attributes start with `prefix`); its counts."""
    suite = ET.SubElement(suites, "testsuite", name=name)
    placed: set[int] = set()
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check_id in report.checks:
        subjects = report.patches if check_id in PER_PATCH else (SERIES_SUBJECT[check_id],)
        for subject in subjects:
            found = [
                (i, f)
                for i, f in enumerate(report.findings)
                if f.id == check_id and _belongs(f, subject, per_patch=check_id in PER_PATCH)
            ]
            placed.update(i for i, _ in found)
            _testcase(suite, check_id, subject, [f for _, f in found], counts, prefix)
    for i, finding in enumerate(report.findings):
        if i not in placed:  # e.g. a skipped per-patch check in a series with no patches
            _testcase(suite, finding.id, finding.patch or finding.file, [finding], counts, prefix)
    set_counts(suite, counts)
    return counts


def set_counts(element: ET.Element, counts: dict[str, int]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts.get(key, 0)))
    element.set("time", "0")


def junit_document(suites: ET.Element) -> str:
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _belongs(finding: Finding, subject: str, *, per_patch: bool) -> bool:
    if not per_patch:
        return True
    return finding.patch == subject or (finding.patch is None and finding.severity == SKIPPED)


def _testcase(
    suite: ET.Element,
    check_id: str,
    subject: str,
    found: list[Finding],
    counts: dict[str, int],
    prefix: str = "",
) -> None:
    is_patch = subject not in (SERIES_FILE, "patches/")
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"patchq.{check_id}",
        name=subject,
        file=prefix + (f"patches/{subject}" if is_patch else subject),
        time="0",
    )
    counts["tests"] += 1
    errors = [f for f in found if f.severity == ERROR]
    skips = [f for f in found if f.severity == SKIPPED]
    warnings = [f for f in found if f.severity == WARNING]
    if errors:
        counts["failures"] += 1
        failure = ET.SubElement(case, "failure", type=check_id, message=errors[0].message)
        failure.text = "\n".join(_located(f) for f in errors)
    elif skips:
        counts["skipped"] += 1
        ET.SubElement(case, "skipped", message=skips[0].message)
    if warnings:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(f"warning: {_located(f)}" for f in warnings)


def _located(finding: Finding) -> str:
    where = finding.file + (f":{finding.line}" if finding.line else "")
    return f"{finding.id} {where}: {finding.message}"


# -- github ---------------------------------------------------------------------------------


def github(report: Report, *, path_prefix: str = "") -> str:
    """`::error file=...,line=...,title=PQ00x::message` per finding (warnings as ::warning,
    skips as ::notice), then the summary as a plain log line."""
    command = {ERROR: "error", WARNING: "warning", SKIPPED: "notice"}
    lines = []
    for finding in report.findings:
        props = [f"file={escape_property(path_prefix + finding.file)}"]
        if finding.line:
            props.append(f"line={finding.line}")
        props.append(f"title={escape_property(finding.id)}")
        message = escape_data(finding.message)
        lines.append(f"::{command[finding.severity]} {','.join(props)}::{message}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def repo_prefix(root: Path) -> str:
    """The series directory relative to the git work tree holding it, with a trailing '/'
    (GitHub annotations need paths from the repository root); '' when none is found."""
    root = root.resolve()
    for parent in (root, *root.parents):
        if (parent / ".git").exists():
            rel = root.relative_to(parent).as_posix()
            return "" if rel == "." else rel + "/"
    return ""


__all__ = ["CHECKS", "FORMATS", "render", "repo_prefix", "summary"]
