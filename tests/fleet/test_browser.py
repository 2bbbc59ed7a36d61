"""The aggregate HTML page in a real headless browser, like the single report's test: one
table per project, the inline SVG chart, sortable columns that work (also from the URL
fragment), hostile text inert, complete without JavaScript; screenshots in tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.builders import run
from tests.fleet.distro import EPOCH, make_distro
from tests.report.test_browser import ARTIFACTS, BROWSER, browse

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        BROWSER is None,
        reason="no headless browser found (install Debian's chromium, as .ci/run does, "
        "or set PATCHQ_BROWSER)",
    ),
]
HOSTILE = (
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
    "<script>document.title='pwned'</script>"
)


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    distro = make_distro(tmp_path)
    monkeypatch.chdir(distro)
    [patch] = (distro / "glance" / "patches").glob("*.patch")
    text = patch.read_text().replace("Quiet the image cache", HOSTILE, 1)
    patch.write_text(text)
    result = run(
        "report",
        "--against",
        "2.0",
        "-o",
        "distro.html",
        *["nova", "neutron", "glance", "keystone", "heat"],
    )
    assert result.exit_code == 1, result.stderr  # keystone and heat are error rows
    return distro / "distro.html"


def project_rows(dom: str) -> list[str]:
    body = dom.split('id="projects"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr data-project=\"([^\"]+)\"", body)


def test_tables_chart_and_sort_buttons_in_the_rendered_dom(page: Path, tmp_path: Path) -> None:
    dom = browse(page, tmp_path / "profile", "--dump-dom")
    assert project_rows(dom) == ["glance", "heat", "keystone", "neutron", "nova"]
    assert len(re.findall(r"<table class=\"sortable patches\"", dom)) == 3  # a table per project
    assert len(re.findall(r"<table class=\"sortable", dom)) == 6  # + projects, oldest, submitted
    assert re.search(r"<svg id=\"carried-chart\"[^>]*>", dom)
    assert len(re.findall(r"<rect ", dom)) == 4  # glance 1, neutron 1, nova 2 releases
    headers = len(re.findall(r"<th[ >]", dom))
    assert len(re.findall(r"<th[^>]*><button type=\"button\">", dom)) == headers > 30
    assert dom.count('class="error"') >= 2 and "error: " in dom
    # hostile text is text
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "<title>pwned" not in dom
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom


def test_sort_from_the_fragment_sorts_every_table_with_that_column(
    page: Path, tmp_path: Path
) -> None:
    dom = browse(page, tmp_path / "profile", "--dump-dom", fragment="#sort=-age")
    # oldest first; projects without an age (glance has no `added`, errors) keep their order last
    assert project_rows(dom) == ["neutron", "nova", "glance", "heat", "keystone"]
    nova = dom.split('<table class="sortable patches" data-project="nova">', 1)[1]
    nova = nova.split("</table>", 1)[0]
    positions = re.findall(r"<tr data-status=\"[^\"]+\">\s*<td class=\"num\">(\d+)</td>", nova)
    assert positions == ["2", "1", "3"]  # 633, 318 and 84 days: this table was sorted too
    assert 'aria-sort="descending"' in dom


@pytest.mark.parametrize(("name", "size"), [("laptop", "1366,900"), ("phone", "390,844")])
def test_screenshot_is_kept(page: Path, tmp_path: Path, name: str, size: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"aggregate-{name}.png"
    shot.unlink(missing_ok=True)
    browse(page, tmp_path / "profile", f"--window-size={size}", f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    assert int.from_bytes(data[16:20], "big") == int(size.split(",")[0])


def test_complete_without_javascript(page: Path, tmp_path: Path) -> None:
    csp = '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'
    nojs = tmp_path / "nojs.html"
    nojs.write_text(page.read_text().replace("<head>", "<head>" + csp, 1))
    dom = browse(nojs, tmp_path / "profile", "--dump-dom")
    assert project_rows(dom) == ["glance", "heat", "keystone", "neutron", "nova"]
    assert "<button" not in dom and "<th" in dom
    assert re.search(r"<svg id=\"carried-chart\"", dom) and "Submitted upstream" in dom
