# bankcrm: `make run` and `make test` are all a new user needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint typecheck bench bench-api-tools clean vendor messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(STAMP) $@

# The browser tests (tests/e2e) drive Debian's Chromium; Playwright never downloads one.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

# A Chinese font, so the screenshots of the zh_Hans pages show characters, not boxes.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
$(CJK_FONT):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends fonts-wqy-zenhei

run: $(STAMP)
	$(BIN)/bankcrm run

test: $(TEST_STAMP) $(CHROMIUM) $(CJK_FONT)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_ingest.py

# The load generator of benchmarks/bench_api.py (which installs it too when missing).
WRK := /usr/bin/wrk
$(WRK):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk

bench-api-tools: $(WRK)

# Developers only: re-fetch htmx, ECharts and Pico from npm into web/static/vendor/.
vendor:
	bash scripts/vendor.sh

# Developers only: extract the pages' strings, merge them into every catalogue, compile
# the .mo files (committed, so a fresh clone needs no step of its own).
I18N := src/bankcrm/web/translations
messages: $(TEST_STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header --sort-output -w 100 -o $(I18N)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-pot-creation-date -w 100 -i $(I18N)/messages.pot -d $(I18N)
	$(BIN)/pybabel compile --statistics -d $(I18N)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
