"""Rendering the aggregate model: JSON, rich text, and the Markdown and HTML templates
(templates/ next to this module). Renderers only read the model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from patchq.console import printable
from patchq.report import render as single
from patchq.series.model import STATUSES

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

TEMPLATES = {"html": "aggregate.html.j2", "markdown": "aggregate.md.j2"}


def render(model: dict[str, Any], fmt: str) -> str:
    if fmt in ("json", "text"):
        return single.data_or_text(model, fmt, print_text)
    import jinja2

    class KeysFirst(jinja2.Environment):
        """`row.subject` looks the key up first: the model is plain dicts, and jinja2's
        attribute-then-item lookup costs an exception per access (a fifth of the page's
        time for 2,000 patch rows)."""

        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute in obj:
                return obj[attribute]
            return super().getattr(obj, attribute)

    env = single.environment(
        jinja2.PackageLoader("patchq.fleet", "templates"),
        autoescape=fmt == "html",
        kind=KeysFirst,
    )
    env.filters["format_code"] = lambda text: f"`{text}`"
    context = {"agg": model, "chart_svg": chart_geometry(model["chart"])}
    return env.get_template(TEMPLATES[fmt]).render(context)


def chart_geometry(groups: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Bars for the inline SVG: one group per project, a bar per release, oldest first."""
    bar, gap, group_gap, height, top, bottom = 30, 4, 28, 200, 22, 52
    peak = max((p["carried"] for g in groups for p in g["points"]), default=0) or 1
    x = group_gap
    laid = []
    for group in groups:
        start = x
        bars = []
        for point in group["points"]:
            h = round(point["carried"] / peak * (height - top - bottom), 1)
            y = height - bottom - h
            bars.append({"x": x, "y": y, "w": bar, "h": h, "mid": x + bar / 2, **point})
            x += bar + gap
        x = max(x - gap, start + bar)
        laid.append({**group, "bars": bars, "mid": (start + x) / 2})
        x += group_gap
    return {
        "width": max(x, 240),
        "height": height,
        "baseline": height - bottom,
        "peak": peak,
        "groups": laid,
    }


# -- text (rich) ----------------------------------------------------------------------------

COLUMNS = (
    ("project", None),
    ("base", None),
    ("carried", "carried"),
    ("landed", "landed"),
    ("conflicts", "conflicts"),
    ("pending", "pending"),
    ("submitted", "submitted"),
    ("rejected", "rejected"),
    ("downstream-only", "downstream-only"),
    ("oldest", "oldest_age_days"),
)


def print_text(model: dict[str, Any], out: Console) -> None:
    for renderable in text_renderables(model):
        out.print(renderable)


def text_renderables(model: dict[str, Any]) -> list[RenderableType]:
    from rich.table import Table
    from rich.text import Text

    totals = model["totals"]
    lines = [f"generated {model['generated']} by patchq {model['patchq_version']}"]
    if model["against"]:
        lines.append("checked against " + ", ".join(model["against"]))
    errors = f", {totals['errors']} failed" if totals["errors"] else ""
    lines.append(f"{totals['projects']} projects{errors}; {_totals_line(totals)}")
    title = Text("Carried patches across the distribution", style="bold")
    out: list[RenderableType] = [title, Text("\n".join(lines))]

    out.append(_heading("Projects"))
    table = Table(box=None, pad_edge=False)
    for name, key in COLUMNS:
        table.add_column(name, justify="left" if key is None else "right", overflow="fold")
    for project in model["projects"]:
        table.add_row(*(Text(printable(c)) for c in _project_cells(project)))
    table.add_row(*(Text(c, style="bold") for c in _total_cells(totals)))
    out.append(table)
    failed = [p for p in model["projects"] if p["error"]]
    if failed:
        out.append(_heading("Errors"))
        for project in failed:
            out.append(Text(printable(f"{project['source']}: {project['error']}"), style="red"))

    out.append(_heading(f"Oldest carried patches (the {len(model['oldest'])} oldest)"))
    out.append(_patch_table(model["oldest"], ("age", "project", "#", "subject", "status")))
    out.append(_heading("Submitted upstream, waiting for review"))
    out.append(_patch_table(model["submitted"], ("project", "#", "subject", "age", "review")))

    out.append(_heading("Carried patches per release"))
    chart = Table(box=None, pad_edge=False)
    for column in ("project", "release", "carried", ""):
        chart.add_column(column, justify="right" if column == "carried" else "left")
    peak = max((p["carried"] for g in model["chart"] for p in g["points"]), default=0)
    for group in model["chart"]:
        for i, point in enumerate(group["points"]):
            chart.add_row(
                Text(printable(group["project"]) if i == 0 else ""),
                Text(printable(point["release"])),
                str(point["carried"]),
                Text(single.text_bar(point["carried"], peak), style="cyan"),
            )
    out.append(chart)
    return out


def _totals_line(totals: dict[str, Any]) -> str:
    parts = [f"{totals['carried']} patches carried"]
    for key in ("landed", "conflicts", *STATUSES):
        if totals[key]:
            parts.append(f"{totals[key]} {key}")
    return ", ".join(parts)


def _project_cells(project: dict[str, Any]) -> list[str]:
    report, counts = project["report"], project["counts"]
    if counts is None:
        return [project["name"], "error", *[""] * (len(COLUMNS) - 2)]
    cells = [project["name"], report["upstream"]["base"]]
    for _, key in COLUMNS[2:]:
        cells.append(_count(counts[key], days=key == "oldest_age_days"))
    return cells


def _total_cells(totals: dict[str, Any]) -> list[str]:
    cells = ["total", ""]
    for _, key in COLUMNS[2:]:
        cells.append(_count(totals[key], days=key == "oldest_age_days"))
    return cells


def _count(value: int | None, *, days: bool = False) -> str:
    if value is None:
        return "-" if not days else ""
    return f"{value}d" if days else str(value)


def _patch_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    if not rows:
        return Text("None.")
    table = Table(box=None, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold", justify="right" if column == "age" else "left")
    for row in rows:
        cells = {
            "age": "" if row["age_days"] is None else f"{row['age_days']}d",
            "project": row["project"],
            "#": str(row["position"]),
            "subject": row["subject"],
            "status": row["status"],
            "review": row.get("review") or row.get("change_id") or "",
        }
        table.add_row(*(Text(printable(cells[c])) for c in columns))
    return table


def _heading(title: str) -> RenderableType:
    from rich.text import Text

    return Text("\n" + title, style="bold")
