"""Thresholds below what a data set can measure: a fit of the impostor score tail.

Peaks over threshold: above a threshold ``u`` (the cosine score at which the empirical
false-accept rate is 1e-3), the excesses ``S − u`` of impostor scores are modelled as
exponential (a generalized Pareto distribution with shape ξ = 0)::

    P(S ≥ t) = p_u · exp(−(t − u) / β)          for t ≥ u
    t(FAR)  = u + β · ln(p_u / FAR)             for FAR < p_u

``p_u`` is the share of impostor scores ≥ ``u`` and ``β`` (cosine units) the maximum-likelihood
scale, the mean excess. The exponential tail is deliberately conservative here: cosine is
bounded at 1, so the true tail is lighter than exponential (GPD shape ξ < 0); an exponential
tail puts more probability mass at high scores than the truth, so the thresholds it gives are at
or above the true ones (the real false-accept rate at them is at most the target).

The GPD shape estimate (:func:`gpd_fit_mle`, :func:`gpd_shape_pwm`) is computed for the
documentation only, to show how far from exponential the tail is; it is not used for
thresholds. All functions are plain numpy and cost O(n log n) for n scores (one sort).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "threshold_at_far",
    "ExponentialTail",
    "GPDFit",
    "fit_exponential_tail",
    "gpd_fit_mle",
    "gpd_shape_pwm",
    "tail_summary",
    "validate_tail",
]

TAIL_START_FAR = 1e-3
"""The fit's threshold u is the empirical threshold at this false-accept rate."""

MIN_EXCEEDANCES = 100
"""Fewer impostor scores than this above u make no usable fit (β's relative error ~1/√n)."""


def threshold_at_far(impostor: np.ndarray, far: float) -> float:
    """Lowest score t with mean(impostor >= t) <= far, for any score where higher means more
    alike (cosine here; the benchmark passes minus dlib's distance). Ties resolve upward."""
    ordered = np.sort(impostor)[::-1]
    # 3/3000 * 3000 may come out as 2.9999999999999996: nudge before flooring.
    allowed = int(np.floor(far * len(ordered) + 1e-9))
    if allowed >= len(ordered):
        return float(ordered[-1])
    # Accepting strictly above the (allowed+1)-th highest impostor score keeps at most `allowed`.
    return float(np.nextafter(ordered[allowed], np.inf))



@dataclass(frozen=True)
class ExponentialTail:
    """An exponential tail ``P(S ≥ t) = p_u·exp(−(t−u)/β)`` fitted above ``u``.

    ``u`` and ``beta`` are in cosine units; ``p_u`` is a probability (the share of impostor
    scores ≥ u); ``exceedances`` is how many scores the fit used, out of ``total``; u is the
    empirical threshold at false-accept rate ``tail_far``.
    """

    u: float
    p_u: float
    beta: float
    exceedances: int
    total: int
    tail_far: float = TAIL_START_FAR

    @property
    def beta_standard_error(self) -> float:
        """β/√n, the MLE's standard error for independent scores (cosine units). Impostor pairs
        share images, so the real uncertainty is larger."""
        return self.beta / np.sqrt(self.exceedances)

    def threshold(self, far: float) -> float:
        """The cosine score t with ``P(S ≥ t) = far`` under the fit; only for ``far < p_u``."""
        if not 0.0 < far < self.p_u:
            raise ValueError(f"the tail fit covers false-accept rates in (0, {self.p_u:g}), not {far:g}")
        return float(self.u + self.beta * np.log(self.p_u / far))

    def far(self, threshold: float) -> float:
        """The fitted false-accept rate ``P(S ≥ threshold)`` for a cosine ``threshold ≥ u``."""
        if threshold < self.u:
            raise ValueError(f"the tail fit covers thresholds ≥ u = {self.u:.6f}, not {threshold:.6f}")
        return float(self.p_u * np.exp(-(threshold - self.u) / self.beta))

    def as_dict(self) -> dict:
        """JSON-ready parameters (rounded; cosine units for u and beta)."""
        return {
            "u": round(self.u, 6),
            "p_u": float(f"{self.p_u:.6g}"),
            "beta": round(self.beta, 6),
            "exceedances": self.exceedances,
        }


