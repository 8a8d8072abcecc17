"""Karta: where in the municipality, as counts, rates or change, and is it more than chance."""

import streamlit as st

import ui

st.title("Karta och områdesanalys")

with ui.guard():
    d = ui.data()
    ui.demo_banner(d)
    sel = ui.selection()
    if sel.month is None:
        st.info("Det finns inga data i databasen ännu. Starta med demodata "
                "(LAGESBILD_DEMO=1) eller läs in förvaltningens exporter; se README.")
        st.stop()
    choice = ui.karta_controls(d)
    if choice is not None:
        ui.karta(d, choice, sel)
