"""Rendering the report model (patchq.report): jinja2 templates for HTML and Markdown, a user's
own template, JSON, and rich tables for the terminal. Renderers only read the model."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patchq.console import printable
from patchq.errors import ConfigError
from patchq.report.build import STATES
from patchq.status.verdict import CONFLICTS

if TYPE_CHECKING:
    import jinja2
    from rich.console import Console, RenderableType

TEMPLATES = {"html": "report.html.j2", "markdown": "report.md.j2"}
_ESCAPED_EXTENSIONS = (".html", ".htm", ".xhtml", ".xml", ".svg")
_TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2")


def render(model: dict[str, Any], fmt: str, *, template: Path | None = None) -> str:
    """The report as one string, in `fmt` or through the user's `template`."""
    if template is not None:
        text = render_template_file(model, template)
        return text if text.endswith("\n") or not text else text + "\n"
    if fmt in ("json", "text"):
        return data_or_text(model, fmt, print_text)
    env = environment(_package_loader(), autoescape=fmt == "html")
    return env.get_template(TEMPLATES[fmt]).render(template_context(model))


def data_or_text(
    model: dict[str, Any], fmt: str, print_text: Callable[[dict[str, Any], Console], None]
) -> str:
    """The JSON document, or the rich tables as plain text (no colour, no trailing blanks)."""
    if fmt == "json":
        from patchq.report import jsontext

        return jsontext.dumps(model) + "\n"
    from rich.console import Console

    buffer = io.StringIO()
    print_text(model, Console(file=buffer, no_color=True, width=120, highlight=False))
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def render_template_file(model: dict[str, Any], template: Path) -> str:
    """Render the user's template in jinja2's sandbox; every failure is one line naming it."""
    import jinja2

    if not template.is_file():
        raise ConfigError(
            f"--template {template}: no such file: give the path of a jinja2 template"
        )
    loader = jinja2.FileSystemLoader(str(template.parent))
    env = environment(loader, autoescape=escapes(template), sandboxed=True)
    try:
        return env.get_template(template.name).render(template_context(model))
    except jinja2.TemplateSyntaxError as exc:
        where = f"{template}:{exc.lineno}"
        raise ConfigError(f"--template {where}: {exc.message}: fix the template") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"--template {template}: not UTF-8 (byte {exc.start})") from None
    except jinja2.TemplateError as exc:
        raise ConfigError(
            f"--template {_where(template, exc)}: {str(exc.message or exc).rstrip('.')}: "
            "it can use `report` (its fields are what `patchq report --format json` prints) "
            "and `chart_svg`"
        ) from None
    except Exception as exc:  # the template is the user's code: report its bug in one line
        name = type(exc).__name__
        raise ConfigError(f"--template {_where(template, exc)}: {name}: {exc}") from None


def _where(template: Path, exc: BaseException) -> str:
    """FILE:LINE of the innermost frame in the template (jinja2 maps them to template lines)."""
    line, path = None, template.resolve()
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(template.name) and Path(name).resolve() == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"{template}:{line}" if line else str(template)


def escapes(template: Path) -> bool:
    """Autoescape a user template whose name says it makes HTML/XML (report.html.j2 too)."""
    name = template.name.lower()
    for suffix in _TEMPLATE_SUFFIXES:
        name = name.removesuffix(suffix)
    return name.endswith(_ESCAPED_EXTENSIONS)


def _package_loader() -> jinja2.BaseLoader:
    import jinja2

    return jinja2.PackageLoader("patchq.report", "templates")


def environment(
    loader: jinja2.BaseLoader,
    *,
    autoescape: bool,
    sandboxed: bool = False,
    kind: type[jinja2.Environment] | None = None,
) -> jinja2.Environment:
    import jinja2
    import jinja2.sandbox

    if kind is None:
        kind = jinja2.sandbox.SandboxedEnvironment if sandboxed else jinja2.Environment
    cache = None
    if not sandboxed:  # patchq's own templates: compiled once, kept in the user's cache
        from patchq.report import templatecache

        cache = templatecache.bytecode_cache(kind.__module__, kind.__qualname__, autoescape)
    env = kind(
        loader=loader,
        bytecode_cache=cache,
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=markdown_cell,
        md_link=markdown_link,
        md_links=markdown_links,
        code=lambda text: str(text).replace("`", "'").replace("|", "\\|"),
        short=lambda sha: (sha or "")[:12],
        bar=text_bar,
        sync_state=sync_state,
    )
    return env


def template_context(model: dict[str, Any]) -> dict[str, Any]:
    return {"report": model, "chart_svg": chart_geometry(model["chart"]), "states": STATES}


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|&#!~"})


def markdown_cell(value: Any) -> str:
    """Text that stays inert inside a GitHub/GitLab pipe-table cell."""
    if value is None:
        return ""
    text = " ".join(printable(str(value)).split())
    return text.translate(_MD_SPECIAL)


def markdown_link(text: Any, url: str | None, label: str | None = None) -> str:
    if not url:
        return markdown_cell(text)
    return f"[{markdown_cell(label or text)}]({_markdown_url(url)})"


