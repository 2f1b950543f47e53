"""The load generator of ``make soak`` (bench/soak.py), run as its own OS process.

    python bench/soak_load.py --url http://127.0.0.1:PORT --credentials creds.json \
        --workload workload.json --concurrency 8 --seconds 30 --out report.json

``--credentials`` is what ``facesaas tenant create --json`` prints (AccessID, AccessKey, the server
public key, the package key). ``concurrency`` threads, each with its own SDK client (one
keep-alive connection), send requests drawn from :data:`MIX` until ``seconds`` have passed; every
request is signed afresh by the SDK (``Client.post_raw`` builds the signature per body), every
liveness package is built afresh with the customer's package key (a package is refused when
replayed). A request still in flight when the time is up is waited for (the client timeout,
60 s, bounds it) and counted.

The workload (which photos, their features, the blacklist) is prepared once and kept in
``--workload``: when the file does not exist it is made first, one request at a time, untimed
(:func:`prepare`), so a ramp of several processes shares it. Photos are real celeba photos and the
ID-card fronts of the shared data (``FACESAAS_TEST_DATA_DIR``, default ../shared/data).

Every answer is checked: a JSON object with ``rtn`` (int), ``message`` (str) and a non-empty
``global_request_id``; ``rtn`` 0 with HTTP 200, or a negative rtn documented in
:data:`facesaas.errors.ERROR_CLASSES` with that class's HTTP status. Anything else (a malformed
body, an undocumented code, a 5xx other than a documented 503, a timeout or a dropped
connection) is recorded as a defect with its reason. The report (``--out``, JSON) holds every
request as ``[start s, op, HTTP status, rtn, ms, defect, 503 kind]`` (:func:`overload_kind`) and
:func:`summarize`'s summary.
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

MIX: tuple[tuple[str, int], ...] = (
    ("ocr", 12),  # 105.1: the customer's ID card is read at the counter
    ("package", 12),  # 101.3: the counter camera's liveness package is checked
    ("verify_images", 18),  # CS202.2: live photo vs the ID photo (real-name check)
    ("verify_feature", 14),  # CS202.2: live photo vs the feature stored for a returning customer
    ("search", 18),  # 103.1: every customer is searched in the blacklist
    ("extraction", 14),  # CS201.1: the feature kept with a new account
    ("register", 7),  # 102.1: a new customer enrolled in the customers' repository
    ("delete", 5),  # 102.1 mode 3: closed accounts; keeps the repository bounded
)
"""Operation and weight (per 100 requests): a bank or telecom counter opening accounts / SIM
cards under real-name rules. Each customer's visit is an ID-card read, a liveness capture, a
comparison with the ID photo and a blacklist search; new customers are enrolled and their
feature kept, returning ones are compared with their stored feature. Deletes are more frequent
than a real counter's so the repository stays bounded over a long soak (see docs/reliability.md)."""

PATHS = {
    "ocr": "/face/basic/ocr",
    "package": "/face/basic/check_image_package",
    "verify_images": "/face/v1/algorithm/recognition/face_pair_verification",
    "verify_feature": "/face/v1/algorithm/recognition/face_pair_verification",
    "search": "/face/basic/retrieval_in_repo",
    "extraction": "/face/v1/algorithm/recognition/feature_extraction",
    "register": "/face/basic/register_in_repo",
    "delete": "/face/basic/register_in_repo",
}
BLACKLIST = ("soak-blacklist", 1)
"""Repository name and label the search probes go to (seeded by :func:`prepare`)."""
CUSTOMERS = ("soak-customers", 2)
"""Where ``register``/``delete`` enrol and remove customers."""
PER_THREAD_ENROLLED = 10
"""A thread with this many enrolled customers deletes instead of registering, one with none
registers instead of deleting: the repository holds at most concurrency × this per process."""
OVERLOAD_BACKOFF_SECONDS = 0.2
"""After a 503 the thread waits this long before its next request, as a client retrying would."""
MAX_IMAGE_BYTES = 1024 * 1024
"""The 1:1 endpoints' decoded image limit (FACESAAS_MAX_IMAGE_BYTES default): bigger photos are left out."""


def _errors() -> dict[int, int]:
    """rtn -> HTTP status of every documented error class."""
    from facesaas.errors import ERROR_CLASSES

    return {cls.rtn: cls.http_status for cls in ERROR_CLASSES}


