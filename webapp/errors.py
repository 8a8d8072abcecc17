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


@contextmanager
def guard():
    """Show our errors as their Swedish message and anything else as a general one.

    A message may quote a file's name or values: it is shown as literal text (``md``)."""
    try:
        yield
    except LagesbildError as err:
        st.error(md(err.message), icon=":material/error:")
    except Exception:
        log.exception("unexpected error in page")
        st.error(GENERAL_ERROR, icon=":material/error:")
