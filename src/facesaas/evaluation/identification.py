"""1:N identification accuracy through the repository layer (rank-1, TPIR and FPIR).

The gallery (one face per identity, optionally plus distractor faces of nobody in the probe
set) is registered in a real, temporary repository — SQLite metadata and the FAISS index the
service uses, so distractor-sized galleries go through the approximate index — and every probe
is searched as ``retrieval_in_repo`` would search it.

* rank-1 identification rate: the top result is the probe's identity (a probe without a
  detectable face, or whose identity's gallery photo had none, counts as a miss);
* TPIR at a threshold: the top result is the probe's identity *and* passes the threshold;
* FPIR at a threshold: the probe searched as if its identity were not enrolled (its mate is
  skipped in the results) still gets a result that passes the threshold — the chance that a
  stranger is "recognised".
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facesaas.evaluation.calibrate import EmbeddedSet
from facesaas.face.calibration import load_calibration, similarity_from_cosine

__all__ = ["IdentificationResult", "read_split", "evaluate_identification", "identification_markdown"]

_BATCH = 20_000


def read_split(data_dir: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(image, identity)`` rows of the gallery and the probes in ``identification_split.tsv``."""
    gallery, probes = [], []
    with open(data_dir / "identification_split.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            (gallery if row["role"] == "gallery" else probes).append((row["image"], row["identity"]))
    return gallery, probes


@dataclass
class IdentificationResult:
    """Counts and rates of one evaluation; ``rows`` has one dict per true_negative_rate."""

    gallery: int
    distractors: int
    probes: int
    probes_enrolled: int
    rank1: float
    rows: list[dict] = field(default_factory=list)


def _user_id(identity: str) -> str:
    return f"id{identity}"


def evaluate_identification(
    gallery: EmbeddedSet,
    probes: EmbeddedSet,
    rates: Iterable[str],
    distractors: np.ndarray | None = None,
    workdir: Path | None = None,
) -> IdentificationResult:
    """Register ``gallery`` (+ ``distractors``, (n, 128) unit vectors) and search every probe.
    Cost: registering (~50 k faces/s) plus ~1–3 ms a probe."""
    from facesaas.repositories import FaceRepositories, NewFace, RepoKey
    from facesaas.storage.blobs import LocalBlobStore
    from facesaas.storage.database import create_database
    from facesaas.tenants.service import TenantService
    from facesaas.vault import Vault
    from facesaas.vectors import FaissVectorStore

    with tempfile.TemporaryDirectory(prefix="facesaas-ident-", dir=workdir) as temporary:
        root = Path(temporary)
        database = create_database(f"sqlite:///{root / 'ident.db'}")
        vectors = FaissVectorStore(root / "index")
        repositories = FaceRepositories(database, vectors, LocalBlobStore(root / "faces"))
        repositories.open()
        try:
            # A throwaway tenant in a throwaway database: its package key is sealed under a throwaway key.
            tenant = TenantService(database.sessions, Vault(os.urandom(32))).create("identification").tenant
            key = RepoKey(tenant.id, 2, "gallery")
            faces = [NewFace(_user_id(i), e) for i, e in zip(gallery.identities, gallery.embeddings, strict=True)]
            repositories.register_many(key, faces)
            extra = 0 if distractors is None else len(distractors)
            for start in range(0, extra, _BATCH):
                chunk = distractors[start : start + _BATCH]  # type: ignore[index]
                repositories.register_many(key, [NewFace(f"d{start + i}", v) for i, v in enumerate(chunk)])
            top1_correct, top1_score, nonmate_score = [], [], []
            for identity, embedding in zip(probes.identities, probes.embeddings, strict=True):
                hits = repositories.search(tenant.id, 2, "gallery", embedding[None], 2)
                mate = _user_id(identity)
                top1_correct.append(bool(hits) and hits[0].user_id == mate)
                top1_score.append(hits[0].cosine if hits else -1.0)
                # The gallery holds one face per identity: the best non-mate is among the top 2.
                nonmate_score.append(next((h.cosine for h in hits if h.user_id != mate), -1.0))
        finally:
            repositories.close()
            database.dispose()
    correct = np.array(top1_correct, bool)
    scores = np.array(top1_score)
    nonmate = np.array(nonmate_score)
    total = probes.total
    calibration = load_calibration()
    rows = []
    for rate in rates:
        threshold = calibration.cosine_threshold(rate)
        rows.append(
            {
                "true_negative_rate": rate,
                "cosine": threshold,
                "similarity": float(similarity_from_cosine(threshold)),
                "tpir": float(np.sum(correct & (scores >= threshold)) / total),
                "fpir": float(np.mean(nonmate >= threshold)) if len(nonmate) else float("nan"),
            }
        )
    return IdentificationResult(
        gallery=len(gallery.names),
        distractors=0 if distractors is None else len(distractors),
        probes=total,
        probes_enrolled=len(probes.names),
        rank1=float(correct.sum() / total) if total else float("nan"),
        rows=rows,
    )


def identification_markdown(results: list[tuple[str, IdentificationResult]]) -> str:
    """One table per evaluated gallery: TPIR (= 1 − FNIR) and FPIR at each rate."""
    lines = []
    for title, result in results:
        lines += [
            f"**{title}** — gallery {result.gallery:,} identities + {result.distractors:,} distractors; "
            f"{result.probes:,} probes ({result.probes_enrolled:,} with a detectable face); "
            f"rank-1 identification rate **{result.rank1:.4f}**.",
            "",
            "| true_negative_rate | cosine | similarity | TPIR (rank-1 and above threshold) | FPIR (non-mated search) |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {row['true_negative_rate']} | {row['cosine']:.4f} | {row['similarity']:.2f} | {row['tpir']:.4f} | {row['fpir']:.4f} |"
            for row in result.rows
        ]
        lines.append("")
    return "\n".join(lines)
