"""A local Gerrit and Launchpad for the sync tests: stdlib http.server in a thread, bound to
127.0.0.1, answering in each server's exact format (Gerrit's `)]}'` guard line and
`_more_changes` paging; Launchpad's entries collections). `faults` scripts the next answers."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CID_MASTER = "I" + "a" * 40
CID_NEW = "I" + "b" * 40
CID_ABANDONED = "I" + "c" * 40
CID_STABLE_ONLY = "I" + "d" * 40
MERGED_SHA = "1234567890abcdef1234567890abcdef12345678"
STABLE_SHA = "fedcba0987654321fedcba0987654321fedcba09"


def change(
    number: int,
    change_id: str,
    status: str,
    *,
    branch: str = "master",
    project: str = "openstack/nova",
    **extra: Any,
) -> dict[str, Any]:
    """A ChangeInfo as review.opendev.org sends it (o=CURRENT_REVISION)."""
    revision = extra.pop("revision", f"{number:040x}")
    info: dict[str, Any] = {
        "id": f"{project.replace('/', '%2F')}~{number}",
        "triplet_id": f"{project.replace('/', '%2F')}~{branch}~{change_id}",
        "project": project,
        "branch": branch,
        "change_id": change_id,
        "subject": f"change {number}",
        "status": status,
        "created": "2026-01-10 09:00:00.000000000",
        "updated": f"2026-03-{number % 28 + 1:02d} 10:00:00.000000000",
        "_number": number,
        "owner": {"_account_id": 1000},
        "current_revision": revision,
        "revisions": {revision: {"_number": 3, "ref": f"refs/changes/{number % 100:02d}/"}},
    }
    if status == "MERGED":
        info["submitted"] = extra.pop("submitted", "2026-03-20 10:02:11.000000000")
        info["submitter"] = {"_account_id": 2000}
    info.update(extra)
    return info


def default_changes() -> list[dict[str, Any]]:
    return [
        change(951234, CID_MASTER, "MERGED", revision=MERGED_SHA),
        change(
            951300,
            CID_MASTER,
            "MERGED",
            branch="stable/2025.1",
            revision=STABLE_SHA,
            submitted="2026-04-02 08:30:00.000000000",
        ),
        change(951240, CID_NEW, "NEW"),
        change(951250, CID_ABANDONED, "ABANDONED"),
        change(951260, CID_STABLE_ONLY, "NEW", branch="stable/2025.1"),
        # The same Change-Id in another project must not be taken for ours.
        change(951270, CID_NEW, "MERGED", project="openstack/nova-specs"),
    ]


def task(target: str, status: str, importance: str, released: str | None = None) -> dict[str, Any]:
    return {
        "self_link": f"https://api.launchpad.net/1.0/{target}/+bug/2101234",
        "web_link": f"https://bugs.launchpad.net/{target}/+bug/2101234",
        "bug_target_name": target,
        "status": status,
        "importance": importance,
        "is_complete": status == "Fix Released",
        "date_fix_committed": None,
        "date_fix_released": released,
        "resource_type_link": "https://api.launchpad.net/1.0/#bug_task",
    }


@dataclass
class Upstream:
    """The served state, and the log of what was asked."""

    changes: list[dict[str, Any]] = field(default_factory=default_changes)
    bugs: dict[int, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            2101234: [
                task("nova (Ubuntu)", "Confirmed", "Undecided"),
                task("nova", "Fix Released", "High", "2026-03-25T08:00:00.123456+00:00"),
            ]
        }
    )
    page_size: int = 2
    faults: list[str] = field(default_factory=list)  # "500", "slow", "html", "noxssi", ...
    requests: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    slow_seconds: float = 3.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _query(upstream: Upstream, query: str) -> list[dict[str, Any]]:
    terms = dict(term.split(":", 1) for term in query.split())
    found = []
    for info in upstream.changes:
        wanted = terms.get("change", "")
        if wanted not in (info["change_id"], str(info["_number"])):
            continue
        if "project" in terms and info["project"] != terms["project"]:
            continue
        found.append(dict(info))
    return sorted(found, key=lambda c: c["updated"], reverse=True)  # newest first, as Gerrit


def make_handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            with upstream.lock:
                upstream.requests.append(self.path)
                fault = upstream.faults.pop(0) if upstream.faults else ""
                upstream.in_flight += 1
                upstream.max_in_flight = max(upstream.max_in_flight, upstream.in_flight)
            try:
                self._answer(fault)
            finally:
                with upstream.lock:
                    upstream.in_flight -= 1

        def _answer(self, fault: str) -> None:
            if fault == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                self.close_connection = True
                return
            if fault == "slow":
                time.sleep(upstream.slow_seconds)
            if fault == "hold":
                time.sleep(0.15)
            if fault in ("500", "502", "503"):
                return self._send(int(fault), b"Internal error\n", "text/plain")
            if fault.startswith("429"):
                headers = {"Retry-After": fault.split(":", 1)[1]} if ":" in fault else {}
                return self._send(429, b"Too many requests\n", "text/plain", headers)
            if fault == "301":
                moved = {"Location": "https://review.example.org/changes/"}
                return self._send(301, b"Moved\n", "text/plain", moved)
            if fault == "404":
                return self._send(404, b"Not found\n", "text/plain")
            if fault == "html":
                return self._send(200, b"<html><body>Sign in</body></html>", "text/html")
            url = urlsplit(self.path)
            params = parse_qs(url.query)
            if url.path == "/changes/":
                found = _query(upstream, params.get("q", [""])[0])
                start = int(params.get("S", ["0"])[0])
                limit = min(int(params.get("n", ["500"])[0]), upstream.page_size)
                page = found[start : start + limit]
                if start + limit < len(found) and page:
                    page[-1]["_more_changes"] = True
                body = json.dumps(page).encode()
                guard = b"" if fault == "noxssi" else b")]}'\n"
                return self._send(200, guard + body, "application/json")
            parts = url.path.strip("/").split("/")
            if parts[:2] == ["lp", "1.0"] and parts[2:3] == ["bugs"] and parts[4:] == ["bug_tasks"]:
                tasks = upstream.bugs.get(int(parts[3]))
                if tasks is None:
                    return self._send(404, b"Object: <lp.bugs...>, name: '...'", "text/plain")
                collection = {"total_size": len(tasks), "start": 0, "entries": tasks}
                return self._send(200, json.dumps(collection).encode(), "application/json")
            return self._send(404, b"Not found\n", "text/plain")

        def _send(
            self, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(code)
            self.send_header("Content-Type", f"{ctype}; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            # The client may have given up (a timeout test): nothing to tell it then.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler


@contextmanager
def serve(upstream: Upstream | None = None) -> Iterator[tuple[str, Upstream]]:
    """(http://127.0.0.1:PORT, state) while the server runs in a thread."""
    state = upstream or Upstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
