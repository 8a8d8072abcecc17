"""The lägesbild process as the pages ask for it: actions (register, change, history, the
chart of an effect over time), omvärld notes, and the whole periods a meeting or report can
be about. Records the room makes, kept by ``store.process``; meetings are
``views.meetings``."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from lagesbild.analysis import aggregate, periods
from lagesbild.config import Catalogue
from lagesbild.store import process
from lagesbild.store.process import (
    ITEM_KINDS, KINDS, LEVELS, MEETING_KINDS, STATUSES, Action, Indicator, action, actions,
    add_action, add_note, update_action,
)

__all__ = ["EVENTS", "ITEM_KINDS", "KINDS", "LEVELS", "MEETING_KINDS", "STATUSES", "Action",
           "Indicator", "action", "action_history", "actions", "add_action", "add_note",
           "build_action", "category_label", "category_options", "effect_chart",
           "latest_month", "notes", "notes_table", "period_options", "update_action"]

EVENTS = {"registrerad": "Registrerad", "andrad": "Ändrad", "avslutad": "Avslutad"}


# Periods


def latest_month(counts: dict[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The newest whole month any measure has published, or None."""
    return max((m for m in (aggregate.latest_complete_month(f) for f in counts.values())
                if m is not None), default=None)


def period_options(counts: dict[str, pd.DataFrame], kind: str) -> list[str]:
    """The whole months (``manad``) or quarters (``kvartal``) the published data cover,
    newest first, as period codes."""
    latest = latest_month(counts)
    if latest is None:
        return []
    months = sorted({pd.Timestamp(m) for f in counts.values() if not f.empty
                     for m in f["month"].unique()})
    return periods.period_options(kind, months, latest)


# Actions


def _measure_labels(catalogue: Catalogue) -> dict[str, str]:
    return {c: m.short for c, m in catalogue.measures.items()}


def _history_text(event: str, changes: dict, catalogue: Catalogue) -> str:
    """A history entry in Swedish ("Ändrade status från ”Pågår” till ”Avslutad”")."""
    if event == "registrerad":
        return f"Registrerade åtgärden ”{changes.get('titel', [None, ''])[1]}”"
    return process.describe_changes(changes, process.ACTION_FIELDS,
                                     {"matt": _measure_labels(catalogue)})


def action_history(engine: sa.Engine, action_id: int, catalogue: Catalogue) -> pd.DataFrame:
    """An action's history as the page shows it, oldest first.

    Parameters
    ----------
    engine : the store.
    action_id : the action.
    catalogue : names the measures the changes mention.

    Returns
    -------
    Tid (Swedish time), Vem, Händelse and Vad (what changed, in Swedish).
    """
    hist = process.history(engine, action_id)
    return pd.DataFrame({
        "Tid": pd.to_datetime(hist["at"], utc=True).dt.tz_convert("Europe/Stockholm")
        .dt.strftime("%Y-%m-%d %H:%M"),
        "Vem": hist["who"], "Händelse": hist["handelse"].map(EVENTS).fillna(hist["handelse"]),
        "Vad": [_history_text(e, c, catalogue)
                for e, c in zip(hist["handelse"], hist["andringar"])]})


def category_options(catalogue: Catalogue) -> list[str]:
    """Every category an action can be narrowed to, as "measure|dimension|value"."""
    return [f"{c}|{dim}|{value}" for c, m in catalogue.measures.items()
            for dim, d in m.dimensions.items() for value in dict(d.categories)]


def category_label(catalogue: Catalogue, option: str) -> str:
    """A category option as read: "Orosanmälningar – skäl: skolfrånvaro"."""
    code, dim, value = option.split("|")
    m = catalogue.measure(code)
    return f"{m.short} – {m.dimension_label(dim).lower()}: " \
        f"{dict(m.dimensions[dim].categories).get(value, value)}"


def build_action(*, titel: str, beskrivning: str, typ: str, niva: str, status: str,
                 postnummer: list[str], larger: list[str], omrade: str, kon: str | None,
                 aldersgrupp: str | None, indikatorer: list[str], narrowed: list[str],
                 start: dt.date, slut: dt.date | None, ansvarig: str, samverkan: str,
                 mote_id: int | None, names: dict[str, str], grouping=None) -> Action:
    """An action from the fields of the form: the categories chosen (``category_options``)
    make their measures indicators narrowed to them, and a larger area is the postnummer it
    consists of, under its own name unless another was typed.

    Parameters
    ----------
    postnummer, larger : the postnummer and larger areas (codes of *grouping*) chosen.
    names : every postnummer with its postort (the postnummer a larger area may hold).
    The rest are the action's fields as typed; empty *kon* or *aldersgrupp*: everyone.

    Returns
    -------
    The action, not yet stored (``add_action``/``update_action`` check and store it).
    """
    narrow: dict[str, dict[str, list[str]]] = {}
    for option in narrowed:
        code, dim, value = option.split("|")
        narrow.setdefault(code, {}).setdefault(dim, []).append(value)
    indikatorer = [*indikatorer, *(c for c in narrow if c not in indikatorer)]
    if larger:
        inside = [p for p in sorted(names) if grouping.area_of(p) in larger]
        postnummer = sorted(set(postnummer) | set(inside))
        omrade = omrade or ", ".join(grouping.labels[c] for c in larger)
    return Action(
        titel=titel, beskrivning=beskrivning, typ=typ, niva=niva, status=status,
        postnummer=tuple(postnummer), omrade=omrade, kon=kon or None,
        aldersgrupp=aldersgrupp or None,
        indikatorer=tuple(Indicator(c, tuple((d, tuple(v)) for d, v in
                                             narrow.get(c, {}).items()))
                          for c in indikatorer),
        start=start, slut=slut, ansvarig=ansvarig, samverkan=samverkan, mote_id=mote_id)


def effect_chart(halfyears: pd.DataFrame):
    """The chart of an action's effect per half-year since its start (Altair)."""
    from lagesbild.present import charts  # Altair: only where charts are drawn

    return charts.effect_chart(halfyears)


# Omvärld


def notes(engine: sa.Engine, *, start: dt.date | None = None,
          end: dt.date | None = None) -> pd.DataFrame:
    """The omvärld notes, oldest first, those dated from *start* to *end* if given."""
    return process.notes(engine, start=start, end=end)


def notes_table(found: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Notes as the page lists them, newest first, with the measures' names."""
    labels = _measure_labels(catalogue)
    return pd.DataFrame({
        "Datum": pd.to_datetime(found["datum"]).dt.strftime("%Y-%m-%d"),
        "Rubrik": found["rubrik"], "Text": found["text"], "Källa": found["kalla"],
        "Länk": found["lank"], "Mått": found["matt"].map(labels).fillna("–"),
        "Område": found["omrade"].fillna("–")}).iloc[::-1]
