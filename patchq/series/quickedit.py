"""A fast path for edits that change patch entries in place (`patchq mark`).

ruamel's round trip is pure Python: on a 5 MB series.yaml it takes minutes, while reading the
same file with PyYAML's C loader takes a second. When an edit leaves the list of patches, its
order and every other top-level key as they were, only the changed entries' lines need the
round trip: each is cut out (with the comments and blank lines up to the next entry), edited
by the same reconcile as a whole-file edit, and spliced back. Anything unusual (CRLF, a
flow-style or oddly indented list, an entry whose text the round trip would not give back
unchanged) returns None, and the caller edits the whole file as before.
"""

from __future__ import annotations

import io
from typing import Any

import yaml

from patchq.series.model import Series

MAX_CHANGED = 20  # more than this: the whole-file round trip is no slower


def render(old_raw: bytes, old: Series, new: Series, yml: Any) -> bytes | None:
    """series.yaml with only the changed patch entries rewritten, or None when the fast path
    does not apply. `old` is what `old_raw` loads as; `yml` a configured ruamel YAML()."""
    if b"\r" in old_raw or not _same_outside_entries(old, new):
        return None
    changed = [i for i, (a, b) in enumerate(zip(old.patches, new.patches, strict=True)) if a != b]
    if not changed or len(changed) > MAX_CHANGED:
        return None
    text = old_raw.decode("utf-8")
    spans = _entry_spans(text, len(old.patches))
    if spans is None:
        return None
    lines = text.splitlines(keepends=True)
    for index in reversed(changed):
        start, end = spans[index]
        snippet = "".join(lines[start:end])
        edited = _edit_entry(snippet, new.patches[index].as_dict(), yml)
        if edited is None:
            return None
        lines[start:end] = [edited]
    return "".join(lines).encode("utf-8")


def _same_outside_entries(old: Series, new: Series) -> bool:
    return (
        old.version == new.version
        and old.upstream == new.upstream
        and old.policy == new.policy
        and old.history == new.history
        and [p.file for p in old.patches] == [p.file for p in new.patches]
    )


def _entry_spans(text: str, count: int) -> list[tuple[int, int]] | None:
    """(first line, line after) of each `patches:` item, in a block list indented `  - `."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    seq = next((v for k, v in root.value if getattr(k, "value", None) == "patches"), None)
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or len(seq.value) != count:
        return None
    lines = text.splitlines()
    starts = []
    for item in seq.value:
        line = item.start_mark.line
        if not isinstance(item, yaml.MappingNode) or not lines[line].startswith("  - "):
            return None
        starts.append(line)
    end = seq.end_mark.line if seq.end_mark.column == 0 else len(lines)
    return list(zip(starts, [*starts[1:], end], strict=True))


def _edit_entry(snippet: str, new_entry: dict[str, Any], yml: Any) -> str | None:
    """The entry's lines edited towards `new_entry` (None: the round trip would change more
    than the edit, so the whole file is edited instead)."""
    from patchq.series import yamledit

    wrapped = "patches:\n" + snippet
    if _dump(yml, yml.load(wrapped)) != wrapped:
        return None
    doc = yml.load(wrapped)
    yamledit.reconcile_document(doc, {"patches": [new_entry]})
    out = _dump(yml, doc)
    if not out.startswith("patches:\n"):
        return None
    return out[len("patches:\n") :]


def _dump(yml: Any, doc: Any) -> str:
    out = io.StringIO()
    yml.dump(doc, out)
    return out.getvalue()
