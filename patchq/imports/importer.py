"""`patchq import`: turn commits, quilt dirs, mboxes and patch files into series entries.

Everything is read and checked in memory first (`from_*` then `plan`); only `write` touches
disk, and it removes what it wrote if anything fails, so an import is all-or-nothing.
"""

from __future__ import annotations

import dataclasses
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from patchq import console
from patchq.errors import ConfigError
from patchq.git import Repo, format_patches
from patchq.imports import provenance
from patchq.patches import dep3, patchfile, quilt
from patchq.series.model import CHANGE_ID_RE, Patch, Series, Status, UpstreamLinks
from patchq.series.workspace import Workspace

NAME_MAX = 64 - len(".patch") - 1  # what git format-patch allows before the suffix
_NUMBERED = re.compile(r"^(\d{1,6})-")
_MBOX_FROM = re.compile(
    rb"^From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d{2}(?::\d{2})? "
    rb"(?:[A-Z]{3,4} )?\d{4}\r?$",
    re.M,
)
_CHANGE_ID_LINE = re.compile(r"^Change-Id:\s*(\S+)\s*$", re.M)


@dataclass(frozen=True)
class Incoming:
    """One patch ready to join the series: format-patch bytes plus what we learnt about it."""

    data: bytes
    subject: str
    source: str  # where it came from, for messages
    status: Status
    links: UpstreamLinks
    notes: tuple[str, ...] = ()
    name: str | None = None  # the file name to keep (quilt series, Gbp-Pq: Name); else numbered
    added: str | None = None  # YYYY-MM-DD from Last-Update or the patch's Date:; else today
    reason: str | None = None  # for a status that needs one (downstream-only)


@dataclass(frozen=True)
class Plan:
    series: Series
    files: tuple[tuple[str, bytes], ...]  # (name under patches/, bytes), in series order
    notes: tuple[str, ...]


# -- sources -------------------------------------------------------------------------------


def from_range(repo: Repo, spec: str) -> list[Incoming]:
    """Commits A..B of the upstream clone, oldest first, as `git format-patch` wrote them."""
    if "..." in spec or spec.count("..") != 1:
        raise ConfigError(f"--range {spec!r}: expected A..B (commits in B that are not in A)")
    start_ref, end_ref = spec.split("..")
    start = repo.resolve_or_fail(start_ref or "HEAD", what="range start")
    end = repo.resolve_or_fail(end_ref or "HEAD", what="range end")
    # Merge commits carry no change of their own (a Gerrit-managed stable branch has one per
    # backport); like `git format-patch` and `git rebase`, import the commits they merged.
    commits = repo.log_range(f"{start}..{end}", "--reverse", "--topo-order", "--no-merges")
    if not commits:
        raise ConfigError(
            f"--range {spec}: no commits other than merges (A..B takes the commits in B "
            "that are not in A)"
        )
    texts = format_patches(repo, start, end)
    out = []
    for commit in commits:
        data = texts.get(commit.sha)
        if data is None:  # format-patch leaves out commits that change nothing
            raise ConfigError(
                f"--range {spec}: {commit.sha[:12]} ({commit.subject}) changes no file: "
                "an empty patch cannot be carried; import a range without it"
            )
        out.append(_incoming(data, source=commit.sha[:12], message=commit.message, dated=True))
    return out


def from_files(paths: Sequence[Path]) -> list[Incoming]:
    out = []
    for path in paths:
        raw = _read(path)
        if len(_MBOX_FROM.findall(raw)) > 1:
            raise ConfigError(f"{path} holds several patches: import it with --mbox {path}")
        out.append(
            normalise(
                raw,
                source=str(path),
                fallback_date=_mtime_date(path),
                fallback_subject=_stem(path.name),
            )
        )
    return out


def from_mbox(path: Path) -> list[Incoming]:
    raw = _read(path)
    starts = [m.start() for m in _MBOX_FROM.finditer(raw)]
    if not starts or raw[: starts[0]].strip():
        raise ConfigError(f"{path} is not an mbox (it must start with a 'From ' line)")
    out: list[Incoming] = []
    skipped: list[str] = []
    for number, (begin, end) in enumerate(zip(starts, [*starts[1:], len(raw)], strict=True), 1):
        message = raw[begin:end]
        source = f"{path} message {number}"
        if not patchfile.parse(message, source=source).diff.strip():
            skipped.append(f"{source}: no diff (a cover letter?): skipped")
            continue
        out.append(normalise(message, source=source, fallback_date=_mtime_date(path)))
    if not out:
        raise ConfigError(f"{path}: no patches found in {len(starts)} messages")
    if skipped:
        out[0] = dataclasses.replace(out[0], notes=(*out[0].notes, *skipped))
    return out


