# Tricircle — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
LAB := lab/lab
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test venv lab lab-down lab-status unit functional labtest lint bench \
        sample-config gateway gateway-down clean

## venv: the gateway's own virtualenv (.venv), with test tools
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@command -v uv >/dev/null || $(PY) -m pip install -q uv
	uv venv -q --allow-existing --python $$(command -v $(PY)) $(VENV)
	VIRTUAL_ENV=$(VENV) uv pip install -q -e '.[test]'
	touch $@

## lab: install (if needed) and start the real OpenStack lab (two pods + central Neutron)
lab:
	$(LAB) up

lab-down:
	$(LAB) down

lab-status:
	$(LAB) status

## gateway: start the gateway against the lab, register it, define demo flavor
gateway: venv lab
	$(VPY) -m tricircle.demo up

gateway-down:
	-$(VPY) -m tricircle.demo down

## demo: everything a new user needs: lab + gateway + clouds.yaml
demo: gateway
	@echo
	@echo "Ready.  export OS_CLIENT_CONFIG_FILE=$(CURDIR)/.lab/clouds.yaml"
	@echo "        openstack --os-cloud tricircle server list"

## test: the whole suite (unit, functional on SQLite/PostgreSQL/MariaDB, lab acceptance)
test: venv lab lint
	TRICIRCLE_REQUIRE_LAB=1 $(VPY) -m pytest -q -p no:cacheprovider tests

unit: venv
	$(VPY) -m pytest -q tests/unit

functional: venv
	$(VPY) -m pytest -q tests/functional

labtest: venv lab
	TRICIRCLE_REQUIRE_LAB=1 $(VPY) -m pytest -q tests/lab tests/acceptance

lint: venv
	$(VENV)/bin/ruff check tricircle tests bench
	$(VENV)/bin/mypy tricircle

bench: venv
	$(VPY) -m bench.run

## sample-config: regenerate etc/tricircle.conf.sample and etc/policy.yaml.sample
sample-config: venv
	$(VENV)/bin/oslo-config-generator --namespace tricircle --output-file etc/tricircle.conf.sample
	$(VENV)/bin/oslopolicy-sample-generator --namespace tricircle --output-file etc/policy.yaml.sample

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## conformance: tempest and the clients' functional tests, through the gateway and directly
## against the pods (baseline); regenerates docs/conformance.md (see conformance/run --help).
## One command on a fresh clone: `lab up` (idempotent) unless .lab is a symlink to another
## checkout's running lab (`lab up` from here would rewrite that lab's configs and lab.json
## with this checkout's paths), then this checkout's gateway.
## CONFORMANCE_ARGS adds options, e.g. CONFORMANCE_ARGS="--client-timeout 600"
.PHONY: conformance
CONFORMANCE_ARGS ?=
conformance: venv
	@if [ -L .lab ]; then echo "conformance: .lab is shared ($$(readlink .lab)): lab left as it is"; \
	else $(LAB) up; fi
	$(VPY) -m tricircle.demo up
	conformance/run --clients --jobs 2 $(CONFORMANCE_ARGS)