@dataclass(frozen=True)
class GPDFit:
    """Generalized Pareto fit of the excesses over u: shape ``xi`` (0 = exponential, < 0 = a
    bounded tail with end point ``u + sigma/(−xi)``) and scale ``sigma`` (cosine units)."""

    xi: float
    sigma: float
    method: str

    @property
    def end_point(self) -> float | None:
        """The excess beyond which the fitted tail has no mass (cosine units), for ξ < 0."""
        return self.sigma / -self.xi if self.xi < 0 else None


def _excesses(scores: np.ndarray, far: float) -> tuple[float, np.ndarray, int]:
    """(u, sorted excesses ≥ 0 of the scores ≥ u, total count), u the empirical score at ``far``.

    u follows :func:`threshold_at_far`: the lowest score that
    keeps at most ``far`` of the scores at or above it.
    """
    values = np.asarray(scores, dtype=np.float64).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError("need a non-empty array of finite scores")
    u = threshold_at_far(values, far)
    excess = np.sort(values[values >= u] - u)
    return u, excess, int(values.size)


def fit_exponential_tail(
    impostor: np.ndarray, tail_far: float = TAIL_START_FAR, min_exceedances: int = MIN_EXCEEDANCES
) -> ExponentialTail:
    """Fit ``P(S ≥ t) = p_u·exp(−(t−u)/β)`` to impostor cosine scores above the empirical
    FAR-``tail_far`` threshold u; β is the MLE (the mean excess, cosine units).

    Raises ValueError when fewer than ``min_exceedances`` scores lie at or above u (on celeba,
    ~3 M impostor pairs give ~3,000). Cost: one sort of the scores.
    """
    u, excess, total = _excesses(impostor, tail_far)
    if excess.size < max(2, min_exceedances):
        raise ValueError(f"{excess.size} impostor scores above u; the tail fit needs at least {min_exceedances}")
    beta = float(excess.mean())
    if not beta > 0:
        raise ValueError("the impostor scores above u are all equal; no tail to fit")
    return ExponentialTail(
        u=float(u), p_u=excess.size / total, beta=beta, exceedances=int(excess.size), total=total, tail_far=tail_far
    )


def gpd_shape_pwm(excess: np.ndarray) -> GPDFit:
    """Probability-weighted-moments estimate of the GPD (Hosking & Wallis 1987) from excesses
    ≥ 0 (cosine units). ξ = 2 − a0/(a0 − 2·a1), σ = 2·a0·a1/(a0 − 2·a1), where a0 is the mean
    excess and a1 = mean((1 − p_i)·y_(i)), p_i = (i − 0.35)/n on the ascending order."""
    y = np.sort(np.asarray(excess, dtype=np.float64))
    n = y.size
    if n < 2:
        raise ValueError("need at least 2 excesses")
    a0 = y.mean()
    a1 = float(np.mean((1.0 - (np.arange(1, n + 1) - 0.35) / n) * y))
    denominator = a0 - 2.0 * a1
    return GPDFit(xi=float(2.0 - a0 / denominator), sigma=float(2.0 * a0 * a1 / denominator), method="PWM")


def _profile_loglik(theta: float, y: np.ndarray) -> tuple[float, float]:
    """GPD log-likelihood maximised over ξ for θ = ξ/σ (Grimshaw's reduction): ξ(θ) =
    mean(ln(1 + θ·y)) and ℓ(θ) = −n·(ln(ξ/θ) + 1 + ξ). Returns (ℓ, ξ); ℓ = −inf where invalid."""
    n = y.size
    if abs(theta) < 1e-12:
        return -n * (np.log(y.mean()) + 1.0), 0.0
    arg = 1.0 + theta * y
    if np.any(arg <= 0):
        return -np.inf, np.nan
    xi = float(np.mean(np.log(arg)))
    if xi / theta <= 0 or xi < -1.0:  # σ must be positive; ξ < −1 has no MLE
        return -np.inf, xi
    return float(-n * (np.log(xi / theta) + 1.0 + xi)), xi


