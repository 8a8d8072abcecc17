"""Widgets every page uses: the start of a data page, banners, notes, cards, and charts and
tables with their downloads."""

from __future__ import annotations

import copy

import pandas as pd
import streamlit as st

from lagesbild import fmt
from lagesbild.views import pages
from webapp import auth, data, state
from webapp.text import md


def page_start(follows_sidebar: bool = True) -> tuple[data.Data, "state.Selection"]:
    """What every data page starts with: the data, the demo banner and the sidebar's choices;
    an empty store gets a plain message and the page stops there. A page that does not
    follow the sidebar's choices (*follows_sidebar* False) says so instead of listing them."""
    d = data.data()
    sel = state.selection()
    if not follows_sidebar:
        demo_banner(d)
        st.markdown("**Urval:** hela kommunen, alla kön och åldrar – urvalet i sidopanelen "
                    "används inte här.")
    elif state.presentation():  # one line, so the chart or map comes next
        chosen_line(sel, d.is_demo)
    else:
        demo_banner(d)
        chosen_line(sel, False)
    if sel.month is None:
        st.info("Det finns inga data i databasen ännu. Läs in förvaltningens exporter på "
                "sidan Import och datakvalitet, eller starta med demodata (LAGESBILD_DEMO=1).")
        st.stop()
    return d, sel


def chosen_line(sel, demo: bool) -> None:
    """The sidebar's choices as text under the title: with the sidebar folded, a view of girls
    in one postnummer must not look like the whole municipality. In presentation mode also
    the way out of it (the sidebar's toggle is folded away)."""
    from webapp.text import md

    text = f"**Urval:** {md(state.describe(sel))}"
    if demo:
        text = ":orange-badge[Demodata – syntetiska siffror] " + text
    if not state.presentation():
        st.markdown(text)
        return
    with st.container(horizontal=True, vertical_alignment="center", key="urvalsrad"):
        st.markdown(text, width="stretch")
        st.button("Avsluta presentationsläge", on_click=state.leave_presentation,
                  key="avsluta_presentation", icon=":material/close_fullscreen:")


def demo_banner(d: data.Data) -> None:
    if d.is_demo:
        st.warning("**Demodata – syntetiska siffror.** Allt som visas är påhittat och "
                   "kalibrerat mot publicerade totaler för Luleå. Inga verkliga personer "
                   "eller ärenden.", icon=":material/science:")


def ignored_note(ignored: list[str], measure_short: str) -> None:
    from lagesbild.views.overview import ignored_text

    text = ignored_text(ignored, measure_short.lower())
    if text:
        st.caption(f":material/info: {text}")


def headline_card(card) -> None:
    """One measure's card on the overview (an ``overview.Card``)."""
    # "inga uppgifter" in the metric's large type was cut to "inga upp…" at 1 366 px: a dash
    # there, the words in the caption below.
    missing = card.value == pages.NO_DATA
    st.metric(card.title, "–" if missing else card.value, card.delta, delta_color="off", delta_arrow=card.direction,
              chart_data=card.trend, chart_type="line",
              help=f"{card.counted} den valda månaden. Pilen jämför med samma månad året "
                   "innan. Linjen visar de senaste 24 månaderna.")
    st.caption(f"{card.counted}  \nSamma månad i fjol: {card.last_year}  \n"
               f"Rullande 12 mån: **{card.rolling12}** ({card.rolling12_change})")
    if card.trend is None:
        st.caption("Trendlinjen visas inte: någon månad har för få för att visas.")
    if card.note:
        st.caption(f":material/info: {card.note}")
    elif missing:
        st.caption(":material/info: Inga uppgifter för den valda månaden.")


def _legend(items, title: str) -> None:
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:.5rem;margin:.2rem 0">'
        f'<span style="width:1.4rem;height:1rem;background:{i.colour};'
        f'border:1px solid #333;display:inline-block"></span>{i.label}</div>'
        for i in items)
    st.markdown(f"**{title}**{rows}", unsafe_allow_html=True)


def missing_note(view) -> None:
    if view.missing:
        st.caption("Postnummer med data men utan område på kartan: "
                   f"{', '.join(fmt.postnummer(p) for p in view.missing)}.")


def logged(make, caption, file_name: str):
    """A download's lazy ``data`` that writes what was exported to the audit log when it runs:
    title, period, filters and format, never the numbers."""
    return auth.logged_download(make, {
        "vad": caption.title, "period": caption.period, "urval": caption.filters or
        "Hela kommunen", "format": file_name.rsplit(".", 1)[-1], "fil": file_name})


