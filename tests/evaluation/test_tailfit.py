"""Tail fit of impostor scores: parameter recovery on known tails, the calibration table's
extrapolated rates, and the shipped table. No shared data needed."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from facesaas.errors import ConfigurationError
from facesaas.evaluation.calibrate import EmbeddedSet, build_calibration, tail_markdown
from facesaas.evaluation.tailfit import fit_exponential_tail, gpd_fit_mle, gpd_shape_pwm, validate_tail
from facesaas.face import calibration as calibration_module
from facesaas.face.calibration import (
    SEARCH_TRUE_NEGATIVE_RATES,
    TRUE_NEGATIVE_RATES,
    calibration_file,
    load_calibration,
)
from facesaas.face.embedder import DEFAULT_SCHEME

EXTRAPOLATED = [rate for rate in SEARCH_TRUE_NEGATIVE_RATES if rate not in TRUE_NEGATIVE_RATES]


def test_fit_recovers_a_known_exponential_tail() -> None:
    # P(S >= t) = exp(-(t - 0.1) / 0.03): every quantile is known exactly.
    start, beta = 0.1, 0.03
    scores = start + np.random.default_rng(7).exponential(beta, size=2_000_000)
    tail = fit_exponential_tail(scores)
    assert tail.exceedances == 2000 and tail.p_u == pytest.approx(1e-3)
    assert tail.u == pytest.approx(start + beta * np.log(1e3), abs=0.01)
    assert abs(tail.beta - beta) < 3 * beta / np.sqrt(tail.exceedances)
    for far in (1e-5, 1e-7, 1e-9):
        assert tail.threshold(far) == pytest.approx(start + beta * np.log(1 / far), abs=0.03)
        assert tail.far(tail.threshold(far)) == pytest.approx(far, rel=1e-9)


def test_extrapolated_thresholds_increase_and_stay_inside_the_fit() -> None:
    tail = fit_exponential_tail(np.random.default_rng(1).normal(size=500_000))
    thresholds = [tail.threshold(far) for far in (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)]
    assert all(low < high for low, high in zip(thresholds, thresholds[1:], strict=False))
    with pytest.raises(ValueError):
        tail.threshold(1e-2)  # above p_u: the body of the distribution, not the tail
    with pytest.raises(ValueError):
        fit_exponential_tail(np.random.default_rng(1).normal(size=50_000))  # 50 exceedances < 100


def test_exponential_fit_is_conservative_on_a_lighter_gaussian_tail() -> None:
    # Standard normal: the exact 1e-6 upper quantile is 4.7534; an exponential tail fitted at 1e-3
    # must put its threshold above it (false-accept rate below target), but not absurdly far.
    scores = np.random.default_rng(3).normal(size=2_000_000)
    tail = fit_exponential_tail(scores)
    assert 4.7534 < tail.threshold(1e-6) < 5.6
    (predicted,) = validate_tail(tail, scores, fars=(1e-4,))
    assert predicted["difference"] > 0 and predicted["measured_far_at_predicted"] <= 1e-4


@pytest.mark.parametrize("xi", [-0.25, 0.0, 0.2])
def test_gpd_shape_estimators_recover_the_shape(xi: float) -> None:
    sigma = 0.05
    uniform = np.random.default_rng(11).random(20_000)
    excess = -sigma * np.log1p(-uniform) if xi == 0 else sigma / xi * ((1 - uniform) ** -xi - 1)
    for fit in (gpd_fit_mle(excess), gpd_shape_pwm(excess)):
        assert fit.xi == pytest.approx(xi, abs=0.05), fit
        assert fit.sigma == pytest.approx(sigma, rel=0.08), fit


def _embedded(identities: int, per_identity: int, seed: int) -> EmbeddedSet:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(identities, 128))
    vectors = centres.repeat(per_identity, axis=0) + rng.normal(scale=0.8, size=(identities * per_identity, 128))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [str(i) for i in range(identities) for _ in range(per_identity)]
    return EmbeddedSet([f"{k}.jpg" for k in range(len(ids))], ids, vectors.astype(np.float32), failed=[])


def test_build_calibration_adds_the_search_rates_when_the_tail_can_be_fitted() -> None:
    table = build_calibration(_embedded(300, 3, seed=5), "synthetic", "sface")  # ~400 k impostor pairs
    assert list(table["thresholds"]) == list(SEARCH_TRUE_NEGATIVE_RATES)
    cosines = [table["thresholds"][rate]["cosine"] for rate in SEARCH_TRUE_NEGATIVE_RATES]
    assert all(low < high for low, high in zip(cosines, cosines[1:], strict=False))
    assert {table["thresholds"][rate]["method"] for rate in TRUE_NEGATIVE_RATES} == {"empirical"}
    assert {table["thresholds"][rate]["method"] for rate in EXTRAPOLATED} == {"exponential tail fit"}
    fit = table["tail_fit"]
    assert fit["u"] == table["thresholds"]["99.9"]["cosine"]
    assert fit["exceedances"] == round(fit["p_u"] * table["source"]["impostor_pairs"])
    assert "| 99.9999 |" in tail_markdown(table) and "extrapolated" in tail_markdown(table)


def test_build_calibration_skips_the_fit_on_too_few_pairs() -> None:
    table = build_calibration(_embedded(20, 4, seed=2), "small", "sface")  # ~3 k impostor pairs, 3 above u
    assert list(table["thresholds"]) == list(TRUE_NEGATIVE_RATES)
    assert "skipped" in table["tail_fit"] and "Tail fit skipped" in tail_markdown(table)


def test_shipped_table_has_all_seven_rates_consistent_with_its_fit() -> None:
    calibration = load_calibration()
    cosines = [calibration.cosine_threshold(rate) for rate in SEARCH_TRUE_NEGATIVE_RATES]
    similarities = [calibration.similarity_threshold(rate) for rate in SEARCH_TRUE_NEGATIVE_RATES]
    assert all(low < high for low, high in zip(cosines, cosines[1:], strict=False))
    assert all(low < high for low, high in zip(similarities, similarities[1:], strict=False)) and similarities[-1] < 100
    shipped = json.loads(resources.files("facesaas.face").joinpath(calibration_file(DEFAULT_SCHEME)).read_text())
    for rate in EXTRAPOLATED:
        entry = shipped["thresholds"][rate]
        fit = entry["tail_fit"]
        assert entry["method"] == "exponential tail fit" and fit["exceedances"] >= 1000
        assert entry["cosine"] == pytest.approx(fit["u"] + fit["beta"] * np.log(fit["p_u"] / entry["far"]), abs=2e-5)
        assert entry["similarity"] == pytest.approx(50 * (1 + entry["cosine"]), abs=1e-3)
    for rate in TRUE_NEGATIVE_RATES:
        assert shipped["thresholds"][rate]["method"] == "empirical"


def test_loader_rejects_thresholds_that_do_not_rise(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = json.loads(resources.files("facesaas.face").joinpath(calibration_file(DEFAULT_SCHEME)).read_text())
    shipped["thresholds"]["99.999999"]["cosine"] = shipped["thresholds"]["99.99999"]["cosine"]

    class _Files:
        def joinpath(self, name: str) -> _Files:
            return self

        def read_text(self, encoding: str = "utf-8") -> str:
            return json.dumps(shipped)

    monkeypatch.setattr(calibration_module.resources, "files", lambda package: _Files())
    with pytest.raises(ConfigurationError, match="do not rise"):
        load_calibration.__wrapped__()
    del shipped["thresholds"]["99.9999999"]
    with pytest.raises(ConfigurationError, match="99.9999999"):
        load_calibration.__wrapped__()