def markdown_links(links: dict[str, Any]) -> str:
    parts = []
    if links["review"]:
        parts.append(markdown_link(links["review"], links["review_url"], "review"))
    elif links["change_id"]:
        parts.append(f"`{links['change_id']}`")
    if links["bug"]:
        parts.append(markdown_link(links["bug"], links["bug_url"], "bug"))
    if links["commit"]:
        parts.append(markdown_link(links["commit"][:12], links["commit_url"]))
    return " ".join(parts)


def _markdown_url(url: str) -> str:
    """Percent-encode what would end the link or the table cell."""
    return "".join(f"%{ord(c):02X}" if c in " ()<>|\\`\n\t" else c for c in url)


def text_bar(count: int, peak: int, width: int = 24) -> str:
    return "█" * round(count / (peak or 1) * width)


def chart_geometry(points: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Bar positions for the inline SVG chart (viewBox units; the SVG scales to its box)."""
    bar, gap, height, top, bottom = 48, 16, 160, 20, 40
    peak = max((p["carried"] for p in points), default=0) or 1
    bars = []
    for i, point in enumerate(points):
        h = round(point["carried"] / peak * (height - top - bottom), 1)
        x = gap + i * (bar + gap)
        y = height - bottom - h
        bars.append({"x": x, "y": y, "w": bar, "h": h, "mid": x + bar / 2, **point})
    width = gap + len(points) * (bar + gap)
    return {
        "width": max(width, 200),
        "height": height,
        "baseline": height - bottom,
        "peak": peak,
        "bars": bars,
    }


# -- text (rich) ----------------------------------------------------------------------------


def print_text(model: dict[str, Any], out: Console) -> None:
    for renderable in text_renderables(model, width=out.width):
        out.print(renderable)


def text_renderables(model: dict[str, Any], *, width: int) -> list[RenderableType]:
    from rich.table import Table
    from rich.text import Text

    up, summ = model["upstream"], model["summary"]
    title = f"Carried patches on {up['name']} {up['base']} ({up['base_commit'][:12]})"
    head = Text(title, style="bold")
    against = model["against"]
    lines = [f"generated {model['generated']} by patchq {model['patchq_version']}"]
    if up["url"]:
        lines.append(up["url"])
    if against:
        lines.append(f"checked against {against['ref']} ({against['commit'][:12]})")
    counts = ", ".join(f"{n} {s}" for s, n in summ["by_status"].items() if n)
    noun = "patch" if summ["patches"] == 1 else "patches"
    lines.append(f"{summ['patches']} {noun}" + (f": {counts}" if counts else ""))
    if summ["by_state"] is not None:
        lines.append("against: " + ", ".join(f"{n} {s}" for s, n in summ["by_state"].items()))
    behind = against["left_behind"] if against else None
    if behind and behind["summary"]:
        lines.append(behind["summary"] + (":" if behind["lost"] else ""))
        lines += [f"  {c['commit'][:12]} {c['subject']}" for c in behind["lost"]]
    out: list[RenderableType] = [head, Text("\n".join(lines))]

    out.append(_heading("Patches"))
    out += _patch_table(model, width=width)

    out.append(_heading("Landed upstream, and other removals"))
    landed = Table(box=None, pad_edge=False)
    for column in ("date", "rebase", "patch", "evidence", "upstream commit"):
        landed.add_column(column, overflow="fold")
    for entry in model["history"]:
        where = (
            f"{entry['from'] or '?'} -> {entry['to'] or '?'}"
            if entry["kind"] == "rebase"
            else "by hand"
        )
        for item in entry["dropped"]:
            why = ", ".join(item["evidence"]) or item["reason"] or ""
            landed.add_row(
                Text(entry["date"][:10]),
                Text(where),
                Text(item["subject"] or item["file"]),
                Text(why),
                Text((item["upstream_commit"] or "")[:12]),
            )
        for item in entry["skipped"]:
            why = f"skipped: {item['reason'] or 'conflict'}"
            landed.add_row(
                Text(entry["date"][:10]),
                Text(where),
                Text(item["subject"] or item["file"]),
                Text(why),
            )
    out.append(landed if landed.row_count else Text("No patch has left the series yet."))

    out.append(_heading("Carried patches per release"))
    chart = Table(box=None, pad_edge=False)
    chart.add_column("release")
    chart.add_column("carried", justify="right")
    chart.add_column("")
    peak = max((p["carried"] for p in model["chart"]), default=0)
    for point in model["chart"]:
        bar = text_bar(point["carried"], peak)
        chart.add_row(Text(point["release"]), str(point["carried"]), Text(bar, style="cyan"))
    out.append(chart)
    return out


def _patch_table(model: dict[str, Any], *, width: int) -> list[RenderableType]:
    from rich.table import Table
    from rich.text import Text

    against = model["against"] is not None
    columns = ["#", "subject", "status", "reason", "owner", "age", "releases", "links"]
    if against:
        columns += ["state", "evidence"]
    rows = [_text_cells(row, against=against) for row in model["patches"]]
    keep = columns_that_fit(columns, rows, width)
    columns = [columns[i] for i in keep]
    rows = [[row[i] for i in keep] for row in rows]
    table = Table(box=None, pad_edge=False)
    for column, fixed in zip(columns, column_widths(columns, rows, width), strict=True):
        table.add_column(column, overflow="fold", width=fixed)
    for row in rows:
        styles = [
            _STYLES.get(cell, "") if name in ("status", "state") else ""
            for name, cell in zip(columns, row, strict=True)
        ]
        table.add_row(*(Text(cell, style=style) for cell, style in zip(row, styles, strict=True)))
    if len(keep) == (10 if against else 8):
        return [table]
    hidden = ", ".join(c for c in _DROPPABLE if c not in columns)
    note = f"({hidden} hidden: the terminal is narrow; --format markdown or html has them all)"
    return [table, Text(note, style="dim")]


_DROPPABLE = ("owner", "reason", "links", "releases")  # first to go on a narrow terminal
_FLEX_MIN = 10


def columns_that_fit(
    columns: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> list[int]:
    """Indexes of the columns to show: drop the least useful ones until the flexible columns
    can have _FLEX_MIN cells each."""
    from rich.cells import cell_len

    natural = [
        max([cell_len(name)] + [cell_len(row[i]) for row in rows]) for i, name in enumerate(columns)
    ]
    keep = list(range(len(columns)))

    def needed() -> int:
        return sum(_FLEX_MIN if columns[i] in _FLEX else natural[i] for i in keep) + 2 * (
            len(keep) - 1
        )

    for name in _DROPPABLE:
        if needed() <= width:
            break
        keep.remove(columns.index(name))
    return keep


def _text_cells(row: dict[str, Any], *, against: bool) -> list[str]:
    cells = [
        str(row["position"]),
        row["subject"],
        row["status"],
        row["reason"] or "",
        row["owner"] or "",
        "" if row["age_days"] is None else f"{row['age_days']}d",
        "" if row["releases_carried"] is None else str(row["releases_carried"]),
        _text_links(row["links"], row),
    ]
    if against:
        cells += [row["state"] or "", _text_evidence(row)]
    return [printable(cell) for cell in cells]


_STYLES = {
    "pending": "yellow",
    "submitted": "blue",
    "merged": "green",
    "backport": "cyan",
    "rejected": "red",
    "downstream-only": "dim",
    "landed": "green",
    "applies": "blue",
    "conflicts": "red",
}
_FLEX = {"subject": 3, "reason": 2, "owner": 1, "links": 2, "evidence": 2}


def column_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], total: int) -> list[int]:
    """Fixed columns get their longest cell; the flexible ones share the rest by weight, none
    wider than its longest cell. Computed here so rich need not measure every cell (a third of
    its time on 500 rows) and never takes the min_width path that drops folded characters."""
    from rich.cells import cell_len

    natural = [
        max([cell_len(name)] + [cell_len(line) for row in rows for line in row[i].splitlines()])
        for i, name in enumerate(columns)
    ]
    widths = list(natural)
    pending = [i for i, name in enumerate(columns) if name in _FLEX]
    room = (
        total - 2 * (len(columns) - 1) - sum(n for i, n in enumerate(natural) if i not in pending)
    )
    while pending:
        weight = sum(_FLEX[columns[i]] for i in pending)
        share = {i: max(room * _FLEX[columns[i]] // weight, len(columns[i]), 6) for i in pending}
        fits = [i for i in pending if natural[i] <= share[i]]
        if not fits:
            for i in pending:
                widths[i] = share[i]
            break
        room -= sum(natural[i] for i in fits)
        pending = [i for i in pending if i not in fits]
    return widths


def _heading(title: str) -> RenderableType:
    from rich.text import Text

    return Text("\n" + title, style="bold")


def _text_links(links: dict[str, Any], row: dict[str, Any] | None = None) -> str:
    parts = [links["review"] or links["change_id"], links["bug"], (links["commit"] or "")[:12]]
    state = sync_state(row) if row is not None else ""
    return " ".join(p for p in [*parts, state] if p)


def sync_state(row: dict[str, Any]) -> str:
    """What the last `patchq sync` read: 'master MERGED, stable/2025.1 NEW; bug Fix Released
    (High); synced 2026-12-03', or '' when the patch was never synced."""
    parts = []
    if row.get("review_state"):
        parts.append(", ".join(f"{c['branch']} {c['status']}" for c in row["review_state"]))
    bug = row.get("bug_state")
    if bug:
        importance = f" ({bug['importance']})" if bug["importance"] else ""
        parts.append(f"bug {bug['status']}{importance}")
    if row.get("synced"):
        parts.append(f"synced {row['synced'][:10]}")
    return "; ".join(parts)


def _text_evidence(row: dict[str, Any]) -> str:
    if row["state"] == CONFLICTS:
        return ", ".join(row["conflicts"])
    evidence = ", ".join(row["evidence"])
    if row["upstream_commit"]:
        evidence += f" {row['upstream_commit'][:12]}"
    return evidence.strip()
