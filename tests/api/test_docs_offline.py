"""/docs works on a machine without internet: headless Chromium with the network blocked renders
every endpoint, and no request the page makes leaves 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import httpx

from facesaas.api.docs import DOCS_ASSETS
from tests.browser import launch
from tests.conftest import RunningServer


def test_docs_assets_are_served_locally(server: RunningServer) -> None:
    html = httpx.get(f"{server.url}/docs").text
    assert "cdn." not in html and "https://" not in html and "http://" not in html
    for name, media_type in DOCS_ASSETS.items():
        assert f"/docs/assets/{name}" in html
        response = httpx.get(f"{server.url}/docs/assets/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media_type)
        assert len(response.content) > 500
    for name in ("../../../etc/passwd", "index.html", "swagger-ui.js"):
        assert httpx.get(f"{server.url}/docs/assets/{name}").status_code == 404


def test_docs_page_lists_every_endpoint_offline(server: RunningServer, tmp_path: Path) -> None:
    paths = sorted(httpx.get(f"{server.url}/openapi.json").json()["paths"])
    assert "/face/basic/register_in_repo" in paths and len(paths) >= 9
    with launch(tmp_path / "profile") as browser:
        browser.open(f"{server.url}/docs")
        rendered = browser.wait_for(
            "(() => { const p = [...document.querySelectorAll('.opblock-summary-path')].map(e => e.dataset.path);"
            f" return p.length >= {len(paths)} ? p : null; }})()"
        )
        title = browser.evaluate("document.querySelector('.info .title')?.textContent || ''")
        errors = browser.evaluate("document.querySelectorAll('.errors-wrapper, .loading-container .errors').length")
        requests = list(browser.requests)
        failed = list(browser.failed)
    assert sorted(rendered) == paths
    assert title.startswith("FaceSaaS") and errors == 0
    assert requests, "the recorder saw no request at all"
    outside = [request.url for request in requests if request.host != "127.0.0.1" and not request.url.startswith("data:")]
    assert outside == [], f"the page asked for hosts other than 127.0.0.1: {outside}"
    assert failed == []
    asked = {request.url.removeprefix(server.url) for request in requests}
    assert {"/docs", "/openapi.json", "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"} <= asked
