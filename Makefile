# Posko: `make run` serves the demo portal (embedded mode); `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test bench lint serve translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# Compiled with Babel so a machine without GNU gettext can still build them.
translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d locale -D django 2>/dev/null
	@test ! -f locale/id/LC_MESSAGES/djangojs.po || $(BIN)/pybabel compile -d locale -D djangojs

# Refresh the .po files after changing user-facing strings (needs GNU gettext).
messages: $(VENV)/.runtime
	$(BIN)/python manage.py makemessages -l id --no-obsolete -i ".venv/*" -i "var/*"

run: $(VENV)/.runtime translations
	@# Embedded mode's keys under var/, before anything reads the settings (kept once made).
	$(BIN)/python manage.py init_keys
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_demo
	@# Never a debug page (tracebacks, settings, URL lists) in the demo people are shown.
	DEBUG=false $(BIN)/python manage.py serve --port $(PORT)

# Cluster mode: Daphne, a streams worker, a worker for everything else and beat, against
# DATABASE_URL and REDIS_URL (see README, "Cluster mode").
serve: $(VENV)/.runtime translations
	@test -n "$$REDIS_URL" || (echo "make serve needs REDIS_URL and DATABASE_URL (cluster mode)"; exit 2)
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start -f Procfile -p $${PORT:-8000}

test: $(VENV)/.dev translations
	$(BIN)/pytest --numprocesses auto --maxprocesses 4 --dist loadgroup

bench: $(VENV)/.dev
	$(BIN)/python manage.py init_keys
	$(BIN)/python -m bench

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r apps portal -ll

clean:
	rm -rf $(VENV) var/staticfiles
