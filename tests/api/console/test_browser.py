"""The console end to end in headless Chromium (network blocked): log in, create a tenant (the
credentials arrive as a download and never in a page), make one real signed call with the SDK
and see it in the usage chart, compare two photos in "try it"; every page's screenshot compared
by structure with a committed reference (tests/screens.py), with a negative control."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from facesaas.sdk import Client
from facesaas.sdk.client import EXTRACTION_PATH
from tests.api.console.conftest import OPERATOR, PASSWORD
from tests.browser import Browser, launch
from tests.conftest import RunningServer
from tests.screens import compare_with_reference, structural_similarity, structure

SCREENS = Path(__file__).parent / "screens"
SAME_PAGE = 0.80
"""Least SSIM of a page's screenshot with its own reference (measured: see docs/console.md)."""
VIEWPORT = (1280, 800)


class Checked:
    """Proves, page after page, that no response the browser could read holds a secret: call
    :meth:`start` before the secret exists, then :meth:`no_secret` on every page before leaving
    it (a page's response bodies are gone once the browser navigates away)."""

    def __init__(self, browser: Browser, origin: str) -> None:
        self.browser = browser
        self.origin = origin
        self.seen = 0
        self.read = 0
        self.downloads = 0

    def start(self) -> None:
        self.seen = len(self.browser.responses)

    def no_secret(self, secrets: list[str]) -> None:
        for response in self.browser.responses[self.seen :]:
            if not response.url.startswith(self.origin):
                continue
            if "attachment" in response.headers.get("content-disposition", ""):
                self.downloads += 1  # the credentials file: saved, never given to the page
                continue
            if response.status in (301, 302, 303, 307, 308, 204):
                continue
            body = self.browser.response_body(response.request_id).decode("utf-8", "replace")
            self.read += 1
            for secret in secrets:
                assert secret not in body, f"{response.url} holds a secret"
        self.seen = len(self.browser.responses)
        dom = self.browser.evaluate("document.documentElement.outerHTML + JSON.stringify(localStorage) + "
                                    "JSON.stringify(sessionStorage) + document.cookie")  # fmt: skip
        for secret in secrets:
            assert secret not in dom, "a secret is in the page"


def _wait_for_download(folder: Path, browser: Browser, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("facesaas-*.json") if p.is_file()]
        if done:
            return done[0]
        browser.evaluate("1")  # keep reading the page's events meanwhile
        time.sleep(0.1)
    raise AssertionError(f"no credentials file arrived in {folder}: {list(folder.iterdir())}")


def _shot(browser: Browser, name: str, shots: dict[str, bytes]) -> float:
    browser.evaluate("document.activeElement && document.activeElement.blur()")
    time.sleep(0.3)  # let the last paint settle
    shots[name] = browser.screenshot()
    if os.environ.get("FACESAAS_SCREENSHOT_DIR"):  # the full-size pictures, to look at
        Path(os.environ["FACESAAS_SCREENSHOT_DIR"], f"{name}.png").write_bytes(shots[name])
    return compare_with_reference(shots[name], SCREENS / f"{name}.png")


