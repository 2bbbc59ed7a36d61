"""Checking a JSON document against patchq's own JSON Schema (schema.json) before it is
trusted: the subset of JSON Schema that file uses (type, const, enum, required, properties,
additionalProperties, items, minimum, oneOf, local $ref).

A dozen lines instead of the jsonschema package, which takes longer to import (0.3 s) than the
whole `--merge` of 40 reports may take; tests check both agree on the same schema.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

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
    return _check(document, schema()["$defs"][definition], "$")


def _check(value: Any, rule: Any, where: str) -> str | None:
    if rule is True:
        return None
    if rule is False:
        return f"{where}: not expected here"
    if "$ref" in rule:
        return _check(value, schema()["$defs"][rule["$ref"].rsplit("/", 1)[1]], where)
    if "oneOf" in rule:
        found = [_check(value, option, where) for option in rule["oneOf"]]
        return None if None in found else found[-1]
    return _check_value(value, rule, where) or _check_children(value, rule, where)


def _check_value(value: Any, rule: dict[str, Any], where: str) -> str | None:
    if "type" in rule:
        names = rule["type"] if isinstance(rule["type"], list) else [rule["type"]]
        if not any(_is(value, name) for name in names):
            return f"{where}: expected {' or '.join(names)}, found {_kind(value)}"
    if "const" in rule and (value != rule["const"] or type(value) is not type(rule["const"])):
        return f"{where}: expected {json.dumps(rule['const'])}, found {_show(value)}"
    if "enum" in rule and value not in rule["enum"]:
        return f"{where}: {_show(value)} is not one of {json.dumps(rule['enum'])}"
    if "minimum" in rule and _is(value, "number") and value < rule["minimum"]:
        return f"{where}: {value} is below {rule['minimum']}"
    return None


def _check_children(value: Any, rule: dict[str, Any], where: str) -> str | None:
    if isinstance(value, dict):
        for key in rule.get("required", ()):
            if key not in value:
                return f"{where}: missing key {key!r}"
        properties = rule.get("properties", {})
        for key, item in value.items():
            child = properties.get(key, rule.get("additionalProperties", True))
            found = _check(item, child, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list) and "items" in rule:
        for i, item in enumerate(value):
            found = _check(item, rule["items"], f"{where}[{i}]")
            if found:
                return found
    return None


def _is(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[name])


def _kind(value: Any) -> str:
    return next((n for n in _TYPES if _is(value, n)), type(value).__name__)


def _show(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
