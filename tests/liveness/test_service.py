"""Opening packages against the database: keys per customer, rotation, age, replay, images,
and 1,000+ fuzzed, tampered, expired and replayed packages all judged invalid."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest

from facesaas.face.calibration import load_calibration
from facesaas.face.engine import get_engine
from facesaas.liveness.keys import PackageKeyStore
from facesaas.liveness.package import pack
from facesaas.liveness.schemas import PackageOptions
from facesaas.liveness.service import PackageChecker
from facesaas.storage.database import Database
from facesaas.tenants.service import NewCredentials, TenantService
from facesaas.vault import Vault


@pytest.fixture
def checker(database: Database, vault: Vault) -> PackageChecker:
    return PackageChecker(PackageKeyStore(database, vault), get_engine(), load_calibration(), max_age_seconds=120)


@pytest.fixture
def customer(database: Database, vault: Vault) -> tuple[int, NewCredentials]:
    service = TenantService(database.sessions, vault)
    created = service.create("bank")
    return service.id_of(created.tenant.access_id), created


def _package(creds: NewCredentials, images: list[bytes], **options: object) -> str:
    assert creds.package_key is not None
    data = pack(images, key=creds.package_key.key, key_id=creds.package_key.key_id, **options)  # type: ignore[arg-type]
    return base64.b64encode(data).decode()


def _reason(checker: PackageChecker, tenant_id: int, text: str) -> str:
    result = checker.check(tenant_id, text, PackageOptions())
    assert result["is_valid_package"] is False
    return result["invalid_reason"]


def test_valid_package_opens_once(checker: PackageChecker, customer: tuple[int, NewCredentials], astronaut_jpeg: bytes) -> None:
    tenant_id, creds = customer
    text = _package(creds, [astronaut_jpeg, astronaut_jpeg], customer_defined_content="order 7")
    result = checker.check(tenant_id, text, PackageOptions(query_image_package_return_feature_string=True,
                                                           query_image_package_check_same_person=True))  # fmt: skip
    assert result["is_valid_package"] is True and result["invalid_reason"] == ""
    assert result["customer_defined_content"] == "order 7"
    assert [base64.b64decode(x) for x in result["query_image_contents"]] == [astronaut_jpeg, astronaut_jpeg]
    assert result["feature_string"] and result["is_same_person"] is True and result["is_same_person_check_valid"]
    assert _reason(checker, tenant_id, text) == "replayed"


def test_age_keys_and_images(checker: PackageChecker, customer: tuple[int, NewCredentials], database: Database, vault: Vault,
                             astronaut_jpeg: bytes) -> None:  # fmt: skip
    tenant_id, creds = customer
    now = time.time()
    assert _reason(checker, tenant_id, _package(creds, [astronaut_jpeg], created_at=now - 121)) == "expired"
    assert _reason(checker, tenant_id, _package(creds, [astronaut_jpeg], created_at=now + 61)) == "from_the_future"
    assert _reason(checker, tenant_id, _package(creds, [b"\xff\xd8 not a jpeg"])) == "image_undecodable"
    assert _reason(checker, tenant_id, _package(creds, [b"GIF89a"])) == "image_undecodable"
    # Another customer's package does not open here, even with a valid key of its own.
    other = TenantService(database.sessions, vault).create("other bank")
    assert _reason(checker, tenant_id, _package(other, [astronaut_jpeg])) == "unknown_key"
    # Rotation keeps the old key working unless it is retired.
    store = PackageKeyStore(database, vault)
    store.rotate(tenant_id)
    assert checker.check(tenant_id, _package(creds, [astronaut_jpeg]), PackageOptions())["is_valid_package"] is True
    fresh = store.rotate(tenant_id, retire_previous=True)
    assert _reason(checker, tenant_id, _package(creds, [astronaut_jpeg])) == "unknown_key"
    renewed = NewCredentials(creds.tenant, creds.access_key, fresh)
    assert checker.check(tenant_id, _package(renewed, [astronaut_jpeg]), PackageOptions())["is_valid_package"] is True
    assert [k.retired_at is not None for k in store.keys_of(tenant_id)] == [True, True, False]


def test_a_thousand_bad_packages_are_all_invalid(checker: PackageChecker, customer: tuple[int, NewCredentials],
                                                 astronaut_jpeg: bytes) -> None:  # fmt: skip
    tenant_id, creds = customer
    rng = np.random.default_rng(1)
    genuine = base64.b64decode(_package(creds, [astronaut_jpeg]))
    texts: list[str] = []
    for _ in range(400):  # one flipped bit anywhere
        changed = bytearray(genuine)
        changed[int(rng.integers(len(changed)))] ^= 1 << int(rng.integers(8))
        texts.append(base64.b64encode(bytes(changed)).decode())
    texts += [base64.b64encode(genuine[: int(n)]).decode() for n in rng.integers(0, len(genuine), 200)]
    texts += [base64.b64encode(rng.bytes(int(n))).decode() for n in rng.integers(0, 300, 200)]
    texts += ["".join(map(chr, rng.integers(32, 0x3000, int(n)))) for n in rng.integers(0, 80, 100)]
    texts += [_package(creds, [astronaut_jpeg], created_at=time.time() - 10_000) for _ in range(50)]
    first = _package(creds, [astronaut_jpeg])
    assert checker.check(tenant_id, first, PackageOptions(query_image_package_return_image_list=False))["is_valid_package"]
    texts += [first] * 50
    assert len(texts) >= 1000
    reasons = {_reason(checker, tenant_id, text) for text in texts}
    assert {"authentication_failed", "truncated", "bad_magic", "not_base64", "expired", "replayed"} <= reasons
