"""The HTML report in a real headless browser: rows, chart and filter controls are in the
rendered DOM, the inline script works, hostile subjects stay inert, and screenshots are kept in
tests/artifacts/ (gitignored) for a human to look at."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.builders import PATCHES, REPO_ROOT, run, write_series

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
HOSTILE = (
    "0005-hostile.patch",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
    "<script>document.title='pwned'</script>",
    "    status: rejected\n    reason: upstream said no\n    added: '2025-02-01'\n",
)


def find_browser() -> str | None:
    override = os.environ.get("PATCHQ_BROWSER")
    if override:
        return shutil.which(override) or (override if Path(override).is_file() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


BROWSER = find_browser()
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no headless browser found (install Debian's chromium, as .ci/run does, "
    "or set PATCHQ_BROWSER)",
)


def browse(page: Path, profile: Path, *extra: str, fragment: str = "") -> str:
    assert BROWSER is not None
    argv = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *extra,
        page.as_uri() + fragment,
    ]
    proc = subprocess.run(argv, capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc.stdout.decode()


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One browser profile for the module: making a fresh one costs chromium seconds per run,
    and the report keeps nothing in it (no storage, no cookies)."""
    return tmp_path_factory.mktemp("browser") / "profile"


@pytest.fixture
def page(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    write_series(workdir, patches=[*PATCHES, HOSTILE])
    result = run("report", "--output", "report.html")
    assert result.exit_code == 0, result.stderr
    return workdir / "report.html"


def rows_in(dom: str) -> list[str]:
    return re.findall(r"<tr data-status=\"([^\"]+)\"[^>]*>", dom)


def test_rendered_dom_has_rows_chart_and_working_filters(page: Path, profile: Path) -> None:
    dom = browse(page, profile, "--dump-dom")
    assert rows_in(dom) == ["submitted", "pending", "downstream-only", "backport", "rejected"]
    assert re.search(r"<svg id=\"carried-chart\"[^>]*>", dom)
    assert len(re.findall(r"<rect ", dom)) == 3
    # The inline script ran: the filter controls are shown and count the rows, and every
    # column header became a sort button.
    filters = re.search(r"<fieldset class=\"filters\" id=\"filters\"([^>]*)>", dom)
    assert filters and "hidden" not in filters.group(1)
    assert len(re.findall(r"<input type=\"checkbox\" name=\"status\"", dom)) == 5
    assert "5 of 5 shown" in dom
    assert len(re.findall(r"<th[^>]*><button type=\"button\">", dom)) == 8
    # The hostile subject is text, never markup that ran.
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "<title>pwned" not in dom and "<title>Carried patches: nova 3.0</title>" in dom
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom


def test_filter_and_sort_from_the_fragment(page: Path, profile: Path) -> None:
    dom = browse(page, profile, "--dump-dom", fragment="#status=pending,rejected&sort=-age")
    visible = re.findall(r"<tr data-status=\"([^\"]+)\">", dom)  # hidden rows carry `hidden`
    assert visible == ["rejected", "pending"]  # oldest first: added 2025-02-01, 2025-09-01
    assert len(re.findall(r"<tr data-status=\"[^\"]+\" hidden=\"\">", dom)) == 3
    assert "2 of 5 shown" in dom
    assert 'aria-sort="descending"' in dom


@pytest.mark.parametrize(("name", "size"), [("laptop", "1366,900"), ("phone", "390,844")])
def test_screenshot_is_kept(page: Path, profile: Path, name: str, size: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{name}.png"
    shot.unlink(missing_ok=True)
    browse(page, profile, f"--window-size={size}", f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    width = int.from_bytes(data[16:20], "big")
    assert width == int(size.split(",")[0])


def test_complete_without_javascript(page: Path, profile: Path, tmp_path: Path) -> None:
    # A copy whose Content-Security-Policy blocks every script: what a reader without JS sees.
    csp = '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'
    nojs = tmp_path / "nojs.html"
    nojs.write_text(page.read_text().replace("<head>", "<head>" + csp, 1))
    dom = browse(nojs, profile, "--dump-dom")
    assert len(rows_in(dom)) == 5 and not re.search(r"<tr [^>]*hidden", dom)
    filters = re.search(r"<fieldset class=\"filters\" id=\"filters\"([^>]*)>", dom)
    assert filters and "hidden" in filters.group(1)  # controls that would do nothing stay hidden
    assert "<th" in dom and "<button" not in dom  # plain headers, no sort buttons
    assert '<span id="shown" class="muted" aria-live="polite"></span>' in dom
    assert re.search(r"<svg id=\"carried-chart\"", dom) and "Landed upstream" in dom
