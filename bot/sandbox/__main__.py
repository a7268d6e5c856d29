"""Run the Bot API sandbox in the foreground until Ctrl-C.

Usage::

    python -m bot.sandbox --port 8081 --channel news --channel sport [--no-limits]
    TELEGRAM_API_URL=http://127.0.0.1:8081 newsbot run     # in another shell

Running it in its own process is what benchmarks need: PTB and the sandbox in one event loop
slow each other down.
"""

from __future__ import annotations

import argparse
import logging
import threading

from bot.sandbox.server import SandboxServer
from bot.sandbox.state import Limits


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox", description="A local Bot API server that acts like Telegram."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--bot-username", default="newsbot_sandbox_bot")
    parser.add_argument(
        "--channel",
        action="append",
        dest="channels",
        metavar="USERNAME",
        help="a channel to create (repeatable; default: news)",
    )
    parser.add_argument(
        "--no-limits", action="store_true", help="turn Telegram's rate limits off (benchmarks)"
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    server = SandboxServer(
        host=args.host,
        port=args.port,
        bot_username=args.bot_username,
        channels=args.channels or ("news",),
        limits=Limits(enabled=not args.no_limits),
    )
    with server:
        print(f"Bot API sandbox at {server.url}", flush=True)
        print(f"TELEGRAM_API_URL={server.url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
