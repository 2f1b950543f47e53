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


def test_a_request_that_waited_max_wait_is_refused_and_never_runs() -> None:
    """The wait is bounded in time too (FACESAAS_MAX_QUEUE_SECONDS): behind a slow call, a request
    gets Overloaded after max_wait, without running, while the slow call finishes and a later one
    runs (the slot given back on the refusal is not lost)."""
    release = threading.Event()
    ran: list[str] = []

    def work(name: str) -> None:
        if name == "slow":
            release.wait(10)
        ran.append(name)

    async def scenario() -> list[str]:
        gate = EngineGate(workers=1, max_pending=5, max_wait=0.3)
        outcomes: list[str] = []

        async def call(name: str) -> None:
            try:
                await gate.run(work, name)
                outcomes.append(f"{name} ran")
            except Overloaded as exc:
                outcomes.append(f"{name} refused: {exc.detail}")

        async with anyio.create_task_group() as group:
            group.start_soon(call, "slow")
            await anyio.sleep(0.05)
            group.start_soon(call, "waiting")
            await anyio.sleep(0.6)  # past max_wait: "waiting" has been refused by now
            release.set()
        await call("later")
        return outcomes

    outcomes = anyio.run(scenario)
    assert outcomes == ["waiting refused: waited 0.3 s for the engine", "slow ran", "later ran"]
    assert ran == ["slow", "later"]


def test_without_max_wait_a_request_waits_as_long_as_it_takes() -> None:
    release = threading.Event()

    async def scenario() -> list[str]:
        gate = EngineGate(workers=1, max_pending=5)
        outcomes: list[str] = []

        async def call(name: str) -> None:
            await gate.run(release.wait, 10)
            outcomes.append(name)

        async with anyio.create_task_group() as group:
            group.start_soon(call, "first")
            await anyio.sleep(0.05)
            group.start_soon(call, "second")
            await anyio.sleep(0.6)
            release.set()
        return outcomes

    assert sorted(anyio.run(scenario)) == ["first", "second"]
