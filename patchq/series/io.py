"""series.yaml: strict validation in, minimal round-trip edits out.

Reads use PyYAML's safe loader (fast, no Python objects); errors name the file and line, found by
composing the document only when something is wrong. Writes reconcile the new model with the
existing document through ruamel.yaml, so hand-written comments, order and blank lines survive.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from patchq.errors import ConfigError
from patchq.fsutil import atomic_write
from patchq.series import parsecache, synced
from patchq.series.model import (
    CHANGE_ID_RE,
    CHECK_IDS,
    POLICY_KEYS,
    STATUSES,
    Patch,
    Series,
    Status,
    Upstream,
    UpstreamLinks,
)

if TYPE_CHECKING:
    import yaml

SERIES_FILE = "series.yaml"
PATCHES_DIR = "patches"

TOP_KEYS = ("version", "upstream", "policy", "export", "patches", "history")
EXPORT_FORMATS = ("debian", "rpm", "mbox")
# gerrit, project and launchpad: which servers `patchq sync` asks (all optional).
UPSTREAM_KEYS = (
    "name",
    "url",
    "path",
    "branch",
    "base",
    "base_commit",
    "gerrit",
    "project",
    "launchpad",
)
PATCH_KEYS = ("file", "status", "reason", "owner", "added", "upstream")
# changes, bug_task, synced, synced_from: what `patchq sync` last read (all optional).
LINK_KEYS = ("change_id", "review", "commit", "bug", "changes", "bug_task", "synced", "synced_from")
STRUCTURED_LINK_KEYS = ("changes", "bug_task")  # checked by series/synced.py; the rest is text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with series.yaml; `check_id` is the `patchq check` id it maps to."""

    path: tuple[str | int, ...]  # where in the document, e.g. ("patches", 3, "status")
    message: str
    check_id: str = "PQ001"
    patch: str | None = None
    line: int | None = None


# -- loading -------------------------------------------------------------------------------


def load(root: Path) -> Series:
    """Load and validate root/series.yaml; the first problem raises ConfigError."""
    series, problems = load_with_problems(root)
    if problems:
        raise ConfigError(format_problem(root / SERIES_FILE, problems[0]))
    assert series is not None
    return series


def load_with_problems(
    root: Path, *, check_files: bool = True
) -> tuple[Series | None, list[Problem]]:
    """Parse and validate, returning every problem found (for `patchq check`)."""
    path = root / SERIES_FILE
    if not path.is_file():
        raise ConfigError(f"no {SERIES_FILE} in {root}: run `patchq init` or pass -C DIR")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 (byte {exc.start}): save it as UTF-8") from None
    data = _parse(raw, text, path)
    series, problems = _validate(data, root, check_files=check_files)
    if problems:
        lines = LineFinder(text)
        problems = [
            Problem(p.path, p.message, p.check_id, p.patch, lines.line_of(p.path)) for p in problems
        ]
    return series, problems


def _parse(raw: bytes, text: str, path: Path) -> Any:
    """The document's data; a text parsed before is read back from parsecache (and PyYAML is
    then not even imported)."""
    digest = parsecache.key(raw)
    hit, data = parsecache.recall(digest)
    if hit:
        return data
    import yaml

    try:
        _refuse_aliases(text, path)
        data = yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: YAML syntax error: {problem}: fix the file") from None
    parsecache.remember(digest, data)
    return data


# `&name` or `*name` where YAML could read an anchor or alias (also inside quoted text, where
# the event scan below then finds none).
_MAYBE_ALIAS = re.compile(r"[&*][^\s,\[\]{}]")


