# Switchboard: `make run` serves the demo, `make test` installs what the tests need and runs
# every test. Every install step lives here, so both work on a bare machine.

CARGO ?= cargo
NPM ?= npm
JS := js-client
BIND ?= 127.0.0.1:8000

.PHONY: run test soak deps node chromium nginx redis js js-check lint rust-test js-test e2e clean

## Build in release mode and serve the demo on the embedded in-memory broker.
run:
	$(CARGO) build --release
	./target/release/switchboard serve --demo --bind $(BIND)

## Everything CI checks: formatting, lints, Rust tests, a small run of every benchmark
## scenario and of the jitter benchmark, a short fuzz run, JS lint/tests/build, browser tests.
## It builds without incremental data (a fresh clone never reuses it, and it doubles what the
## debug builds write) and says how much disk it starts with: a CI machine ran out once.
test: export CARGO_INCREMENTAL = 0
test: disk deps lint rust-test bench-smoke bench-jitter-smoke fuzz-smoke js-test js-check js-pack e2e \
	django-test django-nodf-test django-e2e bench-django-smoke

## Free disk where the builds go. `make test` writes about 5 GB on a fresh clone (debug builds,
## the compile-fail tests' own build, the fuzz build, the Python and npm environments).
.PHONY: disk
disk:
	@df -h . | tail -1 | awk '{ print "disk: " $$4 " free where the builds go" }'

## Tools the tests need: Node.js and npm (for the JS client), its npm packages, Debian's
## Chromium for the browser tests (playwright-core never downloads a browser), and
## redis-server (the Redis tests start private servers on free ports).
deps: node chromium redis $(JS)/node_modules/.package-lock.json

## nginx for the example site's reverse-proxy tests (examples/df_site/tests/test_behind_proxy.py).
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
		echo "installing nginx"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light; }

redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "installing redis-server"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; }

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Chromium"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	@chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank >/dev/null 2>&1 || { \
		echo "Chromium is installed but cannot start: the browser tests cannot run"; exit 1; }

node:
	@command -v node >/dev/null 2>&1 && command -v $(NPM) >/dev/null 2>&1 || { \
		echo "installing Node.js and npm"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; }

$(JS)/node_modules/.package-lock.json: $(JS)/package-lock.json
	cd $(JS) && $(NPM) ci --no-audit --no-fund

lint:
	$(CARGO) fmt --all -- --check
	cd fuzz && $(CARGO) fmt -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p switchboard
	cd $(JS) && $(NPM) run lint
	cd bench/jitter && $(NPM) run lint

rust-test:
	$(CARGO) test --workspace

js-test:
	cd $(JS) && $(NPM) test && $(NPM) run typecheck

## The npm package switchboard-client as published: `npm pack` (which builds dist/), then a
## scratch project installs the tarball offline, imports the ES module, runs the classic
## script and type-checks against the published declarations (js-client/scripts/pack-test.js).
.PHONY: js-pack
js-pack: node $(JS)/node_modules/.package-lock.json
	cd $(JS) && $(NPM) run pack-test

## Real-browser tests: headless Chromium drives the JS client against a real server.
e2e:
	$(CARGO) build
	cd $(JS) && SWITCHBOARD_BIN=$(CURDIR)/target/debug/switchboard $(NPM) run e2e

## switchboard-django (the Python package in switchboard-django/): a virtualenv in
## target/django-venv with what switchboard-django/requirements-test.txt lists (Django,
## df_websockets 1.2.6, pytest, ruff, websockets, Playwright for Python, daphne) and the
## package (editable). `django-test` runs ruff (lint and format) and pytest against a real
## binary: SWITCHBOARD_BIN, by default the debug build, which is built first (with another
## SWITCHBOARD_BIN, nothing is built). `django-e2e` runs the example df_websockets site
## (examples/df_site) on that binary in Debian's Chromium.
DJANGO_VENV := target/django-venv
DJANGO_DIR := switchboard-django
DF_SITE := examples/df_site
SWITCHBOARD_BIN_DEFAULT := $(CURDIR)/target/debug/switchboard
SWITCHBOARD_BIN ?= $(SWITCHBOARD_BIN_DEFAULT)

.PHONY: django-venv django-bin django-test django-e2e bench-django bench-django-smoke

$(DJANGO_VENV)/.stamp: $(DJANGO_DIR)/pyproject.toml $(DJANGO_DIR)/requirements-test.txt
	python3 -m venv $(DJANGO_VENV)
	$(DJANGO_VENV)/bin/pip install --disable-pip-version-check -q \
		-r $(DJANGO_DIR)/requirements-test.txt
	$(DJANGO_VENV)/bin/pip install --disable-pip-version-check -q -e ./$(DJANGO_DIR)
	touch $@

