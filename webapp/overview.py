"""Översikt: every measure's latest month, last year and rolling 12 months, and a first map."""

import streamlit as st

from lagesbild.views import overview
from lagesbild.views.pages import Filters
from webapp import comparison, data, errors, karta, widgets


@st.cache_resource(max_entries=64, show_spinner=False)
def _cards(url: str, fingerprint: tuple, month, filters: Filters) -> list:
    # Shared by every session on the same view: twenty managers opening the link at a
    # meeting's start compute the cards once. Cards are frozen; never mutate them.
    return overview.cards(data._shared(url, fingerprint).counts, data.config(), month, filters)


def render() -> None:
    st.title("Social lägesbild – översikt")

    with errors.guard():
        d, sel = widgets.page_start()
        cfg = data.config()
        cards = _cards(cfg.db_url, d.fingerprint, sel.month, sel.filters)
        st.caption(overview.period_caption(sel.month))
        # One row of columns per four cards: a screen reader (and a narrow screen) then takes
        # the cards in reading order, row by row, not column by column.
        for row in range(0, len(cards), 4):
            for column, card in zip(st.columns(4), cards[row:row + 4]):
                with column.container(border=True):
                    widgets.headline_card(card)

        st.subheader("Orosanmälningar per 1 000 barn och unga (0–20 år), per postnummer")
        karta.area_map(d, "orosanmalningar", sel)

    _kolada()


def _kolada() -> None:
    """Kolada: where the municipality stands, with its rank (webapp.comparison)."""
    with errors.guard():
        comparison.overview_section()