def from_quilt(directory: Path) -> list[Incoming]:
    if not directory.is_dir():
        raise ConfigError(f"--quilt {directory}: no such directory")
    series_file = quilt.find_series(directory)
    out = []
    for entry in quilt.read_series(series_file):
        source = f"{series_file}:{entry.line} ({entry.path.name})"
        raw = _read(entry.path)
        item = normalise(
            raw,
            source=source,
            strip=entry.strip,
            fallback_date=_mtime_date(entry.path),
            fallback_subject=_stem(entry.path.name),
        )
        # The packager's names are referenced from changelogs and the series: kept as listed.
        listed = entry.path.relative_to(series_file.parent).as_posix()
        out.append(dataclasses.replace(item, name=listed))
    return out


# -- normalising one patch -----------------------------------------------------------------


def normalise(
    raw: bytes,
    *,
    source: str,
    fallback_date: str,
    strip: int = 1,
    fallback_subject: str | None = None,
) -> Incoming:
    """Make `raw` a format-patch file `git am` applies, keeping mail-form files byte for byte."""
    parsed = patchfile.parse(raw, source=source)
    if not parsed.diff.strip():
        raise ConfigError(f"{source}: no diff found: not a patch")
    head = raw[: len(raw) - len(parsed.diff)].decode("utf-8", "surrogateescape")
    paras = dep3.paragraphs(patchfile.strip_diffstat(_without_unix_from(head)))
    header = dep3.parse_block(paras[0]) if paras else None
    fields = dep3.Fields()
    if header is not None and header.is_dep3:
        fields = header
        author, date, subject, body = _from_dep3(header, paras[1:], fallback_date)
    elif header is not None and header.get("from") and header.get("subject"):
        if header.get("date") and strip == 1:
            # Already what git format-patch writes: keep every byte (CRLF, encodings, ...).
            return _incoming(raw, source=source, message=parsed.message, dated=True)
        author, date = parsed.author, header.get("date") or fallback_date
        subject, body = parsed.subject, parsed.body
    else:
        free = "\n\n".join("\n".join(p) for p in paras)
        subject, _, body = free.strip().partition("\n\n")
        subject = " ".join(subject.split())
        author, date = "Unknown <unknown@localhost>", fallback_date
    diff = quilt.restrip(parsed.diff, strip, source=source)
    subject = subject or fallback_subject or ""
    if not subject:
        raise ConfigError(f"{source}: no subject (no Subject, Description or message text)")
    data = patchfile.render(
        author=_with_email(author), date=date, subject=subject, body=body, diff=diff
    )
    dated = bool(header is not None and header.get("date"))
    message = subject + "\n\n" + body
    return _incoming(data, source=source, message=message, fields=fields, dated=dated)


def _from_dep3(
    fields: dep3.Fields, rest: list[list[str]], fallback_date: str
) -> tuple[str, str, str, str]:
    description = fields.get("description") or fields.get("subject") or ""
    subject, _, long = description.partition("\n")
    free = patchfile.strip_diffstat("\n\n".join("\n".join(p) for p in rest))
    kept = [
        f"{name.title()}: {value}"
        for name, value in fields.items
        if name not in ("description", "subject", "author", "from")
    ]
    authors = fields.all("author") + fields.all("from")
    kept += [f"Co-authored-by: {_with_email(a)}" for a in authors[1:]]
    body = "\n\n".join(part.strip("\n") for part in (long, free, "\n".join(kept)) if part.strip())
    last_update = fields.get("last-update")
    date = fields.get("date") or (_iso_to_rfc2822(last_update) if last_update else None)
    author = authors[0] if authors else "Unknown <unknown@localhost>"
    return author, date or fallback_date, " ".join(subject.split()), body


def _incoming(
    data: bytes,
    *,
    source: str,
    message: str,
    fields: dep3.Fields | None = None,
    dated: bool = False,
) -> Incoming:
    """Status and links: DEP-3 fields (the header, or message paragraphs) first, then trailers.
    `dated`: the patch's Date: is its own (a commit's or a mail's), not a fallback."""
    parsed = patchfile.parse(data, source=source)
    text = message if message.strip() else parsed.message
    all_fields = (fields or dep3.Fields()) + dep3.pseudo_headers(text)
    said = provenance.verdict(all_fields, text)
    notes: list[str] = []
    change_id = None
    for candidate in _CHANGE_ID_LINE.findall(text):
        if CHANGE_ID_RE.match(candidate):
            change_id = candidate
        else:
            notes.append(f"{source}: ignored malformed Change-Id {candidate!r}")
    # The first line names the original (master) commit; later ones, the stable branches it
    # was picked through.
    cherry = patchfile.CHERRY_PICK_LINE.findall(text)
    picked = cherry[0] if cherry else None
    status = said.status or (Status.BACKPORT if picked else Status.PENDING)
    links = UpstreamLinks(
        change_id=change_id,
        review=said.review,
        commit=said.commit or picked,
        bug=said.bug,
    )
    needs_reason = status in (Status.DOWNSTREAM_ONLY, Status.REJECTED)
    return Incoming(
        data=data,
        subject=parsed.subject,
        source=source,
        status=status,
        links=links,
        notes=tuple(notes),
        name=gbp_name(text),
        added=added_day(all_fields.get("last-update"), parsed.date if dated else None),
        # What check requires of these statuses: the subject (a DEP-3 Description's first
        # line) says why the patch is carried.
        reason=parsed.subject if needs_reason else None,
    )


