"""The one place patchq talks HTTP: GETs of JSON, at most 4 at a time, bounded and retried.

httpx (docs/design.md says why): one shared Client is thread-safe, keeps connections alive,
and its Limits cap the connections at the same 4 as the worker pool.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from patchq import __version__
from patchq.errors import ServerError

MAX_IN_FLIGHT = 4
TIMEOUT = 10.0  # seconds, per request (connect, each read, each write)
BACKOFF = 1.0  # seconds before the one retry after a 5xx or a reset
MAX_RETRY_AFTER = 60.0  # a 429 asking for a longer wait is an error, not a hang
MAX_429 = 3
MAX_BODY = 16 * 1024 * 1024
XSSI_GUARD = ")]}'"

T = TypeVar("T")
Q = TypeVar("Q")


@dataclass
class Options:
    # Read when an Options is made, so tests can shorten them (monkeypatch the constants).
    timeout: float = field(default_factory=lambda: TIMEOUT)
    backoff: float = field(default_factory=lambda: BACKOFF)
    log: Callable[[str], None] = lambda _line: None  # -v: each request URL


class StatusError(ServerError):
    """The server answered an HTTP error status (after any retry)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def server_of(url: str) -> str:
    """What a one-line error calls the server: scheme://host[:port]."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


class Http:
    """GET JSON documents; every failure becomes one ServerError line naming the server."""

    def __init__(self, options: Options | None = None, *, tls: bool = True) -> None:
        self.options = options or Options()
        self.client = httpx.Client(
            timeout=httpx.Timeout(self.options.timeout),
            limits=httpx.Limits(max_connections=MAX_IN_FLIGHT),
            headers={"Accept": "application/json", "User-Agent": f"patchq/{__version__}"},
            # No redirects: an https server never hands patchq to an unverified or other host;
            # a moved server is an error naming the new URL. Without tls (every server plain
            # http) the CA bundle, a third of a second to load, is not needed at all.
            follow_redirects=False,
            verify=tls,
        )

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """The decoded JSON body (Gerrit's `)]}'` guard line dropped when present)."""
        text = self._get_text(url, params)
        if text.startswith(XSSI_GUARD):
            text = text.split("\n", 1)[1] if "\n" in text else ""
        try:
            return json.loads(text)
        except ValueError:
            start = " ".join(text[:40].split())
            raise ServerError(
                f"{server_of(url)}: the answer to {_path(url)} is not JSON (it starts "
                f"{start!r}): check the server URL in series.yaml; nothing written"
            ) from None

    def _get_text(self, url: str, params: dict[str, Any] | None) -> str:
        retried = False
        throttled = 0
        while True:
            request = self.client.build_request("GET", url, params=params)
            self.options.log(f"GET {request.url}")
            try:
                status, text, retry_after, location = self._send(request)
            except httpx.TimeoutException:
                raise ServerError(
                    f"{server_of(url)}: no answer within {self.options.timeout:g} s "
                    f"({_path(str(request.url))}): try again later or use --offline; "
                    "nothing written"
                ) from None
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                if not retried:
                    retried = True
                    time.sleep(self.options.backoff)
                    continue
                raise ServerError(
                    f"{server_of(url)}: the connection was reset twice ({_reason(exc)}): "
                    "try again later or use --offline; nothing written"
                ) from None
            except httpx.HTTPError as exc:
                raise ServerError(
                    f"{server_of(url)}: cannot connect ({_reason(exc)}): check the server URL "
                    "and the network, or use --offline; nothing written"
                ) from None
            if status == 429 and throttled < MAX_429:
                throttled += 1
                wait_s = _retry_after_seconds(retry_after)
                if wait_s > MAX_RETRY_AFTER:
                    raise ServerError(
                        f"{server_of(url)}: too many requests; it asks to wait {wait_s:.0f} s: "
                        "try again later or use --offline; nothing written"
                    )
                time.sleep(wait_s)
                continue
            if status >= 500 and not retried:
                retried = True
                time.sleep(self.options.backoff)
                continue
            if 300 <= status < 400:
                raise StatusError(
                    f"{server_of(url)}: {_path(str(request.url))} redirects to "
                    f"{location or '(nowhere)'}: put that server in series.yaml; nothing written",
                    status=status,
                )
            if status >= 400:
                raise StatusError(
                    f"{server_of(url)}: {_path(str(request.url))} answered HTTP {status}: "
                    "check the server URL and project in series.yaml, or try again later; "
                    "nothing written",
                    status=status,
                )
            return text

    def _send(self, request: httpx.Request) -> tuple[int, str, str | None, str | None]:
        response = self.client.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    raise ServerError(
                        f"{server_of(str(request.url))}: the answer to {_path(str(request.url))}"
                        f" is larger than {MAX_BODY // 2**20} MiB: refused; nothing written"
                    )
        finally:
            response.close()
        text = bytes(body).decode(response.encoding or "utf-8", errors="replace")
        headers = response.headers
        return response.status_code, text, headers.get("Retry-After"), headers.get("Location")


def _retry_after_seconds(value: str | None) -> float:
    if not value:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, when.timestamp() - time.time())


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def run_all(
    work: Callable[[Q], T], items: Iterable[Q], *, on_done: Callable[[], None]
) -> Iterator[tuple[Q, T]]:
    """Run `work` on each item, MAX_IN_FLIGHT at a time; the first failure stops the rest."""
    items = list(items)
    if not items:
        return iter(())
    results: list[tuple[Q, T]] = []
    with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
        futures: dict[Future[T], Q] = {pool.submit(work, item): item for item in items}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                error = future.exception()
                if error is not None:
                    for other in pending:
                        other.cancel()
                    raise error
                on_done()
                results.append((futures[future], future.result()))
    return iter(results)
