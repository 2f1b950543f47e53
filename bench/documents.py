"""Accuracy and latency of the document pipeline (105.1 OCR, 105.2 distinguish, 105.3 classify).

Real data: the 4 ID fronts of ``../shared/data/idcards`` against ground_truth.tsv, the hand-held
back, the 4 CCF pages (both sides) and the 13 negatives. Synthetic data: documents rendered by
``tests/documents/generator.py`` (seeded, so every run sees the same documents) with the
"mild" capture distortions, plus rotated, "hard", photocopy and screen-recapture subsets and
the forged variants; for 105.2 also genuine cards turned 90/180/270° and ID fronts whose number
is cut off (genuine, and with a forged printed field). The pipeline is the library's (the same
calls the HTTP service makes, without base64 and HTTP; 105.2 always reads the page upright, as
the service does).

Accuracy runs in 2 worker processes with 1 OCR thread each; latency is measured separately,
sequentially, with the service's 2 threads, on the first images of each kind.

    python bench/documents.py [--per-kind 500] [--out bench/results]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import multiprocessing
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = dt.date(2026, 11, 25)
PRINTED_FORGERIES = ("birthday_implausible", "gender_word", "nation_word")
ID_FORGERIES = ("check_digit", "birthday_mismatch", "gender_mismatch", "region", "pasted_field", *PRINTED_FORGERIES)
DRIVING_FORGERIES = ("check_digit", "birthday_mismatch", "gender_mismatch", "validity", "pasted_field")

_OCR = None


def _init(threads: int) -> None:
    global _OCR
    from facesaas.documents.ocr import get_ocr

    _OCR = get_ocr(threads)


def _document(spec: dict[str, Any]):  # noqa: ANN202 - a generator Document
    from tests.documents.generator import make_both_sides, make_document

    rng = np.random.default_rng(spec["seed"])
    if spec["kind"] == "id_both":
        return make_both_sides(rng, TODAY, rotation=spec.get("rotation"))
    return make_document(
        spec["kind"], rng, TODAY, forgery=spec.get("forgery"), distortions=spec.get("preset", "mild"),
        rotation=spec.get("rotation"), cut_number=spec.get("cut_number", False),
    )  # fmt: skip


def _run(spec: dict[str, Any]) -> dict[str, Any]:
    """Render one document and put it through the task ``spec['task']`` names."""
    from facesaas.documents.authenticity import distinguish_driving_licence, distinguish_id_card
    from facesaas.documents.licences import parse_driving, parse_vehicle
    from facesaas.documents.reader import read_id_card, read_page
    from facesaas.documents.service import idcard_ocr_result

    document = _document(spec)
    started = time.perf_counter()
    # 105.2 judges the upright page whatever auto_rotate says (documents.service), so here too.
    upright = spec.get("auto_rotate", False) or spec["task"] == "distinguish"
    page = read_page(_OCR, document.image, auto_rotate=upright)
    out: dict[str, Any] = {**spec, "truth": document.fields, "distortion": _plain(document.distortion)}
    if spec["task"] == "ocr":
        if spec["kind"] in ("id_front", "id_back", "id_both"):
            out["got"] = idcard_ocr_result(read_id_card(page.lines, TODAY), 4 if spec["kind"] == "id_both" else 3)
        elif spec["kind"] == "driving":
            out["got"] = parse_driving(page.lines, TODAY).as_dict()
        else:
            out["got"] = parse_vehicle(page.lines, TODAY).as_dict()
        out["classified"] = read_id_card(page.lines, TODAY).idcard_type
    else:
        judge = distinguish_driving_licence if spec["kind"] == "driving" else distinguish_id_card
        verdict = judge(page, TODAY)
        out["result"] = verdict.result
        out["failed"] = [c.code for c in verdict.checks if not c.passed and c.severity == "forgery"]
    out["seconds"] = time.perf_counter() - started
    return out


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _specs(per_kind: int, forged: int) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    seed = 1000
    for kind in ("id_front", "id_back", "driving", "vehicle"):
        for _ in range(per_kind):
            specs.append({"task": "ocr", "set": f"{kind} mild", "kind": kind, "seed": (seed := seed + 1)})
    extra = max(per_kind // 5, 10)
    for kind in ("id_front", "id_back", "driving", "vehicle"):
        for i in range(extra):
            specs.append({"task": "ocr", "set": f"{kind} rotated (auto_rotate)", "kind": kind, "seed": (seed := seed + 1),
                          "rotation": (90, 180, 270)[i % 3], "auto_rotate": True})  # fmt: skip
            specs.append({"task": "ocr", "set": f"{kind} hard", "kind": kind, "seed": (seed := seed + 1), "preset": "hard"})
    for _ in range(extra):
        # Both sides on one page, turned like the CCF pages: read with auto_rotate.
        specs.append({"task": "ocr", "set": "id_both (auto_rotate)", "kind": "id_both", "seed": (seed := seed + 1), "auto_rotate": True})
    for kind, forgeries in (("id_front", ID_FORGERIES), ("id_back", ("validity",)), ("driving", DRIVING_FORGERIES)):
        for _ in range(forged * len(forgeries)):
            specs.append({"task": "distinguish", "set": f"{kind} genuine", "kind": kind, "seed": (seed := seed + 1)})
        for forgery in forgeries:
            for _ in range(forged):
                specs.append({"task": "distinguish", "set": f"{kind} {forgery}", "kind": kind, "seed": (seed := seed + 1),
                              "forgery": forgery})  # fmt: skip
        for preset in ("photocopy", "screen"):
            for _ in range(forged):
                specs.append({"task": "distinguish", "set": f"{kind} {preset}", "kind": kind, "seed": (seed := seed + 1),
                              "preset": preset})  # fmt: skip
        for turn in (90, 180, 270):  # genuine cards photographed turned: the false-forgery rate per turn
            for _ in range(forged):
                specs.append({"task": "distinguish", "set": f"{kind} turned {turn} genuine", "kind": kind,
                              "seed": (seed := seed + 1), "rotation": turn})  # fmt: skip
    for forgery in (None, *PRINTED_FORGERIES):  # the number cut off: -1 when genuine, 0 when a printed field is forged
        for _ in range(forged):
            specs.append({"task": "distinguish", "set": f"id_front number cut off {forgery or 'genuine'}", "kind": "id_front",
                          "seed": (seed := seed + 1), "forgery": forgery, "cut_number": True})  # fmt: skip
    return specs


def _real(data: Path, ocr: Any) -> dict[str, Any]:
    """Per-field results on the real fronts, and the class given to every real image."""
    from facesaas.documents.authenticity import distinguish_id_card
    from facesaas.documents.reader import read_id_card, read_page

    idcards = data / "idcards"
    with open(idcards / "ground_truth.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    fronts = []
    for row in (r for r in rows if r["side"] == "front"):
        page = read_page(ocr, cv2.imread(str(idcards / row["image"])), auto_rotate=True)
        front = read_id_card(page.lines, TODAY).front
        birth = dt.date.fromisoformat(row["birth"])
        truth = {
            "name": "?" if row["name"].startswith("[") else row["name"], "gender": row["sex"], "nation": row["nation"],
            "birthday": birth.strftime("%Y%m%d") if birth.year >= 1900 else "?", "address": row["address"],
            "citizen_id": row["id_number"],
        }  # fmt: skip
        got = front.as_dict() if front else {}
        verdict = distinguish_id_card(page, TODAY)
        fronts.append({"image": row["image"], "truth": truth, "got": got, "result": verdict.result,
                       "failed": [c.code for c in verdict.checks if not c.passed and c.severity == "forgery"]})  # fmt: skip
    classes = []
    for folder, expected in (("id_front", 1), ("id_back", 2), ("ccf_bdci2019_synthetic", 3), ("negatives", -1)):
        for path in sorted((idcards / folder).iterdir()):
            page = read_page(ocr, cv2.imread(str(path)), auto_rotate=True)
            classes.append({"image": f"{folder}/{path.name}", "expected": expected, "got": read_id_card(page.lines, TODAY).idcard_type,
                            "distinguish": distinguish_id_card(page, TODAY).result})  # fmt: skip
    return {"fronts": fronts, "classes": classes}


def _field_table(results: list[dict[str, Any]]) -> list[str]:
    by_set: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        if result["task"] == "ocr":
            by_set[result["set"]].append(result)
    lines = ["| set | n | field | exact match | misses (first 3: truth → read) |", "|---|---:|---|---:|---|"]
    for name, items in by_set.items():
        fields = list(items[0]["truth"])
        for field in fields:
            misses = [(r["truth"].get(field), r["got"].get(field)) for r in items if r["got"].get(field) != r["truth"].get(field)]
            rate = 1 - len(misses) / len(items)
            shown = "; ".join(f"{t} → {g}" for t, g in misses[:3])
            lines.append(f"| {name} | {len(items)} | {field} | {rate:.4f} | {shown} |")
        whole = sum(all(r["got"].get(f) == r["truth"].get(f) for f in fields) for r in items) / len(items)
        lines.append(f"| {name} | {len(items)} | **all fields** | **{whole:.4f}** | |")
    return lines


def _classification_table(results: list[dict[str, Any]], real: dict[str, Any]) -> list[str]:
    expected_of = {"id_front": 1, "id_back": 2, "id_both": 3, "driving": -1, "vehicle": -1}
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        if r["task"] == "ocr":
            counts[f"synthetic {r['kind']}"][r["classified"] == expected_of[r["kind"]]] += 1
    for r in real["classes"]:
        counts[f"real {r['image'].split('/')[0]}"][r["got"] == r["expected"]] += 1
    lines = ["| set | n | right | accuracy |", "|---|---:|---:|---:|"]
    for name, counter in counts.items():
        n = counter[True] + counter[False]
        lines.append(f"| {name} | {n} | {counter[True]} | {counter[True] / n:.4f} |")
    return lines


def _distinguish_table(results: list[dict[str, Any]]) -> list[str]:
    by_set: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        if r["task"] == "distinguish":
            by_set[r["set"]].append(r)
    lines = ["| set | n | result 1 | result 0 | result -1 | result -2 | detection / false alarm | failed checks (counts) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for name, items in by_set.items():
        count = Counter(r["result"] for r in items)
        genuine = name.endswith("genuine")
        rate = count[0] / len(items)
        label = f"false alarm {rate:.4f}" if genuine else f"detected {rate:.4f}"
        checks = Counter(code for r in items for code in r["failed"])
        lines.append(f"| {name} | {len(items)} | {count[1]} | {count[0]} | {count[-1]} | {count[-2]} | {label} | "
                     f"{', '.join(f'{k} {v}' for k, v in checks.most_common(4))} |")  # fmt: skip
    return lines


def _latency(per_kind: int) -> list[str]:
    """Sequential p50/p95 per kind with 2 OCR threads (what the service uses)."""
    _init(2)
    lines = ["| kind | n | p50 s | p95 s |", "|---|---:|---:|---:|"]
    for kind in ("id_front", "id_back", "driving", "vehicle", "id_both"):
        spec = {"task": "ocr", "kind": kind, "set": "latency", "auto_rotate": kind == "id_both"}
        seconds = [_run({**spec, "seed": 1_000_000 + i})["seconds"] for i in range(per_kind)]
        lines.append(f"| {kind} | {per_kind} | {np.percentile(seconds, 50):.3f} | {np.percentile(seconds, 95):.3f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-kind", type=int, default=500)
    parser.add_argument("--forged", type=int, default=60, help="documents per forged variant")
    parser.add_argument("--latency", type=int, default=40, help="documents per kind for latency")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    started = time.time()
    specs = _specs(args.per_kind, args.forged)
    print(f"{len(specs)} synthetic documents", flush=True)
    results: list[dict[str, Any]] = []
    with multiprocessing.get_context("spawn").Pool(2, initializer=_init, initargs=(1,)) as pool:
        for i, result in enumerate(pool.imap_unordered(_run, specs, chunksize=4), 1):
            results.append(result)
            if i % 200 == 0:
                print(f"  {i}/{len(specs)} ({time.time() - started:.0f} s)", flush=True)
    _init(2)
    real = _real(args.data, _OCR)
    latency = _latency(args.latency)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = [
        f"# Documents evaluation {stamp}", "",
        f"`python bench/documents.py --per-kind {args.per_kind} --forged {args.forged}`; {len(specs)} synthetic documents, "
        f"total {time.time() - started:.0f} s on this machine. Dates judged as of {TODAY}.", "",
        "## Real ID fronts (../shared/data/idcards, ground_truth.tsv)", "",
        "| image | field | truth | read | right |", "|---|---|---|---|---|",
    ]  # fmt: skip
    for front in real["fronts"]:
        for field, value in front["truth"].items():
            got = front["got"].get(field)
            report.append(f"| {front['image']} | {field} | {value} | {got} | {'yes' if got == value else '**no**'} |")
    report += ["", "Distinguish on the real fronts: " + "; ".join(
        f"{f['image']}: result {f['result']} ({', '.join(f['failed']) or 'no failed check'})" for f in real["fronts"]), ""]  # fmt: skip
    report += ["## Synthetic OCR, per field (exact match)", "", *_field_table(results), ""]
    report += ["## Classification (105.3: 1 front, 2 back, 3 both, -1 anything else)", "", *_classification_table(results, real), ""]
    report += ["Real images, one by one: " + "; ".join(f"{c['image']} → {c['got']} (distinguish {c['distinguish']})" for c in real["classes"]), ""]
    report += ["## Distinguish (105.2), synthetic", "", *_distinguish_table(results), ""]
    report += ["## Latency per image (sequential, 2 OCR threads, decode excluded)", "", *latency, ""]
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"documents-{stamp}.md"
    path.write_text("\n".join(report) + "\n", encoding="utf-8")
    (args.out / "documents-latest.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    (args.out / f"documents-{stamp}.json").write_text(json.dumps(_plain(results), ensure_ascii=False), encoding="utf-8")
    print("\n".join(report))
    print(f"written {path}")


if __name__ == "__main__":
    main()
