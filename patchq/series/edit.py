"""Series edits behind init, mark, drop and move: each returns a new Series, writing nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from patchq.errors import ConfigError
from patchq.git import Repo
from patchq.series.model import CHANGE_ID_RE, COMMIT_RE, STATUSES, Series, Status, Upstream


def new_series(
    repo: Repo, *, path: str, base: str, name: str, url: str | None, branch: str | None
) -> Series:
    base_commit = repo.resolve_or_fail(base, what="base")
    return Series(
        upstream=Upstream(
            name=name,
            url=url,
            path=path,
            branch=branch or "master",
            base=base,
            base_commit=base_commit,
        ),
    )


def parse_status(value: str) -> Status:
    if value not in STATUSES:
        raise ConfigError(f"unknown status '{value}': use one of {', '.join(STATUSES)}")
    return Status(value)


def mark(
    current: Series,
    index: int,
    *,
    status: Status,
    links: dict[str, str | None],
    reason: str | None = None,
    owner: str | None = None,
) -> Series:
    patch = current.patches[index]
    change_id = links.get("change_id")
    if change_id is not None and not CHANGE_ID_RE.match(change_id):
        raise ConfigError(
            f"bad Change-Id '{change_id}': expected I followed by 40 lowercase hex digits"
        )
    commit = links.get("commit")
    if commit is not None and not COMMIT_RE.match(commit):
        raise ConfigError(f"bad commit '{commit}': expected a hex sha (7 to 40 digits)")
    given: dict[str, Any] = {k: v for k, v in links.items() if v is not None}
    new_links = dataclasses.replace(patch.upstream, **given)
    changes: dict[str, Any] = {"status": status, "upstream": new_links}
    if reason is not None:
        changes["reason"] = reason
    if owner is not None:
        changes["owner"] = owner
    patches = list(current.patches)
    patches[index] = dataclasses.replace(patch, **changes)
    return dataclasses.replace(current, patches=tuple(patches))


def retitle(path: Path, subject: str) -> bytes:
    """The bytes of patch file `path` with its subject replaced (`patchq mark --subject`)."""
    from patchq.patches import patchfile

    text = " ".join(subject.split())
    if not text:
        raise ConfigError("--subject is empty: give the patch's subject line")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read patch {path}: {exc.strerror}") from None
    return patchfile.with_subject(raw, text)


def drop(current: Series, index: int, *, subject: str, reason: str | None) -> Series:
    patch = current.patches[index]
    entry: dict[str, Any] = {
        "date": now_utc(),
        "dropped": [
            {"file": patch.file, "subject": subject, "reason": reason or "dropped by hand"}
        ],
    }
    patches = current.patches[:index] + current.patches[index + 1 :]
    return dataclasses.replace(current, patches=patches, history=(*current.history, entry))


class BadMove(ConfigError):
    """A `move` destination that names no position (the CLI shows it as a usage error)."""


def move_target(
    current: Series, index: int, *, before: str | None, after: str | None, to: int | None
) -> int:
    """The 0-based position patch `index` ends at: --to N (1-based), or just before/after
    another patch (named as series.find_patch names it)."""
    from patchq.series.io import find_patch

    count = len(current.patches)
    if to is not None:
        if not 1 <= to <= count:
            raise BadMove(f"--to {to}: positions run from 1 to {count}")
        return to - 1
    other = find_patch(current, before or after or "")
    if other == index:
        raise BadMove("a patch cannot move relative to itself")
    target = other if before is not None else other + 1
    return target - 1 if index < target else target


def move(current: Series, index: int, target: int) -> Series:
    """Move patch `index` so that it ends at position `target` (0-based)."""
    patches = list(current.patches)
    patch = patches.pop(index)
    patches.insert(target, patch)
    return dataclasses.replace(current, patches=tuple(patches))


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> str:
    return dt.date.today().isoformat()
