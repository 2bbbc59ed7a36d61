"""A fast path for the edits patchq makes most: `mark` (entries changed in place) and the end
of a rebase (dropped entries removed, the base moved, a history entry appended).

ruamel's round trip is pure Python: on a 5 MB series.yaml it takes minutes, and even a
200-patch file costs most of a second, while reading the same file with PyYAML's C loader
takes a few milliseconds. The C composer gives every node's line span, so an edit that
leaves the rest of the document alone is done on lines:

- a changed entry is cut out, edited by the same reconcile as a whole-file edit, and spliced
  back;
- a removed entry goes with the comment block right above it (as in yamledit: that block
  belongs to it), and the block above the next entry stays;
- a changed `upstream:` block is round-tripped alone;
- new history entries are rendered alone and appended after the last one (or as a new
  `history:` key right after `patches:` when the file ends there).

Each path gives the bytes the whole-file round trip gives (tests compare them). Anything
unusual (CRLF, flow-style or oddly indented lists, an emptied list, keys in another place, a
snippet whose text the round trip would not give back unchanged) returns None, and the
caller edits the whole file as before.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import yaml

from patchq.series.model import Series

MAX_CHANGED = 20  # more than this: the whole-file round trip is no slower


@dataclass(frozen=True)
class _Block:
    """Lines [start, end) of a top-level key's block, without the comments that follow it."""

    start: int
    end: int
    node: yaml.Node


def render(old_raw: bytes, old: Series, new: Series, yml: Any) -> bytes | None:
    """series.yaml edited towards `new` on lines only, or None when the fast path does not
    apply. `old` is what `old_raw` loads as; `yml` a configured ruamel YAML()."""
    if b"\r" in old_raw or not _only_fast_differences(old, new):
        return None
    kept = _kept_indexes(old, new)
    if kept is None or not new.patches:
        return None
    changed = [
        (index, patch)
        for index, patch in zip(kept, new.patches, strict=True)
        if old.patches[index] != patch
    ]
    if len(changed) > MAX_CHANGED:
        return None
    appended = new.history[len(old.history) :]
    removed = sorted(set(range(len(old.patches))) - set(kept))
    if not (changed or removed or appended or old.upstream != new.upstream):
        return None
    text = old_raw.decode("utf-8")
    lines = text.splitlines(keepends=True)
    blocks = _top_level_blocks(text, lines)
    if blocks is None or "patches" not in blocks:
        return None
    entries = _entry_spans_of(blocks["patches"], lines, len(old.patches))
    if entries is None:
        return None
    edits: list[tuple[int, int, str]] = []  # (first line, line after, new text)
    for index in removed:
        lead, _, end = entries[index]
        edits.append((lead, end, ""))
    for index, patch in changed:
        _, start, end = entries[index]
        entry = _edit_entry("".join(lines[start:end]), patch.as_dict(), yml)
        if entry is None:
            return None
        edits.append((start, end, entry))
    if old.upstream != new.upstream:
        edit = _edit_block(blocks.get("upstream"), lines, new.upstream.as_dict(), yml)
        if edit is None:
            return None
        edits.append(edit)
    if appended:
        edit = _append_history(blocks, lines, [dict(h) for h in appended], yml)
        if edit is None:
            return None
        edits.append(edit)
    return _apply(lines, edits)


def _only_fast_differences(old: Series, new: Series) -> bool:
    return (
        old.version == new.version
        and old.policy == new.policy
        and old.export == new.export
        and new.history[: len(old.history)] == old.history
    )


def _kept_indexes(old: Series, new: Series) -> list[int] | None:
    """Old index of each new entry, when the new list is the old one with entries removed."""
    where = {p.file: i for i, p in enumerate(old.patches)}
    kept = [where.get(p.file, -1) for p in new.patches]
    if any(i < 0 for i in kept) or kept != sorted(set(kept)):
        return None
    return kept


def _top_level_blocks(text: str, lines: list[str]) -> dict[str, _Block] | None:
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return None
    blocks: dict[str, _Block] = {}
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode) or key.start_mark.column != 0:
            return None
        blocks[str(key.value)] = _Block(key.start_mark.line, _content_end(value, lines), value)
    return blocks


