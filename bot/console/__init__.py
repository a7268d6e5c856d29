"""The web console: newsroom and marketing in a browser, served by the bot's own process.

Starlette with server-rendered Jinja2 pages and htmx for the interactive parts (no front-end
build; static files ship in the package). :mod:`bot.console.web` holds what pages share (the
session check, CSRF, rendering); :mod:`bot.console.pages` one module per page;
:mod:`bot.console.app` the ASGI app; :mod:`bot.console.server` serves it with uvicorn in the
running event loop. Logins are one-time links the bot's ``/console`` gives editors
(:mod:`bot.services.console_auth`).
"""