def marked(caption):
    """The caption with the demo mark when the data are synthetic (images and workbooks say
    "Demodata" inside themselves)."""
    from dataclasses import replace

    return replace(caption, demo=data.data().is_demo)


@st.cache_resource(max_entries=256, show_spinner=False)
def _spec(chart_id: int, _chart, presentation: bool) -> tuple:
    # Altair copies and validates the whole chart each time it is turned into a spec; a
    # cached chart (a figure of the same store version and choices) is turned once. The
    # chart is kept with its spec, so its id is not another chart's while the entry lives.
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    return _chart, _convert_altair_to_vega_lite_spec(pages.screen(_chart, presentation))


@st.cache_resource(max_entries=64, show_spinner=False)
def _markers(url: str, version: tuple, code: str, postnummer: tuple, notes: bool) -> tuple:
    return pages.markers(data.engine(), code, postnummer, notes)


def markers(code: str, postnummer: tuple = (), notes: bool = True) -> tuple:
    """Actions (and omvärld notes) on a measure's timeline, as a hashable cache key: read
    again only when an action or a note has changed (one small query per rerun)."""
    return _markers(data.config().db_url, pages.markers_version(data.engine()), code,
                    tuple(postnummer), notes)


def chart(chart_, caption, key: str) -> None:
    """An Altair chart in Swedish formats, with PNG and SVG downloads of the same chart."""
    caption = marked(caption)
    # Our own configuration, not Streamlit's theme: the page shows what the PNG will show.
    # The accessible name is the chart's title and subtitle, in Swedish.
    presentation = state.presentation()
    spec = copy.deepcopy(_spec(id(chart_), chart_, presentation)[1])  # Streamlit edits it
    st.vega_lite_chart(spec, width="stretch", theme=None, key=f"{key}_chart",
                       alt=f"Diagram: {caption.title}. {caption.subtitle}.")
    with st.container(horizontal=True):
        st.download_button("PNG", data=logged(lambda: pages.png(chart_, caption), caption,
                                              f"{caption.stem}.png"),
                           file_name=f"{caption.stem}.png", mime="image/png", on_click="ignore",
                           key=f"{key}_png", icon=":material/image:",
                           help="Bild 1920 px bred för presentationer, med rubrik, period, "
                                "urval, källa och röjandekontroll i bilden.")
        st.download_button("SVG", data=logged(lambda: pages.svg(chart_, caption), caption,
                                              f"{caption.stem}.svg"),
                           file_name=f"{caption.stem}.svg", mime="image/svg+xml",
                           on_click="ignore", key=f"{key}_svg", icon=":material/draw:")


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells as literal Markdown (``st.table`` reads its cells as Markdown)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and \
                not pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = [md(v) if isinstance(v, str) else v for v in out[column]]
    out.attrs = dict(frame.attrs)
    return out


def fitted(frame: pd.DataFrame) -> None:
    """A table at its full height and the page's width, long texts wrapped: nothing scrolls
    inside the page and nothing is cut at the right edge on a projector (``st.dataframe``
    shows ten rows in a box of its own and cuts wide tables)."""
    st.table(_escaped(frame), hide_index=True, border="horizontal")


def table(table_: pd.DataFrame, caption, key: str, fit: bool = False) -> None:
    """A protected table in Swedish formats (numeric cells where nothing is hidden, so sorting
    works; see ``tables.style``) at the height of all its rows (no box that scrolls inside
    the page), with Excel and CSV downloads. *fit*: a static table whose headers and texts
    wrap, for a wide table that must fit a 1366 px projector."""
    caption = marked(caption)
    styled = pages.styled(table_)
    if fit:  # st.table drew a Styler as an empty box: the cells as their Swedish text
        fitted(pages.as_text(table_))
    as_text = {c: st.column_config.TextColumn(alignment="right") for c in table_.columns
               if pd.api.types.is_numeric_dtype(table_[c])
               and not pd.api.types.is_numeric_dtype(styled.data[c])}
    if not fit:
        st.dataframe(styled, hide_index=True, width="stretch", height="content",
                     key=f"{key}_table", column_config=as_text)
    with st.container(horizontal=True):
        st.download_button("Excel", data=logged(lambda: pages.xlsx(table_, caption), caption,
                                                f"{caption.stem}.xlsx"),
                           file_name=f"{caption.stem}.xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument."
                                "spreadsheetml.sheet", key=f"{key}_xlsx",
                           icon=":material/table:")
        st.download_button("CSV", data=logged(lambda: pages.csv(table_), caption,
                                              f"{caption.stem}.csv"),
                           file_name=f"{caption.stem}.csv", mime="text/csv", on_click="ignore",
                           key=f"{key}_csv", icon=":material/download:")
