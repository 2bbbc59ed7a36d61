"""`patchq report --merge FILE.json...`: the aggregate from reports made elsewhere (one CI job
per project), reading only those files. Each is validated before it is used; any bad file is
one error naming it, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from patchq import __version__
from patchq.errors import ConfigError
from patchq.fleet import aggregate, validate
from patchq.report import build as reporting

MAX_BYTES = 256 * 1024 * 1024  # a report of 5,000 patches is about 10 MB


def merge(files: Sequence[Path], *, names: Sequence[str]) -> dict[str, Any]:
    """The aggregate of the reports and aggregates in `files` (`names`: as the user gave
    them, for error messages and the projects' `source`). Newest `generated` wins."""
    rows: list[dict[str, Any]] = []
    stamps: list[str] = []
    for path, name in zip(files, names, strict=True):
        document = read(path, name)
        stamps.append(document["generated"])
        if document.get("kind") == aggregate.KIND:
            rows += [
                aggregate.project_row(
                    name=p["name"], source=p["source"], report=p["report"], error=p["error"]
                )
                for p in document["projects"]
            ]
        else:
            rows.append(
                aggregate.project_row(
                    name=document["upstream"]["name"], source=name, report=document, error=None
                )
            )
    return aggregate.build(rows, generated=max(stamps))


def read(path: Path, name: str) -> dict[str, Any]:
    """One input, parsed and validated: a report or an aggregate of schema_version 1."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file: give the JSON a project's report wrote") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a directory: give the report's .json file") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{name}: larger than {MAX_BYTES >> 20} MiB: not a patchq report")
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 (byte {exc.start}): not a patchq report") from None
    except RecursionError:
        raise ConfigError(f"{name}: JSON nested too deeply: not a patchq report") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ConfigError(
            f"{name}: not valid JSON ({exc.msg}; {where}): truncated? "
            "write it again with `patchq report --format json`"
        ) from None
    _check_version(document, name)
    kind = "aggregate" if document.get("kind") == aggregate.KIND else "report"
    found = validate.problem(document, kind)
    if found:
        what = "`patchq report --format json` output" if kind == "report" else "an aggregate"
        raise ConfigError(f"{name}: {found}: not {what} of schema_version 1")
    return dict(document)


def _check_version(document: Any, name: str) -> None:
    if not isinstance(document, dict) or "schema_version" not in document:
        raise ConfigError(
            f"{name}: not a patchq report (no schema_version): give the output of "
            "`patchq report --format json`"
        )
    version = document["schema_version"]
    expected = aggregate.SCHEMA_VERSION if "kind" in document else reporting.SCHEMA_VERSION
    if version != expected or isinstance(version, bool):
        made_by = document.get("patchq_version")
        by = f" (made by patchq {made_by})" if isinstance(made_by, str) else ""
        raise ConfigError(
            f"{name}: schema_version {json.dumps(version)}{by}, but patchq {__version__} reads "
            f"schema_version {expected}: make the reports and merge them with "
            "the same patchq version"
        )