_GBP_PQ = re.compile(r"^gbp-pq:[ \t]*(name|topic)[ \t]+(\S.*?)[ \t]*$", re.M | re.I)


def gbp_name(message: str) -> str | None:
    """The file name `Gbp-Pq: Name` (in `Gbp-Pq: Topic`'s directory) asks for, as gbp pq
    export writes it; None without a Name."""
    found = {cmd.lower(): value for cmd, value in _GBP_PQ.findall(message)}
    name = found.get("name")
    if not name:
        return None
    if not name.endswith((".patch", ".diff")):
        name += ".patch"
    topic = found.get("topic", "").strip("/")
    return f"{topic}/{name}" if topic else name


def added_day(last_update: str | None, date: str | None) -> str | None:
    """`added` of an imported patch: DEP-3 Last-Update, else the patch's own Date:."""
    import datetime as dt

    if last_update:
        try:
            return dt.date.fromisoformat(last_update.strip()[:10]).isoformat()
        except ValueError:
            pass
    parsed = email.utils.parsedate_tz(date) if date else None
    if parsed is None:
        return None
    stamp = email.utils.mktime_tz(parsed)
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).date().isoformat()


# -- planning and writing ------------------------------------------------------------------


def plan(current: Series, incoming: Sequence[Incoming], *, taken: set[str], today: str) -> Plan:
    """The new series and files; `taken` is every name already in the series or patches/."""
    number = next_number(current, taken)
    files: list[tuple[str, bytes]] = []
    entries: list[Patch] = []
    notes: list[str] = []
    for item in incoming:
        name = item.name or file_name(number, item.subject)
        if name in taken:
            raise ConfigError(f"patches/{name} already exists: remove it or rename it first")
        taken.add(name)
        number += 0 if item.name else 1
        files.append((name, item.data))
        added = item.added or today
        entries.append(
            Patch(
                file=name, status=item.status, reason=item.reason, added=added, upstream=item.links
            )
        )
        notes += item.notes
    new = dataclasses.replace(current, patches=(*current.patches, *entries))
    return Plan(series=new, files=tuple(files), notes=tuple(notes))


def next_number(current: Series, taken: set[str]) -> int:
    numbers = [int(m.group(1)) for name in taken if (m := _NUMBERED.match(name))]
    return max([len(current.patches), *numbers]) + 1


def file_name(number: int, subject: str) -> str:
    """`NNNN-Subject-slug.patch` as git format-patch names it: only [A-Za-z0-9._-]."""
    slug = re.sub(r"[^A-Za-z0-9._]+", "-", subject)
    slug = re.sub(r"\.{2,}", ".", slug).strip("-.")
    name = f"{number:04d}-{slug}"[:NAME_MAX].rstrip("-.")
    return (name if slug else f"{number:04d}-patch") + ".patch"


def write(ws: Workspace, new: Plan) -> None:
    """Write the patch files, then series.yaml; on any failure remove what was written."""
    created_dir = not ws.patches_dir.exists()
    written: list[Path] = []
    try:
        with console.progress("writing patches", len(new.files)) as bar:
            for name, data in new.files:
                path = ws.patch_path(name)
                if path.exists():
                    raise ConfigError(f"{path} already exists: remove it or rename it first")
                ws.write_patch(name, data)
                written.append(path)
                bar.advance()
        ws.save(new.series)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
            for parent in path.parents:  # a topic directory the import created
                if parent == ws.patches_dir or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()
        if created_dir and ws.patches_dir.is_dir() and not any(ws.patches_dir.iterdir()):
            ws.patches_dir.rmdir()
        if isinstance(exc, OSError):
            where = exc.filename or ws.root
            raise ConfigError(
                f"cannot write {where}: {exc.strerror}: nothing was imported"
            ) from None
        raise


def taken_names(ws: Workspace, current: Series) -> set[str]:
    names = {p.file for p in current.patches}
    if ws.patches_dir.is_dir():
        names |= {p.name for p in ws.patches_dir.iterdir()}
    return names


# -- small helpers -------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def _mtime_date(path: Path) -> str:
    try:
        return email.utils.formatdate(path.stat().st_mtime, localtime=False)
    except OSError:
        return email.utils.formatdate(0)


def _iso_to_rfc2822(day: str) -> str | None:
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(day.strip()[:10]).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    return email.utils.format_datetime(when)


def _with_email(author: str) -> str:
    name, address = email.utils.parseaddr(author)
    if "@" in address:
        return author.strip()
    return f"{(name or author).strip() or 'Unknown'} <unknown@localhost>"


def _without_unix_from(head: str) -> str:
    if head.startswith("From ") and not head.startswith("From: "):
        return head.split("\n", 1)[1] if "\n" in head else ""
    return head


def _stem(name: str) -> str:
    for suffix in (".patch", ".diff"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
