"""The ``newsbot`` command line's parser and its checked argument types.

Every mistake on the command line is one line on stderr and exit status 2, like every other
error of the command (see :mod:`bot.cli`)::

    newsbot: --limit must be a whole number from 1 up
    newsbot: --dpi '5' is not a printer resolution: give a whole number from 72 to 2400 …
    newsbot: the following arguments are required: ID (see newsbot sections remove --help)

A type's message names its option itself, so it is printed as it is; argparse's own messages
(a missing argument, an unknown command) point at the command's ``--help``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn, TypeVar

__all__ = ["Parser", "checked", "whole_number"]

T = TypeVar("T")


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (its subcommands' parsers are too)."""

    def error(self, message: str) -> NoReturn:
        names, colon, rest = message.removeprefix("argument ").partition(": ")
        if (
            message.startswith("argument ")
            and colon
            and any(name in rest for name in names.split("/"))
        ):
            line = rest  # "argument --limit: --limit must be …": the type named it already
        else:
            line = f"{message} (see {self.prog} --help)"
        self.exit(2, f"newsbot: {line}\n")


def whole_number(
    name: str, low: int = 1, high: int | None = None, *, unit: str = ""
) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` (to ``high``), else the plain line
    ``{name} must be a whole number [of {unit}] from {low} up|to {high}``."""
    of = f" of {unit}" if unit else ""
    span = f"from {low} up" if high is None else f"from {low} to {high}"
    message = f"{name} must be a whole number{of} {span}"

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(message) from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(message)
        return value

    parse.__name__ = "whole number"  # what argparse would call it in its own messages
    return parse


def checked(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from ``parse``, whose ValueError's message is the line to print (it
    names the option)."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert
