# The front door: `make run` and `make test` work on a fresh machine (Python 3.11+ and pip).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install run test bench calibrate docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/facesaas serve

test: install
	$(BIN)/python -m pytest

# The peer pipeline: dlib's ResNet through face_recognition (its own dlib dependency would
# compile from source, so it is installed without dependencies next to dlib-bin).
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m pip install --quiet --no-deps 'face_recognition==1.3.0'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/bench_recognition.py

calibrate: install
	$(BIN)/facesaas calibrate ../shared/data/faces/celeba --out src/facesaas/face/calibration.json

docs: install
	$(BIN)/facesaas errors --markdown > docs/errors.table.md

clean:
	rm -rf $(VENV) facesaas-data
