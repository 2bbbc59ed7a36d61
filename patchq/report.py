"""The carried-patch report: a plain-data model of the series, its history and (optionally) the
status engine's verdict, rendered as HTML, Markdown, JSON or rich text.

The model is exactly what `--format json` prints (docs/report-schema.md); the templates and the
text renderer only read it, so every format says the same thing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patchq import __version__
from patchq.errors import ConfigError
from patchq.fsutil import atomic_write
from patchq.listing import age_days
from patchq.model import STATUSES, Patch, Series
from patchq.verdict import APPLIES, CONFLICTS, LANDED, PatchState, StatusResult

if TYPE_CHECKING:
    import jinja2
    from rich.console import Console, RenderableType

    from patchq.workspace import Workspace

SCHEMA_VERSION = 1
FORMATS = ("text", "html", "markdown", "json")
STATES = (LANDED, APPLIES, CONFLICTS)
TEMPLATES = {"html": "report.html.j2", "markdown": "report.md.j2"}
_SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
_SUFFIX_FORMATS[".json"] = "json"
_ESCAPED_EXTENSIONS = (".html", ".htm", ".xhtml", ".xml", ".svg")
_TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2")


@dataclass(frozen=True)
class Clock:
    """When the report is generated; SOURCE_DATE_EPOCH pins it for reproducible reports."""

    now: dt.datetime

    @classmethod
    def from_env(cls) -> Clock:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch.isdigit():
            return cls(dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc))
        return cls(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))

    @property
    def stamp(self) -> str:
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the model ------------------------------------------------------------------------------


def build(
    ws: Workspace, current: Series, *, clock: Clock, status: StatusResult | None = None
) -> dict[str, Any]:
    """The report as plain data: header, summary, one row per patch, history and chart."""
    subjects = _subjects(ws, current, status)
    states = {s.patch.file: s for s in status.patches} if status else {}
    rebase_dates = [
        e["date"][:10] for e in history_entries(current.history) if e["kind"] == "rebase"
    ]
    rows = [
        patch_row(
            position,
            patch,
            subject=subjects[patch.file],
            upstream_url=current.upstream.url,
            today=clock.now.date(),
            rebase_dates=rebase_dates,
            verdict=states.get(patch.file),
        )
        for position, patch in enumerate(current.patches, 1)
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "generated": clock.stamp,
        "patchq_version": __version__,
        "upstream": {
            "name": current.upstream.name,
            "url": current.upstream.url,
            "web_url": web_url(current.upstream.url),
            "branch": current.upstream.trunk,
            "base": current.upstream.base,
            "base_commit": current.upstream.base_commit,
        },
        "against": None
        if status is None
        else {"ref": status.against, "commit": status.against_commit},
        "summary": summary(current.patches, status),
        "patches": rows,
        "history": history_entries(current.history, upstream_url=current.upstream.url),
        "chart": carried_per_release(current),
    }


def _subjects(ws: Workspace, current: Series, status: StatusResult | None) -> dict[str, str]:
    known = {s.patch.file: s.subject for s in status.patches} if status else {}
    return {p.file: known.get(p.file) or ws.read_patch(p).subject for p in current.patches}


def summary(patches: Sequence[Patch], status: StatusResult | None) -> dict[str, Any]:
    by_status = dict.fromkeys(STATUSES, 0)
    for patch in patches:
        by_status[patch.status.value] += 1
    by_state = None
    if status is not None:
        by_state = dict.fromkeys(STATES, 0)
        for verdict in status.patches:
            by_state[verdict.state] = by_state.get(verdict.state, 0) + 1
    return {"patches": len(patches), "by_status": by_status, "by_state": by_state}


def patch_row(
    position: int,
    patch: Patch,
    *,
    subject: str,
    upstream_url: str | None,
    today: dt.date,
    rebase_dates: Sequence[str],
    verdict: PatchState | None = None,
) -> dict[str, Any]:
    links = patch.upstream
    row: dict[str, Any] = {
        "position": position,
        "file": patch.file,
        "name": patch.name,
        "subject": subject,
        "status": patch.status.value,
        "reason": patch.reason,
        "owner": patch.owner,
        "added": patch.added,
        "age_days": age_days(patch.added, today),
        "releases_carried": releases_carried(patch.added, rebase_dates),
        "links": {
            "review": links.review,
            "review_url": web_url(links.review),
            "change_id": links.change_id,
            "bug": links.bug,
            "bug_url": web_url(links.bug),
            "commit": links.commit,
            "commit_url": commit_url(upstream_url, links.commit),
        },
        "state": None,
        "evidence": [],
        "upstream_commit": None,
        "upstream_commit_url": None,
        "conflicts": [],
        "similar": None,
    }
    if verdict is not None:
        row.update(
            state=verdict.state,
            evidence=list(verdict.evidence),
            upstream_commit=verdict.upstream_commit,
            upstream_commit_url=commit_url(upstream_url, verdict.upstream_commit),
            conflicts=list(verdict.conflicts),
            modified_upstream=verdict.modified_upstream,
        )
        if verdict.similar is not None:
            row["similar"] = {
                "commit": verdict.similar.commit,
                "subject": verdict.similar.subject,
                "score": verdict.similar.score,
            }
    row.setdefault("modified_upstream", False)
    return row


def releases_carried(added: str | None, rebase_dates: Sequence[str]) -> int | None:
    """Releases the patch has sat on: the current base plus one per rebase since `added`."""
    if not added:
        return None
    return 1 + sum(1 for day in rebase_dates if day >= added[:10])


def web_url(value: str | None) -> str | None:
    """`value` when it is an http(s) URL, else None: nothing else ever becomes a link."""
    if value and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return None


def commit_url(upstream_url: str | None, sha: str | None) -> str | None:
    """<url>/commit/<sha>: the form opendev (Gitea), GitHub and GitLab all serve."""
    base = web_url(upstream_url)
    if not base or not sha:
        return None
    base = base.rstrip("/")
    base = base[: -len(".git")] if base.endswith(".git") else base
    return f"{base}/commit/{sha}"


def history_entries(
    history: Iterable[Any], *, upstream_url: str | None = None
) -> list[dict[str, Any]]:
    """Each history entry normalised: a rebase (from/to) or a hand drop (`patchq drop`)."""
    out = []
    for entry in history:
        if not isinstance(entry, dict):
            continue
        is_rebase = "to" in entry or "from" in entry
        out.append(
            {
                "kind": "rebase" if is_rebase else "drop",
                "date": _str(entry.get("date")) or "",
                "from": _str(entry.get("from")),
                "from_commit": _str(entry.get("from_commit")),
                "to": _str(entry.get("to")),
                "to_commit": _str(entry.get("to_commit")),
                "dropped": [_item(i, upstream_url) for i in _list(entry.get("dropped"))],
                "skipped": [_item(i, upstream_url) for i in _list(entry.get("skipped"))],
                "refreshed": _int(entry.get("refreshed")),
                "carried": _int(entry.get("carried")),
            }
        )
    return out


def _item(item: dict[str, Any], upstream_url: str | None) -> dict[str, Any]:
    upstream_commit = _str(item.get("upstream_commit"))
    evidence = item.get("evidence")
    return {
        "file": _str(item.get("file")) or "",
        "subject": _str(item.get("subject")) or "",
        "evidence": [str(e) for e in evidence] if isinstance(evidence, list) else [],
        "upstream_commit": upstream_commit,
        "upstream_commit_url": commit_url(upstream_url, upstream_commit),
        "reason": _str(item.get("reason")),
    }


def carried_per_release(current: Series) -> list[dict[str, Any]]:
    """Patches carried on each release: counted when the series left it, now for the base."""
    points: dict[str, dict[str, Any]] = {}
    for entry in history_entries(current.history):
        if entry["kind"] != "rebase" or entry["carried"] is None:
            continue
        if entry["from"]:
            leaving = entry["carried"] + len(entry["dropped"]) + len(entry["skipped"])
            points[entry["from"]] = {"release": entry["from"], "carried": leaving}
        if entry["to"]:
            points[entry["to"]] = {"release": entry["to"], "carried": entry["carried"]}
    base = current.upstream.base
    points.pop(base, None)
    points[base] = {"release": base, "carried": len(current.patches)}
    return list(points.values())


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# -- rendering ------------------------------------------------------------------------------


def format_for(fmt: str | None, output: Path | None) -> str:
    """--format, else guessed from --output's suffix, else text."""
    if fmt:
        return fmt
    if output is not None:
        return _SUFFIX_FORMATS.get(output.suffix.lower(), "text")
    return "text"


def render(model: dict[str, Any], fmt: str, *, template: Path | None = None) -> str:
    """The report as one string, in `fmt` or through the user's `template`."""
    if template is not None:
        return render_template_file(model, template)
    if fmt == "json":
        return json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        buffer = io.StringIO()
        from rich.console import Console

        print_text(model, Console(file=buffer, no_color=True, width=120, highlight=False))
        return buffer.getvalue()
    env = environment(_package_loader(), autoescape=fmt == "html")
    return env.get_template(TEMPLATES[fmt]).render(template_context(model))


def render_template_file(model: dict[str, Any], template: Path) -> str:
    import jinja2

    if not template.is_file():
        raise ConfigError(
            f"--template {template}: no such file: give the path of a jinja2 template"
        )
    env = environment(jinja2.FileSystemLoader(str(template.parent)), autoescape=escapes(template))
    try:
        return env.get_template(template.name).render(template_context(model))
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"--template {template}:{exc.lineno}: {exc.message}: fix the template"
        ) from None
    except jinja2.TemplateError as exc:
        raise ConfigError(
            f"--template {template}: {exc.message or exc}: it can use `report` "
            "(see docs/report-schema.md) and `chart_svg`"
        ) from None


def escapes(template: Path) -> bool:
    """Autoescape a user template whose name says it makes HTML/XML (report.html.j2 too)."""
    name = template.name.lower()
    for suffix in _TEMPLATE_SUFFIXES:
        name = name.removesuffix(suffix)
    return name.endswith(_ESCAPED_EXTENSIONS)


