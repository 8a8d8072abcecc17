"""The audit log as the page Logg shows it and as the page layer writes it (``store.audit``):
who did what and when, never the numbers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
import sqlalchemy as sa

from lagesbild.store import audit
from lagesbild.store.audit import ACTIONS, LOCAL, import_details, people, record, to_csv

__all__ = ["ACTIONS", "LOCAL", "entries", "import_details", "people", "record", "to_csv"]


def entries(engine: sa.Engine, *, who: Iterable[str] = (), actions: Iterable[str] = (),
            start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """The log's entries chosen by who, what and days, as the page shows them.

    Parameters
    ----------
    engine : the store.
    who, actions : the people and the kinds of entry (``ACTIONS``); empty means all.
    start, end : the first and last day (Swedish time), or None for no bound.

    Returns
    -------
    The columns Tid, Vem, Vad and Detaljer in Swedish, newest first.
    """
    return audit.table(audit.read(engine, who=who, actions=actions, start=start, end=end))