def check_answer(status: int, body: bytes, documented: dict[int, int]) -> tuple[int | None, str]:
    """(rtn, defect reason or "") of one HTTP answer, by the rules of the module docstring."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, f"HTTP {status}: body is not JSON"
    if not isinstance(data, dict):
        return None, f"HTTP {status}: body is not a JSON object"
    rtn = data.get("rtn")
    if not isinstance(rtn, int) or isinstance(rtn, bool):
        return None, f"HTTP {status}: no integer rtn"
    if not isinstance(data.get("message"), str):
        return rtn, f"HTTP {status} rtn {rtn}: no message"
    if not isinstance(data.get("global_request_id"), str) or not data["global_request_id"]:
        return rtn, f"HTTP {status} rtn {rtn}: no global_request_id"
    if rtn == 0:
        return rtn, "" if status == 200 else f"HTTP {status} with rtn 0"
    if rtn not in documented:
        return rtn, f"HTTP {status}: undocumented rtn {rtn}"
    if documented[rtn] != status:
        return rtn, f"HTTP {status}: rtn {rtn} is documented as HTTP {documented[rtn]}"
    if status >= 500 and status != 503:
        return rtn, f"HTTP {status} rtn {rtn}: a server error"
    return rtn, ""


def overload_kind(body: bytes) -> str:
    """Of a -5003 answer: "waited" when the request waited FACESAAS_MAX_QUEUE_SECONDS for the
    engine (the message's detail says so), "full" when it was refused on arrival (the queue
    held FACESAAS_MAX_PENDING already)."""
    return "waited" if "waited" in json.loads(body).get("message", "") else "full"


# --- the workload -----------------------------------------------------------------------------


def _call_until_admitted(client, path: str, payload: dict[str, Any], attempts: int = 100) -> dict[str, Any]:  # noqa: ANN001
    """POST ``payload`` signed; a 503 is retried (up to ``attempts``, 0.2 s apart)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    for _ in range(attempts):
        response = client.post_raw(path, body)
        if response.status_code != 503:
            return response.json()
        time.sleep(0.2)
        body = json.dumps(payload, separators=(",", ":")).encode()
    raise RuntimeError(f"{path}: still 503 after {attempts} attempts")


