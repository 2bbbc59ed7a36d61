"""PQ014: the package is what an export would write (series.yaml's `export:` targets).

Kept apart from checks.py so that module does not import the export formats (and their
libraries) for series that name no export target.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from patchq.errors import ConfigError
from patchq.series.model import Series
from patchq.series.workspace import Workspace


def differences(ws: Workspace, series: Series) -> Iterator[tuple[str, str]]:
    """(file relative to the series dir, message) for every difference, or for why a target
    cannot be compared."""
    from patchq.export import run as exporting

    try:
        chosen = exporting.targets(ws, series, None, None)
        results = exporting.export(ws, series, chosen, check=True)
    except ConfigError as exc:
        yield "series.yaml", f"export targets cannot be compared: {exc}"
        return
    for result in results:
        for line in result.differences:
            path, _, rest = line.partition(": ")
            where, _, number = path.rpartition(":") if path[-1:].isdigit() else (path, "", "")
            rel = os.path.relpath(where, ws.root)
            at = f":{number}" if number else ""
            yield rel, (f"{rel}{at}: {rest} ({result.output.format} export): run `patchq export`")
