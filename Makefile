# Everything a fresh machine needs: `make demo` runs the app on the built-in sandbox, `make test` runs every test.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo demo-headless test bench bench-quick package system-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[test,package]'
	touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh

demo: system-deps $(STAMP)
	bash scripts/with-desktop-session.sh $(PY) -m rulrr_desktop demo

demo-headless: system-deps $(STAMP)
	bash scripts/with-desktop-session.sh $(PY) -m rulrr_desktop demo --headless

test: system-deps $(STAMP)
	bash scripts/with-desktop-session.sh $(PY) -m pytest $(PYTEST_ARGS)

bench: system-deps $(STAMP)
	bash scripts/with-desktop-session.sh bash scripts/bench.sh $(BENCH_ARGS)

bench-quick: BENCH_ARGS = --quick
bench-quick: bench

package: system-deps $(STAMP)
	$(PY) packaging/build.py $(PACKAGE_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache
