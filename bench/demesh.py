"""De-meshing that generalises (issue 17 item 5): no de-meshing vs the classical remover vs the
learned de-mesher, in the same run, on the HELD-OUT mesh families and the evaluation identities.

Photos: for each evaluation CelebA identity (odd identity number; the learned de-mesher was
trained on even ones) photo A becomes the clean ID photo (``id_portrait``, 178 × 220 and
102 × 126), photo B of the same person is the "selfie". Each clean ID photo is meshed once per
held-out family (``tests.watermark.styles.HOLDOUT``: random periods, amplitudes, angles,
widths, tones, opacity, JPEG 30–95) and, to see that nothing regressed, once per old rendering
(``tests.watermark.generator``: finance, police, wire, JPEG 85). **All photos are synthetic.**

Each meshed photo is sent as type 101 (kind unknown) through each way of de-meshing:

- ``none``: the meshed photo as is (type 1);
- ``classical``: ``read_mesh`` + ``remove_mesh`` (the remover before this issue);
- ``learned``: ``read_mesh`` tells whether there is a mesh; if so, the learned de-mesher runs
  on the photo as received;
- ``classical+learned``: the learned de-mesher on the classical remover's output;
- ``learned always``: the learned de-mesher whether or not a mesh was found;
- ``service``: ``facesaas.recognition.image_types.prepare(photo, 101)`` as shipped;
- ``service + second look``: ``analyze_prepared(engine, photo, 101)``, the service's whole path:
  when no face is found after de-meshing, the other remover's output and then the photo as
  received are tried (its cost row is the whole call: de-meshing, detection, embedding).

Measured per way: face lost (no face found after de-meshing although the clean photo has
one), meshed vs the clean original accepted, meshed ID photo vs selfie against clean ID photo vs
selfie (points of difference), impostor accepts (every meshed photo against every other
evaluation identity's selfie, against the clean ID photos' rate), and the de-meshing step's
cost (ms, p50/p95, 2 threads). Accept = similarity ≥ ``similarity_threshold("99.99")``. Rates
carry Wilson 95 % intervals. Also: clean ID photos through the learned de-mesher (it must not
change who they are).

    python bench/demesh.py [--identities 118] [--seed 17] [--out bench/results]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _results import save  # noqa: E402  (bench/ is the script's directory)

WAYS = ("none", "classical", "learned", "classical+learned", "learned always", "service", "service + second look")
DECISION_WAYS = ("none", "classical", "learned", "learned small")
"""``--decision``: the ways compared to decide the small-photo remover, on 102 × 126 photos only,
meshed with the old renderings and the TRAINING families (never a hold-out family)."""


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95 % interval of ``hits``/``n`` (0–1)."""
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    centre, half = (
        (p + z * z / (2 * n)) / (1 + z * z / n),
        z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n),
    )
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(values: list[bool]) -> str:
    """``p % [low–high] (hits/n)``."""
    hits, n = int(sum(values)), len(values)
    if not n:
        return "–"
    low, high = wilson(hits, n)
    return f"{hits / n:.1%} [{low:.1%}–{high:.1%}] ({hits}/{n})"


def demesh(way: str, photo: np.ndarray, demesher: Any, small: Any = None) -> np.ndarray:
    """``photo`` after de-meshing ``way`` (see the module docstring), sent as type 101;
    ``small`` is the small-photo de-mesher (way ``learned small``)."""
    from facesaas.face.watermark import NO_MESH, read_mesh, remove_mesh
    from facesaas.recognition.image_types import prepare

    if way == "none":
        return photo
    if way == "service":
        return prepare(photo, 101).image
    if way == "learned always":
        return demesher.run(photo)
    reading = read_mesh(photo)
    if reading.kind == NO_MESH:
        return photo
    if way == "learned":
        return demesher.run(photo)
    if way == "learned small":
        return small.run(photo)
    cleaned = remove_mesh(photo, reading)
    return demesher.run(cleaned) if way == "classical+learned" else cleaned


