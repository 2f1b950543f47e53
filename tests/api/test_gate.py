"""Admission control: beyond workers + max_pending waiting requests the answer is 503."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio

from facesaas.api.context import EngineGate
from facesaas.api.server import BackgroundServer
from facesaas.errors import Overloaded
from facesaas.sdk import ApiError, Client
from facesaas.settings import Settings


def test_gate_refuses_when_full() -> None:
    release = threading.Event()

    async def scenario() -> list[str]:
        gate = EngineGate(workers=1, max_pending=1)
        outcomes: list[str] = []

        async def call() -> None:
            try:
                await gate.run(release.wait)
                outcomes.append("ran")
            except Overloaded:
                outcomes.append("refused")

        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(call)
            await anyio.sleep(0.2)
            release.set()
        return outcomes

    outcomes = anyio.run(scenario)
    assert sorted(outcomes) == ["ran", "ran", "refused", "refused"]


def test_server_answers_503_under_overload(settings: Settings, tenants, celeba: Path) -> None:
    """One engine worker, no queue: of 6 simultaneous requests some must get -5003."""
    tight = settings.model_copy(update={"engine_workers": 1, "max_pending": 0})
    creds = tenants.create("load")
    image = (celeba / "7437/084788.jpg").read_bytes()
    with BackgroundServer(tight) as url:
        with Client(url, creds.tenant.access_id, creds.access_key, (settings.keys_dir / "server_public.pem").read_text()) as client:

            def call(_: int) -> int:
                try:
                    client.feature_extraction(image, image_type=3, auto_rotate=True, flip_image=True)
                    return 0
                except ApiError as exc:
                    assert exc.http_status == 503
                    return exc.rtn

            with ThreadPoolExecutor(6) as pool:
                codes = list(pool.map(call, range(6)))
    assert 0 in codes and -5003 in codes
