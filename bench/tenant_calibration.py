"""A customer's own threshold table on half of celeba, checked on the other half
(``make tenant-calibration``; ~2 minutes: embedding 2,487 photos).

Half A (every other identity of labels.tsv in sorted order) plays the customer: its table is
built with the rule of ``facesaas calibrate --tenant`` (:mod:`facesaas.evaluation.tenantcal`).
Half B (the other identities: people half A never saw) measures, per rate, the false-accept rate
and TAR at three thresholds: the shipped one (the baseline), half A's own measured or fitted one
(what a rule allowing lower thresholds would use) and the one the rule uses. The shipped table
was built on all of celeba, both halves included: the baseline has seen half B. Results go to
``bench/results/tenant-calibration-latest.md`` (quoted in docs/accuracy.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="celeba folder (default: <test_data_dir>/faces/celeba)")
    args = parser.parse_args()

    import numpy as np
    from _results import save

    from facesaas.evaluation.calibrate import embed_labelled_set, pair_scores, read_labels
    from facesaas.evaluation.tenantcal import build_tenant_table, tenant_table_markdown
    from facesaas.face.calibration import load_calibration
    from facesaas.face.engine import get_engine
    from facesaas.settings import Settings

    settings = Settings()
    data = args.data or settings.test_data_dir / "faces" / "celeba"
    rows = read_labels(data)
    identities = sorted({identity for _, identity in rows})
    half_a = set(identities[::2])
    engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
    started = time.perf_counter()
    customer = embed_labelled_set(engine, data, [r for r in rows if r[1] in half_a])
    others = embed_labelled_set(engine, data, [r for r in rows if r[1] not in half_a])
    embedding_seconds = time.perf_counter() - started
    started = time.perf_counter()
    shipped = load_calibration(engine.scheme.name)
    table = build_tenant_table(customer, shipped, f"half A of {data} (every other identity)", engine.scheme.name)
    rule_seconds = time.perf_counter() - started
    genuine, impostor = pair_scores(others)

    def at(cosine: float) -> str:
        far = float(np.mean(impostor >= cosine))
        return f"{cosine:.4f} | {far:.2e} | {float(np.mean(genuine >= cosine)):.4f}"

    lines = [
        f"# Per-customer calibration, half of celeba checked on the other half — {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"`{data}` labels.tsv; half A {len(half_a)} identities ({customer.total} photos), half B "
        f"{len(identities) - len(half_a)} identities ({others.total} photos, {len(genuine):,} genuine and "
        f"{len(impostor):,} impostor pairs). Embedding took {embedding_seconds:.0f} s; the table (all pairs of half A "
        f"and the rule) {rule_seconds:.2f} s.",
        "",
        "## Half A's table (what `facesaas calibrate --tenant` prints)",
        "",
        tenant_table_markdown(table),
        "## Checked on half B (people half A never saw)",
        "",
        "Per threshold: cosine | FAR measured on half B's impostor pairs | TAR on half B's genuine pairs. "
        "Rates below what half B can measure (3/FAR > its impostor pairs) show 0 or a handful of pairs: read them as bounds.",
        "",
        "| true_negative_rate | target FAR | shipped (baseline): cosine | FAR | TAR | half A's own: cosine | FAR | TAR "
        "| used by the rule: cosine | FAR | TAR |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    results = {}
    for rate, row in table.thresholds.items():
        own = row["tenant_cosine"]
        own_cells = at(own) if own is not None else "— | — | —"
        lines.append(f"| {rate} | {row['far']:.0e} | {at(row['shipped_cosine'])} | {own_cells} | {at(row['cosine'])} |")
        results[rate] = {key: row[key] for key in ("far", "cosine", "shipped_cosine", "tenant_cosine", "source")}
    save(HERE / "results", "tenant-calibration", f"{dt.datetime.now():%Y%m%d-%H%M%S}", "\n".join(lines) + "\n",
         {"table": table.as_dict(), "half_b": {"genuine": len(genuine), "impostor": len(impostor)}})  # fmt: skip
    print("\n".join(lines))


if __name__ == "__main__":
    main()
