"""The chain's encoding can be recomputed outside FaceSaaS: JSON with sorted keys, no spaces,
UTF-8, then SHA-256 (the recipe docs/security.md gives)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from facesaas.audit import GENESIS, canonical_row, row_hash
from facesaas.audit.chain import canonical_decision, format_time

ROW = {"seq": 7, "at": dt.datetime(2026, 12, 6, 19, 14, 20, 123456, tzinfo=dt.UTC), "tenant_id": 3,
       "access_id": "AK7", "endpoint": "/face/basic/ocr", "request_id": "r-1", "http_status": 200, "rtn": 0,
       "decision": '{"decision":{"class":1},"thresholds":{}}', "model": "facesaas 0.1.0", "prev_hash": GENESIS}  # fmt: skip


def test_the_hash_is_sha256_of_sorted_compact_json() -> None:
    by_hand = json.dumps({**ROW, "at": "2026-12-06T19:14:20.123456Z", "v": 1}, sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False)  # fmt: skip
    assert canonical_row(ROW) == by_hand.encode("utf-8")
    assert row_hash(ROW) == hashlib.sha256(by_hand.encode("utf-8")).hexdigest()


def test_every_field_is_covered() -> None:
    original = row_hash(ROW)
    for name, other in (("seq", 8), ("tenant_id", 4), ("access_id", "AK8"), ("endpoint", "/x"), ("request_id", "r-2"),
                        ("http_status", 503), ("rtn", -5013), ("decision", "{}"), ("model", "facesaas 0.1.1"),
                        ("prev_hash", "1" * 64), ("at", dt.datetime(2026, 12, 6, 19, 14, 20, 123457, tzinfo=dt.UTC))):  # fmt: skip
        assert row_hash({**ROW, name: other}) != original, name


def test_times_and_decisions_encode_the_same_on_both_databases() -> None:
    aware = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert format_time(aware) == "2026-01-01T19:04:05.000006Z"
    assert format_time(aware.astimezone(dt.UTC).replace(tzinfo=None)) == format_time(aware)  # SQLite gives naive UTC
    assert canonical_decision({"b": float("nan"), "a": (1, 2), "中": "文"}) == '{"a":[1,2],"b":"nan","中":"文"}'
    assert canonical_decision(None) == "{}"
