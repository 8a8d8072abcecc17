"""Översikt: every measure's latest month, last year and rolling 12 months, and a first map."""

import streamlit as st

import ui
from lagesbild import overview

st.title("Social lägesbild – översikt")

with ui.guard():
    d, sel = ui.page_start()
    cfg = ui.config()
    cards = overview.cards(d.counts, cfg, sel.month, sel.filters)
    st.caption(overview.period_caption(sel.month))
    columns = st.columns(4)
    for i, card in enumerate(cards):
        with columns[i % 4].container(border=True):
            ui.headline_card(card)

    st.subheader("Orosanmälningar per 1 000 barn och unga (0–20 år), per postnummer")
    ui.area_map(d, "orosanmalningar", sel)
