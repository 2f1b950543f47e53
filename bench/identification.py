"""1:N identification on celeba's identification_split.tsv, with and without 100,000 distractors
(``make identification``; ~2 minutes: embedding 2,487 photos, then searching).

The distractors are synthetic SFace-like embeddings (``bench/synthetic.py``), labelled as such:
no public set of 100,000 extra faces is available to this project. Results go to
``bench/results/identification-latest.md`` (and are quoted in docs/accuracy.md).
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
    parser.add_argument("--distractors", type=int, default=100_000)
    args = parser.parse_args()

    from synthetic import SyntheticFaces

    from facesaas.evaluation.calibrate import embed_labelled_set
    from facesaas.evaluation.identification import evaluate_identification, identification_markdown, read_split
    from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES
    from facesaas.face.engine import get_engine
    from facesaas.settings import Settings

    settings = Settings()
    data = args.data or settings.test_data_dir / "faces" / "celeba"
    engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
    started = time.perf_counter()
    gallery_rows, probe_rows = read_split(data)
    gallery = embed_labelled_set(engine, data, gallery_rows)
    probes = embed_labelled_set(engine, data, probe_rows)
    embed_seconds = time.perf_counter() - started
    distractors = SyntheticFaces(gallery_size=args.distractors, seed=101).gallery_chunk(0, args.distractors)
    results = []
    for title, extra in (("celeba gallery (real)", None), (f"celeba gallery + {args.distractors:,} synthetic distractors", distractors)):
        started = time.perf_counter()
        result = evaluate_identification(gallery, probes, SEARCH_TRUE_NEGATIVE_RATES, extra)
        results.append((title, result))
        print(f"{title}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    report = "\n".join(
        [
            f"# 1:N identification — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
            "",
            f"`{data}` identification_split.tsv, searched through the repository layer "
            f"(embedding took {embed_seconds:.0f} s). Gallery images without a detectable face: "
            f"{len(gallery.failed)}; probe images without one: {len(probes.failed)} (counted as misses).",
            "",
            identification_markdown(results),
        ]
    )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "identification-latest.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