def _refuse_aliases(text: str, path: Path) -> None:
    """series.yaml never needs anchors or aliases, and aliases nested a few levels deep
    expand to billions of nodes (a 668-byte file once took 169 s and 5.6 GB): refuse the
    first alias before anything is built. The event scan runs only when the text has a
    candidate `&x` / `*x`, so a plain manifest pays one regex search."""
    if not _MAYBE_ALIAS.search(text):
        return
    import yaml

    for event in yaml.parse(text, Loader=_loader()):
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            kind = "alias" if isinstance(event, yaml.AliasEvent) else "anchor"
            sign = "*" if kind == "alias" else "&"
            line = event.start_mark.line + 1 if event.start_mark is not None else "?"
            raise ConfigError(
                f"{path}:{line}: YAML {kind} '{sign}{anchor}': "
                f"series.yaml does not use anchors or aliases: write the value out"
            )


def format_problem(path: Path, problem: Problem) -> str:
    where = f"{path}:{problem.line}" if problem.line else str(path)
    return f"{where}: {problem.message}"


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """Safe loader that keeps dates as text ("2025-10-02") instead of datetime objects (made
    on first use: PyYAML is imported only when a text is parsed)."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            # PyYAML keeps the last of two equal keys without a word, and the round-trip
            # writer refuses them: both would hide what the user wrote.
            seen: set[str] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key '{key.value}': keep one", key.start_mark
                        )
                    seen.add(key.value)
            return super().construct_mapping(node, deep)

    Loader.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
    )
    return Loader


class LineFinder:
    """Maps a document path to a 1-based line, composing the YAML only when asked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._root: yaml.Node | None = None

    def line_of(self, path: Sequence[str | int]) -> int | None:
        import yaml

        if self._root is None:
            self._root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        node = self._root
        line = 1 if node is None else node.start_mark.line + 1
        for step in path:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == step:
                        line, node = key.start_mark.line + 1, value
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if step >= len(node.value):
                    return line
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def unknown_key(key: object, allowed: Sequence[str], where: str) -> str:
    hint = difflib.get_close_matches(str(key), allowed, n=1)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
    return f"{where}unknown key '{key}'{suggestion}"


