"""Settings refuse what cannot work at start-up, before anything is opened."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from facesaas.settings import Settings


@pytest.mark.parametrize(
    "changes",
    [
        {"vector_url": "faiss"},
        {"vector_url": "milvus://"},
        {"vector_url": "http://127.0.0.1:19530"},
        {"vector_url": "milvus://host:19530/path"},
        {"blob_url": "s3"},
        {"namespace": "prod-eu"},
        {"namespace": "1prod"},
        {"log_format": "xml"},
        {"workers": 0},
        {"rate_limit_per_second": -1},
        {"shutdown_grace_seconds": -1},
    ],
)
def test_bad_production_settings_are_refused(changes: dict) -> None:
    with pytest.raises(ValidationError):
        Settings(**changes)


def test_good_production_settings_and_what_several_workers_need() -> None:
    shared = Settings(vector_url="milvus://milvus.internal:19530", blob_url="database", namespace="prod_eu",
                      redis_url="redis://127.0.0.1:6379/0", workers=4)  # fmt: skip
    assert shared.multi_process_problem() is None
    assert Settings(workers=1).multi_process_problem() is None
    problem = Settings(workers=2).multi_process_problem()
    assert problem is not None and "FACESAAS_REDIS_URL" in problem and "FACESAAS_VECTOR_URL" in problem
    assert "FACESAAS_REDIS_URL" not in (Settings(workers=2, redis_url="redis://r:6379/0").multi_process_problem() or "")


def test_the_enrolment_quality_gate_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().enrol_quality == "lenient"  # the measured default (docs/accuracy.md)
    monkeypatch.setenv("FACESAAS_ENROL_QUALITY", "strict")
    assert Settings().enrol_quality == "strict"
    monkeypatch.setenv("FACESAAS_ENROL_QUALITY", "sometimes")
    with pytest.raises(ValidationError):
        Settings()
