"""What an operator's tools ask of every newsbot process, with no session: ``/healthz`` (the
process answers), ``/readyz`` (it can work: the database answers with its schema at newsbot's
newest migration, and the Bot API answers) and ``/metrics`` (Prometheus, :mod:`bot.metrics`).

A load balancer sends traffic only to a ready process, and a database that went away makes
every process unready until it is back, without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.console.web import state
from bot.storage.db import head_revision

log = logging.getLogger(__name__)

#: How long each check of /readyz may take before it counts as failed.
CHECK_SECONDS: Final = 3.0
#: How long an answer of /readyz and of /metrics is given again before the database (and the
#: Bot API) are asked anew: they are public, and a scrape every few seconds is plenty.
READY_SECONDS: Final = 2.0
METRICS_SECONDS: Final = 5.0


async def healthz(request: Request) -> Response:
    """The process is up and serving."""
    return PlainTextResponse("ok\n")


async def _database(request: Request) -> str | None:
    """Why the database is not ready, or ``None``."""
    db = state(request).core.db
    try:
        current = await asyncio.wait_for(db.revision(), CHECK_SECONDS)
    except TimeoutError:
        return "the database did not answer in time"
    except Exception as exc:  # any driver's error: the database is unreachable
        return f"the database is unreachable: {type(exc).__name__}"
    head = head_revision()
    if current != head:
        return f"the schema is at migration {current or 'none'}, not {head}"
    return None


async def _bot_api(request: Request) -> str | None:
    """Why the Bot API is not reachable, or ``None`` (the console alone does not ask it)."""
    try:
        return await asyncio.wait_for(state(request).hooks.bot_api_problem(), CHECK_SECONDS)
    except TimeoutError:
        return "the Bot API did not answer in time"


async def readyz(request: Request) -> Response:
    """200 when the database and the Bot API answer and the schema is current, else 503 with
    what is wrong, as JSON: ``{"ready": false, "database": "...", "bot_api": null}``."""

    async def check() -> tuple[str | None, str | None]:
        return await asyncio.gather(_database(request), _bot_api(request))

    # At most one check every READY_SECONDS, whoever asks: the address is public.
    database, bot_api = await state(request).recent("readyz", READY_SECONDS, check)
    ready = database is None and bot_api is None
    if not ready:
        log.info("not ready database=%r bot_api=%r", database, bot_api)
    return JSONResponse(
        {"ready": ready, "database": database, "bot_api": bot_api},
        status_code=200 if ready else 503,
    )


async def metrics_page(request: Request) -> Response:
    """The metrics in Prometheus' text format; 503 while the database is unreachable."""
    console = state(request)
    try:
        body, content_type = await console.recent(
            "metrics",
            METRICS_SECONDS,
            lambda: asyncio.wait_for(metrics.render(console.core.db), CHECK_SECONDS),
        )
    except Exception as exc:  # the database: say so in one line, as Prometheus shows it
        log.warning("metrics not read error=%r", str(exc)[:300])
        return PlainTextResponse(
            f"the database is unreachable: {type(exc).__name__}\n", status_code=503
        )
    return Response(body, media_type=content_type)


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics_page, methods=["GET"]),
]
