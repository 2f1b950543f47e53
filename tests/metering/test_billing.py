"""Usage, bills and the go-live review computed from a calls table the test fills with known
rows (the Meter's own writes), so every count and amount has an exact expected value."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from facesaas.metering import Meter, PriceBook, go_live_review, month_days, parse_price, usage_report
from facesaas.settings import Settings
from facesaas.storage.database import Database, create_database
from facesaas.tenants.service import TenantService
from facesaas.vault import Vault

OCR = "/face/basic/ocr"
VERIFY = "/face/v1/algorithm/recognition/face_pair_verification"


@pytest.fixture
def database(settings: Settings) -> Database:
    database = create_database(settings.resolved_database_url)
    yield database
    database.dispose()


def _at(day: str, hour: int = 12, second: float = 0.0) -> float:
    """Unix time of ``day`` at ``hour``:00 UTC+8 (+ ``second``)."""
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").timestamp() + second


def _record(meter: Meter, tenant_id: int, calls: list[tuple[str, str, int | None, float, float]]) -> None:
    """(request id, endpoint, rtn or None for unanswered, started, seconds) each."""
    for request_id, endpoint, rtn, started, seconds in calls:
        meter.start(request_id, tenant_id, endpoint, started)
        if rtn is not None:
            assert meter.finish(request_id, 200 if rtn == 0 else 400, rtn, seconds)


def test_usage_counts_and_amounts_are_exact(database: Database, vault: Vault) -> None:
    tenant = TenantService(database.sessions, vault).create("acme", "production").tenant
    meter = Meter(database, "production")
    calls = [(f"v{i}", VERIFY, 0 if i % 4 else -2003, _at("2026-11-03", 10, i), 0.05) for i in range(40)]
    calls += [(f"o{i}", OCR, 0, _at("2026-11-19" if i < 3 else "2026-11-20", 23, i), 0.4) for i in range(7)]
    calls += [("late", OCR, 0, _at("2026-12-01", 0, 1), 0.4), ("early", OCR, 0, _at("2026-10-31", 23, 59 * 60), 0.4)]
    calls += [("killed", OCR, None, _at("2026-11-21"), 0)]
    # 23:30 UTC on Nov 30 is Dec 1 at UTC+8: billed in December.
    calls += [("utc-boundary", OCR, 0, dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC).timestamp(), 0.3)]
    _record(meter, tenant.id, calls)
    assert not meter.finish("v1", 200, 0, 1.0), "a completed call is never completed twice"
    book = PriceBook(database)
    book.set(VERIFY, "0.012", dt.date(2026, 11, 1))
    book.set(OCR, "0.1", dt.date(2026, 11, 1))
    book.set(OCR, "0.15", dt.date(2026, 11, 20))  # a price change within the month
    report = usage_report(database, tenant.id, tenant.access_id, "production", "2026-11", "CNY")
    by_endpoint = {line.endpoint: line for line in report.endpoints}
    assert (by_endpoint[VERIFY].calls, by_endpoint[VERIFY].billable, by_endpoint[VERIFY].amount) == (40, 30, Decimal("0.360"))
    assert (by_endpoint[OCR].calls, by_endpoint[OCR].billable, by_endpoint[OCR].unanswered) == (8, 7, 1)
    assert by_endpoint[OCR].amount == Decimal("0.90") and by_endpoint[OCR].unit_price is None  # 3 × 0.1 + 4 × 0.15
    assert by_endpoint[VERIFY].unit_price == Decimal("0.012")
    days = {(line.day.isoformat(), line.endpoint): line for line in report.days}
    assert days[("2026-11-20", OCR)].unit_price == Decimal("0.15") and days[("2026-11-21", OCR)].calls == 1
    total = report.as_dict()["total"]
    assert total == {"calls": 48, "billable": 37, "unanswered": 1, "amount": "1.260"}
    rows = list(csv.reader(io.StringIO(report.csv())))
    assert rows[0][:4] == ["date", "endpoint", "calls", "billable"] and rows[-1][1:4] == ["total", "48", "37"]
    december = usage_report(database, tenant.id, tenant.access_id, "production", "2026-12", "CNY")
    assert december.as_dict()["total"]["calls"] == 2  # "late" and the UTC boundary call
    assert "total" in report.text() and "1.260" in report.text()


def test_staging_never_bills_and_unpriced_calls_cost_nothing(database: Database, vault: Vault) -> None:
    tenant = TenantService(database.sessions, vault).create("acme", "staging").tenant
    _record(Meter(database, "staging"), tenant.id, [(f"s{i}", OCR, 0, _at("2026-11-05", 9, i), 0.2) for i in range(5)])
    book = PriceBook(database)
    book.set(OCR, "1", dt.date(2026, 1, 1))
    report = usage_report(database, tenant.id, tenant.access_id, "staging", "2026-11", "CNY")
    assert report.as_dict()["total"] == {"calls": 5, "billable": 0, "unanswered": 0, "amount": "0"}
    assert report.endpoints[0].unit_price == Decimal("1")  # priced since January
    assert PriceBook(database).entries()[0].as_dict()["unit_price"] == "1"
    # Production calls of an endpoint without a price are billable and cost nothing.
    live = TenantService(database.sessions, vault).create("acme live", "production").tenant
    _record(Meter(database, "production"), live.id, [(f"p{i}", VERIFY, 0, _at("2026-11-06", 9, i), 0.1) for i in range(2)])
    unpriced = usage_report(database, live.id, live.access_id, "production", "2026-11", "CNY")
    assert (unpriced.endpoints[0].billable, unpriced.endpoints[0].unit_price, unpriced.total.amount) == (2, None, 0)


@pytest.mark.parametrize("bad", ["-1", "abc", "NaN", "Infinity", "0.0000001", "", "1000000000000", "1E+30"])
def test_prices_are_refused_unless_finite_non_negative_with_six_places(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_price(bad)
    assert parse_price("0.000001") == Decimal("0.000001")
    assert str(parse_price("1E+2")) == "100" and str(parse_price("999999999999.999999")) == "999999999999.999999"


def test_month_must_be_a_calendar_month() -> None:
    assert month_days("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    for bad in ("2024-13", "2024-2", "24-02", "", "2024-02-01"):
        with pytest.raises(ValueError):
            month_days(bad)


def test_go_live_review_reports_volumes_errors_latency_peak_and_capacity(database: Database, vault: Vault) -> None:
    tenant = TenantService(database.sessions, vault).create("acme", "staging").tenant
    meter = Meter(database, "staging")
    base = _at("2026-11-10", 15)
    calls = [(f"v{i}", VERIFY, 0, base + i * 0.5, (i % 100 + 1) / 1000) for i in range(200)]  # 2/s, 1..100 ms
    calls += [(f"burst{i}", VERIFY, -2003 if i < 3 else 0, base + 300.1 + i * 0.01, 0.08) for i in range(12)]  # 12 in 1 s
    calls += [(f"o{i}", OCR, -3001, base + 400 + i, 0.5) for i in range(4)] + [("cut", OCR, None, base + 500, 0)]
    _record(meter, tenant.id, calls)
    review = go_live_review(database, tenant.id, tenant.access_id, "staging")
    verify, ocr = review.endpoints
    assert (verify.endpoint, verify.calls, verify.errors, verify.by_rtn) == (VERIFY, 212, 3, {0: 209, -2003: 3})
    # Nearest rank over 1..100 ms twice and twelve 80 ms: the 106th is 53 ms, the 210th 99 ms.
    assert verify.p50_ms == 53.0 and verify.p99_ms == 99.0
    assert (ocr.calls, ocr.unanswered, ocr.error_rate) == (5, 1, 1.0)
    assert review.peak_rps == 12 and review.peak_at == dt.datetime.fromtimestamp(int(base + 300), dt.UTC)
    assert review.required_rps == 18.0 and review.hosts == 1
    given = go_live_review(database, tenant.id, tenant.access_id, "staging", predicted_peak_rps=100, host_rps=34)
    assert given.required_rps == 150.0 and given.hosts == 5 and given.as_dict()["capacity"]["predicted_from"] == "given"
    assert given.in_flight == round(150 * given.mean_ms / 1000, 2)
    notes = " ".join(review.notes)
    assert "never answered" in notes and "errors" in notes and "p99 needs" in notes
    since = go_live_review(database, tenant.id, tenant.access_id, "staging",
                           since=dt.datetime.fromtimestamp(base + 399, dt.UTC))  # fmt: skip
    assert since.calls == 5 and since.peak_rps == 1
    assert "Production capacity at 1.5 x" in review.text()
    for bad in ({"predicted_peak_rps": 1e308}, {"predicted_peak_rps": -1.0}, {"host_rps": 0.0}):
        with pytest.raises(ValueError):
            go_live_review(database, tenant.id, tenant.access_id, "staging", **bad)
    empty = go_live_review(database, TenantService(database.sessions, vault).create("new", "staging").tenant.id, "x", "staging")
    assert empty.calls == 0 and empty.peak_rps == 0 and empty.hosts == 0 and "no calls" in " ".join(empty.notes)