def decision_summary(result: dict, clean: dict, selfies: np.ndarray, sets: list[str], accept: Any) -> list[str]:
    """The decision rule's table: per set at 102 × 126, face lost and vs selfie for the
    classical remover and the small-photo de-mesher, and whether the small one is at least as
    good on both (the rule requires it for every old rendering)."""
    lines = ["## Decision: learned small vs classical at 102 × 126", "",
             "| set | face lost: classical → learned small | vs selfie: classical → learned small | at least as good |",
             "|---|---:|---:|---|"]  # fmt: skip
    verdicts = []
    for name in sets:
        figures = {}
        for way in ("classical", "learned small"):
            rows = result[(name, "102×126", way)]
            lost = sum(v is None for i, v in rows if clean["102×126"][i] is not None)
            figures[way] = (lost, sum(accept(v, selfies[i]) for i, v in rows), len(rows))
        (lost_c, self_c, n), (lost_s, self_s, _) = figures["classical"], figures["learned small"]
        good = lost_s <= lost_c and self_s >= self_c
        if name.startswith("old"):
            verdicts.append(good)
        lines.append(
            f"| {name} | {lost_c}/{n} → {lost_s}/{n} | {self_c}/{n} → {self_s}/{n} | {'yes' if good else 'NO'} |"
        )
    lines += ["", f"Rule (every old rendering at least as good on both): {'MET' if all(verdicts) else 'NOT MET'}."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--identities", type=int, default=118, help="evaluation identities used (at most the odd ones)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--decision", action="store_true",
                        help="102 x 126 only, old renderings + TRAINING families, ways none/classical/learned/learned small "
                             "(no hold-out family is drawn): the small-photo decision")  # fmt: skip
    parser.add_argument("--small-model", type=Path, default=None,
                        help="with --decision: a candidate small-photo model instead of the shipped one")  # fmt: skip
    args = parser.parse_args()

    from facesaas.face.calibration import load_calibration
    from facesaas.face.demesher import Demesher, get_demesher, get_small_demesher
    from facesaas.face.engine import get_engine
    from tests.imagetypes.generator import CHIP_SIZE, id_portrait
    from tests.liveness.generator import landmarks_of, load_identities
    from tests.watermark.generator import STYLES, add_mesh
    from tests.watermark.styles import HOLDOUT, TRAINING, draw_family, training_identity

    engine, demesher = get_engine(2), get_demesher(2)
    small = None
    if args.decision:
        import hashlib

        candidate = args.small_model
        small = (Demesher.load(threads=2, path=candidate, sha256=hashlib.sha256(candidate.read_bytes()).hexdigest())
                 if candidate else get_small_demesher(2))  # fmt: skip
    ways = DECISION_WAYS if args.decision else WAYS
    sizes = ("102×126",) if args.decision else ("178×220", "102×126")
    threshold = load_calibration().similarity_threshold("99.99")
    cosine = threshold / 50.0 - 1.0  # similarity = 50 (1 + cosine)
    rng = np.random.default_rng(args.seed)
    started = time.time()

    identities = load_identities(args.data / "faces" / "celeba")
    names = [n for n in sorted(identities, key=int) if not training_identity(n) and len(identities[n]) >= 2][
        : args.identities
    ]
    people = []  # (clean ID photos per size, selfie embedding)
    for name in names:
        a, b = (cv2.imread(str(p)) for p in identities[name][:2])
        marks = landmarks_of(a)
        selfie = engine.analyze(b).faces
        if marks is None or not selfie:
            continue
        portrait = id_portrait(a, marks)
        people.append(({"178×220": portrait, "102×126": cv2.resize(portrait, CHIP_SIZE, interpolation=cv2.INTER_AREA)},
                       selfie[0].embedding))  # fmt: skip
    selfies = np.stack([p[1] for p in people])
    n = len(people)
    if args.decision:  # never a hold-out family: this run decides
        sets = [f"old {style}" for style in STYLES.values()] + [f"training {family}" for family in TRAINING]
    else:
        sets = [f"hold-out {family}" for family in HOLDOUT] + [f"old {style}" for style in STYLES.values()]

    def embed(bgr: np.ndarray) -> np.ndarray | None:
        faces = engine.analyze(bgr).faces
        return faces[0].embedding if faces else None

    from facesaas.recognition.image_types import analyze_prepared

    def through_service(bgr: np.ndarray) -> np.ndarray | None:
        faces = analyze_prepared(engine, bgr, 101)[1].faces
        return faces[0].embedding if faces else None

    for way in ways:  # first calls import modules and allocate: not part of the cost
        if way != "service + second look":
            demesh(way, people[0][0]["102×126"], demesher, small)
    clean: dict[str, list[np.ndarray | None]] = defaultdict(list)
    # result[(set, size, way)] = list of (person index, embedding or None)
    result: dict[tuple[str, str, str], list[tuple[int, np.ndarray | None]]] = defaultdict(list)
    cost: dict[tuple[str, str], list[float]] = defaultdict(list)  # (way, size) -> ms
    clean_through: dict[str, list[np.ndarray | None]] = defaultdict(list)
    for i, (photos, _) in enumerate(people):
        for size, photo in photos.items():
            if size not in sizes:
                continue
            clean[size].append(embed(photo))
            clean_through[size].append(embed(demesher.run(photo)))
            for name in sets:
                if not name.startswith("old"):
                    meshed = draw_family(photo, rng, name.split()[1]).image
                else:
                    meshed = add_mesh(photo, rng, name.split()[1])
                for way in ways:
                    t0 = time.perf_counter()
                    if way == "service + second look":
                        vector = through_service(meshed)
                        cost[(way, size)].append(1000 * (time.perf_counter() - t0))
                        result[(name, size, way)].append((i, vector))
                        continue
                    cleaned = demesh(way, meshed, demesher, small)
                    cost[(way, size)].append(1000 * (time.perf_counter() - t0))
                    result[(name, size, way)].append((i, embed(cleaned)))
        if (i + 1) % 20 == 0:
            print(f"{i + 1}/{n} identities, {time.time() - started:.0f} s", file=sys.stderr)

    def accept(a: np.ndarray | None, b: np.ndarray | None) -> bool:
        return a is not None and b is not None and float(a @ b) >= cosine

    def impostors(vectors: list[tuple[int, np.ndarray | None]]) -> tuple[int, int]:
        hits = pairs = 0
        for i, v in vectors:
            if v is not None:
                hits += int((np.delete(selfies @ v, i) >= cosine).sum())
                pairs += n - 1
        return hits, pairs

    stamp = time.strftime("%Y%m%d-%H%M%S")
    command = f"python bench/demesh.py --identities {args.identities} --seed {args.seed}"
    if args.decision:
        command += " --decision" + (f" --small-model {args.small_model}" if args.small_model else "")
    report = [f"# De-meshing {stamp}" + (" (small-photo decision: old renderings and TRAINING families)" if args.decision else ""), "",
              f"`{command}`: {n} evaluation CelebA identities "
              f"(odd numbers, never trained on), {time.time() - started:.0f} s on this machine (2 cores, shared). "
              "**All photos are synthetic**: real faces, rendered meshes. Hold-out families were never used for training or "
              f"tuning. Accept = similarity ≥ the \"99.99\" threshold ({threshold:.2f}); [low–high] = Wilson 95 % interval.", ""]  # fmt: skip
    for name in sets:
        report += [f"## {name}", "",
                   "| size | way | face lost | vs clean original | vs selfie | clean ID vs selfie | points | impostor accepts |",
                   "|---|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
        for size in sizes:
            for way in ways:
                rows = result[(name, size, way)]
                usable = [(i, v) for i, v in rows if clean[size][i] is not None]
                lost = [v is None for _, v in usable]
                vs_clean = [accept(v, clean[size][i]) for i, v in usable]
                vs_selfie = [accept(v, selfies[i]) for i, v in rows]
                base = [accept(clean[size][i], selfies[i]) for i, _ in rows]
                hits, pairs = impostors(rows)
                report.append(f"| {size} | {way} | {rate(lost)} | {rate(vs_clean)} | {rate(vs_selfie)} | {rate(base)} | "
                              f"{100 * (np.mean(vs_selfie) - np.mean(base)):+.1f} | {hits}/{pairs} ({hits / max(pairs, 1):.1e}) |")  # fmt: skip
        report.append("")
    if args.decision:
        report += decision_summary(result, clean, selfies, sets, accept)
        text = "\n".join(report) + "\n"
        save(args.out, "demesh-decision", stamp, text)
        print(text)
        return
    report += ["## Pooled over both hold-out families and both sizes", "",
               "| way | face lost | vs clean original | vs selfie − clean ID vs selfie (points) | impostor accepts |",
               "|---|---:|---:|---:|---:|"]  # fmt: skip
    for way in WAYS:
        rows = [(size, i, v) for name in sets if name.startswith("hold-out") for size in ("178×220", "102×126")
                for i, v in result[(name, size, way)]]  # fmt: skip
        lost = [v is None for size, i, v in rows if clean[size][i] is not None]
        vs_clean = [accept(v, clean[size][i]) for size, i, v in rows if clean[size][i] is not None]
        gap = 100 * (
            np.mean([accept(v, selfies[i]) for _, i, v in rows])
            - np.mean([accept(clean[s][i], selfies[i]) for s, i, _ in rows])
        )
        hits, pairs = impostors([(i, v) for _, i, v in rows])
        report.append(
            f"| {way} | {rate(lost)} | {rate(vs_clean)} | {gap:+.1f} | {hits}/{pairs} ({hits / max(pairs, 1):.1e}) |"
        )
    clean_hits = clean_pairs = 0
    for size in ("178×220", "102×126"):
        h, p = impostors(list(enumerate(clean[size])))
        clean_hits, clean_pairs = clean_hits + h, clean_pairs + p
    report += ["", f"Clean ID photos' impostor accepts (the baseline, both sizes): {clean_hits}/{clean_pairs} "
               f"({clean_hits / max(clean_pairs, 1):.1e}).", "",
               "## Clean ID photos through the learned de-mesher (it must leave them alone)", "",
               "| size | vs the photo untouched | vs selfie, untouched | vs selfie, through the de-mesher | impostor accepts |",
               "|---|---:|---:|---:|---:|"]  # fmt: skip
    for size in ("178×220", "102×126"):
        through = clean_through[size]
        same = [accept(v, clean[size][i]) for i, v in enumerate(through) if clean[size][i] is not None]
        hits, pairs = impostors(list(enumerate(through)))
        report.append(f"| {size} | {rate(same)} | {rate([accept(v, selfies[i]) for i, v in enumerate(clean[size])])} | "
                      f"{rate([accept(v, selfies[i]) for i, v in enumerate(through)])} | {hits}/{pairs} |")  # fmt: skip
    report += [
        "",
        "## Cost of the de-meshing step (ms per photo, 2 threads; detection and embedding excluded, "
        "except for 'service + second look': the whole call)",
        "",
        "| way | size | n | p50 | p95 |",
        "|---|---|---:|---:|---:|",
    ]
    for (way, size), values in cost.items():
        report.append(
            f"| {way} | {size} | {len(values)} | {np.percentile(values, 50):.1f} | {np.percentile(values, 95):.1f} |"
        )
    text = "\n".join(report) + "\n"
    save(args.out, "demesh", stamp, text)
    print(text)


if __name__ == "__main__":
    main()
