"""Command line: ``python -m lagesbild COMMAND``. Messages in Swedish; exit 2 for usage errors.

One module per group of commands, each declaring its commands (``add``) beside their
handlers: ``read`` (summary, areas, map, chart), ``data`` (load-demo, import, publicera,
batches, undo), ``process`` (atgarder, moten), ``reports`` (rapport), ``kolada`` (hamta,
visa, las-in) and ``tools`` (demo, build-shapes); ``parser`` is argparse in Swedish and
``common`` what several groups share. This module parses, runs one command and turns every
failure into one Swedish line and an exit code.

Nothing here or in the group modules imports pandas, SQLAlchemy, pyarrow or Altair at the
top: a command imports what it uses when it runs, so ``--help`` starts at once and
``summary`` loads no file reader, map or report (tests/test_cli_imports.py).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
from pathlib import Path

from lagesbild import fmt, logs
from lagesbild.cli.parser import UsageError, _Parser
from lagesbild.config import Config
from lagesbild.errors import LagesbildError, UnknownError

log = logging.getLogger("lagesbild")

__all__ = ["EXIT_INTERRUPTED", "EXIT_UNEXPECTED", "GENERAL_ERROR", "INTERRUPTED", "UsageError",
           "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from lagesbild.cli import data, kolada, process, read, reports, tools

    parser = _Parser(prog="python -m lagesbild", description="Social lägesbild – kommandon.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in (read, process, reports, tools, data, kolada):  # the order --help lists
        group.add(sub)
    return parser


GENERAL_ERROR = ("Något gick fel (ett oväntat fel i programmet). Det som inte hann sparas är "
                 "inte sparat; kontakta den som förvaltar lägesbilden. Detaljerna finns i "
                 "loggen: {log}")
INTERRUPTED = "Avbrutet (Ctrl+C). En inläsning som inte hann bli klar är inte sparad."
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


def _from_database(exc: BaseException) -> bool:
    import sqlite3

    import sqlalchemy as sa

    return isinstance(exc, (sa.exc.SQLAlchemyError, sqlite3.Error)) or \
        type(exc).__module__.startswith("psycopg")


def _store_error(err: LagesbildError) -> bool:
    """Whether *err* is the store's (its traceback is logged). Only a command that opened the
    store can raise one, so the store is not imported to find out."""
    connection = sys.modules.get("lagesbild.store.connection")
    return connection is not None and isinstance(err, connection.StoreError)


def _fail(message: str) -> None:
    """One line on stderr, whatever the message holds (no escape sequences, no line breaks;
    the no-break spaces of Swedish numbers stay)."""
    print("fel: " + re.sub(r"[ \r\n]+", " ", fmt.clean(message, newlines=False)).strip(),
          file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure becomes one Swedish line on stderr and an exit code.

    0 done; 1 the data or the store cannot be used (our errors); 2 usage errors (wrong
    arguments, unknown measure); 3 an unexpected error, whose traceback goes to the log file
    (``LAGESBILD_LOGG``) and never to the terminal; 130 interrupted.
    """
    # Opened before the rest of the settings are read, so that even a failure there is logged.
    logfile = logs.to_file(Path(os.environ.get("LAGESBILD_LOGG") or Config.log))
    try:
        cfg = Config.from_env()
        args = build_parser().parse_args(argv)
        log.info("command: %s", args.command)
        return args.func(args, cfg)
    except BrokenPipeError:  # the reader (head, say) closed the pipe: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        log.info("interrupted")
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UsageError, UnknownError) as err:
        _fail(err.message)
        return 2
    except LagesbildError as err:
        log.info("refused: %s", err.message, exc_info=_store_error(err))
        _fail(err.message)
        return 1
    except Exception as exc:  # a bug, or a failure nothing above explains
        log.exception("unexpected error")
        if _from_database(exc):  # a database failure outside an engine's own error handling
            from lagesbild.store.connection import translate

            known = translate(exc)
            if known is not None:
                _fail(known.message)
                return 1
        shown = str(logfile) if logfile else "(loggen kunde inte skrivas)"
        _fail(GENERAL_ERROR.format(log=shown))
        return EXIT_UNEXPECTED


# Moved into the command modules; benchmarks/ still reach them by their old names here.
_MOVED = {"report_inputs": "reports", "_filters": "read"}


def __getattr__(name: str):
    if name in _MOVED:
        return getattr(importlib.import_module(f"lagesbild.cli.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