def prepare(client, data_dir: Path, identities: int, cards: int = 4) -> dict[str, Any]:  # noqa: ANN001
    """The workload: ``identities`` celeba identities (evenly spaced over ``labels.tsv``, two
    photos of at most 1 MB each) whose two photos both yield a feature (CS201.1); the first photo
    of each is registered in the blacklist (102.1; those the enrolment gate accepts are the ones
    ``register`` uses later); of the first ``cards`` ID-card fronts, those 105.1 reads. One
    request at a time, untimed."""
    celeba = data_dir / "faces" / "celeba"
    by_identity: dict[str, list[str]] = collections.defaultdict(list)
    for row in sorted((celeba / "labels.tsv").read_text().splitlines()[1:]):
        name, identity = row.split("\t")[:2]
        if (celeba / name).stat().st_size <= MAX_IMAGE_BYTES:
            by_identity[identity].append(name)
    candidates = [i for i in sorted(by_identity) if len(by_identity[i]) >= 2]
    step = max(1, len(candidates) // identities)
    people: list[dict[str, Any]] = []
    for identity in candidates[::step][:identities]:
        photos = by_identity[identity][:2]
        features = []
        for name in photos:
            image = base64.b64encode((celeba / name).read_bytes()).decode()
            answer = _call_until_admitted(client, PATHS["extraction"], {"image_content": image, "image_type": 3})
            if answer["rtn"] == 0 and answer["face_num"] >= 1:
                features.append(answer["feature"])
        if len(features) < 2:
            continue
        first = base64.b64encode((celeba / photos[0]).read_bytes()).decode()
        answer = _call_until_admitted(client, PATHS["register"], {
            "mode": 1, "user_info": {"user_id": f"id{identity}", "repo_name": BLACKLIST[0], "label": BLACKLIST[1],
                                     "image_content": first}, "options": {"image_type": 1}})  # fmt: skip
        people.append({"identity": identity, "photos": [str(celeba / p) for p in photos], "features": features,
                       "enrollable": answer["rtn"] == 0})  # fmt: skip
    readable = []
    for path in sorted((data_dir / "idcards" / "id_front").glob("*.png"))[:cards]:
        image = base64.b64encode(path.read_bytes()).decode()
        answer = _call_until_admitted(client, PATHS["ocr"], {"mode": 1, "user_info": {"image_content": image},
                                                             "options": {"ocr_type": 1, "ocr_mode": 1}})  # fmt: skip
        if answer["rtn"] == 0:
            readable.append(str(path))
    if len(people) < 2 or not any(p["enrollable"] for p in people) or not readable:
        raise RuntimeError(f"workload too small: {len(people)} people, {len(readable)} ID cards")
    return {"people": people, "idcards": readable}


class Requests:
    """Builds each operation's payload from the workload (images base64-encoded once)."""

    def __init__(self, workload: dict[str, Any], credentials: dict[str, Any]) -> None:
        def b64(path: str) -> str:
            return base64.b64encode(Path(path).read_bytes()).decode()

        self.people = [{**p, "images": [b64(x) for x in p["photos"]], "raw": [Path(x).read_bytes() for x in p["photos"]]}
                       for p in workload["people"]]  # fmt: skip
        self.enrollable = [p for p in self.people if p["enrollable"]]
        self.cards = [b64(path) for path in workload["idcards"]]
        self.package_key = base64.b64decode(credentials["package_key"])
        self.package_key_id = credentials["package_key_id"]

    def payload(self, op: str, rng: random.Random, user_id: str) -> dict[str, Any]:
        """The JSON object of one ``op`` request (``user_id`` for register/delete)."""
        person = rng.choice(self.people)
        if op == "extraction":
            return {"image_content": person["images"][rng.randrange(2)], "image_type": 3}
        if op == "verify_images":  # half genuine, half another person's live photo
            query = person if rng.random() < 0.5 else rng.choice(self.people)
            return {"query_image_content": query["images"][1], "database_image_content": person["images"][0],
                    "database_image_type": 1, "true_negative_rate": "99.99"}  # fmt: skip
        if op == "verify_feature":
            query = person if rng.random() < 0.5 else rng.choice(self.people)
            return {"query_image_content": query["images"][1], "database_image_feature": person["features"][0]}
        if op == "search":
            return {"mode": 1, "user_info": {"label": BLACKLIST[1], "repo_name": BLACKLIST[0], "image_content": person["images"][1]},
                    "options": {"image_type": 301, "return_topk_face": 3, "true_negative_rate": "99.99"}}  # fmt: skip
        if op == "register":
            image = rng.choice(self.enrollable)["images"][0]
            return {"mode": 1, "user_info": {"user_id": user_id, "repo_name": CUSTOMERS[0], "label": CUSTOMERS[1],
                                             "image_content": image}, "options": {"image_type": 1}}  # fmt: skip
        if op == "delete":
            return {"mode": 3, "user_info": {"user_id": user_id, "repo_name": CUSTOMERS[0], "label": CUSTOMERS[1]}}
        if op == "ocr":
            return {"mode": 1, "user_info": {"image_content": rng.choice(self.cards)}, "options": {"ocr_type": 1, "ocr_mode": 1}}
        if op == "package":
            from facesaas.sdk import build_package

            package = build_package(person["raw"], key=self.package_key, key_id=self.package_key_id,
                                    customer_defined_content="counter")  # fmt: skip
            return {"query_image_package": package, "query_image_package_return_image_list": False,
                    "query_image_package_check_same_person": True, "query_image_package_check_anti_screen": True,
                    "query_image_package_check_dark_illumination": True, "query_image_package_check_anti_picture": True}  # fmt: skip
        raise ValueError(op)


# --- the run ----------------------------------------------------------------------------------


def run(url: str, credentials: dict[str, Any], requests: Requests, concurrency: int, seconds: float, tag: str,
        seed: int = 0) -> tuple[list[list[Any]], float]:  # fmt: skip
    """``concurrency`` threads sending the mix for ``seconds``; (records, wall seconds)."""
    from facesaas.sdk import Client

    documented = _errors()
    ops, weights = zip(*MIX, strict=True)
    records: list[list[Any]] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop = started + seconds

    def worker(index: int) -> None:
        rng = random.Random(seed * 100_003 + index)
        enrolled: collections.deque[str] = collections.deque()
        serial = 0
        mine: list[list[Any]] = []
        with Client(url, credentials["access_id"], credentials["access_key"], credentials["public_key_pem"],
                    timeout=60) as client:  # fmt: skip
            while time.monotonic() < stop:
                op = rng.choices(ops, weights)[0]
                if op == "register" and len(enrolled) >= PER_THREAD_ENROLLED:
                    op = "delete"
                elif op == "delete" and not enrolled:
                    op = "register"
                if op == "register":
                    serial += 1
                    user_id = f"{tag}-{index}-{serial}"
                else:
                    user_id = enrolled[0] if enrolled else ""
                body = json.dumps(requests.payload(op, rng, user_id), separators=(",", ":")).encode()
                begun = time.monotonic()
                try:
                    response = client.post_raw(PATHS[op], body)  # signed here, afresh
                    status, content = response.status_code, response.content
                    rtn, defect = check_answer(status, content, documented)
                except Exception as exc:  # a timeout or a dropped connection: a defect, keep going
                    status, rtn, defect = 0, None, f"{exc.__class__.__name__}: {str(exc)[:120]}"
                elapsed = (time.monotonic() - begun) * 1000
                kind = overload_kind(content) if status == 503 and not defect else ""
                mine.append([round(begun - started, 3), op, status, rtn, round(elapsed, 2), defect, kind])
                if rtn == 0 and op == "register":
                    enrolled.append(user_id)
                elif rtn == 0 and op == "delete":
                    enrolled.popleft()
                if status == 503:
                    time.sleep(OVERLOAD_BACKOFF_SECONDS)
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 180)
    records.sort(key=lambda r: r[0])
    return records, time.monotonic() - started


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    array = np.asarray(values)
    return {"p50_ms": round(float(np.percentile(array, 50)), 1), "p99_ms": round(float(np.percentile(array, 99)), 1),
            "max_ms": round(float(array.max()), 1)}  # fmt: skip


