"""`patchq check`: the CI gate. Every check is a small function that returns findings.

Checks never stop at the first problem: a patch series with ten problems gets ten findings.
Entries that series.yaml validation rejected are still checked for their file's content, so
one typo in a patch's metadata does not hide a broken patch file. Checks that need the upstream
clone (PQ005, PQ007-PQ010, PQ013) are reported as skipped, with the reason, when it is not
available.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from patchq import console
from patchq.check import synced
from patchq.check import upstream as check_upstream
from patchq.check.findings import (
    AGAINST_CHECKS,
    CHECKS,
    ERROR,
    NEEDS_UPSTREAM,
    SERIES_FILE,
    WARNING,
    Check,
    Entry,
    Finding,
    Inputs,
    Report,
    error,
)
from patchq.errors import ConfigError
from patchq.patches import patchfile
from patchq.patches.hunks import parse_header
from patchq.series import io as series
from patchq.series.model import Patch, Series, Status
from patchq.series.workspace import Workspace

# -- running ----------------------------------------------------------------------------


def run(
    ws: Workspace,
    *,
    against: str | None = None,
    require_upstream: bool = False,
    today: dt.date | None = None,
) -> Report:
    """Run every check on the series in `ws`; ConfigError only when nothing can be said."""
    findings: list[Finding] = []
    loaded = _load(ws, findings, today or dt.date.today())
    if loaded is None:
        return Report(tuple(findings), ("PQ001",), ())
    ignore, warn = series.policy_lists(loaded.policy)
    wanted = [c for c in CHECKS if c not in ignore]
    if against is None:
        wanted = [c for c in wanted if c not in AGAINST_CHECKS]
    unset = {
        "PQ011": "max_pending_days",
        "PQ012": "max_carried_releases",
        "PQ016": "max_sync_age_days",
    }
    wanted = [c for c in wanted if c not in unset or unset[c] in loaded.policy]
    if loaded.series is None or not loaded.series.export:
        wanted = [c for c in wanted if c != "PQ014"]
    if not synced.anything_synced(loaded.series):
        wanted = [c for c in wanted if c != "PQ015"]  # it judges what `patchq sync` recorded
    for check_id, local in LOCAL_CHECKS.items():
        if check_id in wanted:
            findings.extend(local(loaded))
    upstream_wanted = [c for c in NEEDS_UPSTREAM if c in wanted]
    if upstream_wanted:
        findings.extend(
            check_upstream.run(
                loaded, upstream_wanted, against=against, require_upstream=require_upstream
            )
        )
    findings = [_printable(_with_policy(f, warn)) for f in findings if f.id not in ignore]
    # Series-wide findings first, then each listed patch in order, then unlisted files.
    order = {e.file: i for i, e in enumerate(loaded.entries)}
    order[""] = -1
    findings.sort(
        key=lambda f: (order.get(f.patch or "", len(order)), f.patch or "", f.id, f.line or 0)
    )
    return Report(tuple(findings), tuple(wanted), tuple(e.file for e in loaded.entries))


def _printable(finding: Finding) -> Finding:
    """Every output format can carry the finding: bytes that are not UTF-8 (a Latin-1
    subject, an odd file name) become U+FFFD, and so do control characters but CR (XML 1.0
    cannot carry them; the writers escape CR)."""

    def clean(text: str) -> str:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return console.printable(text, keep="\t\n\r")

    patch = None if finding.patch is None else clean(finding.patch)
    return dataclasses.replace(
        finding, patch=patch, file=clean(finding.file), message=clean(finding.message)
    )


def _with_policy(finding: Finding, warn: set[str]) -> Finding:
    if finding.severity == ERROR and finding.id in warn:
        return dataclasses.replace(finding, severity=WARNING)
    return finding


def _load(ws: Workspace, findings: list[Finding], today: dt.date) -> Inputs | None:
    try:
        current, problems = series.load_with_problems(ws.root)
    except ConfigError:
        located = _locate_unreadable(ws.series_path)
        if located is None:
            raise
        findings.append(Finding("PQ001", ERROR, None, SERIES_FILE, *located))
        return None
    for p in problems:
        findings.append(Finding(p.check_id, ERROR, p.patch, SERIES_FILE, p.line, p.message))
    text = ws.series_path.read_text("utf-8")
    raw = yaml.load(text, Loader=series._loader())  # safe; the loader that validated it
    raw = raw if isinstance(raw, dict) else {}
    finder = series.LineFinder(text)  # the line of a document path, composed on demand
    policy = raw.get("policy")
    policy = policy if isinstance(policy, dict) else {}
    entries = tuple(_entries(ws, current, raw))
    inputs = Inputs(ws, current, raw, entries, finder.line_of, policy, today)
    return inputs


def _locate_unreadable(path: Path) -> tuple[int, str] | None:
    """(line, message) for a series.yaml that does not decode or parse, when a line is known."""
    if not path.is_file():
        return None
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return line, f"not UTF-8 (byte {exc.start}): save {SERIES_FILE} as UTF-8"
    try:
        yaml.load(text, Loader=series._loader())  # safe; the loader that refused it
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is None:
            return None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        return mark.line + 1, f"YAML syntax error: {problem}: fix the file"
    return None


def _entries(ws: Workspace, current: Series | None, raw: dict[str, Any]) -> list[Entry]:
    valid = {p.file: p for p in current.patches} if current else {}
    entries: list[Entry] = []
    seen: set[str] = set()
    for index, item in enumerate(_list(raw, "patches")):
        if not isinstance(item, dict) or not item.get("file"):
            continue
        file = str(item["file"])
        if file in seen or (file not in valid and series.unsafe_patch_name(file, ws.root)):
            continue  # PQ001 already says why
        seen.add(file)
        data = _read(ws.patches_dir / file)
        parsed = None
        if data is not None:
            try:
                parsed = patchfile.parse(data, source=file)
            except ConfigError:
                parsed = None
        entries.append(Entry(index, file, valid.get(file), data, parsed))
    return entries


def _read(path: Path) -> bytes | None:
    try:
        return patchfile.read_bytes(path)  # None for a file over the size limit too
    except ConfigError:
        return None


# -- policy --------------------------------------------------------------------------------


# -- checks that need only the packaging directory ---------------------------------------------


def check_unlisted_files(inputs: Inputs) -> Iterator[Finding]:
    """PQ003: a file in patches/ that the series does not list (dot files are ignored)."""
    listed = _listed_files(inputs.raw)
    patches_dir = inputs.ws.patches_dir
    if not patches_dir.is_dir():
        return
    for path in sorted(patches_dir.rglob("*")):
        rel = path.relative_to(patches_dir).as_posix()
        if path.is_dir() or any(part.startswith(".") for part in Path(rel).parts):
            continue
        if rel not in listed:
            yield error(
                "PQ003",
                rel,
                f"{series.PATCHES_DIR}/{rel}",
                None,
                f"{series.PATCHES_DIR}/{rel} is not in {SERIES_FILE}: add it to `patches:` "
                "or delete it",
            )


def _listed_files(raw: dict[str, Any]) -> set[str]:
    listed = _list(raw, "patches")
    return {str(e["file"]) for e in listed if isinstance(e, dict) and e.get("file")}


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def check_parses(inputs: Inputs) -> Iterator[Finding]:
    """PQ004: the file is a format-patch with a diff whose hunks are well formed."""
    for entry in inputs.entries:
        if entry.raw is None:
            if (inputs.ws.patches_dir / entry.file).exists():
                yield error("PQ004", entry.file, entry.rel, None, f"{entry.rel} cannot be read")
            continue
        problem = _patch_problem(entry)
        if problem is not None:
            line, message = problem
            yield error("PQ004", entry.file, entry.rel, line, f"{entry.rel}: {message}")


def _patch_problem(entry: Entry) -> tuple[int | None, str] | None:
    if entry.parsed is None:
        return None, "not a patch (no mail header, no subject and no diff): regenerate it"
    if not entry.parsed.diff.strip():
        return None, "has no diff: regenerate it with `git format-patch`"
    return hunk_problem(entry.raw or b"")


def hunk_problem(raw: bytes) -> tuple[int, str] | None:
    """(line, what) for the first hunk whose lines do not match its @@ header counts.

    `git apply` silently ignores +/- lines after a hunk is complete, so a hand-edited patch
    with a stale @@ header would lose them without a word: that is reported too.
    """
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    old = new = start = 0
    binary = ended = False
    for number, line in enumerate(lines, 1):
        if old > 0 or new > 0:
            tag = line[:1]
            if tag == b"\\":
                continue
            if tag not in (b" ", b"", b"\r", b"-", b"+"):
                return number, f"hunk at line {start} ends early: fix or regenerate the patch"
            old -= tag != b"+"
            new -= tag != b"-"
            if old < 0 or new < 0:
                return number, f"hunk at line {start} has more lines than its @@ header says"
            ended = old == 0 and new == 0
            continue
        if ended and line[:1] in (b"+", b"-") and not line.startswith((b"--- ", b"-- ")):
            return number, f"hunk at line {start} has more lines than its @@ header says"
        ended = False
        if line.startswith(b"diff --git "):
            binary = False
        elif line.startswith(b"GIT binary patch"):
            binary = True
        elif line.startswith(b"@@") and not binary:
            header = parse_header(line)
            if header is None:
                return number, "malformed hunk header: expected '@@ -a,b +c,d @@'"
            old, new, start = header.old_len, header.new_len, number
    if old > 0 or new > 0:
        return start, f"hunk at line {start} is truncated: the file ends inside it"
    return None


def check_metadata(inputs: Inputs) -> Iterator[Finding]:
    """PQ006: what each status needs (and the owner, with policy require_owner)."""
    require_owner = inputs.policy.get("require_owner") is True
    for entry in inputs.entries:
        patch = entry.patch
        if patch is None:
            continue
        for message in _missing_metadata(patch, entry.parsed, require_owner=require_owner):
            line = inputs.lines(("patches", entry.index, "status"))
            yield error("PQ006", patch.file, SERIES_FILE, line, f"{patch.file}: {message}")


def _missing_metadata(
    patch: Patch, parsed: patchfile.PatchFile | None, *, require_owner: bool
) -> Iterable[str]:
    links = patch.upstream
    status = patch.status
    mark = f"`patchq mark {patch.name} {status}"
    if status is Status.SUBMITTED and not (links.review or links.change_id):
        trailer = parsed.change_id if parsed else None
        hint = f" --change-id {trailer}`" if trailer else " --review URL`"
        yield f"status submitted needs upstream.review or upstream.change_id: run {mark}{hint}"
    if status in (Status.BACKPORT, Status.MERGED) and not links.commit:
        picked = parsed.cherry_picked_from if parsed else None
        hint = f" --commit {picked}`" if picked else " --commit SHA`"
        yield f"status {status} needs upstream.commit: run {mark}{hint}"
    if status in (Status.DOWNSTREAM_ONLY, Status.REJECTED) and not patch.reason:
        yield f"status {status} needs a reason: run {mark} --reason TEXT`"
    if require_owner and not patch.owner:
        yield f"no owner (policy require_owner): run {mark} --owner NAME`"


def check_pending_age(inputs: Inputs) -> Iterator[Finding]:
    """PQ011: a pending patch (never sent upstream) older than max_pending_days."""
    limit = inputs.policy.get("max_pending_days")
    if not isinstance(limit, int) or isinstance(limit, bool):
        return
    for entry in inputs.entries:
        patch = entry.patch
        if patch is None or patch.status is not Status.PENDING or not patch.added:
            continue
        age = (inputs.today - dt.date.fromisoformat(patch.added[:10])).days
        if age > limit:
            yield error(
                "PQ011",
                patch.file,
                SERIES_FILE,
                inputs.lines(("patches", entry.index, "added")),
                f"{patch.file}: pending for {age} days (added {patch.added[:10]}), over "
                f"policy max_pending_days {limit}: send it upstream, then `patchq mark "
                f"{patch.name} submitted --review URL`",
            )


def check_carried_releases(inputs: Inputs) -> Iterator[Finding]:
    """PQ012: a patch carried through more rebases (releases) than max_carried_releases.

    A patch counts every rebase in history dated on or after the day it was added (all of them
    when `added` is unknown). downstream-only patches are carried by design and not counted.
    """
    limit = inputs.policy.get("max_carried_releases")
    if not isinstance(limit, int) or isinstance(limit, bool):
        return
    rebases = [
        h for h in _list(inputs.raw, "history") if isinstance(h, dict) and h.get("to") is not None
    ]
    for entry in inputs.entries:
        patch = entry.patch
        if patch is None or patch.status is Status.DOWNSTREAM_ONLY:
            continue
        added = (patch.added or "")[:10]
        releases = [str(h["to"]) for h in rebases if str(h.get("date", ""))[:10] >= added]
        if len(releases) > limit:
            yield error(
                "PQ012",
                patch.file,
                SERIES_FILE,
                inputs.lines(("patches", entry.index)),
                f"{patch.file}: carried through {len(releases)} releases "
                f"({', '.join(releases)}), over policy max_carried_releases {limit}: get it "
                "merged upstream, or mark it downstream-only with a reason",
            )


def check_exports(inputs: Inputs) -> Iterator[Finding]:
    """PQ014 (a warning unless policy says otherwise): an export target differs from what
    `patchq export` would write; `patchq export --check` is the failing CI form."""
    from patchq.check import exported

    if inputs.series is None:
        return
    for file, message in exported.differences(inputs.ws, inputs.series):
        yield Finding("PQ014", WARNING, None, file, None, message)


def _valid(inputs: Inputs) -> list[tuple[int, Patch]]:
    return [(e.index, e.patch) for e in inputs.entries if e.patch is not None]


def _findings(inputs: Inputs, problems: Iterable[synced.Problem]) -> Iterator[Finding]:
    for check_id, patch, where, message in problems:
        yield error(check_id, patch, SERIES_FILE, inputs.lines(where), message)


LOCAL_CHECKS: dict[str, Check] = {
    "PQ003": check_unlisted_files,
    "PQ004": check_parses,
    "PQ006": check_metadata,
    "PQ011": check_pending_age,
    "PQ012": check_carried_releases,
    "PQ014": check_exports,
    "PQ015": lambda inputs: _findings(
        inputs, synced.review_state(inputs.ws, inputs.series, _valid(inputs))
    ),
    "PQ016": lambda inputs: _findings(
        inputs,
        synced.sync_age(inputs.policy.get(synced.MAX_SYNC_AGE), _valid(inputs), inputs.today),
    ),
}
