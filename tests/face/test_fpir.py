"""The expected false-positive identification rate of a gallery (face.calibration.expected_fpir)."""

from __future__ import annotations

from decimal import Decimal, getcontext

import pytest

from facesaas.face.calibration import expected_fpir


def _exact(far: float, size: int) -> float:
    getcontext().prec = 50
    return float(1 - (1 - Decimal(far)) ** size)


@pytest.mark.parametrize(("far", "size"), [(1e-9, 10_000_000), (1e-7, 100_000), (1e-4, 237), (1e-3, 1000)])
def test_expected_fpir_keeps_its_digits(far: float, size: int) -> None:
    # (1 - far) ** size in floating point loses ~1e-8 relative at far 1e-9: the formula must not.
    assert expected_fpir(far, size) == pytest.approx(_exact(far, size), rel=1e-12)


def test_expected_fpir_limits() -> None:
    assert expected_fpir(1e-9, 10_000_000) == pytest.approx(0.00995, rel=1e-3)  # ≈ N·FAR while small
    assert expected_fpir(1e-3, 1_000_000) == pytest.approx(1.0)
    assert expected_fpir(1e-4, 0) == 0.0
