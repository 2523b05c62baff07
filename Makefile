# Everything runs in virtual environments that tools/testenv.py creates (with uv, which it
# installs with pip on first use, or with pip alone); the machine needs only Python
# (>= 3.10) and pip. The matrix finds Pythons 3.10-3.13 on PATH or under pyenv.
PYTHON ?= python3
TESTENV := $(PYTHON) tools/testenv.py
VENV := .venv
PY := $(VENV)/bin/python
VENV2 := .venv-openai2
PY2 := $(VENV2)/bin/python
#: pytest-xdist workers for the suites (the soak runs alone)
WORKERS ?= 2
MAIN_EXTRAS := test,lint,ecosystem,ecosystem-openai3

.PHONY: install demo test test-openai3 test-openai2 matrix soak lint docs bench mutate clean

install:
	$(TESTENV) ensure $(VENV) --openai 3 --extras $(MAIN_EXTRAS)

## demo: an openai program signing against the embedded local OCI endpoint
demo:
	$(TESTENV) ensure $(VENV) --openai 3
	$(VENV)/bin/oci-openai-patch demo

## test: the whole suite on the latest openai 3.x (httpx2), then on openai 2.x (httpx); both
## always run, and the target fails at the end if either failed
test:
	@status=0; \
	$(MAKE) --no-print-directory test-openai3 || status=1; \
	$(MAKE) --no-print-directory test-openai2 || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: a suite failed (see above)"; fi; \
	exit $$status

test-openai3: install
	$(PY) -m pytest -q -n $(WORKERS)

test-openai2:
	$(TESTENV) ensure $(VENV2) --openai 2 --extras test,ecosystem,ecosystem-openai2
	$(PY2) -m pytest -q -n $(WORKERS)

## matrix: six more Python x openai pairs (3.10-3.13 with openai 3, 3.12 with 2, 3.10 and 3.13 with 1)
matrix:
	$(TESTENV) matrix -n $(WORKERS)

## soak: load with rotating credentials (32 threads, 200 async tasks) and memory over 20,000 requests
soak: install
	$(PY) -m pytest -q -m soak -s

## bench: every benchmark, side by side with its baseline, as a Markdown table (a few minutes)
bench:
	$(TESTENV) ensure $(VENV) --openai 3 --extras $(MAIN_EXTRAS),bench
	$(PY) benchmarks/run.py --write docs/benchmarks.md

## mutate: mutation testing of trust/hosts, signature/signing, transport/auth and credentials/ (over an hour on 2 CPUs)
mutate:
	$(TESTENV) ensure $(VENV) --openai 3 --extras $(MAIN_EXTRAS),mutate
	rm -rf mutants
	$(VENV)/bin/mutmut run > /dev/null
	$(PY) tools/mutation_score.py

## lint: ruff, mypy --strict, the pages (mkdocs --strict) and the README's links and size
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mkdocs build --strict --quiet --site-dir .site
	$(PY) tools/check_readme.py

## docs: the documentation pages, into .site/
docs: install
	$(VENV)/bin/mkdocs build --strict --site-dir .site

clean:
	rm -rf $(VENV) $(VENV2) .venvs .tools .mypy_cache .ruff_cache .pytest_cache mutants .site
