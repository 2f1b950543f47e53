"""Synthetic SFace-like face embeddings for the 10-million-face scale benchmark.

A real gallery of 10 M faces is not available, so the scale benchmark searches synthetic 128-d
unit vectors whose genuine (same identity) and impostor (different identities) cosine
distributions match what SFace gives on celeba. The model, fitted from the celeba embeddings:

    face = normalize(M + q·(z·B + r·z'·W))
    q = exp(κ·g − κ²) per identity,  r = exp(τ·|g'|) per face,  z, z' ~ N(0, I₁₂₈),  g, g' ~ N(0, 1)

with one (z, g) per identity and one (z', g') per face. ``M = m·μ`` (μ the mean embedding);
``BᵀB`` is the between-identity covariance (of identity means, corrected for their own
within-identity noise, shrunk to isotropy: see :data:`SHRINKAGE`) and ``WᵀW = s²·Σ_w`` the
within-identity covariance (faces minus their identity mean). q is how far an identity lies
from the average face, for its look and its photos alike (it makes the impostor tail: pairs
of "average" faces score high); r ≥ 1 is photo quality (most photos are good, a few are
far off: the long lower tail of genuine scores). The scalars m, s, κ, τ are tuned by weighted
least squares (:data:`FIT_WEIGHTS`) on a fixed synthetic sample so that the impostor and
genuine statistics match celeba's, the impostor upper tail and the genuine median first;
``--check`` prints how well they do. ``synthetic_params.npz`` holds M, B, W, κ, τ, the fitted
scalars and celeba's statistics — no images and no per-image embeddings.

Limits: beyond what celeba measures the synthetic impostor tail is lighter than the real one.
On 20 M random synthetic impostor pairs the FAR-1e-5 score is 0.478 (celeba: 0.514 measured,
0.500 from the tail fit), and at the shipped "99.9999" threshold (cosine 0.5617) the synthetic
FAR is ~5e-8, not 1e-6: false accepts counted on a synthetic gallery at the 1:N thresholds are
optimistic, and so are rank-1 misses caused by look-alikes. Speed and memory are what this
gallery measures best.

Faces are generated in blocks of 65,536 (:data:`BLOCK`), each seeded from (seed, block), so
any chunking of the same gallery gives the same vectors and a 10 M gallery streams without
being held in memory. A gallery of N faces is the first N faces of one endless sequence, so a
1 M gallery is a prefix of a 10 M one (up to the last identity, cut at N).

    .venv/bin/python bench/synthetic.py --check            # synthetic vs celeba (Markdown)
    .venv/bin/python bench/synthetic.py --fit /tmp/celeba_embeddings.npz   # or the celeba folder
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_PARAMS = HERE / "synthetic_params.npz"
CELEBA_EMBEDDINGS = Path("/tmp/celeba_embeddings.npz")
"""Cache of the celeba embeddings (names, identities, embeddings, failed); ``--fit`` writes it
when it has to embed the celeba folder."""

DIM = 128
BLOCK = 65_536
"""Faces per seeded block of the gallery."""
CENTRE_BLOCK = 4_096
"""Identity centres per seeded block (a centre depends on the identity index only)."""
SHRINKAGE = 1.0
"""Weight of the isotropic target in the between-identity covariance. Σ_b estimated from 237
identities in 128 dimensions has a much wider eigenvalue spread than the truth (sample
covariance with n ≈ 2p); any of it makes the impostor spread too wide (fits with a free
shrinkage all ran to 1), so only its trace is kept."""

# Random streams: (seed, stream, ...) seeds one numpy Generator.
_SIZES, _CENTRES, _FACES, _PROBE_FACES, _NEW_CENTRES = range(5)

TARGET_KEYS = (
    "impostor_mean",
    "impostor_std",
    "impostor_q1e-3",
    "impostor_q1e-4",
    "genuine_mean",
    "genuine_std",
    "genuine_q10",
    "genuine_q50",
    "genuine_q90",
)
"""Statistics of pair cosines. ``impostor_q1e-3`` is the score exceeded by a share 1e-3 of
impostor pairs (the FAR-1e-3 threshold); ``genuine_q10`` the 10 % quantile of genuine scores."""
FIT_WEIGHTS = {
    "impostor_mean": 10.0,
    "impostor_std": 3.0,
    "impostor_q1e-3": 10.0,
    "impostor_q1e-4": 10.0,
    "genuine_mean": 1.0,
    "genuine_std": 1.0,
    "genuine_q10": 3.0,
    "genuine_q50": 10.0,
    "genuine_q90": 1.0,
}
"""Weights of the statistics in the fit (cosine residuals). The scale benchmark counts false
accepts at high thresholds (the impostor upper tail) and misses (genuine scores below a
threshold: median and lower tail); how far above a threshold the best genuine pairs lie
matters least. Four scalars cannot match all nine: this model's impostor spread comes out a
little wider than celeba's when its tail matches."""


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(list(key))