django-venv: $(DJANGO_VENV)/.stamp

django-bin:
	@if [ "$(SWITCHBOARD_BIN)" = "$(SWITCHBOARD_BIN_DEFAULT)" ]; then $(CARGO) build; \
	else echo "django-test uses SWITCHBOARD_BIN=$(SWITCHBOARD_BIN) (not built here)"; fi

django-test: django-venv django-bin
	cd $(DJANGO_DIR) && ../$(DJANGO_VENV)/bin/ruff check . && ../$(DJANGO_VENV)/bin/ruff format --check .
	cd $(DJANGO_DIR) && SWITCHBOARD_BIN=$(SWITCHBOARD_BIN) ../$(DJANGO_VENV)/bin/pytest -q -rs

## Browser calls to a Python handler, Switchboard + Django (gunicorn) against df_websockets'
## own stack (Channels on daphne), the same example site, 100 windows (bench/django/calls.py;
## BENCHMARKS.md "Django sites"). `make test` runs a few seconds of it (bench-django-smoke).
bench-django: django-venv redis
	$(CARGO) build --release -p switchboard
	$(DJANGO_VENV)/bin/python bench/django/calls.py --switchboard-bin target/release/switchboard \
		--json target/bench-django.json

bench-django-smoke: django-venv django-bin redis
	$(DJANGO_VENV)/bin/ruff check --config $(DJANGO_DIR)/pyproject.toml bench/django \
		bench/report.py bench/test_report.py
	$(DJANGO_VENV)/bin/ruff format --check --config $(DJANGO_DIR)/pyproject.toml bench/django \
		bench/report.py bench/test_report.py
	$(DJANGO_VENV)/bin/python bench/django/calls.py --switchboard-bin $(SWITCHBOARD_BIN) \
		--windows 40 --seconds 2 --warmup 1

django-e2e: django-venv django-bin chromium nginx
	cd $(DF_SITE) && ../../$(DJANGO_VENV)/bin/ruff check . && ../../$(DJANGO_VENV)/bin/ruff format --check .
	cd $(DF_SITE) && SWITCHBOARD_BIN=$(SWITCHBOARD_BIN) ../../$(DJANGO_VENV)/bin/pytest -q -rs

## The mode without df_websockets: target/django-nodf-venv has Django, pytest, pytest-django,
## websockets, urllib3 and the package, and no df_websockets, Channels or Celery;
## `django-nodf-test` runs the test site of switchboard-django/tests_nodf against
## SWITCHBOARD_BIN (ruff runs in django-test, over both test folders).
DJANGO_NODF_VENV := target/django-nodf-venv

.PHONY: django-nodf-venv django-nodf-test

$(DJANGO_NODF_VENV)/.stamp: $(DJANGO_DIR)/pyproject.toml
	python3 -m venv $(DJANGO_NODF_VENV)
	$(DJANGO_NODF_VENV)/bin/pip install --disable-pip-version-check -q \
		"Django>=4.2" pytest pytest-django "websockets>=12" "urllib3>=1.26"
	$(DJANGO_NODF_VENV)/bin/pip install --disable-pip-version-check -q --no-deps -e ./$(DJANGO_DIR)
	touch $@

django-nodf-venv: $(DJANGO_NODF_VENV)/.stamp

django-nodf-test: django-nodf-venv django-bin
	cd $(DJANGO_DIR)/tests_nodf && SWITCHBOARD_BIN=$(SWITCHBOARD_BIN) ../../$(DJANGO_NODF_VENV)/bin/pytest -q -rs

## Long soak (release build): SOAK_SECONDS of churn by SOAK_CLIENTS concurrent clients; prints
## lives per second and the server's RSS before and after. `make test` runs a short one.
SOAK_SECONDS ?= 120
SOAK_CLIENTS ?= 1000
soak:
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_CLIENTS=$(SOAK_CLIENTS) \
		$(CARGO) test --release --test soak -- --nocapture

## Fuzzing (fuzz/: cargo-fuzz and libFuzzer). cargo-fuzz passes nightly-only flags, which
## RUSTC_BOOTSTRAP=1 lets the stable toolchain accept. A crash stops the run and is saved in
## fuzz/artifacts/<target>/; each run grows fuzz/corpus/<target>/ (only seed-* is committed).
FUZZ_TARGETS := inbound_frame api_body inbound_ws
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 20

# $(call fuzz_each,SECONDS): fuzz every target for SECONDS, stopping at the first failure.
fuzz_each = set -e; for target in $(FUZZ_TARGETS); do \
	echo "fuzzing $$target for $(1) s"; \
	(cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$target -- \
		-max_total_time=$(1) -dict=dict/switchboard.dict); \
	done

