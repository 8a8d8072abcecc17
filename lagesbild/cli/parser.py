"""argparse in Swedish: the usage line, group titles, ``-h`` and every error message.

argparse writes English; :class:`_Parser` gives every command's parser Swedish headings and
translates argparse's own error texts (``_ARGPARSE_ERRORS``), and an error becomes a
:class:`UsageError` (exit code 2) instead of argparse's own exit.
"""

from __future__ import annotations

import argparse
import re

from lagesbild.errors import LagesbildError


class UsageError(LagesbildError):
    """Wrong arguments: exit code 2."""


# argparse's own English, in Swedish: its error messages (Python 3.11–3.13 wording) …
_ARGPARSE_ERRORS = [
    (r"the following arguments are required: (.*)", r"de här argumenten saknas: \1"),
    (r"unrecognized arguments: (.*)", r"okända argument: \1"),
    (r"argument (.+?): invalid choice: (.*?) \(choose from (.*)\)",
     r"argumentet \1: \2 finns inte (välj bland \3)"),
    (r"argument (.+?): expected one argument", r"argumentet \1 behöver ett värde"),
    (r"argument (.+?): expected at least one argument", r"argumentet \1 behöver minst ett värde"),
    (r"argument (.+?): expected (.*) arguments?", r"argumentet \1 behöver fler värden"),
    (r"argument (.+?): invalid int value: (.*)", r"argumentet \1: \2 är inte ett heltal"),
    (r"argument (.+?): invalid float value: (.*)", r"argumentet \1: \2 är inte ett tal"),
    (r"argument (.+?): invalid (.*) value: (.*)", r"argumentet \1: ogiltigt värde \3"),
    (r"argument (.+?): not allowed with argument (.*)", r"argumentet \1 går inte ihop med \2"),
    (r"argument (.+?): ignored explicit argument (.*)", r"argumentet \1 tar inget värde (\2)"),
    (r"ambiguous option: (.+?) could match (.*)", r"flaggan \1 är tvetydig: \2"),
]
# … and the names it gives in help texts (a metavar is what --help shows for a value).
_METAVARS = {"MEASURE": "MÅTT", "FILE": "FIL", "NAME": "NAMN", "BATCH_ID": "BATCHNR"}


class _Help(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "Användning: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse in Swedish: usage line, group titles, -h and every error message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Help)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title, self._optionals.title = "argument", "flaggor"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="Visa den här hjälpen och avsluta.")

    def add_argument(self, *args, **kwargs):
        kwargs["metavar"] = _METAVARS.get(kwargs.get("metavar"), kwargs.get("metavar"))
        if kwargs["metavar"] is None:
            del kwargs["metavar"]
        return super().add_argument(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("title", "kommandon")
        kwargs.setdefault("metavar", "KOMMANDO")
        return super().add_subparsers(**kwargs)

    def error(self, message):  # our exit code and prefix
        for english, swedish in _ARGPARSE_ERRORS:
            if re.fullmatch(english, message):
                message = re.sub(english, swedish, message)
                break
        raise UsageError(f"Fel i kommandot: {message}. Se python -m lagesbild --help.")