def gpd_fit_mle(excess: np.ndarray) -> GPDFit:
    """Maximum-likelihood GPD fit of excesses ≥ 0 (cosine units), by a grid search on
    θ = ξ/σ ∈ (−1/max(y), 50/mean(y)] refined with golden-section search. Cost: ~400
    evaluations of O(n)."""
    y = np.asarray(excess, dtype=np.float64)
    y = y[y > 0]
    if y.size < 10:
        raise ValueError("need at least 10 positive excesses")
    lower, upper = -1.0 / y.max(), 50.0 / y.mean()
    # Negative θ (bounded tails, the case here) are spread towards the end point −1/max(y).
    negatives = lower * (1.0 - np.geomspace(1e-6, 1.0, 150, endpoint=False))
    grid = np.concatenate([negatives, [0.0], np.geomspace(1e-4 / y.mean(), upper, 150)])
    values = np.array([_profile_loglik(t, y)[0] for t in grid])
    best = int(np.argmax(values))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(80):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if _profile_loglik(c, y)[0] >= _profile_loglik(d, y)[0]:
            b = d
        else:
            a = c
    theta = (a + b) / 2.0
    loglik, xi = _profile_loglik(theta, y)
    if not np.isfinite(loglik) or loglik < values[best]:
        theta = grid[best]
        _, xi = _profile_loglik(theta, y)
    sigma = xi / theta if abs(theta) > 1e-12 else float(y.mean())
    return GPDFit(xi=float(xi), sigma=float(sigma), method="MLE")


def validate_tail(tail: ExponentialTail, impostor: np.ndarray, fars: Iterable[float] = (1e-4, 1e-5)) -> list[dict]:
    """Predicted against empirical thresholds at FARs the data can still measure.

    Per FAR: ``predicted`` (the fit's cosine threshold), ``empirical`` (the measured one, as in
    calibration), ``difference`` = predicted − empirical (cosine units; > 0 means the fit is
    conservative there), and ``measured_far_at_predicted`` (the share of impostor scores ≥ the
    predicted threshold). In-sample: the scores above these thresholds are part of the fit.
    """
    scores = np.asarray(impostor, dtype=np.float64).ravel()
    rows = []
    for far in fars:
        predicted = tail.threshold(far)
        empirical = threshold_at_far(scores, far)
        rows.append(
            {
                "far": far,
                "predicted": round(predicted, 6),
                "empirical": round(empirical, 6),
                "difference": round(predicted - empirical, 6),
                "measured_far_at_predicted": float(np.mean(scores >= predicted)),
            }
        )
    return rows


def tail_summary(impostor: np.ndarray, tail: ExponentialTail) -> dict:
    """The ``tail_fit`` block of a calibration table: the fit, the GPD shape estimates (documentation
    only) and the validation against measured thresholds."""
    scores = np.asarray(impostor, dtype=np.float64).ravel()
    excess = scores[scores >= tail.u] - tail.u  # the excesses the fit used
    mle, pwm = gpd_fit_mle(excess), gpd_shape_pwm(excess)
    return {
        "model": "P(S >= t) = p_u * exp(-(t - u) / beta) for t >= u (GPD with shape 0)",
        "u_far": tail.tail_far,
        **tail.as_dict(),
        "impostor_pairs": tail.total,
        "beta_standard_error": round(tail.beta_standard_error, 6),
        "gpd_shape": {
            fit.method: {k: round(v, 4) for k, v in asdict(fit).items() if k != "method"} for fit in (mle, pwm)
        },
        "validation": validate_tail(tail, impostor),
    }
