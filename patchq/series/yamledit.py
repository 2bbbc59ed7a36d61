"""Minimal edits of a ruamel.yaml round-trip document towards a new plain-data value.

Existing nodes are kept (so their comments stay) and only changed keys, items and order are
touched. ruamel hangs the comments and blank lines that precede a node on the *previous*
node's last key; when an edit changes which key comes last, that trailing text is moved along so
it stays where the user wrote it.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def reconcile_document(doc: CommentedMap, new: dict[str, Any]) -> None:
    _reconcile_map(doc, new)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, (CommentedMap, CommentedSeq)):
        return False
    return old == new or (old is not None and str(old) == str(new))


def _reconcile_map(node: CommentedMap, new: dict[str, Any]) -> None:
    trailing = take_trailing(node)
    for key in [k for k in node if k not in new]:
        del node[key]
    order = list(new)
    for pos, (key, value) in enumerate(new.items()):
        if key in node:
            old = node[key]
            if isinstance(old, CommentedMap) and isinstance(value, dict):
                _reconcile_map(old, value)
            elif isinstance(old, CommentedSeq) and isinstance(value, list):
                orphan = _reconcile_seq(old, value, keyed=key in ("patches",))
                _forget_empty_leading(node, key)
                _give_after_key(node, key, orphan)
            elif not _same(old, value):
                node[key] = _fresh(value)
            continue
        # A new key goes right after the nearest preceding key that exists.
        index = 0
        for earlier in reversed(order[:pos]):
            if earlier in node:
                index = list(node).index(earlier) + 1
                break
        node.insert(index, key, _fresh(value))
    give_trailing(node, trailing)


def _reconcile_seq(node: CommentedSeq, new: list[Any], *, keyed: bool) -> str:
    """Returns the comment block that trailed the list when no item is left to carry it."""

    def key_of(item: Any) -> Any:
        return item.get("file") if keyed and isinstance(item, dict) else None

    if not keyed:
        # Lists like history are only ever appended to: keep the old items, add new ones.
        common = 0
        while common < min(len(node), len(new)) and _equal_plain(node[common], new[common]):
            common += 1
        trailing = take_trailing(node)
        while len(node) > common:
            del node[len(node) - 1]
        for item in new[common:]:
            node.append(_fresh(item))
        give_trailing(node, trailing)
        return "" if len(node) else trailing

    trailing = take_trailing(node)
    wanted = [key_of(item) for item in new]
    # Delete items no longer present; what trailed them now trails their predecessor.
    i = 0
    while i < len(node):
        if key_of(node[i]) not in wanted:
            orphan = take_trailing(node[i])
            # The comment block right before an item belongs to it: it goes too.
            if i > 0:
                take_trailing(node[i - 1])
                give_trailing(node[i - 1], orphan)
            else:
                take_leading(node)
                give_leading(node, orphan)
            del node[i]
        else:
            i += 1
    # Put the remaining items in order, inserting new ones.
    for pos, key in enumerate(wanted):
        if pos < len(node) and key_of(node[pos]) == key:
            item = node[pos]  # the usual case: already in place (no O(n) scan per item)
        else:
            current = [key_of(item) for item in node]
            if key in current:
                _move(node, current.index(key), pos)
            else:
                node.insert(pos, _fresh(new[pos]))
            item = node[pos]
        if isinstance(item, CommentedMap):
            _reconcile_map(item, new[pos])
    give_trailing(node, trailing)
    return "" if len(node) else trailing


def _move(node: CommentedSeq, src: int, dst: int) -> None:
    """Move item src to dst (< src) with the comment block that leads it."""
    lead = take_trailing(node[src - 1]) if src > 0 else ""
    tail = take_trailing(node[src])
    if src > 0:
        give_trailing(node[src - 1], tail)
    item = node.pop(src)
    node.insert(dst, item)
    if dst > 0:
        displaced_lead = take_trailing(node[dst - 1])
        give_trailing(node[dst - 1], lead)
        give_trailing(item, displaced_lead)
    else:
        # The block before the first item hangs on the list itself: swap it too.
        first_lead = take_leading(node)
        give_leading(node, lead)
        give_trailing(item, first_lead if first_lead.strip() else "\n")


def fresh(value: Any) -> Any:
    """A new ruamel node for plain data, written so that it reads back the same."""
    return _fresh(value)


def _equal_plain(old: Any, new: Any) -> bool:
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        return list(old) == list(new) and all(_equal_plain(old[k], new[k]) for k in new)
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        return len(old) == len(new) and all(
            _equal_plain(a, b) for a, b in zip(old, new, strict=False)
        )
    return _same(old, new)


def _fresh(value: Any) -> Any:
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _fresh(item)
        return node
    if isinstance(value, list):
        seq = CommentedSeq()
        for item in value:
            seq.append(_fresh(item))
        # Inline short scalar lists ([a, b]); block style for lists of mappings.
        if all(not isinstance(v, (dict, list)) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and _ISO_DAY.match(value):
        # A date written as a date (2025-10-02), not as a quoted string.
        return dt.date.fromisoformat(value)
    if isinstance(value, str) and _ISO_UTC.match(value):
        # Likewise a UTC time (2026-03-20T10:02:11Z): ruamel's own timestamp keeps the form.
        return _utc_time(value)
    if isinstance(value, str) and _read_back_as_other_type(value):
        # ruamel writes YAML 1.2, where `yes` is a string; series.yaml is read as YAML 1.1
        # (PyYAML), where a plain `yes`/`off` is a boolean: quote it so it reads back as text.
        return SingleQuotedScalarString(value)
    return value


@functools.cache
def _utc_template() -> Any:
    from ruamel.yaml import YAML

    return YAML().load("t: 2000-01-01T00:00:00Z\n")["t"]


def _utc_time(value: str) -> Any:
    """ruamel's timestamp for '2026-03-20T10:02:11Z', made like the one it reads (a parse per
    value cost 3-4 ms: a sync writes hundreds of these)."""
    template = _utc_template()
    made = type(template)(
        int(value[0:4]), int(value[5:7]), int(value[8:10]),
        int(value[11:13]), int(value[14:16]), int(value[17:19]), tzinfo=template.tzinfo,
    )  # fmt: skip
    made.__dict__.update(copy.deepcopy(template.__dict__))
    return made


def _read_back_as_other_type(text: str) -> bool:
    import yaml

    resolver = yaml.resolver.Resolver()
    tag = resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag != "tag:yaml.org,2002:str")


# -- trailing comments ---------------------------------------------------------------------


def _last_slot(node: Any) -> tuple[Any, Any] | None:
    """(container, key) of the deepest last entry, where ruamel keeps trailing comments."""
    if isinstance(node, CommentedMap) and len(node):
        key = list(node)[-1]
        value = node[key]
        nested = isinstance(value, (CommentedMap, CommentedSeq)) and len(value)
        if nested and not (isinstance(value, CommentedSeq) and value.fa.flow_style()):
            return _last_slot(value)
        return node, key
    if isinstance(node, CommentedSeq) and len(node):
        index = len(node) - 1
        value = node[index]
        if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
            return _last_slot(value)
        return node, index
    return None


def take_trailing(node: Any) -> str:
    """Detach the full-line comments and blank lines after `node`; keep its end-of-line one."""
    slot = _last_slot(node)
    if slot is None:
        return ""
    container, key = slot
    entry = container.ca.items.get(key)
    if not entry or len(entry) < 3 or entry[2] is None:
        return ""
    value: str = entry[2].value
    newline = value.find("\n")
    if newline < 0:
        return ""
    eol, rest = value[: newline + 1], value[newline + 1 :]
    if eol.strip():
        entry[2].value = eol
    else:
        entry[2] = None
    return rest


def give_trailing(node: Any, rest: str) -> None:
    slot = _last_slot(node)
    if slot is not None:
        _give_after_key(*slot, rest)


def take_leading(seq: CommentedSeq) -> str:
    """Detach the comment lines before a list's first item; keep the end-of-line comment of
    the key that holds the list ("patches: # ..."). ruamel shares these tokens with that key."""
    comment = seq.ca.comment
    if not comment:
        return ""
    text = ""
    if comment[0] is not None:
        value: str = comment[0].value
        newline = value.find("\n")
        if newline >= 0:
            text, comment[0].value = value[newline + 1 :], value[: newline + 1]
    if len(comment) > 1 and comment[1]:
        text += "".join(
            " " * tok.column + tok.value if tok.value.strip() else tok.value for tok in comment[1]
        )
        del comment[1][:]
    return text


def give_leading(seq: CommentedSeq, text: str) -> None:
    text = text.lstrip("\n")  # no blank line between the key and its first item
    if not text:
        return
    comment = seq.ca.comment
    if comment and comment[0] is not None:
        value = comment[0].value
        comment[0].value = (value if value.endswith("\n") else value + "\n") + text
        return
    token = CommentToken(text, CommentMark(0), None)
    if comment and len(comment) > 1 and comment[1] is not None:
        comment[1].append(token)
    else:
        seq.ca.comment = [None, [token]]


def _give_after_key(node: Any, key: Any, rest: str) -> None:
    """Hang a comment block after the entry `key` of a map or list (after `key: []` too): the
    slot where ruamel keeps the comments that follow a value."""
    if not rest:
        return
    entry = node.ca.items.setdefault(key, [None, None, None, None])
    while len(entry) < 4:
        entry.append(None)
    if entry[2] is not None:
        value = entry[2].value
        entry[2].value = (value if value.endswith("\n") else value + "\n") + rest
    else:
        entry[2] = CommentToken("\n" + rest, CommentMark(0), None)


def _forget_empty_leading(node: CommentedMap, key: Any) -> None:
    value = node[key]
    if not isinstance(value, CommentedSeq):
        return
    entry = node.ca.items.get(key)
    if not len(value):
        # No items left: what led them goes with them, and "key: []" keeps its own line
        # (a block list's comments would put the "[]" on a line of its own: invalid YAML).
        take_leading(value)
        value.ca.comment = None
        value.fa.set_flow_style()
        if entry and len(entry) > 2 and entry[2] is not None and not entry[2].value.strip():
            entry[2] = None
    # An emptied comment list still makes ruamel put the first item on the key's line.
    if entry and len(entry) > 3 and entry[3] == []:
        entry[3] = None
    comment = value.ca.comment
    if comment and len(comment) > 1 and comment[1] == []:
        comment[1] = None
