"""``python -m bot`` is the same as the ``newsbot`` command."""

from bot.cli import main

if __name__ == "__main__":  # not when a worker process imports it
    raise SystemExit(main())
