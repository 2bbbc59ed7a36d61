"""The reports' fast JSON writer gives exactly json.dumps(indent=2, ensure_ascii=False): on any
JSON document, on values json writes its own way (NaN, big ints, tuples, non-string keys,
subclasses), and on a real report."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from patchq.report import jsontext

LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
DOCUMENTS = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=40,
)


def same(value: Any) -> None:
    assert jsontext.dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=150, deadline=None)
@given(DOCUMENTS)
def test_any_document_is_written_as_json_dumps_writes_it(document: Any) -> None:
    same(document)


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


def test_values_json_writes_its_own_way_fall_back_to_it() -> None:
    values: tuple[Any, ...] = (
        {"nan": math.nan, "inf": [math.inf, -math.inf], "big": 10**40, "neg": -0.0},
        {"tuple": (1, "a", [])},
        {1: "int key", None: "none key", 2.5: "float key", False: "bool key"},
        {"enum": Level.HIGH, "sub": Name("x"), Name("k"): 1},
        {"text": 'é \u2028 \x00 " \\ \n \ud800', "empty": [{}, [], ""]},
        [],
        "just a string",
        12,
    )
    for value in values:
        same(value)


def test_a_report_model_is_written_byte_for_byte() -> None:
    row = {"position": 1, "subject": "api: Log «reboots»", "age_days": None, "landed": False}
    model = {
        "schema_version": 1,
        "generated": "2026-01-01T00:00:00Z",
        "patches": [dict(row, position=i) for i in range(50)],
        "chart": [{"release": "1.0", "carried": 3}],
        "totals": {},
    }
    same(model)
