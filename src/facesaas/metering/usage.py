"""A customer's usage in one billing month: calls, billable calls and the amount, per endpoint
and per day (``facesaas usage``, ``GET /console/api/usage``).

Counts are exact integers read from the ``calls`` table with one grouped query; amounts are
``billable × unit price of that day`` in :class:`~decimal.Decimal`, summed exactly.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from facesaas.auth.quotas import billing_day
from facesaas.metering.models import Call
from facesaas.metering.prices import PriceBook
from facesaas.storage.database import Database

__all__ = ["UsageLine", "UsageReport", "usage_report", "month_days", "current_month"]

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """First and last billing day of ``month`` ("YYYY-MM"); ValueError otherwise."""
    match = _MONTH.match(month or "")
    if match is None:
        raise ValueError(f"month must be YYYY-MM, not {month!r}")
    year, number = int(match.group(1)), int(match.group(2))
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def current_month(utc_offset_hours: int, now: float | None = None) -> str:
    """The billing month ("YYYY-MM") of ``now`` (default: this instant)."""
    return billing_day(time.time() if now is None else now, utc_offset_hours).strftime("%Y-%m")


@dataclass
class UsageLine:
    """Calls of one endpoint (on one day, or in the month). ``unanswered``: calls whose worker
    stopped before answering (never billed). ``unit_price`` None: unpriced; on a month line it
    is the price when it did not change in the month, else None (the day lines have each)."""

    endpoint: str
    calls: int = 0
    billable: int = 0
    unanswered: int = 0
    amount: Decimal = Decimal(0)
    unit_price: Decimal | None = None
    day: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"endpoint": self.endpoint} if self.day is None else {"date": self.day.isoformat(), "endpoint": self.endpoint}
        out.update(calls=self.calls, billable=self.billable, unanswered=self.unanswered,
                   unit_price=None if self.unit_price is None else str(self.unit_price), amount=str(self.amount))  # fmt: skip
        return out


@dataclass
class UsageReport:
    access_id: str
    cluster: str
    month: str
    currency: str
    days: list[UsageLine] = field(default_factory=list)
    endpoints: list[UsageLine] = field(default_factory=list)

    @property
    def total(self) -> UsageLine:
        line = UsageLine("total")
        for item in self.endpoints:
            line.calls += item.calls
            line.billable += item.billable
            line.unanswered += item.unanswered
            line.amount += item.amount
        return line

    def as_dict(self) -> dict[str, Any]:
        total = self.total.as_dict()
        total.pop("endpoint")
        total.pop("unit_price")
        return {"access_id": self.access_id, "cluster": self.cluster, "month": self.month, "currency": self.currency,
                "endpoints": [line.as_dict() for line in self.endpoints],
                "days": [line.as_dict() for line in self.days], "total": total}  # fmt: skip

    def csv(self) -> str:
        """One row per day and endpoint, then one per endpoint for the month (date column: the
        month), then the total (endpoint column: "total")."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["date", "endpoint", "calls", "billable", "unanswered", "unit_price", "amount", "currency"])
        for line in self.days:
            writer.writerow([line.day.isoformat() if line.day else "", line.endpoint, line.calls, line.billable,
                             line.unanswered, "" if line.unit_price is None else line.unit_price, line.amount, self.currency])  # fmt: skip
        for line in [*self.endpoints, self.total]:
            writer.writerow([self.month, line.endpoint, line.calls, line.billable, line.unanswered,
                             "" if line.unit_price is None else line.unit_price, line.amount, self.currency])  # fmt: skip
        return out.getvalue()

    def text(self) -> str:
        """The month per endpoint as an aligned table."""
        rows = [("endpoint", "calls", "billable", "unanswered", "unit price", f"amount ({self.currency})")]
        rows_total = self.total
        for line in [*self.endpoints, rows_total]:
            # "-": unpriced, or the price changed during the month (the day lines have each).
            price = "" if line is rows_total else ("-" if line.unit_price is None else str(line.unit_price))
            rows.append((line.endpoint, str(line.calls), str(line.billable), str(line.unanswered), price, str(line.amount)))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        head = f"{self.access_id} ({self.cluster}), {self.month}"
        return head + "\n" + "\n".join("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                                                  for i, cell in enumerate(row)) for row in rows) + "\n"  # fmt: skip


def usage_report(
    database: Database, tenant_id: int, access_id: str, cluster: str, month: str, currency: str = "CNY"
) -> UsageReport:
    """The usage of tenant ``tenant_id`` in ``month`` ("YYYY-MM", billing days; ValueError
    otherwise), priced with the database's price table. Cost: one grouped query over the
    tenant's calls of the month (index on tenant and day) and one read of the prices."""
    first, last = month_days(month)
    prices = PriceBook(database, currency).schedule()
    query = (
        select(
            Call.day, Call.endpoint, func.count(),
            func.sum(case((Call.billable.is_(True), 1), else_=0)),
            func.sum(case((Call.finished_at.is_(None), 1), else_=0)),
        )
        .where(Call.tenant_id == tenant_id, Call.day >= first, Call.day <= last)
        .group_by(Call.day, Call.endpoint)
        .order_by(Call.day, Call.endpoint)
    )  # fmt: skip
    with database.connect() as connection:
        rows = connection.execute(query).all()
    report = UsageReport(access_id, cluster, month, currency)
    months: dict[str, UsageLine] = {}
    seen_prices: dict[str, set[Decimal | None]] = {}
    for day, endpoint, calls, billable, unanswered in rows:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        price = prices.price_on(endpoint, day)
        amount = (price or Decimal(0)) * int(billable or 0)
        report.days.append(UsageLine(endpoint, int(calls), int(billable or 0), int(unanswered or 0), amount, price, day))
        line = months.setdefault(endpoint, UsageLine(endpoint))
        line.calls += int(calls)
        line.billable += int(billable or 0)
        line.unanswered += int(unanswered or 0)
        line.amount += amount
        seen_prices.setdefault(endpoint, set()).add(price)
    for endpoint, line in sorted(months.items()):
        if len(seen_prices[endpoint]) == 1:
            line.unit_price = next(iter(seen_prices[endpoint]))
        report.endpoints.append(line)
    return report
