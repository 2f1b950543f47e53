"""The browser packer (``facesaas/sdk/js/facesaas-package.mjs``) run under Node: what it makes
must open with the server's ``parse_header`` + ``open_sealed``, and it must refuse bad input."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import facesaas.sdk
from facesaas.liveness.package import InvalidPackage, Limits, Package, open_sealed, package_bytes, parse_header

MODULE = Path(facesaas.sdk.__file__).parent / "js" / "facesaas-package.mjs"
LIMITS = Limits()
KEY = bytes(range(1, 33))
KEY_ID = "pk_test-01"
CONTENT = "订单 42 — naïve café ✓"
CAPTURE = {"device": "test-browser", "frames": 2, "fps": 29.97, "nested": {"ok": True, "list": [1, "两"]}}
CREATED_AT_MS = 1_700_000_000_123

# Reads a job (JSON) and prints the result; on error prints "Name: message" and exits 1.
RUNNER = r"""
import { readFileSync } from "node:fs";

const mod = await import(process.argv[2]);
const job = JSON.parse(readFileSync(process.argv[3], "utf8"));
try {
  if (job.op === "build") {
    const images = job.images.map((b64) => {
      const bytes = mod.base64ToBytes(b64);
      if (job.imageForm === "arraybuffer") return bytes.slice().buffer;
      if (job.imageForm === "blob") return new Blob([bytes], { type: "image/jpeg" });
      return bytes;
    });
    let key = job.key;
    if (job.keyForm === "bytes") key = mod.base64ToBytes(key);
    if (job.keyForm === "cryptokey") {
      key = await crypto.subtle.importKey("raw", mod.base64ToBytes(key), { name: "AES-GCM" }, false, ["encrypt"]);
    }
    process.stdout.write(await mod.buildPackage(images, { ...job.options, key }));
  } else if (job.op === "base64") {
    const bytes = new Uint8Array(job.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 255;
    const text = mod.bytesToBase64(bytes);
    const back = mod.base64ToBytes(text);
    const same = back.length === bytes.length && back.every((b, i) => b === bytes[i]);
    process.stdout.write(JSON.stringify({ text, same, version: mod.FORMAT_VERSION }));
  } else {
    throw new Error(`unknown op ${job.op}`);
  }
} catch (err) {
  process.stderr.write(`${err.name}: ${err.message}\n`);
  process.exit(1);
}
"""


@pytest.fixture(scope="module")
def node() -> str:
    """The ``node`` executable (>= 20, for globalThis.crypto.subtle). Skips visibly when absent,
    fails when FACESAAS_REQUIRE_TEST_DATA is set."""
    path = shutil.which("node")
    problem = None
    if path is None:
        problem = "node is not on PATH"
    else:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        match = re.match(r"v(\d+)\.", version)
        if not match or int(match.group(1)) < 20:
            problem = f"node >= 20 needed for WebCrypto, found {version or 'unknown version'}"
    if problem:
        if os.environ.get("FACESAAS_REQUIRE_TEST_DATA"):
            pytest.fail(problem)
        pytest.skip(problem)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def images() -> list[bytes]:
    """Two small JPEGs: a colour gradient and noise."""
    rows, cols = np.mgrid[0:48, 0:64]
    gradient = np.stack([rows * 5, cols * 4, (rows + cols) * 2], axis=-1).astype(np.uint8)
    noise = np.random.default_rng(7).integers(0, 256, size=(32, 40, 3), dtype=np.uint8)
    encoded = []
    for array in (gradient, noise):
        ok, buffer = cv2.imencode(".jpg", array)
        assert ok
        encoded.append(buffer.tobytes())
    return encoded


@pytest.fixture(scope="module")
def run_js(
    node: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """Runs one job through the module under Node; returns the completed process."""
    folder = tmp_path_factory.mktemp("js_package")
    script = folder / "runner.mjs"
    script.write_text(RUNNER, encoding="utf-8")
    counter = iter(range(1_000_000))

    def run(job: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        job_file = folder / f"job{next(counter)}.json"
        job_file.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        return subprocess.run(
            [node, str(script), MODULE.as_uri(), str(job_file)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )

    return run


@pytest.fixture(scope="module")
def build(run_js: Callable[..., subprocess.CompletedProcess[str]], images: list[bytes]) -> Callable[..., str]:
    """Builds a package with the JS module and returns its base64; fails on a non-zero exit."""

    def build_js(
        *,
        key: bytes = KEY,
        key_form: str = "base64",
        image_form: str = "uint8array",
        image_list: list[bytes] | None = None,
        **options: Any,
    ) -> str:
        merged = {
            "keyId": KEY_ID,
            "customerDefinedContent": CONTENT,
            "capture": CAPTURE,
            "createdAt": CREATED_AT_MS,
            **options,
        }
        job = {
            "op": "build",
            "images": [base64.b64encode(b).decode() for b in (images if image_list is None else image_list)],
            "imageForm": image_form,
            "key": base64.b64encode(key).decode(),
            "keyForm": key_form,
            "options": {name: value for name, value in merged.items() if value is not None},
        }
        result = run_js(job)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    return build_js


def open_package(text: str, key: bytes = KEY) -> Package:
    return open_sealed(parse_header(package_bytes(text, LIMITS), LIMITS), key, LIMITS)


def metadata(text: str, key: bytes = KEY) -> dict[str, Any]:
    """The raw metadata JSON of a package (to check exact types, e.g. integer ms)."""
    sealed = parse_header(package_bytes(text, LIMITS), LIMITS)
    content = AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, sealed.header)
    size = int.from_bytes(content[:4], "big")
    return json.loads(content[4 : 4 + size].decode("utf-8"))


@pytest.mark.parametrize(
    ("key_form", "image_form"),
    [("base64", "uint8array"), ("bytes", "arraybuffer"), ("cryptokey", "blob")],
)
def test_python_opens_the_js_package(
    build: Callable[..., str], images: list[bytes], key_form: str, image_form: str
) -> None:
    text = build(key_form=key_form, image_form=image_form)
    assert re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text) and len(text) % 4 == 0  # standard, padded
    raw = base64.b64decode(text, validate=True)
    assert raw[:4] == b"FSPK" and raw[4] == 1 and raw[5] == len(KEY_ID)
    assert raw[6 : 6 + len(KEY_ID)] == KEY_ID.encode()
    package = open_package(text)
    assert package.images == images
    assert package.customer_defined_content == CONTENT
    assert package.capture == CAPTURE
    assert round(package.created_at * 1000) == CREATED_AT_MS
    assert package.key_id == KEY_ID
    assert re.fullmatch(r"[0-9a-f]{32}", package.package_id)


def test_metadata_is_exact(build: Callable[..., str], images: list[bytes]) -> None:
    given_id = "0123456789abcdef0123456789abcdef"
    text = build(packageId=given_id)
    meta = metadata(text)
    assert set(meta) == {"package_id", "created_at", "customer_defined_content", "capture", "image_sizes"}
    assert meta["package_id"] == given_id
    assert meta["created_at"] == CREATED_AT_MS and isinstance(meta["created_at"], int)
    assert meta["image_sizes"] == [len(b) for b in images]
    assert open_package(text).package_id == given_id


def test_created_at_defaults_to_now(build: Callable[..., str]) -> None:
    before = int(time.time() * 1000)
    text = build(createdAt=None)  # None leaves the option out
    after = int(time.time() * 1000)
    assert before <= metadata(text)["created_at"] <= after


def test_wrong_key_fails_authentication(build: Callable[..., str]) -> None:
    other = bytes(32 - i for i in range(32))
    text = build(key=other)
    with pytest.raises(InvalidPackage) as caught:
        open_package(text)
    assert caught.value.reason == "authentication_failed"
    assert open_package(text, other).key_id == KEY_ID


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        (lambda n: 0, "bad_magic"),
        (lambda n: 6 + len(KEY_ID) + 3, "authentication_failed"),  # nonce
        (lambda n: 6 + len(KEY_ID) + 12 + 5, "authentication_failed"),  # ciphertext
        (lambda n: n - 1, "authentication_failed"),  # tag
    ],
    ids=["magic", "nonce", "ciphertext", "tag"],
)
def test_a_flipped_byte_fails(build: Callable[..., str], where: Callable[[int], int], reason: str) -> None:
    raw = bytearray(base64.b64decode(build()))
    raw[where(len(raw))] ^= 0x01
    with pytest.raises(InvalidPackage) as caught:
        open_package(base64.b64encode(bytes(raw)).decode())
    assert caught.value.reason == reason


def test_two_builds_differ(build: Callable[..., str]) -> None:
    first, second = build(), build()
    assert first != second
    one, two = base64.b64decode(first), base64.b64decode(second)
    nonce = slice(6 + len(KEY_ID), 18 + len(KEY_ID))
    assert one[nonce] != two[nonce]
    assert open_package(first).package_id != open_package(second).package_id
    assert open_package(first).images == open_package(second).images


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": bytes(31)}, "RangeError: the package key must be 32 bytes, got 31"),
        ({"image_list": []}, "RangeError: a package holds at least one image"),
        ({"keyId": "bad id!"}, "RangeError: keyId must be 1-64 characters"),
        ({"keyId": "k" * 65}, "RangeError: keyId must be 1-64 characters"),
        ({"packageId": "ABC"}, "RangeError: packageId must be 32 lower-case hex digits"),
        ({"capture": [1, 2]}, "TypeError: capture must be a plain object"),
        ({"customerDefinedContent": 42}, "TypeError: customerDefinedContent must be a string"),
        ({"image_list": [b""]}, "RangeError: image 0 is empty"),
    ],
    ids=[
        "key-31-bytes",
        "no-images",
        "bad-key-id",
        "long-key-id",
        "bad-package-id",
        "capture-array",
        "content-not-string",
        "empty-image",
    ],
)
def test_invalid_input_exits_non_zero(
    run_js: Callable[..., subprocess.CompletedProcess[str]], images: list[bytes], change: dict[str, Any], message: str
) -> None:
    options: dict[str, Any] = {"keyId": KEY_ID, "customerDefinedContent": CONTENT, "capture": CAPTURE}
    key, image_list = change.pop("key", KEY), change.pop("image_list", images)
    options.update(change)
    job = {
        "op": "build",
        "images": [base64.b64encode(b).decode() for b in image_list],
        "key": base64.b64encode(key).decode(),
        "options": options,
    }
    result = run_js(job)
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("length", [0, 1, 2, 3, 3 * 16384 + 1, 3 * 1024 * 1024 + 2])
def test_base64_matches_python(run_js: Callable[..., subprocess.CompletedProcess[str]], length: int) -> None:
    result = run_js({"op": "base64", "length": length})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    expected = ((np.arange(length, dtype=np.int64) * 31 + 7) & 255).astype(np.uint8).tobytes()
    assert out["text"] == base64.b64encode(expected).decode()
    assert out["same"] is True
    assert out["version"] == 1
