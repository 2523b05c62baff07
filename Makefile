# Everything runs in virtual environments this Makefile creates; the machine needs only
# Python (>= 3.10) and pip.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV2 := .venv-openai2
PY2 := $(VENV2)/bin/python

.PHONY: install demo test test-openai3 test-openai2 soak lint bench mutate clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,lint,ecosystem,ecosystem-openai3]'
	touch $@

$(VENV2)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV2)
	$(PY2) -m pip install -q --upgrade pip
	$(PY2) -m pip install -q -e '.[test,ecosystem,ecosystem-openai2]' 'openai>=2,<3'
	touch $@

install: $(VENV)/.installed

## demo: an openai program signing against the embedded local OCI endpoint
demo: $(VENV)/.installed
	$(VENV)/bin/oci-openai-patch demo

## test: the whole suite on the latest openai 3.x (httpx2), then on openai 2.x (httpx)
test: test-openai3 test-openai2

test-openai3: $(VENV)/.installed
	$(PY) -m pytest -q

test-openai2: $(VENV2)/.installed
	$(PY2) -m pytest -q

## soak: load with rotating credentials (32 threads, 200 async tasks) and memory over 20,000 requests
soak: $(VENV)/.installed
	$(PY) -m pytest -q -m soak -s

## bench: every benchmark, side by side with its baseline, as a Markdown table (a few minutes)
bench: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/run.py

## mutate: mutation testing of hosts, signing, auth and credentials against the fast tests (about 20 min)
mutate: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[mutate]'
	rm -rf mutants
	$(VENV)/bin/mutmut run > /dev/null
	$(PY) tools/mutation_score.py

## lint: ruff and mypy --strict
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) $(VENV2) .mypy_cache .ruff_cache .pytest_cache mutants
