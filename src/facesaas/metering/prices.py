"""The price table: a unit price per endpoint from a billing day on (``facesaas price set``).

Prices are decimal strings (at most 6 decimal places, e.g. "0.012") turned into
:class:`decimal.Decimal`, so ``billable calls × price`` is exact. A price applies from its
``effective_from`` day until the endpoint's next price; a day before an endpoint's first price
is unpriced (amount 0, flagged in the bill).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select

from facesaas.metering.models import Price
from facesaas.storage.database import Database

__all__ = ["PriceBook", "PriceEntry", "parse_price"]

MAX_DECIMALS = 6
MAX_PRICE = Decimal(10) ** 12
"""Prices stay below this (12 integer digits): the stored text fits its column."""


def parse_price(text: str) -> Decimal:
    """``text`` as a price ≥ 0 and < 10¹² with at most 6 decimal places, in fixed-point form
    ("1E+2" is 100); ValueError otherwise."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise ValueError(f"not a decimal amount: {text!r}") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"a price is a finite amount ≥ 0, not {text!r}")
    if -value.as_tuple().exponent > MAX_DECIMALS:  # type: ignore[operator]
        raise ValueError(f"at most {MAX_DECIMALS} decimal places: {text!r}")
    if value >= MAX_PRICE:
        raise ValueError(f"a price is below {MAX_PRICE:f}, not {text!r}")
    return Decimal(f"{value:f}")


@dataclass(frozen=True)
class PriceEntry:
    endpoint: str
    effective_from: dt.date
    unit_price: Decimal
    currency: str

    def as_dict(self) -> dict[str, str]:
        return {"endpoint": self.endpoint, "effective_from": self.effective_from.isoformat(),
                "unit_price": str(self.unit_price), "currency": self.currency}  # fmt: skip


class PriceBook:
    """The prices in ``database``, read once per report (a few rows)."""

    def __init__(self, database: Database, currency: str = "CNY") -> None:
        self._database = database
        self.currency = currency

    def set(self, endpoint: str, unit_price: str, effective_from: dt.date) -> PriceEntry:
        """Price ``endpoint`` at ``unit_price`` from ``effective_from`` on (replacing a price set
        for that same day)."""
        if not endpoint.startswith("/") or len(endpoint) > 64:
            raise ValueError(f"an endpoint is a path such as /face/basic/ocr, not {endpoint!r}")
        value = parse_price(unit_price)
        with self._database.transaction() as session:
            session.execute(delete(Price).where(Price.endpoint == endpoint, Price.effective_from == effective_from))
            session.add(Price(endpoint=endpoint, effective_from=effective_from, unit_price=str(value), currency=self.currency))
        return PriceEntry(endpoint, effective_from, value, self.currency)

    def entries(self) -> list[PriceEntry]:
        """Every price, by endpoint then day."""
        with self._database.connect() as connection:
            rows = connection.execute(select(Price).order_by(Price.endpoint, Price.effective_from)).all()
        return [PriceEntry(r.endpoint, r.effective_from, Decimal(r.unit_price), r.currency) for r in rows]

    def schedule(self) -> PriceSchedule:
        """The table as a lookup for one report."""
        return PriceSchedule(self.entries())


class PriceSchedule:
    """``price_on(endpoint, day)`` over a fixed list of prices (no database access)."""

    def __init__(self, entries: list[PriceEntry]) -> None:
        self._days: dict[str, list[dt.date]] = {}
        self._prices: dict[str, list[Decimal]] = {}
        for entry in sorted(entries, key=lambda e: (e.endpoint, e.effective_from)):
            self._days.setdefault(entry.endpoint, []).append(entry.effective_from)
            self._prices.setdefault(entry.endpoint, []).append(entry.unit_price)

    def price_on(self, endpoint: str, day: dt.date) -> Decimal | None:
        """The unit price of ``endpoint`` on ``day``; None when it had none yet."""
        days = self._days.get(endpoint)
        if not days:
            return None
        index = bisect.bisect_right(days, day) - 1
        return self._prices[endpoint][index] if index >= 0 else None
