# Entry points: make demo, make test, make lint, make bench. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test chromium java lint bench bench-coordination bench-spark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/infoscope demo --out demo-out

# The suite runs in two worker processes (pytest-xdist), the Spark tests all in one of them
# (one local Spark session). After the suite, the wheel smoke test (tests/test_install.py, a
# few minutes): the built wheel installed into a fresh venv with this Python's bundled pip,
# not upgraded, then run.
test: $(STAMP) chromium java
	$(BIN)/pytest -n 2 --dist loadgroup
	$(BIN)/pytest -m wheel

# The browser tests drive the Debian package chromium (through Playwright); without it they
# are skipped with a reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get install -y -q chromium >/dev/null 2>&1 \
	      || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)); } \
	  || echo "chromium is not installed and could not be (needs root and apt); browser tests will be skipped" >&2

# The Spark tests (marker spark) need Java 17 or 21, from the Debian package; without it they
# are skipped with a reason.
java:
	@command -v java >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1 \
	      || (apt-get update -q >/dev/null 2>&1 \
	          && apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1)); } \
	  || echo "java is not installed and could not be (needs root and apt); Spark tests will be skipped" >&2

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_communities.py
	$(BIN)/python benchmarks/bench_language.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_minhash.py
	$(BIN)/python benchmarks/bench_pages.py

bench-coordination: $(STAMP)
	$(BIN)/python benchmarks/bench_coordination.py

bench-spark: $(STAMP) java
	$(BIN)/python benchmarks/bench_spark.py

clean:
	rm -rf $(VENV) demo-out bench-out .pytest_cache .ruff_cache .mypy_cache