class _Model:
    """The generative model's arrays (float32) and spreads; see the module docstring."""

    def __init__(self, mean: np.ndarray, between: np.ndarray, within: np.ndarray, kappa: float, tau: float) -> None:
        self.mean = np.asarray(mean, np.float32)
        self.between = np.asarray(between, np.float32)
        self.within = np.asarray(within, np.float32)
        self.kappa, self.tau = float(kappa), float(tau)

    def identities(self, z: np.ndarray, g: np.ndarray) -> np.ndarray:
        """(n, 129) float32 from z (n, 128) and g (n,) standard normals: the identity centres
        M + q·z·B (not normalised) and, in the last column, q."""
        spread = np.exp(self.kappa * g - self.kappa**2).astype(np.float32)
        return np.hstack([(z @ self.between) * spread[:, None] + self.mean, spread[:, None]])

    def faces(self, identities: np.ndarray, z: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Unit face vectors (float32, (n, 128)) of ``identities`` (rows of :meth:`identities`, one
        per face) from z (n, 128) and g (n,) standard normals."""
        spread = identities[:, DIM] * np.exp(self.tau * np.abs(g))
        faces = (z @ self.within) * spread[:, None]
        faces += identities[:, :DIM]
        faces /= np.linalg.norm(faces, axis=1, keepdims=True)
        return faces


def _group_by(keys: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(key, positions of that key) for each distinct key, in one sort."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if keys.size else np.zeros(0, np.int64)
    return [(int(ordered[a]), rows) for a, rows in zip(starts, np.split(order, starts[1:]), strict=True)]


def _draw(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, 128) and (rows,) float32 standard normals, in this order from ``rng``."""
    return rng.standard_normal((rows, DIM), dtype=np.float32), rng.standard_normal(rows, dtype=np.float32)


class SyntheticFaces:
    """A deterministic synthetic gallery of ``gallery_size`` faces and probes against it.

    ``seed`` selects the population; ``faces_per_identity`` (inclusive range) the number of
    gallery faces per identity, uniform. Construction costs ~1 ms per 65,536 gallery faces
    (the identity layout of each block); vectors are generated on demand.
    """

    def __init__(
        self,
        params_path: Path | None = None,
        seed: int = 0,
        faces_per_identity: tuple[int, int] = (1, 5),
        gallery_size: int = 10_000_000,
    ) -> None:
        low, high = faces_per_identity
        if not 1 <= low <= high:
            raise ValueError(f"faces_per_identity must be 1 <= low <= high, not {faces_per_identity}")
        if gallery_size < 1:
            raise ValueError("gallery_size must be positive")
        with np.load(params_path or DEFAULT_PARAMS) as params:
            self.model = _Model(
                params["mean"], params["between_sqrt"], params["within_sqrt"], params["kappa"], params["tau"]
            )
            self.targets = {key: float(params[f"celeba_{key}"]) for key in TARGET_KEYS}
        self.seed = seed
        self.faces_per_identity = (low, high)
        self.gallery_size = gallery_size
        blocks = -(-gallery_size // BLOCK)
        counts = [int(self._block_layout(block)[-1]) + 1 for block in range(blocks - 1)]
        last_rows = gallery_size - (blocks - 1) * BLOCK
        counts.append(int(self._block_layout(blocks - 1)[last_rows - 1]) + 1)
        self._first_identity = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._cache: dict[str, OrderedDict[int, np.ndarray]] = {"faces": OrderedDict(), "centres": OrderedDict()}

    @property
    def identity_count(self) -> int:
        """Identities with at least one face in the gallery (indices 0 .. identity_count−1)."""
        return int(self._first_identity[-1])

    # --- identities -----------------------------------------------------------------------

    def _block_layout(self, block: int) -> np.ndarray:
        """Local identity (0, 0, 1, 1, 1, 2, ...) of each of the BLOCK faces of ``block``: an
        identity's faces are contiguous and never span two blocks."""
        low, high = self.faces_per_identity
        sizes = _rng(self.seed, _SIZES, block).integers(low, high + 1, size=BLOCK // low + 1)
        return np.searchsorted(np.cumsum(sizes), np.arange(BLOCK), side="right")

    def identity_of(self, face_ids: np.ndarray) -> np.ndarray:
        """Identity index (int64, 0 .. identity_count−1) of gallery face indices (0 .. gallery_size−1)."""
        faces = np.asarray(face_ids, dtype=np.int64)
        if faces.size and (faces.min() < 0 or faces.max() >= self.gallery_size):
            raise IndexError(f"face indices must lie in [0, {self.gallery_size})")
        out = np.empty(faces.size, dtype=np.int64)
        for block, rows in _group_by(faces.ravel() // BLOCK):
            out[rows] = self._first_identity[block] + self._block_layout(block)[faces.ravel()[rows] % BLOCK]
        return out.reshape(faces.shape)

    def _identity_rows(self, identities: np.ndarray) -> np.ndarray:
        """Rows of :meth:`_Model.identities` (float32, (n, 129)) for identity indices ≥ 0."""
        out = np.empty((len(identities), DIM + 1), dtype=np.float32)
        for block, rows in _group_by(identities // CENTRE_BLOCK):
            out[rows] = self._centre_block(block)[identities[rows] % CENTRE_BLOCK]
        return out

    def _centre_block(self, block: int) -> np.ndarray:
        return self._cached(
            "centres", block, lambda: self.model.identities(*_draw(_rng(self.seed, _CENTRES, block), CENTRE_BLOCK))
        )

    def _cached(self, kind: str, block: int, make: Callable[[], np.ndarray]) -> np.ndarray:
        """The last 2 face blocks (32 MB each) and 16 centre blocks (2 MB each) are kept."""
        cache = self._cache[kind]
        if block in cache:
            cache.move_to_end(block)
            return cache[block]
        value = cache[block] = make()
        while len(cache) > (2 if kind == "faces" else 16):
            cache.popitem(last=False)
        return value

    # --- gallery --------------------------------------------------------------------------

    def _face_block(self, block: int) -> np.ndarray:
        def make() -> np.ndarray:
            rows = min(BLOCK, self.gallery_size - block * BLOCK)
            identities = self._first_identity[block] + self._block_layout(block)[:rows]
            noise, quality = _draw(_rng(self.seed, _FACES, block), BLOCK)
            return self.model.faces(self._identity_rows(identities), noise[:rows], quality[:rows])

        return self._cached("faces", block, make)

    def gallery_chunk(self, start: int, stop: int) -> np.ndarray:
        """Unit vectors (float32, (stop−start, 128)) of gallery faces start .. stop−1, the same
        for any chunking. Cost: ~0.15 s per 65,536-face block on one core; recent blocks are
        cached, so chunks smaller than a block cost little extra."""
        if not 0 <= start <= stop <= self.gallery_size:
            raise IndexError(f"need 0 <= start <= stop <= {self.gallery_size}, got {start}, {stop}")
        parts = []
        for block in range(start // BLOCK, -(-stop // BLOCK)):
            lo, hi = max(start, block * BLOCK) - block * BLOCK, min(stop, (block + 1) * BLOCK) - block * BLOCK
            parts.append(self._face_block(block)[lo:hi])
        return np.concatenate(parts) if parts else np.zeros((0, DIM), np.float32)

    def exact_top(
        self, probes: np.ndarray, top: int, on_chunk: Callable[[int, np.ndarray], None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The exact ``top`` best scores (float32) and gallery positions (int64) per probe, best
        first, over the whole gallery regenerated chunk by chunk; ``on_chunk(start, scores)``
        sees each chunk's (probes × chunk) score matrix. Cost: one pass over the gallery."""
        scores_top = np.full((len(probes), top), -2.0, np.float32)
        index_top = np.full((len(probes), top), -1, np.int64)
        for start in range(0, self.gallery_size, BLOCK):
            stop = min(self.gallery_size, start + BLOCK)
            scores = probes @ self.gallery_chunk(start, stop).T
            if on_chunk is not None:
                on_chunk(start, scores)
            part = np.argpartition(-scores, top, axis=1)[:, :top]
            merged_scores = np.hstack([scores_top, np.take_along_axis(scores, part, axis=1)])
            merged_index = np.hstack([index_top, start + part])
            keep = np.argsort(-merged_scores, axis=1, kind="stable")[:, :top]
            scores_top = np.take_along_axis(merged_scores, keep, axis=1)
            index_top = np.take_along_axis(merged_index, keep, axis=1)
        return scores_top, index_top

    # --- probes ---------------------------------------------------------------------------

    def probes(self, count: int, mated: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``count`` new faces (float32 unit vectors, (count, 128)) and their identities (int64).

        mated: faces of gallery identities drawn uniformly (a new photo, never a gallery face);
        identity = the gallery identity index. Not mated: one face each of new identities that
        are not in the gallery; identity −1. Deterministic in (constructor seed, ``seed``,
        ``mated``).
        """
        rng = _rng(self.seed, _PROBE_FACES, seed, int(mated))
        if mated:
            identities = rng.integers(0, self.identity_count, size=count)
            rows = self._identity_rows(identities)
        else:
            identities = np.full(count, -1, dtype=np.int64)
            rows = self.model.identities(*_draw(_rng(self.seed, _NEW_CENTRES, seed), count))
        return self.model.faces(rows, *_draw(rng, count)), identities.astype(np.int64)


# --- statistics -------------------------------------------------------------------------


def pair_statistics(embeddings: np.ndarray, identities: np.ndarray) -> dict[str, float]:
    """:data:`TARGET_KEYS` over all pairs of ``embeddings`` (unit rows; ``identities`` any labels),
    plus the pair counts. Cost: n²/2 cosines in row blocks (n = 2,500: ~3 M pairs, < 1 s)."""
    vectors = np.asarray(embeddings, dtype=np.float32)
    labels = np.unique(np.asarray(identities), return_inverse=True)[1]
    genuine, impostor = [], []
    for lo in range(0, len(vectors), 1024):
        block = vectors[lo : lo + 1024] @ vectors.T
        rows, cols = np.nonzero(np.arange(len(vectors))[None, :] > np.arange(lo, lo + len(block))[:, None])
        same = labels[rows + lo] == labels[cols]
        scores = block[rows, cols]
        genuine.append(scores[same])
        impostor.append(scores[~same])
    return _statistics(np.concatenate(genuine), np.concatenate(impostor))


def sampled_pair_statistics(
    vectors: np.ndarray, identities: np.ndarray, impostor_pairs: int = 3_000_000, seed: int = 0
) -> dict[str, float]:
    """Like :func:`pair_statistics` for large sets whose identities' faces are contiguous rows:
    all genuine pairs, and ``impostor_pairs`` random pairs of rows of different identities."""
    labels = np.asarray(identities)
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    sizes = np.diff(np.r_[starts, len(labels)])
    genuine = []
    for size in np.unique(sizes[sizes > 1]):
        first = starts[sizes == size]
        a, b = np.triu_indices(int(size), 1)
        genuine.append(
            np.einsum("nd,nd->n", vectors[(first[:, None] + a).ravel()], vectors[(first[:, None] + b).ravel()])
        )
    rng = np.random.default_rng(seed)
    impostor = []
    for _ in range(0, impostor_pairs, 500_000):
        i, j = rng.integers(0, len(labels), (2, 500_000))
        keep = labels[i] != labels[j]
        impostor.append(np.einsum("nd,nd->n", vectors[i[keep]], vectors[j[keep]]))
    return _statistics(np.concatenate(genuine), np.concatenate(impostor)[:impostor_pairs])


def _statistics(genuine: np.ndarray, impostor: np.ndarray) -> dict[str, float]:
    genuine, impostor = genuine.astype(np.float64), impostor.astype(np.float64)
    q10, q50, q90 = np.quantile(genuine, [0.1, 0.5, 0.9])
    i3, i4 = np.quantile(impostor, [1 - 1e-3, 1 - 1e-4])
    return {
        "impostor_mean": float(impostor.mean()),
        "impostor_std": float(impostor.std()),
        "impostor_q1e-3": float(i3),
        "impostor_q1e-4": float(i4),
        "genuine_mean": float(genuine.mean()),
        "genuine_std": float(genuine.std()),
        "genuine_q10": float(q10),
        "genuine_q50": float(q50),
        "genuine_q90": float(q90),
        "genuine_pairs": float(len(genuine)),
        "impostor_pairs": float(len(impostor)),
    }


# --- fitting ----------------------------------------------------------------------------


def load_celeba_embeddings(source: Path = CELEBA_EMBEDDINGS) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings (n, 128) float64, identity labels) from a saved npz (names, identities,
    embeddings, failed), or from a celeba folder (labels.tsv) through the facesaas engine
    (~1–3 minutes on 2 cores; the result is saved to :data:`CELEBA_EMBEDDINGS` for next time)."""
    if source.is_dir():
        from facesaas.evaluation.calibrate import embed_labelled_set, read_labels
        from facesaas.face.engine import get_engine

        embedded = embed_labelled_set(get_engine(), source, read_labels(source))
        np.savez(
            CELEBA_EMBEDDINGS,
            names=np.asarray(embedded.names),
            identities=np.asarray(embedded.identities),
            embeddings=embedded.embeddings.astype(np.float32),
            failed=np.asarray(embedded.failed),
        )
        return embedded.embeddings.astype(np.float64), np.asarray(embedded.identities)
    with np.load(source) as saved:
        return saved["embeddings"].astype(np.float64), saved["identities"]


def _sqrt_psd(covariance: np.ndarray) -> np.ndarray:
    """A matrix R with RᵀR = covariance, negative eigenvalues (estimation noise) set to 0."""
    values, vectors = np.linalg.eigh((covariance + covariance.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))).T


def covariance_model(embeddings: np.ndarray, identities: np.ndarray) -> dict[str, np.ndarray]:
    """μ, and square roots of Σ_b (of identity means, minus their within-identity noise
    Σ_w/n_k, shrunk by :data:`SHRINKAGE` towards tr(Σ_b)/128·I) and Σ_w (pooled residuals of the
    faces from their identity mean)."""
    labels, counts = np.unique(identities, return_inverse=True, return_counts=True)[1:]
    means = np.zeros((counts.size, DIM))
    np.add.at(means, labels, embeddings)
    means /= counts[:, None]
    residual = embeddings - means[labels]
    within = residual.T @ residual / (len(embeddings) - counts.size)
    between = np.cov(means.T) - within * np.mean(1.0 / counts)
    between = (1 - SHRINKAGE) * between + SHRINKAGE * np.trace(between) / DIM * np.eye(DIM)
    return {"mean": embeddings.mean(axis=0), "between_sqrt": _sqrt_psd(between), "within_sqrt": _sqrt_psd(within)}


def _fit_model(base: dict[str, np.ndarray], scalars: np.ndarray) -> _Model:
    mean_scale, within_scale, kappa, tau = scalars
    return _Model(mean_scale * base["mean"], base["between_sqrt"], within_scale * base["within_sqrt"], kappa, tau)


def fit_params(
    source: Path = CELEBA_EMBEDDINGS, out: Path = DEFAULT_PARAMS, identities: int = 20_000, log: bool = True
) -> dict[str, float]:
    """Fit the model to the celeba embeddings in ``source`` (npz or folder, see
    :func:`load_celeba_embeddings`), write ``out`` and return celeba's statistics.

    Levenberg–Marquardt on m, s, κ, τ, minimising the :data:`FIT_WEIGHTS`-weighted residuals of
    the statistics, each measured on the same synthetic sample (``identities`` × 4 faces, all
    genuine and 2 M random impostor pairs; common random numbers keep the steps smooth).
    Cost: ~1–2 minutes.
    """
    embeddings, labels = load_celeba_embeddings(source)
    targets = pair_statistics(embeddings, labels)
    base = covariance_model(embeddings, labels)
    rng = np.random.default_rng(12345)
    identity_draws = _draw(rng, identities)
    face_draws = _draw(rng, identities * 4)
    face_identity = np.repeat(np.arange(identities), 4)
    keys = list(FIT_WEIGHTS)
    weights = np.array([FIT_WEIGHTS[key] for key in keys])
    goal = np.array([targets[key] for key in keys])

    def residual(scalars: np.ndarray) -> np.ndarray:
        model = _fit_model(base, scalars)
        faces = model.faces(model.identities(*identity_draws)[face_identity], *face_draws)
        stats = sampled_pair_statistics(faces, face_identity, 2_000_000, seed=1)
        return np.array([stats[key] for key in keys]) - goal

    scalars = np.array([0.9, 0.5, 0.25, 0.7])  # m, s, κ, τ
    current = residual(scalars)
    cost, damping = float(np.sum((weights * current) ** 2)), 1e-3
    for step in range(15):
        if log:
            print(
                f"fit step {step}: m, s, κ, τ = {np.round(scalars, 4)}; weighted rms {np.sqrt(cost / len(keys)):.5f}",
                file=sys.stderr,
            )
        jacobian = np.stack([(residual(scalars + 0.01 * unit) - current) / 0.01 for unit in np.eye(4)], axis=1)
        weighted = weights[:, None] * jacobian
        gradient = weighted.T @ (weights * current)
        for _ in range(6):
            trial = np.abs(scalars - np.linalg.solve(weighted.T @ weighted + damping * np.eye(4), gradient))
            trial_residual = residual(trial)
            trial_cost = float(np.sum((weights * trial_residual) ** 2))
            if trial_cost < cost:
                break
            damping *= 5
        else:
            break  # no step improves: converged
        improvement = 1 - trial_cost / cost
        scalars, current, cost, damping = trial, trial_residual, trial_cost, damping / 3
        if improvement < 1e-4:
            break
    model = _fit_model(base, scalars)
    np.savez(
        out,
        mean=model.mean,
        between_sqrt=model.between,
        within_sqrt=model.within,
        kappa=model.kappa,
        tau=model.tau,
        mean_scale=scalars[0],
        within_scale=scalars[1],
        shrinkage=SHRINKAGE,
        source=np.array(f"{len(embeddings):,} SFace embeddings of {len(np.unique(labels))} celeba identities"),
        **{f"celeba_{key}": value for key, value in targets.items()},
    )
    return targets


# --- report -----------------------------------------------------------------------------

LABELS = {
    "impostor_mean": "impostor mean",
    "impostor_std": "impostor std",
    "impostor_q1e-3": "impostor score at FAR 1e-3",
    "impostor_q1e-4": "impostor score at FAR 1e-4",
    "genuine_mean": "genuine mean",
    "genuine_std": "genuine std",
    "genuine_q10": "genuine 10 % quantile",
    "genuine_q50": "genuine median",
    "genuine_q90": "genuine 90 % quantile",
}


def check_statistics(params_path: Path | None = None, gallery_size: int = 200_000, seed: int = 0) -> dict[str, dict]:
    """Statistics of celeba (stored) and of a synthetic gallery of ``gallery_size`` faces: all its
    genuine pairs and 3 M random impostor pairs; and of 20,000 mated probes against all gallery
    faces of their identity and 300,000 non-mated probes against 10 random gallery faces each."""
    faces = SyntheticFaces(params_path, seed=seed, gallery_size=gallery_size)
    gallery = faces.gallery_chunk(0, gallery_size)
    gallery_ids = faces.identity_of(np.arange(gallery_size))
    synthetic = sampled_pair_statistics(gallery, gallery_ids, 3_000_000, seed=seed)
    mated, mated_ids = faces.probes(20_000, mated=True, seed=1)
    starts = np.searchsorted(gallery_ids, mated_ids)
    stops = np.searchsorted(gallery_ids, mated_ids, side="right")
    probe_genuine = np.concatenate([gallery[a:b] @ probe for probe, a, b in zip(mated, starts, stops, strict=True)])
    others, _ = faces.probes(300_000, mated=False, seed=1)
    partners = np.random.default_rng(seed).integers(0, gallery_size, (len(others), 10))
    probe_impostor = np.concatenate(
        [
            np.einsum("nd,nkd->nk", others[a : a + 30_000], gallery[partners[a : a + 30_000]]).ravel()
            for a in range(0, len(others), 30_000)
        ]
    )
    with np.load(params_path or DEFAULT_PARAMS) as params:
        celeba = {key: float(params[f"celeba_{key}"]) for key in (*TARGET_KEYS, "genuine_pairs", "impostor_pairs")}
        source = str(params["source"])
    return {
        "celeba": celeba,
        "gallery": synthetic,
        "probes": _statistics(probe_genuine, probe_impostor),
        "about": {"source": source, "gallery_size": gallery_size, "identities": faces.identity_count, "seed": seed},
    }


def check_markdown(params_path: Path | None = None, gallery_size: int = 200_000, seed: int = 0) -> str:
    """:func:`check_statistics` as a Markdown table."""
    stats = check_statistics(params_path, gallery_size, seed)
    about = stats["about"]
    lines = [
        f"celeba: all pairs of {about['source']}. Synthetic (seed {seed}): a gallery of {gallery_size:,} faces of "
        f"{about['identities']:,} identities (1–5 faces each), all its genuine pairs and 3 M random impostor pairs; "
        "probes: 20,000 mated against the gallery faces of their identity, 300,000 non-mated against 10 "
        "random gallery faces each. Four scalars are fitted to all nine celeba rows (weighted least squares, the impostor "
        "tail and the genuine median first).",
        "",
        "| statistic (cosine) | celeba | synthetic gallery pairs | synthetic probe × gallery |",
        "|---|---:|---:|---:|",
    ]
    for key in TARGET_KEYS:
        row = [stats[kind][key] for kind in ("celeba", "gallery", "probes")]
        lines.append(f"| {LABELS[key]} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
    pairs = [
        f"{int(stats[kind]['genuine_pairs']):,} / {int(stats[kind]['impostor_pairs']):,}"
        for kind in ("celeba", "gallery", "probes")
    ]
    lines.append("| pairs (genuine / impostor) | " + " | ".join(pairs) + " |")
    return "\n".join(lines) + "\n"


def _timing(count: int = 1_000_000) -> str:
    faces = SyntheticFaces(gallery_size=count)
    started = time.perf_counter()
    for start in range(0, count, 100_000):
        faces.gallery_chunk(start, min(count, start + 100_000))
    return f"generated {count:,} gallery vectors in {time.perf_counter() - started:.2f} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print synthetic vs celeba statistics (Markdown)")
    parser.add_argument("--fit", type=Path, metavar="SOURCE", help="refit from an embeddings npz or the celeba folder")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS, help="parameter file (default: %(default)s)")
    parser.add_argument("--gallery-size", type=int, default=200_000, help="synthetic gallery size for --check")
    parser.add_argument("--timing", action="store_true", help="time the generation of 1 M gallery vectors")
    args = parser.parse_args(argv)
    if args.fit:
        fit_params(args.fit, args.params)
    if args.check:
        print(check_markdown(args.params, args.gallery_size))
    if args.timing:
        print(_timing())
    if not (args.fit or args.check or args.timing):
        parser.print_help()


if __name__ == "__main__":
    main()
