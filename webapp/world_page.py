"""Omvärldsbevakning: dated notes with source, link and tags (measure, area). Notes tagged
with a measure appear on its timeline; the meeting pages list those since the last meeting."""

from __future__ import annotations

from datetime import date

import streamlit as st

from lagesbild.views import process
from webapp import actions_page, auth, data, errors
from webapp.text import md


def _form(engine) -> None:
    cat = data.config().catalogue
    measures = ["", *cat.measures]
    with st.expander("Ny notering", icon=":material/add:"), st.form("omvarld",
                                                                   clear_on_submit=True):
        c1, c2 = st.columns([1, 3])
        day = c1.date_input("Datum", value=date.today(), format="YYYY-MM-DD",
                            key="omv_datum")
        rubrik = c2.text_input("Rubrik", key="omv_rubrik")
        text = st.text_area("Vad handlar det om?", key="omv_text", height=80)
        c1, c2 = st.columns(2)
        kalla = c1.text_input("Källa (t.ex. Polisen, BRÅ, lokaltidningen)", key="omv_kalla")
        lank = c2.text_input("Länk (https://…)", key="omv_lank")
        c1, c2 = st.columns(2)
        matt = c1.selectbox("Mått", measures, key="omv_matt",
                            format_func=lambda c: "Inget särskilt mått" if not c
                            else cat.measure(c).short)
        omrade = c2.text_input("Område (valfritt)", key="omv_omrade")
        if st.form_submit_button("Spara noteringen", key="omv_spara"):
            with errors.guard():
                note = process.add_note(engine, day, rubrik, auth.current().who, text=text,
                                        kalla=kalla, lank=lank, matt=matt or None,
                                        omrade=omrade)
                auth.record("omvarld", {"notering": note, "rubrik": rubrik})
                st.success("Noteringen är sparad.")


def render() -> None:
    st.title("Omvärldsbevakning")
    st.caption("Händelser utanför förvaltningen som kan förklara eller påverka siffrorna. "
               "En notering kopplad till ett mått syns i måttets trenddiagram.")
    with errors.guard():
        engine = data.engine()
        if actions_page.can_write():
            _form(engine)
        notes = process.notes(engine)
        if notes.empty:
            st.info("Inga noteringar ännu.")
            return
        st.dataframe(
            process.notes_table(notes, data.config().catalogue), hide_index=True,
            width="stretch", key="omv_tabell", column_config={"Länk": st.column_config.LinkColumn("Länk")})
        st.caption(f"Senast: {md(notes['rubrik'].iloc[-1])}")