def test_console_end_to_end(server: RunningServer, operator: str, tmp_path: Path, astronaut_jpeg: bytes, celeba: Path) -> None:
    """On a staging server (tests/api/console/conftest.py), so the call is metered."""
    downloads = tmp_path / "downloads"
    scores: dict[str, float] = {}
    shots: dict[str, bytes] = {}
    with launch(tmp_path / "profile") as browser:
        browser.set_viewport(*VIEWPORT)
        browser.allow_downloads(downloads)
        checked = Checked(browser, server.url)

        # 1. Log in (a page asked for without a session leads to the login).
        browser.open(f"{server.url}/console/tenants")
        browser.wait_for("location.pathname === '/console/login' && document.body.dataset.ready === '1'")
        scores["login"] = _shot(browser, "login", shots)
        browser.type("#username", OPERATOR)
        browser.type("#password", "wrong password")
        browser.click("#login-button")
        assert "wrong operator username or password" in browser.wait_for(
            "!document.getElementById('flash').hidden && document.getElementById('flash').textContent")
        browser.type("#password", PASSWORD)
        browser.click("#login-button")
        browser.wait_for("location.pathname === '/console/tenants' && document.body.dataset.ready === '1'")
        assert browser.evaluate("document.getElementById('operator').textContent") == OPERATOR
        assert browser.evaluate("document.cookie") == ""  # the session cookie is HttpOnly

        # 2. Create a tenant: the credentials come as a file, the table shows the tenant.
        assert browser.evaluate("document.getElementById('tenant-cluster').value") == "staging"
        checked.start()
        browser.type("#tenant-name", "Acme Bank")
        browser.click("#create-button")
        saved = _wait_for_download(downloads, browser)
        creds = json.loads(saved.read_text())
        access_id, access_key = creds["access_id"], creds["access_key"]
        assert saved.name == f"facesaas-{access_id}.json" and creds["cluster"] == "staging"
        assert creds["public_key_pem"] == server.public_pem and creds["package_key"]
        browser.wait_for(f"!!document.querySelector('tr[data-access-id=\"{access_id}\"]')")
        secrets = [access_key, creds["package_key"]]
        checked.no_secret(secrets)
        scores["tenants"] = _shot(browser, "tenants", shots)
        # Negative control on the same page: without its stylesheet it must no longer match.
        browser.evaluate("document.styleSheets[0].disabled = true")
        time.sleep(0.3)
        unstyled = structural_similarity(structure(browser.screenshot()), structure(SCREENS / "tenants.png"))
        browser.evaluate("document.styleSheets[0].disabled = false")

        # 3. One real signed call with the downloaded credentials, then the usage chart shows it.
        with Client(server.url, access_id, access_key, creds["public_key_pem"]) as client:
            assert client.feature_extraction(astronaut_jpeg)["rtn"] == 0
        browser.open(f"{server.url}/console/usage?access_id={access_id}")
        browser.wait_for("document.body.dataset.ready === '1'")
        bars = browser.evaluate(
            "[...document.querySelectorAll('#chart-days rect.bar')].map(r => [r.dataset.series, Number(r.dataset.value)])"
        )
        assert bars == [[EXTRACTION_PATH, 1]]
        assert browser.evaluate("document.getElementById('total-calls').textContent") == "1"
        assert browser.evaluate("document.querySelector('#usage-table tbody code').textContent") == EXTRACTION_PATH
        checked.no_secret(secrets)
        scores["usage"] = _shot(browser, "usage", shots)

        # 4. The go-live review of the tenant renders.
        browser.open(f"{server.url}/console/review?access_id={access_id}")
        browser.wait_for("document.body.dataset.ready === '1' && document.body.dataset.reviewed === '1'")
        assert access_id in browser.evaluate("document.getElementById('review-text').textContent")
        assert browser.evaluate("document.querySelectorAll('#review-result section[data-field=endpoints] tbody tr').length") == 1
        checked.no_secret(secrets)
        scores["review"] = _shot(browser, "review", shots)

        # 5. Try it: two photos of one person, boxes and landmarks drawn, the ladder marked.
        browser.open(f"{server.url}/console/try")
        browser.wait_for("document.body.dataset.ready === '1'")
        browser.set_files("#photo-a", [celeba / "7437/084788.jpg"])
        browser.set_files("#photo-b", [celeba / "7437/097369.jpg"])
        browser.click("#try-button")
        browser.wait_for("document.body.dataset.compared === '1'")
        drawn = browser.evaluate("""(() => {
            const canvas = document.getElementById('canvas-a');
            const g = canvas.getContext('2d');
            return { faces: Number(canvas.dataset.faces), width: canvas.width,
                     green: (() => { let n = 0; const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
                       for (let i = 0; i < d.length; i += 4) if (d[i] === 0x22 && d[i + 1] === 0xc5 && d[i + 2] === 0x5e) n++;
                       return n; })() };
        })()""")
        assert drawn["faces"] >= 1 and drawn["width"] > 0
        assert drawn["green"] > 200, drawn  # the box's stroke (#22c55e) is on the canvas
        assert browser.evaluate("document.querySelectorAll('#ladder line.threshold').length") == 3
        similarity = browser.evaluate("Number(document.getElementById('similarity-bar').dataset.similarity)")
        assert similarity > 75.7
        assert "the same person at every threshold" in browser.evaluate("document.getElementById('verdict').textContent")
        checked.no_secret(secrets)
        scores["try"] = _shot(browser, "try", shots)

        errors = list(browser.errors)
        outside = [r.url for r in browser.requests if not r.url.startswith(server.url) and not r.url.startswith("data:")]
    assert checked.read >= 15 and checked.downloads == 1  # pages, scripts, API answers: all read and searched
    # No script error and no CSP violation; the one failed resource is the wrong password's 401.
    assert len(errors) == 1 and "401" in errors[0] and errors[0].endswith("/console/api/login)"), errors
    assert outside == [], outside

    # Screenshots compared by structure; the negative control is another page's reference.
    print({name: round(score, 3) for name, score in scores.items()})
    for name, score in scores.items():
        assert score >= SAME_PAGE, (name, score)
    control = structural_similarity(structure(shots["login"]), structure(SCREENS / "tenants.png"))
    control_try = structural_similarity(structure(shots["try"]), structure(SCREENS / "usage.png"))
    print({"login vs tenants": round(control, 3), "try vs usage": round(control_try, 3), "tenants unstyled": round(unstyled, 3)})
    assert control < SAME_PAGE and control_try < SAME_PAGE and unstyled < SAME_PAGE, (control, control_try, unstyled)
