"""`patchq export --format rpm SPEC`: the spec's `PatchN:` lines (and `%patch` list) follow the
series; the patch files go beside the spec.

The spec is read, edited and written back with the `specfile` library (packit's and
rebase-helper's), which keeps every line it is not asked to change. The Patch lines are slots:
the n-th Patch line of the spec becomes the n-th patch of the series, keeping its comments,
spacing and name style (`Patch0001:` or `Patch1:`); extra patches get new lines after the last
one, and the comments of lines no longer needed move down to the next tag. A patch keeps its
number while it stays in the series; a new one gets a number above every number the spec had.
%autosetup and %autopatch apply patches in spec order, so the order is the series' order.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from patchq.errors import ConfigError
from patchq.export.common import Loaded, Output, inside

if TYPE_CHECKING:
    from specfile.specfile import Specfile

_PATCH_TAG = re.compile(r"^(patch)(\d*)$", re.I)


def plan(
    loaded: Sequence[Loaded],
    spec_path: Path,
    *,
    changelog: str | None = None,
    early: Callable[[dict[Path, bytes]], None] | None = None,
) -> Output:
    """`early`, when given, gets the patch files beside the spec before RPM parses it (twice:
    the spec as found, and the result, which must parse too)."""
    text = _read_spec(spec_path)
    if early is not None:
        with contextlib.suppress(ConfigError):  # a link beside the spec: refused below,
            early(_beside(loaded, spec_path))  # after the spec's own errors
    spec = parse(text, spec_path)
    names = [item.patch.file for item in loaded]
    old_files = _rewrite_tags(spec, names, spec_path)
    if changelog:
        _add_changelog(spec, changelog, spec_path)
    new_text = str(spec)
    if new_text != text:  # the spec as found has just parsed
        parse(new_text, spec_path, ours=True)
    beside = spec_path.parent
    files = _beside(loaded, spec_path)
    files[spec_path] = new_text.encode("utf-8")
    removals = tuple(
        inside(beside, beside / name, "export")
        for name in old_files
        if name not in names and "/" not in name and (beside / name).is_file()
    )
    return Output("rpm", spec_path, files, removals)


def _beside(loaded: Sequence[Loaded], spec_path: Path) -> dict[Path, bytes]:
    """The patch files the export copies beside the spec."""
    beside = spec_path.parent
    return {inside(beside, beside / item.patch.file, "export"): item.parsed.raw for item in loaded}


def _read_spec(path: Path) -> str:
    if path.is_symlink():
        raise ConfigError(f"{path} is a symlink: export writes only regular files")
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such spec: create it (Name, Version, ...) first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def parse(text: str, path: Path, *, ours: bool = False) -> Specfile:
    """The spec parsed by RPM through specfile; a parse error is one line naming the line."""
    from patchq.export import rpmbindings

    rpmbindings.load()
    try:
        from specfile.exceptions import RPMException
        from specfile.specfile import Specfile
    except ImportError as exc:  # specfile needs RPM's Python bindings (python3-rpm)
        raise ConfigError(
            f"--format rpm needs RPM's Python bindings ({exc}): install python3-rpm "
            "(Debian/Ubuntu) or python3-rpm/rpm-python (Fedora)"
        ) from None
    try:
        return Specfile(content=text, sourcedir=path.parent, force_parse=True)
    except RPMException as exc:
        said = _first_line(str(exc.stderr or exc)) or "RPM cannot parse it"
        if ours:
            raise ConfigError(
                f"{path}: the exported spec would not parse ({said}); the spec was left "
                "untouched: please report this"
            ) from None
        raise ConfigError(f"{path}: {said}: fix the spec (it was left untouched)") from None


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^(error: )?line \d+:", ln)]
    return (errors or lines or [""])[0].removeprefix("error: ")


# -- Patch lines ------------------------------------------------------------------------------


def _rewrite_tags(spec: Specfile, names: Sequence[str], spec_path: Path) -> list[str]:
    """Make the Patch lines list `names` in order; returns the files they listed before."""
    from specfile.tags import Comments, Tag

    with spec.tags() as tags:
        slots = [i for i, tag in enumerate(tags) if _PATCH_TAG.match(tag.name)]
        old: list[tuple[int, str, str]] = []  # (number, file, value as written)
        for i in slots:
            tag = tags[i]
            match = _PATCH_TAG.match(tag.name)
            assert match is not None
            if not match.group(2):
                raise ConfigError(
                    f"{spec_path}: `{tag.name}: {tag.value}` has no number: write "
                    f"Patch<N>: so patchq can keep its number"
                )
            # Expanding asks RPM (slow on 200 lines): only values with a macro need it.
            expanded = (tag.expanded_value or tag.value) if "%" in tag.value else tag.value
            old.append((int(match.group(2)), expanded.rsplit("/", 1)[-1], tag.value))
        numbers = {file: number for number, file, _ in old}
        written = {file: value for _, file, value in old}
        next_free = max((n for n, _, _ in old), default=0) + 1
        wanted: list[tuple[int, str]] = []
        for name in names:
            if name in numbers:
                wanted.append((numbers[name], written[name]))
            else:
                wanted.append((next_free, name))
                next_free += 1
        if [(n, v) for n, _, v in old] == wanted:
            _rewrite_prep(spec, [n for n, _ in wanted], spec_path)
            return [file for _, file, _ in old]
        style = tags[slots[0]] if slots else None
        first_new = slots[-1] + 1 if slots else _after_sources(tags)
        for position, (number, value) in enumerate(wanted):
            if position < len(slots):
                tag = tags[slots[position]]
                tag.name = _name_like(tag.name, number)
                tag.value = value
                continue
            at = first_new + position - len(slots)
            name = _name_like(style.name, number) if style else f"Patch{number:04d}"
            separator = style._separator if style else ": "
            tags.insert(at, Tag(name, value, separator, Comments(), context=spec))
        for i in reversed(slots[len(wanted) :]):
            _delete_keeping_comments(tags, i)
    _rewrite_prep(spec, [n for n, _ in wanted], spec_path)
    return [file for _, file, _ in old]


def _name_like(old: str, number: int) -> str:
    match = _PATCH_TAG.match(old)
    assert match is not None
    digits = match.group(2)
    width = len(digits) if digits.startswith("0") and len(digits) > 1 else 1
    return f"{match.group(1)}{number:0{width}d}"


def _after_sources(tags: Any) -> int:
    sources = [i for i, tag in enumerate(tags) if tag.name.lower().startswith("source")]
    return sources[-1] + 1 if sources else len(tags)


def _delete_keeping_comments(tags: Any, index: int) -> None:
    """Delete a Patch line; its comment lines move to the line that follows it."""
    lines = tags[index].comments.get_raw_data()
    tags[index].comments.clear()
    tags[index].comments._preceding_lines = []
    del tags[index]
    if index < len(tags):
        following = tags[index].comments
        following._preceding_lines[:0] = lines
    else:
        tags._remainder[:0] = lines


# -- %prep ----------------------------------------------------------------------------------


def _rewrite_prep(spec: Specfile, numbers: Sequence[int], spec_path: Path) -> None:
    """Without %autosetup/%autopatch, the %patch lines apply exactly `numbers`, in order."""
    from specfile.options import Options
    from specfile.prep import AutopatchMacro, AutosetupMacro, PatchMacro, SetupMacro

    with spec.sections() as sections:
        found = [s for s in sections if s.normalized_id == "prep"]
        prep_text = "\n".join(found[0]) if found else ""
    if "%{patches}" in prep_text or "%patches" in prep_text:
        return  # `git am %{patches}` (rdopkg) applies every Patch line
    with spec.prep() as prep:
        if prep is None:
            if numbers:
                raise ConfigError(f"{spec_path}: no %prep section: add one with %autosetup")
            return
        macros = prep.macros
        auto = any(isinstance(m, AutopatchMacro) for m in macros) or any(
            isinstance(m, AutosetupMacro) and not m.options.N for m in macros
        )
        if auto:
            return
        slots = [i for i, m in enumerate(macros) if isinstance(m, PatchMacro)]
        if [cast(PatchMacro, macros[i]).number for i in slots] == list(numbers):
            return
        if slots:
            template = copy.deepcopy(cast(PatchMacro, macros[slots[0]]))
            template._preceding_lines = []
        else:
            options = Options(
                Options.tokenize("-P 0 -p1"), PatchMacro.OPTSTRING, PatchMacro.DEFAULTS
            )
            template = PatchMacro(PatchMacro.CANONICAL_NAME, options, " ")
        setups = [i for i, m in enumerate(macros) if isinstance(m, SetupMacro | AutosetupMacro)]
        if not slots and not setups and numbers:
            raise ConfigError(
                f"{spec_path}: %prep has no %setup, %autosetup or %patch line: add "
                "`%autosetup -p1` so the patches are applied"
            )
        for position, number in enumerate(numbers):
            if position < len(slots):
                macro = cast(PatchMacro, macros[slots[position]])
            else:
                macro = copy.deepcopy(template)
                first = slots[-1] + 1 - len(slots) if slots else setups[0] + 1
                macros.insert(first + position, macro)
            macro.number = number
        for i in reversed(slots[len(numbers) :]):
            del macros[i]


# -- %changelog -----------------------------------------------------------------------------


def _add_changelog(spec: Specfile, text: str, spec_path: Path) -> None:
    """`--changelog TEXT`: one entry dated today, author as rpmdev-packager finds it."""
    try:
        spec.add_changelog_entry(f"- {text}", timestamp=dt.date.today())
    except Exception as exc:  # specfile raises several kinds; all mean "cannot add it"
        raise ConfigError(f"{spec_path}: cannot add a %changelog entry: {exc}") from None
