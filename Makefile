# Weir: the two commands of the README, plus the benchmark.
#   make demo   install, then run the main ARGO job on the embedded default (no servers)
#   make test   install, then run the whole test suite (starts its own Kafka, S3, Spark, Flink)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
NATIVE := platform_assets/telemetry/_event_reader.c
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(NATIVE) | sha1sum | cut -c1-12)

.PHONY: demo test bench dev postgres browser

$(STAMP): pyproject.toml $(NATIVE)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	# Flink 2.3's jars for the test cluster, kept out of the venv (PyFlink's pins clash with pyspark)
	$(VENV)/bin/pip install --quiet --no-deps --upgrade --target .flink apache-flink-libraries==2.3.0
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(VENV)/bin/python -m platform_assets.demo

# PostgreSQL backs the production-instance test; start the machine's cluster if it is down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

# The UI test drives Debian's chromium (Playwright's own browser download is never used).
browser:
	@test -x /usr/bin/chromium || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

test: $(STAMP) postgres browser
	$(VENV)/bin/python -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/ar_day.py

dev: $(STAMP)
	$(VENV)/bin/dagster dev -w workspace.yaml
