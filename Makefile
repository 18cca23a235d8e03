# InSAR Geohazards — developer commands. `make test` and `make demo` install what they need.
SHELL := /bin/bash
PY := /usr/bin/python3
ROOT := $(abspath .)
PLUGINS := $(ROOT)/.build/plugins
DEMO_OUT ?= $(ROOT)/demo_output
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := qgis python3-qgis qgis-providers python3-numpy python3-scipy python3-sklearn \
	python3-numba python3-h5py python3-pyproj python3-pytest python3-pytest-xdist python3-matplotlib python3-dask python3-distributed python3-markdown-it xvfb xauth zip
export QT_QPA_PLATFORM := offscreen
export QGIS_PLUGINPATH := $(PLUGINS)
export XDG_RUNTIME_DIR := /tmp/runtime-$(shell id -u)

.PHONY: help deps link test test-full test-core test-processing test-matrix test-trixie test-sid demo package lint bench clean

help:
	@echo "make test     install QGIS 3.22 + core packages if missing, run all test layers (on all cores)"
	@echo "make test-full    make test plus the heavy tests (first-run compilation, other CPU targets)"
	@echo "make test-matrix  test + demo on Debian 13 / QGIS 3.40 in a debootstrap chroot (.build/chroot-trixie)"
	@echo "make test-sid     the same on Debian unstable / QGIS 3.44 (optional, not in CI)"
	@echo "make demo     run the main job headless on bundled real data (outputs: $(DEMO_OUT))"
	@echo "make package  build dist/insar_geohazards.zip (installable plugin, help rendered to HTML)"
	@echo "make lint     ruff (config in pyproject.toml)"
	@echo "make bench    side-by-side benchmarks (own venv with MintPy, dolphin, cutde ...)"

deps:
	@if ! command -v qgis_process.bin >/dev/null || ! $(PY) -c "import qgis.core, numpy, scipy, sklearn, numba, h5py, pyproj, pytest, xdist, matplotlib, dask.distributed, markdown_it" 2>/dev/null \
	    || ! command -v xvfb-run >/dev/null || ! command -v zip >/dev/null; then \
	  echo "Installing QGIS and the core Python packages from Debian ..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	fi
	@mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)

link:
	@mkdir -p $(PLUGINS) && ln -sfn ../.. $(PLUGINS)/insar_geohazards
	@$(PY) docs/build_help.py docs >/dev/null
	@qgis_process.bin plugins enable insar_geohazards >/dev/null 2>&1 || true

# Both cores: pytest-xdist workers, then the tests marked `serial` alone (.ci/run_tests.sh; TEST_JOBS=1 for one
# process). A single file runs in one process as before: make test TESTS="tests/core/test_x.py".
TESTS ?= tests
test: deps link
	PY=$(PY) .ci/run_tests.sh $(TESTS)

# Also the tests marked `heavy` (kernels compiled from an empty cache for a first run and for other CPU targets).
test-full: deps link
	GEOHAZARD_HEAVY_TESTS=1 PY=$(PY) .ci/run_tests.sh $(TESTS)

test-core: link
	PY=$(PY) .ci/run_tests.sh tests/core

# Other QGIS versions: the same tests and demo inside a Debian chroot (.ci/chroot_test.sh; needs root).
test-matrix: test-trixie

test-trixie:
	.ci/chroot_test.sh trixie test demo

test-sid:
	.ci/chroot_test.sh sid test demo

demo: deps link
	$(PY) demo/run_demo.py "$(DEMO_OUT)"

package:
	@rm -rf .build/package dist && mkdir -p .build/package/insar_geohazards dist
	git archive --format=tar HEAD | tar -x -C .build/package/insar_geohazards
	cd .build/package/insar_geohazards && rm -rf tests benchmarks .ci demo docs/*.ipynb Makefile pyproject.toml .gitignore BENCHMARKS.md \
	    models/detector/train_basin_detector.py
	$(PY) .build/package/insar_geohazards/docs/build_help.py .build/package/insar_geohazards/docs
	cd .build/package && zip -qr $(ROOT)/dist/insar_geohazards.zip insar_geohazards
	@echo "Built dist/insar_geohazards.zip"

lint:
	@[ -x .build/venv-lint/bin/ruff ] || { $(PY) -m venv .build/venv-lint && .build/venv-lint/bin/pip install -q ruff; }
	.build/venv-lint/bin/ruff check .

bench: deps link
	bash benchmarks/run_all.sh

clean:
	@if grep -q " $(ROOT)/.build/" /proc/mounts; then echo "a chroot under .build/ is still mounted; not cleaning"; exit 1; fi
	$(SUDO) rm -rf --one-file-system .build dist $(DEMO_OUT)
