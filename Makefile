# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# torch is installed first and pinned (a bare `torch` requirement would pull a multi-GB CUDA build).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.xstilts-installed
# Every other package at the version the tests passed with (a fresh clone gets what was tested,
# not whatever was released since). `make lock` rewrites it from the current .venv.
CONSTRAINTS := constraints.txt

.PHONY: demo readme-demo demo-controlled test test-all lint typecheck bench bench-gpu fuzz clean lock

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/xstilts demo

# One command: the demo (resumed if xstilts-demo/ is finished; `rm -rf xstilts-demo` first for a
# fresh, timed run), then the README's demo block and its committed record regenerated from it.
readme-demo: $(STAMP)
	$(BIN)/xstilts demo --quiet
	$(BIN)/python -m xstilts.analysis.demo_readme xstilts-demo

# The controlled experiment: synthetic languages with designed pretraining budgets (CPU, minutes).
demo-controlled: $(STAMP)
	$(BIN)/xstilts demo --controlled

test: $(STAMP)
	$(BIN)/python -m pytest

test-all: $(STAMP)
	$(BIN)/python -m pytest -m ''

lint: $(STAMP) typecheck
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# mypy over src/xstilts (settings in pyproject.toml: strict on experiments/, train/, tasks/)
typecheck: $(STAMP)
	$(BIN)/mypy

# ~5,700 hostile inputs to every reader, the study file, every scorer and CLI command; prints
# counts per outcome and fails on any traceback, silent drop or accepted malformed input.
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/run.py --examples 100

# The suite, ~9 min on an idle 2-core machine (estimated from its sections' measured times):
# training (embeddings frozen and trained) vs Trainer, MFU, evaluation, mining, scaling; the
# demo's minutes and peak memory are read from the folder a finished `make demo` wrote
# (DEMO_OUT), not re-run. DEMO_TIME: optional GNU `time -v` output of that demo run.
DEMO_OUT ?= xstilts-demo
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --out benchmarks --demo-from $(DEMO_OUT) \
	  $(if $(DEMO_TIME),--demo-time $(DEMO_TIME))

# One GPU, < 8 min: xstilts vs transformers.Trainer, both bf16 + SDPA + fused AdamW + compiled,
# XLM-R-base shapes at 128 and 384 tokens, MFU against the measured bf16 matmul peak.
bench-gpu: $(STAMP)
	$(BIN)/python benchmarks/run.py --only gpu --out benchmarks/gpu

# After changing dependencies in pyproject.toml: `pip install -e '.[dev]'` in .venv (or loosen a
# pin here), run the tests, then `make lock` and commit constraints.txt with the change.
lock: $(STAMP)
	{ sed -n '1,3p' $(CONSTRAINTS); $(BIN)/python -m pip freeze --exclude-editable \
	  | grep -v -i -E '^(torch|xstilts)(==| @)'; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

clean:
	rm -rf xstilts-demo xstilts-controlled .pytest_cache
