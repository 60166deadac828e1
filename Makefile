# clipcast: `make run` sets up and serves; `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/clipcast/web/static/vendor

.PHONY: run test setup vendor chromium nginx lint typecheck check clean

setup: $(STAMP) vendor

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || (echo "clipcast needs Python 3.11+" && exit 1)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end packages come from npm, pinned by package-lock.json, copied next to our own JS.
vendor: $(VENDOR)/.stamp

$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp node_modules/hls.js/dist/hls.min.js $(VENDOR)/hls.min.js
	cp node_modules/tus-js-client/dist/tus.min.js $(VENDOR)/tus.min.js
	cp node_modules/uplot/dist/uPlot.iife.min.js $(VENDOR)/uplot.min.js
	cp node_modules/uplot/dist/uPlot.min.css $(VENDOR)/uplot.min.css
	touch $@

run: setup
	$(BIN)/clipcast serve

# Browser tests drive Debian's chromium; install it when it is missing (root, as on CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The CDN edge tests run Debian's nginx-light (they start it themselves); same rule.
nginx:
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null)

test: setup chromium nginx
	$(BIN)/pytest -q

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

check: lint typecheck

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