def _package_loader() -> jinja2.BaseLoader:
    import jinja2

    return jinja2.PackageLoader("patchq", "templates")


def environment(loader: jinja2.BaseLoader, *, autoescape: bool) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=loader,
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
    )
    return env


def template_context(model: dict[str, Any]) -> dict[str, Any]:
    return {"report": model, "chart_svg": chart_geometry(model["chart"]), "states": STATES}


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|&#!~"})


def markdown_cell(value: Any) -> str:
    """Text that stays inert inside a GitHub/GitLab pipe-table cell."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
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


def write(text: str, output: Path) -> None:
    """Write the report atomically; a missing directory is an error, never created."""
    parent = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise ConfigError(f"--output {output}: is a directory: give a file name")
    if not parent.is_dir():
        raise ConfigError(f"--output {output}: directory {parent} does not exist: create it first")
    try:
        atomic_write(output, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"--output {output}: cannot write: {exc.strerror or exc}") from None


# -- text (rich) ----------------------------------------------------------------------------


def print_text(model: dict[str, Any], out: Console) -> None:
    for renderable in text_renderables(model):
        out.print(renderable)


def text_renderables(model: dict[str, Any]) -> list[RenderableType]:
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
    lines.append(f"{summ['patches']} patches" + (f": {counts}" if counts else ""))
    if summ["by_state"] is not None:
        lines.append("against: " + ", ".join(f"{n} {s}" for s, n in summ["by_state"].items()))
    out: list[RenderableType] = [head, Text("\n".join(lines))]

    out.append(_heading("Patches"))
    table = Table(box=None, pad_edge=False)
    columns = ["#", "subject", "status", "reason", "owner", "age", "releases", "links"]
    if against:
        columns += ["state", "evidence"]
    for column in columns:
        table.add_column(column, overflow="fold", min_width=24 if column == "subject" else None)
    for row in model["patches"]:
        cells = [
            str(row["position"]),
            Text(row["subject"]),
            row["status"],
            Text(row["reason"] or ""),
            Text(row["owner"] or ""),
            "" if row["age_days"] is None else f"{row['age_days']}d",
            "" if row["releases_carried"] is None else str(row["releases_carried"]),
            Text(_text_links(row["links"])),
        ]
        if against:
            cells += [row["state"] or "", Text(_text_evidence(row))]
        table.add_row(*cells)
    out.append(table)

    out.append(_heading("Landed upstream"))
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


def _heading(title: str) -> RenderableType:
    from rich.text import Text

    return Text("\n" + title, style="bold")


def _text_links(links: dict[str, Any]) -> str:
    parts = [links["review"] or links["change_id"], links["bug"], (links["commit"] or "")[:12]]
    return " ".join(p for p in parts if p)


def _text_evidence(row: dict[str, Any]) -> str:
    if row["state"] == CONFLICTS:
        return ", ".join(row["conflicts"])
    evidence = ", ".join(row["evidence"])
    if row["upstream_commit"]:
        evidence += f" {row['upstream_commit'][:12]}"
    return evidence.strip()
