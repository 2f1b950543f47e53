"""Every signed endpoint fuzzed over real HTTP with correctly signed bodies (tests/fuzz_http.py):
schemathesis's positive and negative bodies from /openapi.json, one field of a valid body
broken (real images, features and packages broken), bodies that are no plain JSON object,
and the authentication layer. Each answer must be documented: no 5xx but a documented 503,
rtn/message/global_request_id present, rtn 0 or in docs/errors.md with its HTTP status.

Seeded and short here (the "ci" hypothesis profile derandomizes: the same bodies every run;
~25 s of requests, ~40 s with the server start-ups, on 2 shared cores); `make fuzz` runs the
long random version (bench/fuzz.py). The HTTP fuzz runs on both passes of `make test`: the answers depend on the database (repositories,
sessions, replay records), so PostgreSQL is fuzzed too."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facesaas.sdk.client import EXTRACTION_PATH, REGISTER_PATH, VERIFICATION_PATH
from facesaas.tenants.service import NewCredentials
from tests.conftest import RunningServer
from tests.fuzz_http import (
    ALL_PATHS,
    OCR_PATHS,
    Signer,
    Tally,
    auth_cases,
    dumps,
    field_bodies,
    make_seeds,
    other_routes,
    raw_cases,
    schema_cases,
)

FAST_PATHS = [path for path in ALL_PATHS if path not in OCR_PATHS]


@pytest.fixture
def signer(server: RunningServer, credentials: NewCredentials):  # noqa: ANN201
    signer = Signer(server.url, credentials.tenant.access_id, credentials.access_key, server.public_pem)
    yield signer
    signer.close()


def _fuzz(signer: Signer, source: str, strategy: st.SearchStrategy, examples: int) -> Tally:
    tally = Tally()

    @settings(max_examples=examples)
    @given(strategy)
    def send(case: tuple[str, bytes]) -> None:
        path, body = case
        problem = signer.send(tally, source, path, body)
        assert problem is None, problem

    send()
    return tally


def _seeds(signer: Signer, credentials: NewCredentials, extra: dict[str, bytes] | None = None):  # noqa: ANN202
    assert credentials.package_key is not None
    return make_seeds(signer, credentials.package_key.key, credentials.package_key.key_id, extra)


def test_schema_bodies_positive_and_negative(signer: Signer, server: RunningServer) -> None:
    for negative in (False, True):
        tally = _fuzz(signer, "schema", schema_cases(server.url, FAST_PATHS, negative=negative), 40)
        assert sum(tally.counts.values()) >= 40
    tally = _fuzz(signer, "schema", schema_cases(server.url, sorted(OCR_PATHS), negative=True), 6)
    assert sum(tally.counts.values()) >= 6


def test_one_broken_field(signer: Signer, credentials: NewCredentials) -> None:
    seeds = _seeds(signer, credentials)
    tally = _fuzz(signer, "fields", field_bodies(seeds, FAST_PATHS), 80)
    statuses = {status for (_, _, status, _) in tally.counts}
    assert 400 in statuses  # the broken fields reached the parsers and were refused there
    _fuzz(signer, "fields", field_bodies(seeds, sorted(OCR_PATHS)), 4)


def test_broken_real_celeba_faces(signer: Signer, credentials: NewCredentials, celeba: Path) -> None:
    photos = sorted(celeba.glob("*/*.jpg"))[:3]
    seeds = _seeds(signer, credentials, {f"celeba-{i}": p.read_bytes() for i, p in enumerate(photos)})
    _fuzz(signer, "fields", field_bodies(seeds, [EXTRACTION_PATH, VERIFICATION_PATH, REGISTER_PATH]), 20)


def test_bodies_that_are_no_plain_object(signer: Signer) -> None:
    _fuzz(signer, "raw", raw_cases(ALL_PATHS), 40)


def test_the_authentication_layer(signer: Signer) -> None:
    tally = Tally()
    auth_cases(signer, tally, lambda path: dumps({"image_content": "QUJD", "image_type": 3}), ALL_PATHS)
    other_routes(signer, tally)
    assert not tally.defects, "\n".join(tally.defects)
    assert sum(tally.counts.values()) == len(ALL_PATHS) * 16 + 6


def test_every_signed_route_is_in_the_openapi_document(server: RunningServer) -> None:
    """Each route that reads a signed body documents it (body model and both auth headers), so
    schemathesis (and a client's generator) sees every endpoint; and the fuzzer sends to all."""
    import httpx
    from fastapi.routing import APIRoute

    from facesaas.api.deps import signed_json
    from facesaas.api.routes import documents, liveness, recognition, repositories

    def signed(dependant) -> bool:  # noqa: ANN001
        return dependant.call is signed_json or any(signed(d) for d in dependant.dependencies)

    routers = (recognition.router, repositories.router, documents.router, liveness.router)
    routes = {r.path for router in routers for r in router.routes if isinstance(r, APIRoute) and signed(r.dependant)}
    assert routes == set(ALL_PATHS)
    schema = httpx.get(server.url + "/openapi.json").json()
    for path in routes:
        operation = schema["paths"][path]["post"]
        assert {p["name"] for p in operation["parameters"]} >= {"x-access-id", "x-signature"}, path
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        for ref in body.get("anyOf", [body]):
            assert ref["$ref"].split("/")[-1] in schema["components"]["schemas"], path
    verification = schema["paths"][ALL_PATHS[1]]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/PackageVerificationRequest"} in verification["anyOf"]
