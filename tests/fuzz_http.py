"""The HTTP fuzzer of every signed endpoint, shared by tests/api/test_fuzz_http.py (seeded and
short) and ``bench/fuzz.py`` (``make fuzz``, long).

Four sources of requests, each a hypothesis strategy of ``(path, body bytes)``:

* ``schema``: schemathesis generates bodies from the app's own OpenAPI document
  (``/openapi.json``), schema-valid (positive) and schema-violating (negative);
* ``fields``: a valid body of the endpoint (real images, a real feature string, a real
  liveness package) with one field replaced by a broken value of its kind: broken real
  images (truncated, bit-flipped, zero or huge dimensions, no face), broken base64, feature
  strings with flipped bytes or another scheme byte, truncated and bit-flipped packages,
  numbers as strings, huge integers, any JSON value;
* ``raw``: bodies that are no plain JSON object (other JSON values, nesting past the
  parser's limit, not UTF-8, NaN/Infinity, integers past 4,300 digits, duplicate keys);
* ``auth`` (:func:`auth_cases`): the authentication layer itself: garbage and wrong-length
  signatures, unknown and overlong AccessIDs, another AccessKey, a stale time, a changed
  body, missing headers, replays.

Every request is signed afresh with the SDK's signer (:func:`facesaas.auth.signature.sign`),
so it passes authentication and reaches parsing and the services; it goes over real HTTP to
a real server. :class:`Tally` checks each answer: no 5xx but a documented 503; a JSON object
with ``rtn``, ``message`` and ``global_request_id``; ``rtn`` 0 (HTTP 200) or a code of
:data:`facesaas.errors.ERROR_CLASSES` with that class's HTTP status.
"""

from __future__ import annotations

import base64
import collections
import json
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import strategies as st

from facesaas.auth.signature import build_content, load_public_key, sign
from facesaas.errors import ERROR_CLASSES
from facesaas.sdk import build_package
from facesaas.sdk.client import (
    CLASSIFICATION_PATH,
    DISTINGUISH_PATH,
    EXTRACTION_PATH,
    OCR_PATH,
    PACKAGE_PATH,
    REGISTER_PATH,
    RETRIEVAL_PATH,
    VERIFICATION_PATH,
    VIDEO_RESULT_PATH,
    VIDEO_SESSION_PATH,
)
from tests.fuzzing import b64, broken_base64, broken_images, json_values, raw_bodies, real_images

BY_RTN = {cls.rtn: cls for cls in ERROR_CLASSES}
DOCUMENTED_503 = {-5002, -5003}
"""ServiceUnavailable and Overloaded: the only 5xx answers a client may see."""
OCR_PATHS = frozenset({OCR_PATH, DISTINGUISH_PATH, CLASSIFICATION_PATH})
"""The endpoints that run OCR (~1 s a page on 2 cores): the short run sends them fewer bodies."""


@dataclass
class Tally:
    """Answers counted by ``(source, path, status, rtn)`` and every defect seen (one line each)."""

    counts: collections.Counter = field(default_factory=collections.Counter)
    defects: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, source: str, path: str, response: httpx.Response, sent: bytes = b"") -> str | None:
        """Count ``response`` and return what is wrong with it (None: a documented answer)."""
        problem, rtn = None, None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            problem = f"not a JSON object: {response.text[:120]!r}"
        else:
            rtn = data.get("rtn")
            missing = [key for key in ("rtn", "message", "global_request_id") if key not in data]
            if missing:
                problem = f"missing {', '.join(missing)}: {str(data)[:200]}"
            elif not isinstance(rtn, int) or not isinstance(data["message"], str) or not data["global_request_id"]:
                problem = f"bad rtn/message/global_request_id: {str(data)[:200]}"
            elif rtn == 0:
                if response.status_code != 200:
                    problem = f"rtn 0 with HTTP {response.status_code}"
            elif rtn not in BY_RTN:
                problem = f"undocumented rtn {rtn} (HTTP {response.status_code}): {data['message'][:160]}"
            elif BY_RTN[rtn].http_status != response.status_code:
                problem = f"rtn {rtn} with HTTP {response.status_code}, documented {BY_RTN[rtn].http_status}"
            elif response.status_code >= 500 and rtn not in DOCUMENTED_503:
                problem = f"HTTP {response.status_code} rtn {rtn}: {data['message'][:160]}"
        self.counts[(source, path, response.status_code, rtn)] += 1
        if problem:
            self.defects.append(f"{source} {path}: {problem} [body {sent[:160]!r}{'…' if len(sent) > 160 else ''}]")
        return problem


