"""A zygote of `newsbot run`: newsbot imported once, then each start is a fork of it running
``bot.cli.main(["run"])``, the code ``python -m bot run`` runs. A test that kills and restarts
newsbot a dozen times so pays for the imports once (several seconds a start on a loaded 2-core
machine) instead of every time.

Requests on stdin, one JSON object a line: ``{"cwd", "log", "env"}``; the answer on stdout is
the child's pid. The child's stdout and stderr go to ``log``; when it exits by itself (SIGTERM
included) its exit status is written to ``log + ".exit"``. The zygote forks with no thread and
no event loop running, so each child starts as a fresh process would; the kernel reaps them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import bot.app  # the imports a start would pay for
import bot.cli


def child(request: dict[str, object]) -> None:
    """In the fork: become `newsbot run` with the request's settings, then exit."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    log = str(request["log"])
    code = 70
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(str(request["cwd"]))
        env = request["env"]
        assert isinstance(env, dict)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in env.items()})
        code = bot.cli.main(["run"])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        Path(f"{log}.exit").write_text(str(code))
        os._exit(code)


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
