"""Logg: the audit log for förvaltare, filtered by who, what and dates, and as CSV."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from lagesbild import fmt
from lagesbild.views import audit_log
from webapp import auth, data, errors


def render() -> None:
    auth.require("logg")
    st.title("Logg")
    cfg = data.config()
    st.caption("Vem som loggat in, läst in, ångrat, ändrat källprofiler och laddat ned vad, "
               "och när – aldrig siffrorna själva. Tider i svensk tid. Poster äldre än "
               f"{fmt.number(cfg.audit_days)} dagar tas bort (LAGESBILD_LOGG_DAGAR).")
    with errors.guard():
        engine = data.engine()
        today = datetime.now(audit_log.LOCAL).date()
        who_col, what_col, when_col = st.columns(3)
        who = who_col.multiselect("Vem", audit_log.people(engine), key="logg_vem",
                                  placeholder="Alla")
        what = what_col.multiselect("Vad", list(audit_log.ACTIONS), format_func=audit_log.ACTIONS.get,
                                    key="logg_vad", placeholder="Allt")
        period = when_col.date_input("Period", value=(today - timedelta(days=30), today),
                                     key="logg_period", format="YYYY-MM-DD", max_value=today)
        start, end = (tuple(period) + (None, None))[:2] if period else (None, None)
        end = end or start  # one day chosen so far
        shown = audit_log.entries(engine, who=who, actions=what, start=start, end=end)
        st.caption(f"{fmt.number(len(shown))} poster.")
        st.dataframe(shown, hide_index=True, width="stretch", key="logg_tabell")
        stem = f"logg_{start or 'alla'}_{end or 'alla'}"
        st.download_button(
            "CSV", key="logg_csv", file_name=f"{stem}.csv", mime="text/csv", on_click="ignore",
            icon=":material/download:",
            data=auth.logged_download(lambda: audit_log.to_csv(shown), {
                "vad": "Logg", "period": f"{start} – {end}",
                "urval": {"vem": ", ".join(who) or "alla",
                          "vad": ", ".join(what) or "allt"}, "format": "csv",
                "fil": f"{stem}.csv"}))