class Signer:
    """Signs and sends bodies as the SDK does, with a fresh signature per request."""

    def __init__(self, url: str, access_id: str, access_key: str, public_pem: str, *, timeout: float = 120.0) -> None:
        self.access_id, self.access_key = access_id, access_key
        self.public_key = load_public_key(public_pem)
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)

    def headers(self, body: bytes, **content: Any) -> dict[str, str]:
        signature = sign(self.public_key, build_content(content.pop("access_key", self.access_key), body, **content))
        return {"x-access-id": self.access_id, "x-signature": signature, "content-type": "application/json"}

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(path, content=body, headers=self.headers(body) if headers is None else headers)

    def send(self, tally: Tally, source: str, path: str, body: bytes) -> str | None:
        """Sign, send and check one body; a connection closed without an answer (what an
        exception escaping the app's handlers does) or a timeout is a defect too."""
        try:
            response = self.post(path, body)
        except httpx.TransportError as exc:
            tally.counts[(source, path, 0, None)] += 1
            problem = f"no answer: {exc.__class__.__name__}: {exc}"
            tally.defects.append(f"{source} {path}: {problem} [body {body[:160]!r}]")
            return problem
        return tally.check(source, path, response, body)

    def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A valid call whose answer must be OK (to build the fuzzer's seed material)."""
        response = self.post(path, dumps(payload))
        data = response.json()
        assert data["rtn"] == 0, data
        return data

    def close(self) -> None:
        self.http.close()


def dumps(value: Any) -> bytes:
    """JSON bytes of ``value`` as a client might send them: non-ASCII as UTF-8, NaN/Infinity
    written (the server must refuse them), lone surrogates kept (not UTF-8: refused)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", errors="surrogatepass")


@dataclass
class Seeds:
    """Real material the field mutations start from: face photos, a feature string of this
    server, a liveness package sealed with the customer's key."""

    images: dict[str, bytes]
    feature: str
    package: str
    package_key: bytes
    package_key_id: str


def make_seeds(signer: Signer, package_key: bytes, package_key_id: str, extra_images: dict[str, bytes] | None = None) -> Seeds:
    """Extract a feature from the astronaut and register it (so searches have a repository),
    and seal a package of the astronaut photos."""
    images = {**real_images(), **(extra_images or {})}
    feature = signer.call(EXTRACTION_PATH, {"image_content": b64(images["jpeg"]), "image_type": 3})["feature"]
    signer.call(REGISTER_PATH, {"mode": 2, "user_info": {"user_id": "seed", "repo_name": "fuzz", "label": 2, "feature_content": feature}})
    package = build_package([images["jpeg"], images["png"]], key=package_key, key_id=package_key_id)
    return Seeds(images, feature, package, package_key, package_key_id)


def _bases(seeds: Seeds) -> dict[str, dict[str, Any]]:
    """A valid body of each endpoint."""
    face = b64(seeds.images["jpeg"])
    return {
        EXTRACTION_PATH: {"image_content": face, "image_type": 3, "max_faces_allowed": 1},
        VERIFICATION_PATH: {"query_image_content": face, "database_image_feature": seeds.feature, "true_negative_rate": "99.99"},
        REGISTER_PATH: {"mode": 1, "user_info": {"user_id": "u1", "repo_name": "fuzz", "label": 2, "image_content": face},
                        "options": {"image_type": 1, "quality_gate": "off"}},
        RETRIEVAL_PATH: {"mode": 2, "user_info": {"label": 2, "repo_name": "fuzz", "feature_content": seeds.feature},
                         "options": {"return_topk_face": 3}},
        PACKAGE_PATH: {"query_image_package": seeds.package, "query_image_package_check_same_person": True},
        VIDEO_SESSION_PATH: {"action_count": 2, "database_image_feature": seeds.feature},
        VIDEO_RESULT_PATH: {"session_id": "0" * 32},
        OCR_PATH: {"mode": 1, "user_info": {"image_content": face}, "options": {"ocr_type": 1}},
        DISTINGUISH_PATH: {"mode": 1, "user_info": {"image_content": face}, "options": {"distinguish_type": 1}},
        CLASSIFICATION_PATH: {"mode": 1, "user_info": {"image_content": face}, "options": {"license_type": 1}},
    }  # fmt: skip


def _leaves(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Paths of every field of a body (objects recursively; a path names the object too)."""
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _leaves(item, (*prefix, key))
    return paths


def _replace(body: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = dict(body)
    copy[path[0]] = _replace(body[path[0]], path[1:], value)
    return copy


def _flip(data: bytes, positions: list[int]) -> bytes:
    out = bytearray(data)
    for position in positions:
        out[position % len(out)] ^= 1 << (position // max(len(out), 1) % 8)
    return bytes(out)


def broken_features(feature: str) -> st.SearchStrategy[str]:
    """A real feature string with flipped bits, another scheme or version byte, cut short or
    lengthened, or its face count changed."""
    raw = base64.b64decode(feature)

    def header(byte: int, value: int) -> str:
        edited = bytearray(raw)
        edited[byte] = value
        return b64(bytes(edited))

    return st.one_of(
        st.lists(st.integers(0, len(raw) * 8), min_size=1, max_size=8).map(lambda p: b64(_flip(raw, p))),
        st.integers(0, 255).map(lambda v: header(5, v)),
        st.integers(0, 255).map(lambda v: header(4, v)),
        st.integers(0, 0xFFFF).map(lambda n: b64(raw[:8] + struct.pack("<H", n) + raw[10:])),
        st.integers(0, len(raw) - 1).map(lambda n: b64(raw[:n])),
        st.binary(min_size=1, max_size=64).map(lambda tail: b64(raw + tail)),
        st.just(b64(raw[:10] + bytes(512))),  # an all-zero vector: a degenerate face
        st.just(b64(raw[:10] + struct.pack("<f", float("nan")) * 128)),
    )


def broken_packages(seeds: Seeds) -> st.SearchStrategy[str]:
    """The real package truncated, bit-flipped or lengthened; URL-safe or unpadded base64; a
    package of broken images sealed with the right key; one sealed with another key."""
    raw = base64.b64decode(seeds.package)
    return st.one_of(
        st.integers(0, len(raw) - 1).map(lambda n: b64(raw[:n])),
        st.lists(st.integers(0, len(raw) * 8), min_size=1, max_size=6).map(lambda p: b64(_flip(raw, p))),
        st.binary(min_size=1, max_size=32).map(lambda tail: b64(raw + tail)),
        st.just(base64.urlsafe_b64encode(raw).decode().rstrip("=")),
        st.lists(broken_images(), min_size=1, max_size=3).map(
            lambda imgs: build_package([i or b"\x00" for i in imgs], key=seeds.package_key, key_id=seeds.package_key_id)
        ),
        st.just(build_package([seeds.images["jpeg"]], key=os.urandom(32), key_id=seeds.package_key_id)),
        st.just(build_package([seeds.images["no-face"]], key=seeds.package_key, key_id=seeds.package_key_id)),
    )


def nasty_values(seeds: Seeds, name: str) -> st.SearchStrategy[Any]:
    """What replaces field ``name``: values of its kind broken, and values of any other kind."""
    anything = st.one_of(
        json_values, st.integers(-(2**200), 2**200), st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**100, -1, 0]),
        st.integers(-5, 400).map(str), st.sampled_from(["NaN", "Infinity", "1e999", "true", "null", ""]),
        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=300),
    )  # fmt: skip
    if name in ("image_content", "query_image_content", "database_image_content", "infrared_face_image_content"):
        return st.one_of(broken_images().map(b64), broken_base64, st.sampled_from(sorted(seeds.images)).map(lambda k: b64(seeds.images[k])), anything)
    if name in ("feature_content", "query_image_feature", "database_image_feature"):
        return st.one_of(broken_features(seeds.feature), broken_base64, anything)
    if name == "query_image_package":
        return st.one_of(broken_packages(seeds), broken_base64, anything)
    return anything


def field_bodies(seeds: Seeds, paths: list[str]) -> st.SearchStrategy[tuple[str, bytes]]:
    """One field of a valid body replaced (or a field added, or removed)."""
    bases = _bases(seeds)

    @st.composite
    def one(draw: st.DrawFn) -> tuple[str, bytes]:
        path = draw(st.sampled_from(paths))
        body = bases[path]
        if path == REGISTER_PATH:  # a new user_id each time, so the face is stored (not a duplicate)
            body = _replace(body, ("user_info", "user_id"), f"u{draw(st.integers(0, 2**40))}")
        if path == PACKAGE_PATH:  # a fresh package each time, so its checks run (not "replayed")
            fresh = build_package([seeds.images["jpeg"], seeds.images["png"]], key=seeds.package_key, key_id=seeds.package_key_id)
            body = {**body, "query_image_package": fresh}
        target = draw(st.sampled_from(_leaves(body)))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if action == "delete":
            parent = _replace(body, target[:-1], {k: v for k, v in _get(body, target[:-1]).items() if k != target[-1]})
            return path, dumps(parent)
        if action == "add":
            extra = draw(st.sampled_from(["query_image_package", "query_image_additional_info", "mode", "flip_image",
                                          "idcard_ocr", "remove_watermark", "return_face_image", "face_key_point_info"]))  # fmt: skip
            infrared = st.fixed_dictionaries({
                "face_key_point_info": st.one_of(
                    st.text(max_size=40), json_values.map(lambda v: dumps(v).decode("utf-8", "surrogatepass")),
                    st.just("[" * 50_000), st.just("[[" + "9" * 400 + ",1]]"), st.just("[[1e999,1]]"),
                    st.lists(st.lists(st.floats() | st.integers(-(2**80), 2**80), min_size=2, max_size=2), min_size=5, max_size=5).map(
                        lambda p: json.dumps(p)),
                ),
                "infrared_face_image_content": st.one_of(st.just(b64(seeds.images["jpeg"])), broken_images().map(b64)),
            })  # fmt: skip
            value = draw(st.one_of(nasty_values(seeds, extra), st.just(True), infrared))
            return path, dumps({**body, extra: value})
        return path, dumps(_replace(body, target, draw(nasty_values(seeds, target[-1]))))

    return one()


def _get(body: Any, path: tuple) -> Any:
    for key in path:
        body = body[key]
    return body


def raw_cases(paths: list[str]) -> st.SearchStrategy[tuple[str, bytes]]:
    return st.tuples(st.sampled_from(paths), raw_bodies())


def schema_cases(url: str, paths: list[str], *, negative: bool) -> st.SearchStrategy[tuple[str, bytes]]:
    """Bodies schemathesis generates from ``url``/openapi.json for ``paths`` (positive: valid
    against the schema; negative: violating it)."""
    import schemathesis
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(url.rstrip("/") + "/openapi.json")
    mode = GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE
    strategies = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "POST" and operation.path in paths:
            strategies.append(operation.as_strategy(generation_mode=mode).map(lambda case: (case.path, dumps(case.body))))
    assert strategies, "no signed operation found in the OpenAPI document"
    return st.one_of(strategies)


def auth_cases(signer: Signer, tally: Tally, body_of: Callable[[str], bytes], paths: list[str]) -> None:
    """The authentication layer: each case is sent to every path and must be refused with its
    documented code (401/403), except the two readings of the time, which must pass it."""
    key_hex = signer.public_key.key_size // 4
    good = signer.headers(b"{}")
    wrong_key = "0" * 32 if signer.access_key != "0" * 32 else "1" * 32
    for path in paths:
        body = body_of(path)
        cases: dict[str, tuple[dict[str, str], bytes, set[int]]] = {
            "garbage-hex": ({**good, "x-signature": os.urandom(key_hex // 2).hex()}, body, {-1004, -1006}),
            "short": ({**good, "x-signature": good["x-signature"][:-2]}, body, {-1004}),
            "long": ({**good, "x-signature": good["x-signature"] + "00"}, body, {-1004}),
            "not-hex": ({**good, "x-signature": "zz" * (key_hex // 2)}, body, {-1004}),
            "manual-sample": ({**good, "x-signature": "0123456789abcdef" * 2}, body, {-1004}),
            "empty-signature": ({**good, "x-signature": ""}, body, {-1001}),
            "no-headers": ({"content-type": "application/json"}, body, {-1001}),
            "unknown-id": ({**signer.headers(body), "x-access-id": "nobody" + os.urandom(4).hex()}, body, {-1002}),
            "overlong-id": ({**signer.headers(body), "x-access-id": "A" * 300}, body, {-1002}),
            "non-ascii-id": ({**signer.headers(body), "x-access-id": "客户"}, body, {-1002}),
            "wrong-access-key": (signer.headers(body, access_key=wrong_key), body, {-1005}),
            "stale": (signer.headers(body, timestamp=int(time.time()) - 3600), body, {-1007}),
            "future": (signer.headers(body, timestamp=int(time.time()) + 3600), body, {-1007}),
            "body-changed": (signer.headers(body), body + b" ", {-1006}),
        }
        for name, (headers, sent, expected) in cases.items():
            try:
                response = signer.http.post(path, content=sent, headers=_ascii(headers))
            except UnicodeEncodeError:
                response = signer.http.post(path, content=sent, headers={k: v.encode() for k, v in headers.items()})  # type: ignore[misc]
            problem = tally.check("auth", path, response, sent)
            rtn = response.json().get("rtn") if problem is None else None
            if problem is None and rtn not in expected:
                tally.defects.append(f"auth {path} {name}: rtn {rtn}, expected one of {sorted(expected)}")
        # Little-endian time (Yitu's SDKs) passes; the same signature again is a replay.
        headers = signer.headers(body, byte_order="little")
        first = signer.http.post(path, content=body, headers=headers)
        second = signer.http.post(path, content=body, headers=headers)
        for label, response in (("little-endian", first), ("replay", second)):
            problem = tally.check("auth", path, response, body)
            rtn = response.json().get("rtn") if problem is None else None
            if problem is None and (rtn == -1008) != (label == "replay"):
                tally.defects.append(f"auth {path} {label}: rtn {rtn}")


def _ascii(headers: dict[str, str]) -> dict[str, str]:
    for value in headers.values():
        value.encode("ascii")
    return headers


def other_routes(signer: Signer, tally: Tally) -> None:
    """Wrong methods and paths: documented 404/405 answers with the three fields."""
    for method, path in (("GET", EXTRACTION_PATH), ("PUT", REGISTER_PATH), ("DELETE", OCR_PATH),
                         ("POST", "/face/basic/nothing"), ("GET", "/%ff%fe"), ("POST", "/" + "a" * 5000)):  # fmt: skip
        tally.check("routes", path[:60], signer.http.request(method, path, content=b"{}"))


ALL_PATHS = [
    EXTRACTION_PATH, VERIFICATION_PATH, REGISTER_PATH, RETRIEVAL_PATH, PACKAGE_PATH, VIDEO_SESSION_PATH,
    VIDEO_RESULT_PATH, OCR_PATH, DISTINGUISH_PATH, CLASSIFICATION_PATH,
]  # fmt: skip
"""Every signed endpoint of the OpenAPI document."""


def markdown_counts(tally: Tally) -> list[str]:
    """Markdown tables of the answers: by endpoint and HTTP status, and by endpoint and rtn."""
    by_status: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_rtn: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    sources: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for (source, path, status, rtn), n in tally.counts.items():
        by_status[path][status] += n
        by_rtn[path][rtn] += n
        sources[source][status] += n
    lines = ["| source | requests | by HTTP status |", "|---|---:|---|"]
    for source, counter in sorted(sources.items()):
        lines.append(f"| {source} | {sum(counter.values())} | {_fmt(counter)} |")
    lines += ["", "| endpoint | requests | by HTTP status | by rtn |", "|---|---:|---|---|"]
    for path in sorted(by_status):
        lines.append(f"| `{path}` | {sum(by_status[path].values())} | {_fmt(by_status[path])} | {_fmt(by_rtn[path])} |")
    return lines


def _fmt(counter: collections.Counter) -> str:
    return ", ".join(f"{key}: {n}" for key, n in sorted(counter.items(), key=lambda kv: (str(kv[0]))))
