"""Errors on a page: our own as their Swedish message, anything else as a general one."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import streamlit as st

from lagesbild.errors import LagesbildError
from webapp.text import md

log = logging.getLogger("lagesbild.ui")


GENERAL_ERROR = ("Något gick fel när sidan skulle visas. Försök igen; om felet kvarstår, "
                 "kontakta den som förvaltar lägesbilden (detaljerna finns i serverns logg).")


class Outcome:
    """What a guarded block ended with: ``error`` is the exception shown, if any."""

    error: Exception | None = None


@contextmanager
def guard():
    """Show our errors as their Swedish message and anything else as a general one.

    A message may quote a file's name or values: it is shown as literal text (``md``)."""
    outcome = Outcome()
    try:
        yield outcome
    except LagesbildError as err:
        outcome.error = err
        st.error(md(err.message), icon=":material/error:")
    except Exception as exc:
        outcome.error = exc
        log.exception("unexpected error in page")
        st.error(GENERAL_ERROR, icon=":material/error:")
