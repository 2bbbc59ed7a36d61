"""Build real patch series for `patchq check` tests: commits in a scratch clone, then
`git format-patch`, and a series.yaml written entry by entry."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml
from conftest import UpstreamRepo, git, run


class SeriesBuilder:
    """Patches made by committing in a clone of upstream 1.0 and formatting each commit."""

    def __init__(self, root: Path, upstream: UpstreamRepo, scratch: Path) -> None:
        self.root = root
        self.upstream = upstream
        self.scratch = scratch
        git(upstream.path, "clone", "-q", str(upstream.path), str(scratch))
        git(scratch, "checkout", "-q", "--detach", "1.0")
        header = (root / "series.yaml").read_text().split("patches:")[0]
        self.header = header
        self.entries: list[dict[str, Any]] = []
        self.extra = ""
        self._tick = 1700001000

    def commit(self, files: dict[str, str], subject: str, body: str = "") -> bytes:
        for name, content in files.items():
            target = self.scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        git(self.scratch, "add", "-A")
        self._tick += 60
        date = f"{self._tick} +0000"
        message = subject + ("\n\n" + body if body else "")
        proc = subprocess.run(
            ["git", "-C", str(self.scratch), "commit", "-q", "-m", message],
            capture_output=True,
            env={**_env(), "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date},
        )
        assert proc.returncode == 0, proc.stderr.decode()
        out = git(self.scratch, "format-patch", "-1", "--stdout", "--zero-commit", "HEAD")
        return out.encode()

    def add(
        self,
        file: str,
        files: dict[str, str],
        subject: str,
        *,
        body: str = "",
        **meta: Any,
    ) -> bytes:
        data = self.commit(files, subject, body)
        (self.root / "patches" / file).write_bytes(data)
        self.entries.append({"file": file, "status": "pending", **meta})
        self.write()
        return data

    def add_raw(self, file: str, data: bytes, **meta: Any) -> None:
        (self.root / "patches" / file).write_bytes(data)
        self.entries.append({"file": file, "status": "pending", **meta})
        self.write()

    def write(self) -> None:
        body = yaml.safe_dump({"patches": self.entries}, sort_keys=False, default_flow_style=False)
        (self.root / "series.yaml").write_text(self.header + body + "history: []\n" + self.extra)

    def line_of(self, needle: str) -> int:
        for number, line in enumerate((self.root / "series.yaml").read_text().splitlines(), 1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} not in series.yaml")


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def api_with(line: str, replacement: str) -> str:
    from conftest import NOVA_API

    assert line in NOVA_API
    return NOVA_API.replace(line, replacement)


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
