# The two commands: `make run` and `make test`. Both create .venv/ from the lock file
# when it is missing or older than requirements.lock / pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mockint-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
# llama-cpp-python (the local LLM) compiles from source on first install: use every core.
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test test-fast bench eval eval-llm setup lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mockint needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys' 2>/dev/null; then \
		echo "creating $(VENV)/"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing dependencies (the first time, llama-cpp-python compiles for about 10 minutes)"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

run: setup
	$(BIN)/mockint index
	$(BIN)/mockint ui --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup
	$(BIN)/python bench/search.py
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/ui_load.py
	$(BIN)/python bench/local_llm.py
	$(BIN)/python bench/ui_cold.py
	$(BIN)/python bench/results.py
	$(BIN)/python bench/render_readme.py

eval: setup
	$(BIN)/mockint calibrate --dataset ../shared/data/asag/mohler.jsonl:mohler --dataset eval/datasets/interview-graded.jsonl:mockint
	$(BIN)/mockint eval --dataset ../shared/data/asag/mohler.jsonl --format mohler --folds 10 --also-fit eval/datasets/interview-graded.jsonl:mockint --name mohler --out eval/reports
	$(BIN)/mockint eval --dataset eval/datasets/interview-graded.jsonl --format mockint --folds 10 --also-fit ../shared/data/asag/mohler.jsonl:mohler --name interview-graded --out eval/reports

# the local LLM's reports (about 2 hours on 2 cores; replies are cached in the data dir) and the
# table that set the hybrid's nudge
eval-llm: setup
	for g in hybrid llm; do \
	  $(BIN)/mockint eval --dataset ../shared/data/asag/mohler.jsonl --format mohler --grader $$g --llm local --folds 10 --also-fit eval/datasets/interview-graded.jsonl:mockint --limit 200 --seed 0 --probe-n 12 --name mohler-200 --out eval/reports && \
	  $(BIN)/mockint eval --dataset eval/datasets/interview-graded.jsonl --format mockint --grader $$g --llm local --folds 10 --also-fit ../shared/data/asag/mohler.jsonl:mohler --seed 0 --probe-n 6 --name interview-graded --out eval/reports || exit 1; \
	done
	MOCKINT_LLM=local $(BIN)/python eval/hybrid_rule.py

lock: setup
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^mockint' | sed 's/+cpu//' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
