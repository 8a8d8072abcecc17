"""Karta: where in the municipality, as counts, rates or change, and is it more than chance."""

import streamlit as st

import ui

st.title("Karta och områdesanalys")

with ui.guard():
    d, sel = ui.page_start()
    choice = ui.karta_controls(d)
    if choice is not None:
        ui.karta(d, choice, sel)
