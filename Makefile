# newsbot — every target creates .venv and installs into it by itself.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo run test test-postgres lint format messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "newsbot needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)          ## the whole system on a local sandbox; exits by itself
	$(BIN)/newsbot demo

run: $(STAMP)           ## the live bot, configured by .env
	$(BIN)/newsbot run

test: $(STAMP)          ## the test suite (SQLite; also PostgreSQL when NEWSBOT_TEST_POSTGRES_URL is set)
	$(BIN)/pytest -n auto

test-postgres: $(STAMP) ## the suite on SQLite and on the local PostgreSQL
	NEWSBOT_TEST_POSTGRES_URL=$${NEWSBOT_TEST_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

I18N := bot/i18n

messages: $(STAMP)      ## extract the texts from bot/ into newsbot.pot and posts.pot; update every .po
	$(BIN)/pybabel extract --project=newsbot --add-comments=TRANSLATORS: --sort-by-file \
		--no-wrap -F babel.cfg -o $(I18N)/newsbot.pot bot
	$(BIN)/pybabel update --domain=newsbot --no-wrap --ignore-obsolete \
		-i $(I18N)/newsbot.pot -d $(I18N)/locales
	$(BIN)/pybabel extract --project=newsbot --add-comments=TRANSLATORS: --sort-by-file \
		--no-wrap --no-default-keywords --keyword=post_text -o $(I18N)/posts.pot bot
	$(BIN)/pybabel update --domain=posts --no-wrap --ignore-obsolete \
		-i $(I18N)/posts.pot -d $(I18N)/locales

bench: $(STAMP)         ## benchmarks print their figures; not part of make test
	$(BIN)/python benchmarks/fanout.py
	$(BIN)/python benchmarks/poll.py
	$(BIN)/python benchmarks/html_parsers.py --bound 60
	$(BIN)/python benchmarks/format.py
	$(BIN)/python benchmarks/console.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