.PHONY: fuzz-install fuzz fuzz-smoke

## cargo-fuzz, unless it is already installed.
fuzz-install:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

## Fuzz each target for FUZZ_SECONDS (default 300).
fuzz: fuzz-install
	@$(call fuzz_each,$(FUZZ_SECONDS))

## Each target for FUZZ_SMOKE_SECONDS (default 20): the short run that `make test` includes.
fuzz-smoke: fuzz-install
	@$(call fuzz_each,$(FUZZ_SMOKE_SECONDS))

## Rebuild the bundled client and the demo's script into static/.
js:
	cd $(JS) && $(NPM) run build

## The committed builds in static/ must be what the sources produce (rebuild, then diff).
js-check:
	cd $(JS) && $(NPM) run check-build

## Benchmarks (bench/, BENCHMARKS.md). `make bench` measures Switchboard and the raw
## tokio-tungstenite floor; `make bench-peers` adds Django Channels (in-memory layer and
## channels_redis on a private redis-server), installed from PyPI into target/bench-venv.
## Both write the results file, the tables in BENCHMARKS.md and the plots in bench/plots/.
BENCH_OUT ?= bench/results/latest.json
BENCH_VENV := target/bench-venv
BENCH_PY := $(BENCH_VENV)/bin/python

.PHONY: bench bench-peers bench-smoke bench-build bench-report

bench-build:
	$(CARGO) build --release -p switchboard -p switchboard-bench

$(BENCH_VENV)/.report-stamp: bench/report-requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --disable-pip-version-check -q -r bench/report-requirements.txt
	touch $@

bench-report: $(BENCH_VENV)/.report-stamp
	$(BENCH_PY) bench/report.py $(BENCH_OUT) --markdown BENCHMARKS.md --plots bench/plots

bench: bench-build $(BENCH_VENV)/.report-stamp
	./target/release/switchboard-bench suite --peers switchboard,floor,floor-same-bytes --out $(BENCH_OUT)
	$(MAKE) bench-report

bench-peers: bench-build redis $(BENCH_VENV)/.report-stamp
	VENV=$(CURDIR)/$(BENCH_VENV) bash bench/peers/channels/setup.sh
	./target/release/switchboard-bench suite \
		--peers switchboard,floor,floor-same-bytes,channels-memory,channels-redis --out $(BENCH_OUT)
	$(MAKE) bench-report

## Every scenario at small sizes against Switchboard and the floor, and a fan-out of the
## floor sending frames as long as Switchboard's (debug builds; the rows compared with the
## floor in two rounds); fails on any loss, error or failed connect. Then the report's
## tests, and the report of that run (tables only). Part of `make test`; no figures are kept.
bench-smoke:
	$(CARGO) build -p switchboard -p switchboard-bench
	./target/debug/switchboard-bench suite --smoke --peers switchboard,floor,floor-same-bytes \
		--switchboard-bin target/debug/switchboard --floor-bin target/debug/bench-floor \
		--out target/bench-smoke.json
	python3 -m unittest discover -s bench -p 'test_*.py'
	python3 bench/report.py target/bench-smoke.json --no-plots > target/bench-smoke.md

## Jitter benchmark (bench/jitter/, BENCHMARKS.md "Jitter (reconnects)"): windows of the
## bundled JS client whose sockets are cut without a close frame and kept offline, while
## triggers are sent; delivery, duplicates, order and replay latency per target, written
## to JITTER_OUT. `bench-jitter`: 1,000 windows, 60 s, Switchboard with and without history
## and Django Channels (in-memory layer). `bench-jitter-smoke`: 200 windows, 10 s, debug
## build, history on and off; fails unless history on delivers 100.00%, once each, in
## order, and history off loses some.
JITTER := bench/jitter
JITTER_OUT ?= bench/results/jitter.json

.PHONY: bench-jitter bench-jitter-smoke

$(JITTER)/node_modules/.package-lock.json: $(JITTER)/package-lock.json
	cd $(JITTER) && $(NPM) ci --no-audit --no-fund

bench-jitter: bench-build node $(JITTER)/node_modules/.package-lock.json
	VENV=$(CURDIR)/$(BENCH_VENV) bash bench/peers/channels/setup.sh
	node $(JITTER)/jitter.js --switchboard-bin target/release/switchboard \
		--venv $(BENCH_VENV) --out $(JITTER_OUT)

bench-jitter-smoke: node $(JITTER)/node_modules/.package-lock.json
	$(CARGO) build -p switchboard
	node $(JITTER)/jitter.js --smoke --switchboard-bin target/debug/switchboard \
		--out target/jitter-smoke.json

clean:
	$(CARGO) clean
	rm -rf fuzz/target fuzz/artifacts
	rm -rf $(JS)/node_modules