def summarize(records: list[list[Any]], seconds: float) -> dict[str, Any]:
    """Counts, rates and latencies of ``records`` over ``seconds``: per operation the answers
    by "HTTP status / rtn", p50/p99/max of the rtn-0 answers; overall the 503 answers' latency
    (all, refused on arrival, refused after the queue-time limit), the defects by reason (and
    the first few examples)."""
    per_op: dict[str, dict[str, Any]] = {}
    by_code: collections.Counter[str] = collections.Counter()
    defects: collections.Counter[str] = collections.Counter()
    overloaded: dict[str, list[float]] = {"full": [], "waited": []}
    for op, _ in MIX:
        mine = [r for r in records if r[1] == op]
        codes = collections.Counter(f"{r[2]} / {r[3]}" for r in mine)
        ok = [r[4] for r in mine if r[3] == 0]
        per_op[op] = {"count": len(mine), "ok": len(ok), "codes": dict(codes), **_percentiles(ok)}
        by_code.update(codes)
    examples = []
    for record in records:
        if record[2] == 503 and record[6] in overloaded:
            overloaded[record[6]].append(record[4])
        if record[5]:
            defects[record[5].split(":")[0] if record[2] == 0 else record[5]] += 1
            if len(examples) < 10:
                examples.append(record)
    ok_all = [r[4] for r in records if r[3] == 0]
    return {
        "requests": len(records),
        "ok": len(ok_all),
        "per_second": round(len(records) / seconds, 2) if seconds else None,
        "ok_per_second": round(len(ok_all) / seconds, 2) if seconds else None,
        "all_ok": _percentiles(ok_all),
        "codes": dict(by_code),
        "overloaded": {"count": sum(map(len, overloaded.values())), **_percentiles(overloaded["full"] + overloaded["waited"]),
                       **{kind: {"count": len(v), **_percentiles(v)} for kind, v in overloaded.items()}},  # fmt: skip
        "defects": dict(defects),
        "defect_examples": examples,
        "per_op": per_op,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--credentials", type=Path, required=True, help="`facesaas tenant create --json` output")
    parser.add_argument("--workload", type=Path, required=True, help="prepared here first when missing")
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--identities", type=int, default=24, help="celeba identities of a new workload")
    parser.add_argument("--cards", type=int, default=4, help="ID-card fronts of a new workload (at most 4)")
    parser.add_argument("--data", type=Path, default=None, help="shared data (default: the test_data_dir setting)")
    parser.add_argument("--tag", default="run", help="prefix of the user ids this process registers")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from facesaas.sdk import Client
    from facesaas.settings import Settings

    credentials = json.loads(args.credentials.read_text())
    prepare_seconds = 0.0
    if not args.workload.exists():
        begun = time.monotonic()
        with Client(args.url, credentials["access_id"], credentials["access_key"], credentials["public_key_pem"],
                    timeout=60) as client:  # fmt: skip
            workload = prepare(client, args.data or Settings().test_data_dir, args.identities, args.cards)
        args.workload.write_text(json.dumps(workload))
        prepare_seconds = time.monotonic() - begun
    requests = Requests(json.loads(args.workload.read_text()), credentials)
    records, wall = run(args.url, credentials, requests, args.concurrency, args.seconds, args.tag, args.seed)
    report = {"concurrency": args.concurrency, "seconds": args.seconds, "wall_seconds": round(wall, 2),
              "prepare_seconds": round(prepare_seconds, 2), "mix": dict(MIX),
              "summary": summarize(records, args.seconds), "records": records}  # fmt: skip
    args.out.write_text(json.dumps(report))
    print(json.dumps({k: report["summary"][k] for k in ("requests", "ok", "per_second", "codes", "defects")}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
