"""`patchq export`: pick the targets (the command line, or series.yaml's `export:` key), compute
each format's output, then compare it (`--check`) or write it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from patchq import console
from patchq.errors import ConfigError
from patchq.export import common
from patchq.series.io import EXPORT_FORMATS
from patchq.series.model import Series
from patchq.series.workspace import Workspace

FORMATS = EXPORT_FORMATS
WHAT = {"debian": "DIR", "rpm": "SPEC", "mbox": "FILE"}


@dataclass(frozen=True)
class Target:
    format: str
    path: Path


@dataclass(frozen=True)
class Result:
    output: common.Output
    differences: tuple[str, ...] = ()  # --check
    written: common.Written | None = None


def targets(ws: Workspace, series: Series, fmt: str | None, given: Path | None) -> list[Target]:
    """The command line's target, else the `export:` targets of series.yaml (all, or `fmt`'s)."""
    if given is not None:
        if fmt is None:
            raise ConfigError(f"{given}: say which format it is with --format debian|rpm|mbox")
        return [Target(fmt, _normal(given))]
    configured = series.export or {}
    if fmt is not None:
        if fmt not in configured:
            raise ConfigError(
                f"--format {fmt} needs a {WHAT[fmt]}: give it, or name it in "
                f"{ws.series_path} (export: {{{fmt}: PATH}})"
            )
        configured = {fmt: configured[fmt]}
    if not configured:
        raise ConfigError(
            f"{ws.series_path} names no export target: run `patchq export --format debian DIR` "
            "(or rpm SPEC, mbox FILE), or add export: {debian: ../debian/patches}"
        )
    return [Target(name, _normal(ws.root / path)) for name, path in configured.items()]


def _normal(path: Path) -> Path:
    """Absolute, without `..` steps, so messages name the file plainly."""
    return Path(os.path.normpath(path.absolute()))


def build(
    ws: Workspace,
    series: Series,
    loaded: Sequence[common.Loaded],
    target: Target,
    *,
    changelog: str | None = None,
    early: Callable[[dict[Path, bytes]], None] | None = None,
) -> common.Output:
    """`early` is given the files of the output known before the rest (rpm: the patch files
    beside the spec, while RPM parses the spec)."""
    common.refuse_target(ws, target.path, WHAT[target.format])
    if target.format == "debian":
        from patchq.export import debian

        if target.path.exists() and not target.path.is_dir():
            raise ConfigError(f"{target.path} is not a directory: give the debian/patches DIR")
        return debian.plan(loaded, series, target.path)
    if target.format == "rpm":
        from patchq.export import rpm

        return rpm.plan(loaded, target.path, changelog=changelog, early=early)
    from patchq.export import mbox

    if target.path.is_dir():
        raise ConfigError(f"{target.path} is a directory: give the mbox FILE to write")
    return mbox.plan(loaded, target.path)


def line_files(output: common.Output) -> tuple[Path, ...]:
    """The files --check reports line by line (the index files); patches are named whole."""
    if output.format == "debian":
        return (output.target / "series",)
    if output.format == "rpm":
        return (output.target,)
    return ()


def export(
    ws: Workspace,
    series: Series,
    chosen: Sequence[Target],
    *,
    check: bool = False,
    changelog: str | None = None,
) -> list[Result]:
    """Every target's output is computed before anything is renamed into place: one bad target
    (an unparsable spec) stops the export with nothing written anywhere. Meanwhile the files of
    the outputs already computed, and the patch files beside a spec while RPM parses it, are
    written to temporary names (common.Writer), so the disk works while the CPU does."""
    loaded = common.load_patches(ws, series)
    with console.progress("exporting", len(chosen) * (1 if check else 2)) as bar:
        if check:
            outputs = []
            for target in chosen:
                bar.advance(0, description=f"{target.format}: {common.shown(target.path)}")
                outputs.append(build(ws, series, loaded, target, changelog=changelog))
                bar.advance()
            return [
                Result(o, tuple(common.differences(o, line_diff=line_files(o)))) for o in outputs
            ]
        with common.Writer() as writer:
            outputs = []
            for target in chosen:
                bar.advance(0, description=f"{target.format}: {common.shown(target.path)}")
                output = build(
                    ws, series, loaded, target, changelog=changelog, early=writer.stage_early
                )
                writer.stage(output)
                outputs.append(output)
                bar.advance()
            written = writer.commit()
        bar.advance(len(chosen))
        return [Result(o, written=done) for o, done in zip(outputs, written, strict=True)]