def _wrong_types(
    node: dict[Any, Any], keys: Sequence[str], at: tuple[str | int, ...], where: str
) -> list[Problem]:
    """A problem for each of `keys` whose value is a list or mapping: every one is text."""
    out = []
    for key in keys:
        value = node.get(key)
        if isinstance(value, (list, dict)):
            kind = "a list" if isinstance(value, list) else "a mapping"
            out.append(Problem((*at, key), f"{where}{key} must be text, not {kind}"))
    return out


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _validate(data: Any, root: Path, *, check_files: bool) -> tuple[Series | None, list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return None, [Problem((), "expected a mapping with version, upstream and patches")]
    for key in data:
        if key not in TOP_KEYS:
            problems.append(Problem((key,), unknown_key(key, TOP_KEYS, "")))
    if data.get("version") != 1:
        problems.append(
            Problem(
                ("version",),
                f"unsupported version {data.get('version')!r}; this patchq reads version: 1",
            )
        )
    upstream = _validate_upstream(data.get("upstream"), problems)
    patches = _validate_patches(data.get("patches"), root, problems, check_files=check_files)
    history = data.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        problems.append(Problem(("history",), "history must be a list of mappings"))
        history = []
    policy = data.get("policy")
    if policy is not None and not isinstance(policy, dict):
        problems.append(Problem(("policy",), "policy must be a mapping"))
        policy = None
    if policy:
        problems.extend(policy_problems(policy))
    export = _validate_export(data.get("export"), problems)
    if upstream is None:
        return None, problems
    series = Series(
        upstream=upstream,
        patches=tuple(patches),
        history=tuple(history),
        policy=policy,
        export=export,
    )
    return series, problems


def _validate_export(node: Any, problems: list[Problem]) -> dict[str, str] | None:
    """`export: {debian: DIR, rpm: SPEC, mbox: FILE}`, paths relative to series.yaml."""
    if node is None:
        return None
    if not isinstance(node, dict):
        problems.append(Problem(("export",), "export must be a mapping such as {debian: DIR}"))
        return None
    out: dict[str, str] = {}
    for key, value in node.items():
        if key not in EXPORT_FORMATS:
            problems.append(Problem(("export", key), unknown_key(key, EXPORT_FORMATS, "export: ")))
        elif not isinstance(value, str) or not value.strip():
            problems.append(Problem(("export", key), f"export: {key} must be a path"))
        else:
            out[key] = value
    return out


def policy_problems(policy: dict[str, Any]) -> list[Problem]:
    """What is wrong with a `policy:` mapping: every command refuses it, `check` lists it."""
    out: list[Problem] = []

    def problem(key: str, message: str) -> None:
        out.append(Problem(("policy", key), f"policy: {message}"))

    for key, value in policy.items():
        if key not in POLICY_KEYS:
            problem(key, unknown_key(key, POLICY_KEYS, ""))
        elif key == "require_owner" and not isinstance(value, bool):
            problem(key, f"require_owner must be true or false, not {value!r}")
        elif key in ("max_pending_days", "max_carried_releases", "max_sync_age_days") and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            problem(key, f"{key} must be a whole number >= 0, not {value!r}")
        elif key in ("ignore", "warn"):
            if not isinstance(value, list):
                problem(key, f"{key} must be a list of check ids such as [PQ011]")
                continue
            for item in value:
                if str(item) not in CHECK_IDS:
                    problem(
                        key, f"{key}: unknown check id {item!r}; ids run PQ001..{CHECK_IDS[-1]}"
                    )
                elif str(item) == "PQ001":
                    problem(key, f"{key}: PQ001 cannot be ignored or made a warning")
    ignore, warn = policy_lists(policy)
    for check_id in sorted(ignore & warn):
        problem("warn", f"{check_id} is in both ignore and warn: keep one")
    return out


def policy_lists(policy: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The check ids policy ignores and makes warnings (PQ001 and unknown ids left out)."""

    def ids(key: str) -> set[str]:
        value = policy.get(key)
        if not isinstance(value, list):
            return set()
        return {str(v) for v in value if str(v) in CHECK_IDS and str(v) != "PQ001"}

    return ids("ignore"), ids("warn")


def _validate_upstream(node: Any, problems: list[Problem]) -> Upstream | None:
    if not isinstance(node, dict):
        problems.append(
            Problem(
                ("upstream",), "upstream must be a mapping with name, path, base and base_commit"
            )
        )
        return None
    for key in node:
        if key not in UPSTREAM_KEYS:
            problems.append(
                Problem(("upstream", key), unknown_key(key, UPSTREAM_KEYS, "upstream: "))
            )
    missing = [k for k in ("name", "base", "base_commit") if not node.get(k)]
    for key in missing:
        problems.append(Problem(("upstream",), f"upstream: missing '{key}'"))
    wrong = _wrong_types(node, UPSTREAM_KEYS, ("upstream",), "upstream.")
    problems += wrong
    if missing or wrong:
        return None
    return Upstream(
        name=str(node["name"]),
        url=_text(node.get("url")),
        path=_text(node.get("path")) or "",
        branch=_text(node.get("branch")),
        base=str(node["base"]),
        base_commit=str(node["base_commit"]),
        gerrit=_text(node.get("gerrit")),
        project=_text(node.get("project")),
        launchpad=_text(node.get("launchpad")),
    )


def _validate_patches(
    node: Any, root: Path, problems: list[Problem], *, check_files: bool
) -> list[Patch]:
    if node is None:
        return []
    if not isinstance(node, list):
        problems.append(Problem(("patches",), "patches must be a list"))
        return []
    patches: list[Patch] = []
    seen: set[str] = set()
    for i, entry in enumerate(node):
        patch = _validate_patch(i, entry, root, problems, check_files=check_files)
        if patch is None:
            continue
        if patch.file in seen:
            problems.append(
                Problem(
                    ("patches", i, "file"),
                    f"patches[{i + 1}]: {patch.file} is listed twice",
                    patch=patch.file,
                )
            )
            continue
        seen.add(patch.file)
        patches.append(patch)
    return patches


def _validate_patch(
    i: int, entry: Any, root: Path, problems: list[Problem], *, check_files: bool
) -> Patch | None:
    at: tuple[str | int, ...] = ("patches", i)
    if not isinstance(entry, dict) or not entry.get("file"):
        problems.append(Problem(at, f"patches[{i + 1}]: each patch needs a 'file'"))
        return None
    if isinstance(entry["file"], (list, dict)):
        problems += _wrong_types(entry, ("file",), at, f"patches[{i + 1}]: ")
        return None
    file = str(entry["file"])
    where = f"patches[{i + 1}] ({file}): "
    before = len(problems)
    for problem in _wrong_types(entry, ("status", "reason", "owner", "added"), at, where):
        problems.append(dataclasses.replace(problem, patch=file))
    if len(problems) > before:
        return None
    for key in entry:
        if key not in PATCH_KEYS:
            problems.append(Problem((*at, key), unknown_key(key, PATCH_KEYS, where), patch=file))
    escape = unsafe_patch_name(file, root)
    if escape:
        problems.append(Problem((*at, "file"), f"{where}{escape}", patch=file))
        return None
    status = str(entry.get("status", "pending"))
    if status not in STATUSES:
        problems.append(
            Problem(
                (*at, "status"),
                f"{where}unknown status '{status}'; expected one of: {', '.join(STATUSES)}",
                patch=file,
            )
        )
    links = entry.get("upstream") or {}
    if not isinstance(links, dict):
        problems.append(
            Problem((*at, "upstream"), f"{where}upstream must be a mapping", patch=file)
        )
        links = {}
    text_links = [k for k in LINK_KEYS if k not in STRUCTURED_LINK_KEYS]
    for problem in _wrong_types(links, text_links, (*at, "upstream"), f"{where}upstream."):
        problems.append(dataclasses.replace(problem, patch=file))
    if len(problems) > before:
        return None
    for key in links:
        if key not in LINK_KEYS:
            problems.append(
                Problem(
                    (*at, "upstream", key),
                    unknown_key(key, LINK_KEYS, f"{where}upstream: "),
                    patch=file,
                )
            )
    change_id = _text(links.get("change_id"))
    if change_id is not None and not CHANGE_ID_RE.match(change_id):
        problems.append(
            Problem(
                (*at, "upstream", "change_id"),
                f"{where}bad Change-Id '{change_id}': expected I followed by "
                "40 lowercase hex digits",
                patch=file,
            )
        )
    changes, bad_changes = synced.parse_changes(links.get("changes"))
    bug_task, bad_task = synced.parse_bug_task(links.get("bug_task"))
    for why in (bad_changes, bad_task):
        if why is not None:
            problems.append(Problem((*at, "upstream"), f"{where}upstream: {why}", patch=file))
    added = _text(entry.get("added"))
    if added is not None:
        try:
            dt.date.fromisoformat(added[:10])
        except ValueError:
            problems.append(
                Problem((*at, "added"), f"{where}bad date '{added}': use YYYY-MM-DD", patch=file)
            )
    if check_files and not (root / PATCHES_DIR / file).is_file():
        problems.append(
            Problem(
                (*at, "file"),
                f"{where}patch file {PATCHES_DIR}/{file} is "
                "missing: restore it or `patchq drop` the entry",
                check_id="PQ002",
                patch=file,
            )
        )
    if len(problems) > before:
        return None
    return Patch(
        file=file,
        status=Status(status),
        reason=_text(entry.get("reason")),
        owner=_text(entry.get("owner")),
        added=added,
        upstream=UpstreamLinks(
            change_id=change_id,
            review=_text(links.get("review")),
            commit=_text(links.get("commit")),
            bug=_text(links.get("bug")),
            changes=changes,
            bug_task=bug_task,
            synced=_text(links.get("synced")),
            synced_from=_text(links.get("synced_from")),
        ),
    )


def unsafe_patch_name(file: str, root: Path) -> str | None:
    """Why `file` may not be used as a name under patches/, or None when it is safe."""
    if "\\" in file or "\x00" in file:
        return f"file name {file!r} has a backslash or NUL: use a plain relative name"
    # A plain name directly in patches/ (the usual case, asked for every patch): one lstat,
    # no path parsing and no realpath walk unless it is a symlink.
    plain = "/" not in file and file not in ("", ".", "..") and not file.startswith("~")
    if plain and not os.path.islink(os.path.join(root, PATCHES_DIR, file)):
        return None
    pure = PurePosixPath(file)
    if pure.is_absolute() or file.startswith("~"):
        return f"file {file!r} is absolute: names are relative to {PATCHES_DIR}/"
    if ".." in pure.parts or not pure.parts or pure.parts[0] in (".", ""):
        return f"file {file!r} escapes {PATCHES_DIR}/: remove the '..'"
    patches = (root / PATCHES_DIR).resolve()
    target = (root / PATCHES_DIR / file).resolve()
    if patches != target and patches not in target.parents:
        return f"file {file!r} is a symlink out of {PATCHES_DIR}/: replace it with a real file"
    return None


# -- saving --------------------------------------------------------------------------------


def dump_new(series: Series) -> str:
    """The canonical text of a series written from scratch (patchq init)."""
    from ruamel.yaml import YAML

    from patchq.series import yamledit

    out = io.StringIO()
    _yaml(YAML).dump(yamledit.fresh(series.as_dict()), out)  # quotes `yes`, keeps dates
    return out.getvalue()


def save(root: Path, series: Series) -> None:
    """Write series.yaml atomically, editing the existing document as little as possible."""
    path = root / SERIES_FILE
    old_raw = path.read_bytes() if path.is_file() else None
    data = _quick_edit(root, old_raw, series) if old_raw is not None else None
    atomic_write(path, data if data is not None else render_bytes(old_raw, series))


def _quick_edit(root: Path, old_raw: bytes, series: Series) -> bytes | None:
    """The in-place edit of changed entries (series/quickedit.py), when it applies."""
    from ruamel.yaml import YAML

    from patchq.series import quickedit

    if len(old_raw) < 64 * 1024:  # small files: the whole-file round trip is quick enough
        return None
    old, problems = load_with_problems(root, check_files=False)
    if old is None or problems:
        return None
    return quickedit.render(old_raw, old, series, _yaml(YAML))


def warm_up_quick_render() -> None:
    """Import what quick_render needs (ruamel, yamledit: ~50 ms), e.g. while git works."""
    from ruamel.yaml import YAML  # noqa: F401

    from patchq.series import quickedit, yamledit  # noqa: F401


def quick_render(old_raw: bytes, old: Series, new: Series) -> bytes | None:
    """series.yaml edited on lines only (dropped entries, a moved base, appended history,
    a few changed entries), or None when only the whole-file round trip can do the edit."""
    from ruamel.yaml import YAML

    from patchq.series import quickedit

    return quickedit.render(old_raw, old, new, _yaml(YAML))


def render_bytes(old_raw: bytes | None, series: Series) -> bytes:
    """render() for the file's bytes: a CRLF file stays CRLF (an edit is not every line)."""
    if old_raw is None:
        return dump_new(series).encode("utf-8")
    return render_edit(parse_for_edit(old_raw), series)


@dataclass
class Editable:
    """series.yaml parsed for a round-trip edit (comments and all), and its line ending."""

    doc: Any
    crlf: bool


def parse_for_edit(old_raw: bytes) -> Editable:
    """The slow half of an edit (ruamel parsing), so a caller can overlap it with git work."""
    from ruamel.yaml import YAML

    text = old_raw.decode("utf-8").replace("\r\n", "\n")
    crlf = old_raw.count(b"\r\n") * 2 > old_raw.count(b"\n")
    return Editable(doc=_yaml(YAML).load(text), crlf=crlf)


def render_edit(editable: Editable, series: Series) -> bytes:
    """The edited document's bytes; `editable` is consumed (its document is changed)."""
    from ruamel.yaml import YAML

    from patchq.series import yamledit

    yamledit.reconcile_document(editable.doc, series.as_dict())
    out = io.StringIO()
    _yaml(YAML).dump(editable.doc, out)
    text = out.getvalue()
    return (text.replace("\n", "\r\n") if editable.crlf else text).encode("utf-8")


def render(old_text: str | None, series: Series) -> str:
    if old_text is None:
        return dump_new(series)
    return render_edit(parse_for_edit(old_text.encode("utf-8")), series).decode("utf-8")


def _yaml(factory: Any) -> Any:
    yml = factory()  # round-trip mode: safe (no Python object tags are constructed)
    yml.indent(mapping=2, sequence=4, offset=2)
    yml.preserve_quotes = True
    yml.width = 4096
    return yml


# -- naming patches on the command line ----------------------------------------------------


def patch_by_prefix(series: Series, prefix: str) -> int | None:
    """The one patch whose name starts with `prefix` as a user types it (`0005-Default`), at
    a word boundary of the name; ConfigError when several do."""
    if not prefix or prefix.isdigit():
        return None
    hits = [
        i
        for i, patch in enumerate(series.patches)
        if patch.name.startswith(prefix)
        and (len(patch.name) == len(prefix) or not patch.name[len(prefix)].isalnum())
    ]
    if len(hits) > 1:
        names = ", ".join(series.patches[i].name for i in hits[:5])
        raise ConfigError(f"patch {prefix!r} is ambiguous: it starts {names}: give more of it")
    return hits[0] if hits else None


def find_patch(series: Series, name: str) -> int:
    """Index of the patch named by file name, name without .patch, 1-based position, or the
    start of one name up to a word boundary (`0005-Default` for 0005-Default-state_path...).

    A name that fits two patches (a position and a hand-added `2.patch`, or `foo` and
    `foo.patch` as two files) is an error listing each with a way to name it alone;
    `./FILE` names a file and nothing else."""
    found = _named(series, name)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        choices = "; ".join(
            f"#{i + 1} {series.patches[i].file} (say `{_unique_name(series, i)}`)"
            for i in sorted(found)
        )
        raise ConfigError(f"{name!r} names {len(found)} patches in {SERIES_FILE}: {choices}")
    prefixed = patch_by_prefix(series, name)
    if prefixed is not None:
        return prefixed
    count = len(series.patches)
    if count == 0:
        raise ConfigError(
            f"no patch {name!r}: the series in {SERIES_FILE} is empty: add patches with "
            "`patchq import`"
        )
    raise ConfigError(
        f"no patch {name!r} in {SERIES_FILE}: give a file name, a name without .patch, "
        f"its start, or a position 1..{count} (`patchq list` shows them)"
    )


def _named(series: Series, name: str) -> list[int]:
    if name.startswith("./"):  # a file name and nothing else
        return [i for i, p in enumerate(series.patches) if name[2:] == p.file]
    found = [i for i, p in enumerate(series.patches) if name == p.file]
    found += [i for i, p in enumerate(series.patches) if name == p.name and i not in found]
    if name.isdigit() and 1 <= int(name) <= len(series.patches) and int(name) - 1 not in found:
        found.append(int(name) - 1)
    return found


def _unique_name(series: Series, index: int) -> str:
    """The shortest of file name and position that names only this patch."""
    for candidate in (series.patches[index].file, str(index + 1)):
        if _named(series, candidate) == [index]:
            return candidate
    return f"./{series.patches[index].file}"