def _content_end(node: yaml.Node, lines: list[str]) -> int:
    """The line after the last line that holds `node`'s text (comments after it excluded)."""
    mark = _last_leaf(node).end_mark
    end = mark.line + 1 if mark.column > 0 else mark.line
    while end - 1 > node.start_mark.line and not lines[end - 1].strip():
        end -= 1  # a block scalar's end mark comes after the blank lines it swallowed
    return min(end, len(lines))


def _last_leaf(node: yaml.Node) -> yaml.Node:
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _last_leaf(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _last_leaf(node.value[-1])
    return node


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _entry_spans_of(
    block: _Block, lines: list[str], count: int
) -> list[tuple[int, int, int]] | None:
    """(start of the comment block above it, first line, line after) of each `patches:` item,
    in a block list indented `  - `."""
    seq = block.node
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or len(seq.value) != count:
        return None
    spans = []
    lead = block.start + 1
    for item in seq.value:
        start = item.start_mark.line
        if not isinstance(item, yaml.MappingNode) or not lines[start].startswith("  - "):
            return None
        if any(not _is_comment_or_blank(line) for line in lines[lead:start]):
            return None
        end = _content_end(item, lines)
        spans.append((lead, start, end))
        lead = end
    return spans


def _edit_entry(snippet: str, new_entry: dict[str, Any], yml: Any) -> str | None:
    """The entry's lines edited towards `new_entry` (None: the round trip would change more
    than the edit, so the whole file is edited instead)."""
    return _round_trip("patches", snippet, [new_entry], yml)


def _edit_block(
    block: _Block | None, lines: list[str], value: dict[str, Any], yml: Any
) -> tuple[int, int, str] | None:
    if block is None or not isinstance(block.node, yaml.MappingNode) or block.node.flow_style:
        return None
    body = "".join(lines[block.start + 1 : block.end])
    if not lines[block.start].rstrip("\n").endswith(":"):
        return None  # a comment on the key's line: the whole-file edit keeps it right
    edited = _round_trip("upstream", body, value, yml)
    if edited is None:
        return None
    return (block.start + 1, block.end, edited)


def _round_trip(key: str, body: str, value: Any, yml: Any) -> str | None:
    """`key:` + body reconciled towards {key: value}, without the key line; None when the
    unedited text would not come back byte for byte."""
    from patchq.series import yamledit

    head = f"{key}:\n"
    wrapped = head + body
    if _dump(yml, yml.load(wrapped)) != wrapped:
        return None
    doc = yml.load(wrapped)
    yamledit.reconcile_document(doc, {key: value})
    out = _dump(yml, doc)
    return out[len(head) :] if out.startswith(head) else None


def _append_history(
    blocks: dict[str, _Block], lines: list[str], entries: list[dict[str, Any]], yml: Any
) -> tuple[int, int, str] | None:
    from ruamel.yaml.comments import CommentedMap

    from patchq.series import yamledit

    doc = CommentedMap()
    doc["history"] = yamledit.fresh(entries)
    rendered = _dump(yml, doc)
    history = blocks.get("history")
    if history is None:
        patches = blocks["patches"]
        if any(block.start > patches.start for block in blocks.values()):
            return None  # a key after patches: where ruamel puts the new one differs
        if lines[patches.end :]:
            return None  # comments at the end of the file: ruamel hangs them on the last patch
        return (patches.end, patches.end, rendered)
    seq = history.node
    if not isinstance(seq, yaml.SequenceNode):
        return None
    if (
        not seq.value
        and lines[history.start] == "history: []\n"
        and history.end == history.start + 1
    ):
        return (history.start, history.end, rendered)  # as `patchq init` writes it
    if seq.flow_style or not seq.value:
        return None
    if not all(lines[item.start_mark.line].startswith("  - ") for item in seq.value):
        return None
    return (history.end, history.end, rendered[len("history:\n") :])


def _apply(lines: list[str], edits: list[tuple[int, int, str]]) -> bytes:
    out = list(lines)
    for start, end, replacement in sorted(edits, reverse=True):
        out[start:end] = [replacement] if replacement else []
    return "".join(out).encode("utf-8")


def _dump(yml: Any, doc: Any) -> str:
    out = io.StringIO()
    yml.dump(doc, out)
    return out.getvalue()
