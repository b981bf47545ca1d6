# Two commands on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench eval venv system-deps clean

venv: $(STAMP)

# Re-install whenever pyproject.toml changes; the stamp keeps `make run` fast otherwise.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# The demo: embedded stores under ./data, the demo bank, demo mode on (override with SAHAYAK_DEMO=false).
run: venv
	SAHAYAK_DEMO=$${SAHAYAK_DEMO:-true} $(PY) gateway.py serve

test: venv
	$(PY) -m pytest -q -p no:cacheprovider

bench: venv
	$(PY) -m bench.turns
	$(PY) -m bench.webhooks
	SAHAYAK_DATA_DIR=$${SAHAYAK_DATA_DIR:-data} $(PY) -m bench.voice_engines
	SAHAYAK_DATA_DIR=$${SAHAYAK_DATA_DIR:-data} $(PY) -m bench.voice_calls

# Intent router accuracy on BANKING77 (PolyAI, CC BY 4.0; BANKING77_DIR, default ../shared/data/banking77)
# and on the project's multilingual set; ends with banking77_routing_accuracy= and multilingual_accuracy=.
eval: venv
	$(PY) -m bench.eval

# Debian packages the browser test needs (Chromium for the widget test). Needs root.
system-deps:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

clean:
	rm -rf $(VENV) build *.egg-info
