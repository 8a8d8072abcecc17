"""Logs for the command line and the server: what a user is not shown, kept safely.

Tracebacks and database errors may quote a file's values. Every record is therefore passed
through :class:`RedactingFormatter`, which removes anything shaped like a personnummer (10 or
12 digits, with or without a separator; no date or check-digit test, so it removes a little
too much rather than too little), and the command line's log file is readable by its owner
only and rotated, so it cannot grow without bound.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from logging.handlers import RotatingFileHandler
from pathlib import Path

from lagesbild import pnr

# 6 or 8 digits, an optional separator (hyphen, plus, space, no-break space, dashes), 4 digits.
_PERSONNUMMER_LIKE = re.compile(
    r"(?<!\d)(?:\d{2})?\d{6}[-+\s\u00a0\u2010-\u2015\u2212]?\d{4}(?!\d)")
REDACTED = "[redacted digits]"
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
MAX_BYTES = 5_000_000  # per log file; two older files are kept


def redact(text: str) -> str:
    """*text* with every personnummer-shaped run of digits replaced, in any disguise the
    personnummer guard knows (invisible characters, other digits, separators in the date)."""
    text = _PERSONNUMMER_LIKE.sub(REDACTED, text)
    return pnr.redact(text) if pnr.contains(text) else text


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message and traceback) never holds a personnummer."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _ours(handler: logging.Handler) -> bool:
    return getattr(handler, "_lagesbild", False)


def to_file(path: Path) -> Path | None:
    """Send every log record (tracebacks too) to *path*, owner-only and rotated.

    Falls back to ``lagesbild-UID.log`` in the temporary folder when *path* cannot be
    written; returns the file used, or None when no log can be written at all. Replaces a
    handler an earlier call installed.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if _ours(h)]:
        root.removeHandler(handler)
        handler.close()
    for candidate in (Path(path), Path(tempfile.gettempdir()) / f"lagesbild-{os.getuid()}.log"):
        try:
            candidate.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(candidate, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
            handler = RotatingFileHandler(candidate, maxBytes=MAX_BYTES, backupCount=2,
                                          encoding="utf-8")
        except OSError:
            continue
        handler._lagesbild = True
        handler.setFormatter(RedactingFormatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        logging.captureWarnings(True)  # library warnings go to the log, not the terminal
        return candidate.resolve()
    return None


def redact_handlers() -> None:
    """Give every handler of the root logger (the server's, say) the redacting formatter."""
    for handler in logging.getLogger().handlers:
        current = handler.formatter
        handler.setFormatter(RedactingFormatter(current._fmt if current else FORMAT))
