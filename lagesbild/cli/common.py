"""What several command groups share: opening the store to read, the --exakt warning, and
printing text and published counts safely.

Imports nothing heavy at the top: every command module imports this, and ``--help`` loads
every command module.
"""

from __future__ import annotations

import getpass
import logging
import sys

from lagesbild import fmt
from lagesbild.config import Config
from lagesbild.errors import LagesbildError

log = logging.getLogger("lagesbild")


def notice(text: str) -> None:
    print(text, file=sys.stderr)


def open_store(cfg: Config):
    """The store for a command that reads: a missing SQLite file is created (and filled with
    the demo) only when LAGESBILD_DEMO is on, and the command says so on stderr."""
    from lagesbild.release import publish

    return publish.open_store(cfg, create=cfg.demo, notice=notice)


def csv_count(value, hidden: bool, threshold: int) -> str:
    """A published count in a CSV: the number, "<5", or "inga uppgifter" for a period holding
    a month the measure did not deliver (or that is not published yet), never 0."""
    import pandas as pd

    if hidden:
        return f"<{threshold}"
    return "inga uppgifter" if pd.isna(value) else str(int(value))


def csv_text(value: str) -> str:
    """Text someone typed, safe in a terminal and in Excel (no formula, no control codes)."""
    text = fmt.clean(value, newlines=False)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def exact_warning(what: str) -> None:
    """--exakt: say loudly that these numbers are not protected, and log who asked."""
    print("# EXAKTA VÄRDEN utan röjandekontroll: bara för den som redan har direkt åtkomst "
          "till databasen. Får inte spridas vidare eller publiceras.", file=sys.stderr)
    log.warning("exact numbers printed (%s) for user %s", what, getpass.getuser())


def say(text: str = "") -> None:
    """Print text that may hold a file's or a user's words: no escape sequences reach the
    terminal (see :func:`lagesbild.fmt.clean`)."""
    print(fmt.clean(text))


def confirmed(question: str, refusal: str, yes: bool) -> bool:
    """True when --ja was given or the user says yes on a terminal; refuse when no one can."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise LagesbildError(refusal)
    try:
        answer = input(f"{question} Skriv ja för att fortsätta: ").strip().lower()
    except EOFError:  # Ctrl+D: no answer is no
        print()
        return False
    return answer in ("j", "ja", "y", "yes")
