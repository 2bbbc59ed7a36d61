"""Reading `patchq check` results in tests: JSON findings, their ids, and a JUnit report whose
counts must add up."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from tests.builders import run


def check_json(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = run("check", "--format", "json", *args)
    assert "Traceback" not in result.stderr
    return result.exit_code, json.loads(result.stdout)


def ids(findings: list[dict[str, Any]], severity: str = "error") -> list[str]:
    return [f["id"] for f in findings if f["severity"] == severity]


def parse_junit(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "-1")) == len(cases)
    assert int(suite.get("failures", "-1")) == sum(
        1 for c in cases if c.find("failure") is not None
    )
    assert int(suite.get("skipped", "-1")) == sum(1 for c in cases if c.find("skipped") is not None)
    for case in cases:
        assert case.get("classname", "").startswith("patchq.PQ0")
        assert case.get("name")
        assert case.get("time") == "0"
        # a testcase never both fails and is skipped; failures carry the check id as type
        assert not (case.find("failure") is not None and case.find("skipped") is not None)
        failure = case.find("failure")
        if failure is not None:
            assert failure.get("type") == case.get("classname", "")[len("patchq.") :]
            assert failure.get("message")
    return suite
