# Weir: the two commands of the README, the gates and the local UI.
#   make demo       install, then run the main ARGO job on the embedded default (no servers)
#   make test       install, then run the whole test suite (starts its own Kafka, S3, Spark, Flink)
#   make lint       ruff (lint + format check), mypy, import contracts: CI runs it before the tests
#   make test-fast  the unit tests that need no external service (under a minute)
#   make dev        the Dagster UI on the local instance under .weir/ (DATA=.weir/demo: the demo's data)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
NATIVE := platform_assets/telemetry/_event_reader.c platform_assets/warehouse/_unload_scan.c \
  platform_assets/argo/_avro_columns.c
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(NATIVE) | sha1sum | cut -c1-12)
LOCAL_HOME := $(CURDIR)/.weir/dagster_home
DATA ?= .weir
PORT ?= 3000
CODE := platform_assets resources sensors

.PHONY: demo test test-fast lint bench dev postgres browser local-home

$(STAMP): pyproject.toml $(NATIVE)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,streamsets]'
	# Flink 2.3's jars for the test cluster, kept out of the venv (PyFlink's pins clash with pyspark)
	$(VENV)/bin/pip install --quiet --no-deps --upgrade --target .flink apache-flink-libraries==2.3.0
	rm -f $(VENV)/.installed-* && touch $@

# The local Dagster instance (SQLite under .weir/dagster_home). `.env` names it, so that the dagster
# and dg commands run from this folder use it and never the production dagster.yaml beside it.
local-home:
	@mkdir -p $(LOCAL_HOME)
	@test -f $(LOCAL_HOME)/dagster.yaml || printf '# the local instance: SQLite storage in this folder\ntelemetry:\n  enabled: false\n' > $(LOCAL_HOME)/dagster.yaml
	@grep -qs '^DAGSTER_HOME=$(LOCAL_HOME)$$' .env || echo 'DAGSTER_HOME=$(LOCAL_HOME)' > .env

demo: $(STAMP) local-home
	DAGSTER_HOME=$(LOCAL_HOME) $(VENV)/bin/python -m platform_assets.demo

# PostgreSQL backs the production-instance test; start the machine's cluster if it is down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

# The UI test drives Debian's chromium (Playwright's own browser download is never used).
browser:
	@test -x /usr/bin/chromium || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

# The tests' temporary files (each test's folder, its Dagster instance) on tmpfs where the machine has
# one: a test instance is SQLite, which commits every event, and on a disk those commits cost the
# suite minutes. Nothing is stubbed: the files are real, only kept in memory.
TEST_TMP := $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm || echo /tmp)

test: $(STAMP) local-home postgres browser
	TMPDIR=$(TEST_TMP) $(VENV)/bin/python -m pytest -q

test-fast: $(STAMP)
	TMPDIR=$(TEST_TMP) $(VENV)/bin/python -m pytest -q -m fast

lint: $(STAMP)
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/ar_day.py

dev: $(STAMP) local-home
	DAGSTER_HOME=$(LOCAL_HOME) WEIR_DATA_DIR=$(DATA) WEIR_TENANT_REGISTRY=$(DATA)/tenants.yaml \
		$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(PORT)
