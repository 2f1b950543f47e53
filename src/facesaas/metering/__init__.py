"""Metering and billing (issue 15): every authenticated call on staging and production is one
row (:class:`Meter`), production calls answered rtn 0 are billable (:func:`is_billable`), a price
table per endpoint (:class:`PriceBook`), the monthly usage and bill (:func:`usage_report`) and
the go-live review of staging traffic (:func:`go_live_review`). docs/billing.md tells the rules.

Tenants are named by id here (the callers resolve AccessIDs): this package stands beside
``tenants`` and does not import it.
"""

from facesaas.metering.meter import Meter, is_billable
from facesaas.metering.prices import PriceBook, PriceEntry, PriceSchedule, parse_price
from facesaas.metering.review import HEADROOM, HOST_RPS, MAX_PREDICTED_RPS, Review, go_live_review
from facesaas.metering.usage import UsageReport, current_month, month_days, usage_report

__all__ = [
    "HEADROOM",
    "HOST_RPS",
    "MAX_PREDICTED_RPS",
    "Meter",
    "PriceBook",
    "PriceEntry",
    "PriceSchedule",
    "Review",
    "UsageReport",
    "go_live_review",
    "current_month",
    "is_billable",
    "month_days",
    "parse_price",
    "usage_report",
]
