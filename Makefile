# make test: everything CI runs. make run: the whole local stack. Both install what they need.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
CHROMIUM := /usr/bin/chromium
STAGE ?= dev

.PHONY: venv chromium test run bench model deploy deploy-api deploy-site deploy-model clean

$(INSTALLED): requirements.txt requirements-dev.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	$(PYTHON) -m pip install --quiet --no-deps -e .
	touch $@

venv: $(INSTALLED)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

chromium: $(CHROMIUM)

test: venv chromium
	$(PYTHON) -m pytest

run: venv
	$(PYTHON) scripts/run_local.py

bench: venv
	$(PYTHON) bench/run_all.py

# make model [EXTRA_POSTERS=dir]: dir from scripts/feedback_report.py --export joins the training posters only
# The Debian packages whose pictures train (and, held out, test) the learned "not a poster" layer.
NON_POSTER_PACKAGES := plasma-workspace-wallpapers mate-backgrounds lomiri-wallpapers gnome-backgrounds ukui-wallpapers sway-backgrounds desktop-base

model:
	dpkg -s $(NON_POSTER_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(NON_POSTER_PACKAGES); }
	python3 -m venv .venv-train
	.venv-train/bin/python -m pip install --quiet -r requirements-train.txt
	EXTRA_POSTERS="$(if $(EXTRA_POSTERS),$(abspath $(EXTRA_POSTERS)))" .venv-train/bin/python scripts/train_model.py

clean:
	rm -rf $(VENV) .venv-train .pytest_cache .hypothesis tests/artifacts static/config.js

# Deploy (see docs/deploy.md):
# make deploy STAGE=prod BUCKET=name [DOMAIN=name] [REGION=region] [CLOUDFRONT=1] [FORCE=fingerprint] [ALARM_EMAIL=address]
deploy-api: venv
	$(PYTHON) scripts/deploy_checks.py --stage $(STAGE)
	$(PYTHON) scripts/feedback_store.py --stage $(STAGE) $(if $(REGION),--region $(REGION))
	$(VENV)/bin/chalice deploy --stage $(STAGE)
	$(PYTHON) scripts/api_gateway_settings.py --stage $(STAGE)
	$(PYTHON) scripts/alarms.py --stage $(STAGE) $(if $(ALARM_EMAIL),--alarm-email $(ALARM_EMAIL))

deploy-site: venv
	@test -n "$(BUCKET)" || { echo "usage: make deploy-site STAGE=$(STAGE) BUCKET=name [DOMAIN=name] [REGION=region] [CLOUDFRONT=1] [FORCE=fingerprint]" >&2; exit 2; }
	$(PYTHON) scripts/sync_static.py --stage $(STAGE) --bucket $(BUCKET) $(if $(REGION),--region $(REGION)) $(if $(DOMAIN),--domain $(DOMAIN)) $(if $(CLOUDFRONT),--cloudfront) $(if $(FORCE),--force $(FORCE))

deploy: venv
	@test -n "$(BUCKET)" || { echo "usage: make deploy STAGE=prod BUCKET=name [DOMAIN=name] [REGION=region] [CLOUDFRONT=1] [FORCE=fingerprint]" >&2; exit 2; }
	$(MAKE) deploy-api deploy-site

# Ship our model to a SageMaker endpoint: make deploy-model STAGE=dev MODEL_BUCKET=name [DEPLOY_MODEL_FLAGS=--create-role]
deploy-model: venv
	@test -n "$(MODEL_BUCKET)" || { echo "usage: make deploy-model STAGE=$(STAGE) MODEL_BUCKET=name [DEPLOY_MODEL_FLAGS='--create-role --serverless 2048']" >&2; exit 2; }
	$(PYTHON) scripts/deploy_model.py --stage $(STAGE) --bucket $(MODEL_BUCKET) $(DEPLOY_MODEL_FLAGS)
