"""The demo's stand-in for review.opendev.org and api.launchpad.net: a local HTTP server on
127.0.0.1 that answers `patchq sync` in each server's format, about the example series.

Gerrit: GET /changes/?q=change:<id> project:<p>&S=&n= answers a JSON list after the `)]}'`
guard line, paged with `_more_changes`. Launchpad: GET /launchpad/1.0/bugs/N/bug_tasks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PROJECT = "openstack/nova"
LAUNCHPAD_PATH = "/launchpad/1.0"


def _change(
    number: int, change_id: str, status: str, branch: str, sha: str, submitted: str | None
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "id": f"openstack%2Fnova~{number}",
        "project": PROJECT,
        "branch": branch,
        "change_id": change_id,
        "status": status,
        "_number": number,
        "current_revision": sha,
        "updated": submitted or "2026-05-02 09:00:00.000000000",
    }
    if submitted:
        info["submitted"] = submitted
    return info


# What upstream did with the example series' patches since they were sent.
CHANGES = [
    # 0002: merged on master, and backported to stable/2025.1 (still under review there).
    _change(
        948211,
        "Ie1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0",
        "MERGED",
        "master",
        "5e1d0c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d",
        "2026-04-14 16:20:05.000000000",
    ),
    _change(
        949020,
        "Ie1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0",
        "NEW",
        "stable/2025.1",
        "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
        None,
    ),
    # 0007: upstream said no.
    _change(
        941877,
        "I4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e",
        "ABANDONED",
        "master",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
        None,
    ),
    # 0008: under review.
    _change(
        955102,
        "I8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f",
        "NEW",
        "master",
        "7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b",
        None,
    ),
]

BUG_TASKS = {
    2102468: [
        {
            "bug_target_name": "nova",
            "status": "Fix Released",
            "importance": "High",
            "date_fix_released": "2026-04-20T11:00:00.000000+00:00",
        },
        {
            "bug_target_name": "nova (Ubuntu)",
            "status": "Triaged",
            "importance": "Medium",
            "date_fix_released": None,
        },
    ],
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = parse_qs(url.query)
        if url.path == "/changes/":
            terms = dict(t.split(":", 1) for t in params.get("q", [""])[0].split() if ":" in t)
            found = [
                c
                for c in CHANGES
                if terms.get("change") in (c["change_id"], str(c["_number"]))
                and terms.get("project", PROJECT) == c["project"]
            ]
            start = int(params.get("S", ["0"])[0])
            size = int(params.get("n", ["500"])[0])
            page = [dict(c) for c in found[start : start + size]]
            if page and start + size < len(found):
                page[-1]["_more_changes"] = True
            self._send(200, b")]}'\n" + json.dumps(page).encode())
            return
        parts = url.path.removeprefix(LAUNCHPAD_PATH).strip("/").split("/")
        if len(parts) == 3 and parts[0] == "bugs" and parts[2] == "bug_tasks":
            tasks = BUG_TASKS.get(int(parts[1])) if parts[1].isdigit() else None
            if tasks is not None:
                body = {"total_size": len(tasks), "start": 0, "entries": tasks}
                self._send(200, json.dumps(body).encode())
                return
        self._send(404, b"Not found\n")

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve() -> Iterator[str]:
    """http://127.0.0.1:PORT while the server answers from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
