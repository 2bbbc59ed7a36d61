"""Checking a JSON document against patchq's own JSON Schema (schema.json) before it is
trusted: the subset of JSON Schema that file uses (type, const, enum, required, properties,
additionalProperties, items, minimum, pattern, oneOf, local $ref).

A small compiler of that subset instead of the jsonschema package, which takes longer to
import (0.3 s) than the whole `--merge` of 40 reports may take; each rule becomes a closure
once, so checking 40 reports of 50 patches is a few tens of milliseconds. Tests check that
jsonschema and this module agree on the same schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

# Where a value sits: "$", or (parent, key) / (parent, index), spelled out as "$.a[0].b" only
# for a message: building that string for every value was a third of the checking time.
Where = Any
Check = Callable[[Any, Where], "str | None"]  # (value, where) -> what is wrong, or None

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


@cache
def schema() -> dict[str, Any]:
    text = resources.files("patchq.fleet").joinpath("schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def problem(document: Any, definition: str) -> str | None:
    """Where `document` breaks `$defs/<definition>` and how, or None when it is valid."""
    return _compiled(definition)(document, "$")


@cache
def _compiled(definition: str) -> Check:
    return _compile(schema()["$defs"][definition])


def _at(where: Where) -> str:
    """The JSON path `where` stands for: `$.patches[3].subject`."""
    steps = []
    while type(where) is tuple:
        where, step = where
        steps.append(f"[{step}]" if type(step) is int else f".{step}")
    return str(where) + "".join(reversed(steps))


def _compile(rule: Any) -> Check:
    if rule is True:
        return lambda value, where: None
    if rule is False:
        return lambda value, where: f"{_at(where)}: not expected here"
    if "$ref" in rule:
        return _reference(rule["$ref"].rsplit("/", 1)[1])
    if "oneOf" in rule:
        options = [_compile(option) for option in rule["oneOf"]]

        def one_of(value: Any, where: str) -> str | None:
            found = None
            for option in options:
                found = option(value, where)
                if found is None:
                    return None
            return found

        return one_of
    checks = _value_checks(rule) + _children_checks(rule)
    if len(checks) == 1:
        return checks[0]

    def all_of(value: Any, where: str) -> str | None:
        for check in checks:
            found = check(value, where)
            if found:
                return found
        return None

    return all_of


def _reference(name: str) -> Check:
    """`$ref`: compiled on first use (definitions may refer to themselves), then called
    directly."""
    target: list[Check] = []

    def ref(value: Any, where: Where) -> str | None:
        if not target:
            target.append(_compiled(name))
        return target[0](value, where)

    return ref


def _value_checks(rule: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "type" in rule:
        names = rule["type"] if isinstance(rule["type"], list) else [rule["type"]]
        allowed = tuple(t for n in names for t in _TYPES[n])
        no_bool = "boolean" not in names

        def typed(value: Any, where: str) -> str | None:
            if isinstance(value, allowed) and not (no_bool and isinstance(value, bool)):
                return None
            return f"{_at(where)}: expected {' or '.join(names)}, found {_kind(value)}"

        checks.append(typed)
    if "const" in rule:
        const = rule["const"]

        def constant(value: Any, where: str) -> str | None:
            if value == const and type(value) is type(const):
                return None
            return f"{_at(where)}: expected {json.dumps(const)}, found {_show(value)}"

        checks.append(constant)
    if "enum" in rule:
        options = rule["enum"]
        checks.append(
            lambda value, where: (
                None
                if value in options and not isinstance(value, bool)
                else f"{_at(where)}: {_show(value)} is not one of {json.dumps(options)}"
            )
        )
    if "pattern" in rule:
        pattern = re.compile(rule["pattern"])
        checks.append(
            lambda value, where: (
                f"{_at(where)}: {_show(value)} does not match {rule['pattern']}"
                if isinstance(value, str) and not pattern.search(value)
                else None
            )
        )
    if "minimum" in rule:
        low = rule["minimum"]
        checks.append(
            lambda value, where: (
                f"{_at(where)}: {value} is below {low}"
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value < low
                else None
            )
        )
    return checks


def _children_checks(rule: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    required = tuple(rule.get("required", ()))
    properties = {key: _compile(sub) for key, sub in rule.get("properties", {}).items()}
    extra = _compile(rule.get("additionalProperties", True))
    if required or properties or "additionalProperties" in rule:

        def mapping(value: Any, where: str) -> str | None:
            if not isinstance(value, dict):
                return None
            for key in required:
                if key not in value:
                    return f"{_at(where)}: missing key {key!r}"
            for key, item in value.items():
                found = properties.get(key, extra)(item, (where, key))
                if found:
                    return found
            return None

        checks.append(mapping)
    if "items" in rule:
        each = _compile(rule["items"])

        def sequence(value: Any, where: str) -> str | None:
            if not isinstance(value, list):
                return None
            for i, item in enumerate(value):
                found = each(item, (where, i))
                if found:
                    return found
            return None

        checks.append(sequence)
    return checks


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return next((n for n, t in _TYPES.items() if isinstance(value, t)), type(value).__name__)


def _show(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
