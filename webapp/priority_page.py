"""Prioritering: every postnummer or larger area against every measure at once, ranked by
how many measures flag it above the municipal level and how strongly (published numbers)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild import fmt
from lagesbild.views import priority, process
from webapp import data, errors, state, widgets

NOTE = ("Varje mått jämförs med kommunens nivå med trattgränser (funnel plot): "
        "**▲ högre** betyder högre än slumpen brukar ge (99,8 %-gränsen), "
        "**(▲)** högre än "
        "95 %-gränsen, ett svagare tecken. Talen är per 1 000 i måttets målgrupp, de senaste "
        "tolv månaderna. Rangordningen: flest mått över gränsen först, sedan svagare tecken, "
        "sedan hur mycket högre. Små tal kan avvika med några enheter (röjandekontroll); ”–” är dolt eller saknas.")


@st.cache_resource(max_entries=8, show_spinner="Jämför områdena …")
def _view(url: str, fingerprint: tuple, end: pd.Timestamp, level: str,
          actions: tuple) -> priority.Priority:
    # Shared by sessions: published numbers only (views.priority protects every table).
    d, cfg = data.data(), data.config()
    return priority.twelve_months(cfg, d.counts, d.population, end, level, data.postort_names(),
                                  data.grouping() if level == "omrade" else None, list(actions))


def view(d: data.Data, end: pd.Timestamp, level: str) -> priority.Priority:
    """The ranked areas of the 12 months to *end* (cached; the meeting page uses it too)."""
    actions = tuple(process.actions(data.engine(), open_only=True))
    return _view(data.config().db_url, d.fingerprint, end, level, actions)


def ranked_table(d: data.Data, sel: state.Selection, level: str, top: int | None,
                 key: str) -> None:
    """The ranked areas (the *top* first, or all), with the note on how to read them."""
    actions = tuple(process.actions(data.engine(), open_only=True))
    p = _view(data.config().db_url, d.fingerprint, sel.month, level, actions)
    if p.ranked.empty:
        st.info("Inga mått med postnummer och målgrupp är inlästa.")
        return
    flagged = int((p.ranked["over"] > 0).sum())
    st.caption(f"{fmt.period(p.period.start, p.period.end)}: {fmt.number(flagged)} av "
               f"{fmt.number(len(p.ranked))} områden ligger över kommunens nivå i minst ett "
               "mått.")
    caption = priority.caption(p, level, data.config().threshold)
    widgets.table(priority.display(p, level, top), caption, key, fit=True)
    st.caption(NOTE)


def render() -> None:
    st.title("Områden att prioritera")
    st.caption("Alla områden mot alla mått på en gång: var ligger nivåerna över kommunens, "
               "i hur många mått och hur mycket – och vilka åtgärder pågår redan där. "
               "Underlag för uppsökande arbete och förvaltningens utåtriktade arbete.")
    with errors.guard():
        d, sel = widgets.page_start()
        level = "postnummer"
        if data.grouping() is not None:
            level = st.segmented_control("Nivå", list(priority.LEVELS),
                                         format_func=priority.LEVELS.get,
                                         default="postnummer", key="prio_niva",
                                         selection_mode="single") or "postnummer"
        ranked_table(d, sel, level, None, key="prio_tabell")
