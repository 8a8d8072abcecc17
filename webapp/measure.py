"""The pages of the areas of the administration (verksamhetsområden), drawn by one function.

Each page in ``app_pages/`` names its measures and calls ``render``. Per measure: page filters
for its dimensions (kept in the URL), headline figures against the same period last year,
and the trend, year-over-year, breakdown and heat-map charts, each with the numbers behind it
and its downloads. The numbers come from ``lagesbild.views.figures.figure``, the same function the
command line uses, so an image from the page and from ``python -m lagesbild chart`` agree.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild import fmt
from lagesbild.config import Measure
from lagesbild.views import breakdown as bd
from lagesbild.views import figures, pages
from webapp import comparison, data, errors, state, widgets
from webapp.text import md

ALL = "Alla"


@st.cache_resource(max_entries=96, show_spinner=False)
def _figure(url: str, fingerprint: tuple, code: str, kind: str, end: pd.Timestamp,
            dim: str | None, filters: pages.Filters, storhet: str,
            presentation: bool, marks: tuple = ()) -> figures.Figure:
    # Cached per view and shared by sessions (frozen; never mutate it): reruns that only
    # change another chart's choice reuse the rest.
    cfg, d = data.config(), data.data()  # the data of this store version (cached)
    return figures.figure(kind, d.counts[code], d.population, cfg.catalogue.measure(code), cfg,
                         figures.default_period(kind, end), dim=dim, filters=filters,
                         storhet=storhet, names=data.postort_names(), presentation=presentation,
                         markers=pd.DataFrame(list(marks), columns=[bd.MONTH, bd.NOTE, "typ"]))


def figure(d: data.Data, code: str, kind: str, end, dim, filters, storhet) -> figures.Figure:
    marks = widgets.markers(code, filters.postnummer) if kind == "trend" else ()
    return _figure(data.config().db_url, d.fingerprint, code, kind, pd.Timestamp(end), dim,
                   filters, storhet, state.presentation(), marks)


def render(codes: list[str], title: str, about: str) -> None:
    """A whole page: title, demo banner and one section per measure (tabs if several).

    Parameters
    ----------
    codes : list of str
        Measure codes, in the order shown.
    title : str
        The page title.
    about : str
        One or two sentences on what the page answers.
    """
    st.title(title)
    with errors.guard():
        d, sel = widgets.page_start()
        if not state.presentation():  # on the projector the chart comes first
            st.caption(about)
        if len(codes) == 1:
            section(d, sel, codes[0], heading=data.config().catalogue.measure(codes[0]).label
                    != title)
            return
        cat = data.config().catalogue
        tabs = state.url_tabs([cat.measure(c).short for c in codes], "delmatt")
        for tab, code in zip(tabs.values(), codes):
            if tab.open:
                with tab:
                    section(d, sel, code)


def _page_filters(measure: Measure, sel: state.Selection) -> tuple[pages.Filters, str]:
    """The measure's own filters and variable, added to the sidebar's (all in the URL)."""
    code = measure.code
    exclusive = bd.exclusive_dimensions(measure)
    dims = list(measure.dimensions)
    many_vars = len(measure.variables) > 1
    chosen = []
    if not dims and not many_vars:
        return sel.filters, measure.primary.code
    columns = st.columns(len(dims) + many_vars)
    storhet = measure.primary.code
    if many_vars:
        with columns[-1]:
            storhet = state.url_widget(
                st.selectbox, "Visa", list(measure.variables), f"{code}_storhet",
                measure.primary.code, format_func=lambda v: measure.variables[v].label)
    for column, dim in zip(columns, dims):
        dimension = measure.dimensions[dim]
        with column:
            if dim in exclusive:
                # One category at a time: these must not be added up (see breakdown).
                value = state.url_widget(
                    st.selectbox, dimension.label, list(dimension.categories),
                    f"{code}_{dim}", dict(measure.headline_filter)[dim][0],
                    format_func=dimension.categories.get,
                    help="Ett val i taget: kategorierna kan inte läggas ihop.")
                chosen.append((dim, (value,)))
            else:
                values = state.url_widget(
                    st.multiselect, dimension.label, list(dimension.categories),
                    f"{code}_{dim}", [], format_func=dimension.categories.get,
                    placeholder=ALL)
                if values:
                    chosen.append((dim, tuple(values)))
    filters = pages.Filters(sel.filters.postnummer, sel.filters.kon,
                            sel.filters.aldersgrupp, tuple(chosen))
    return filters, storhet


@st.cache_resource(max_entries=256, show_spinner=False)
def _headline_of(url: str, fingerprint: tuple, code: str, month: pd.Timestamp,
                 filters: pages.Filters, storhet: str) -> pages.Headline:
    # Once per store version and choice, shared by sessions: a filter change that comes
    # back to an earlier choice is a lookup.
    cfg, d = data.config(), data._shared(url, fingerprint)
    return pages.headline(d.counts[code], d.population, cfg.catalogue.measure(code), cfg,
                          month, filters, storhet)


def _headline(d: data.Data, measure: Measure, sel: state.Selection, filters: pages.Filters,
              storhet: str) -> None:
    """The month and the rolling 12 months against last year; per 1 000; each sex apart."""
    head = _headline_of(data.config().db_url, d.fingerprint, measure.code, sel.month,
                        filters, storhet)
    st.markdown(f"**{head.counted}**")
    for column, m in zip(st.columns(len(head.metrics)), head.metrics):
        with column:
            st.metric(m.label, m.value, m.delta, delta_color="off", delta_arrow=m.arrow,
                      help=m.help, border=True)


def _housing_status(d: data.Data, measure: Measure, sel: state.Selection) -> None:
    """Akutboende, aktuellt läge: the selected month's nights, guests and occupancy."""
    cfg = data.config()
    status = bd.housing_status(d.counts[measure.code], measure, cfg.catalogue, sel.month,
                               cfg.threshold)
    st.subheader(f"Aktuellt läge, {fmt.month(status.month)}")
    nights, guests = status.table[bd.TOTAL].tolist()
    left, mid, right, last = st.columns(4)
    t = cfg.threshold
    left.metric("Belagda nätter", fmt.count(nights, pd.isna(nights), t), border=True)
    mid.metric("Unika gäster", fmt.count(guests, pd.isna(guests), t), border=True)
    right.metric("Platser", fmt.number(status.places), border=True)
    last.metric("Beläggningsgrad", fmt.percent(status.occupancy, sign=False), border=True,
                help="Belagda nätter / (platser × dagar i månaden).")
    caption = pages.Caption(f"Akutboende, aktuellt läge: {fmt.month(status.month)}",
                            fmt.month(status.month), "", f"Källa: {measure.source}", t)
    widgets.table(status.table, caption, key=f"{measure.code}_lage")
    st.caption("Beläggningsgraden gäller hela boendet; urvalet på kön gäller inte den.")


def _show(fig: figures.Figure, key: str) -> None:
    """The chart with its downloads, the table behind it, and its notes."""
    # The table under the chart, at its full height and the page's width: beside the chart
    # it was a box of ten rows that scrolled, cut at the right on a 1366 px screen.
    widgets.chart(fig.chart, fig.caption, key)
    if fig.band_note:
        st.caption(fig.band_note)
    # Drawn only when opened: formatting the table was a quarter of a filter change's time.
    shown = st.expander("Siffrorna bakom diagrammet", on_change="rerun",
                        key=f"{key}_siffror")
    if shown.open:
        with shown:
            widgets.table(fig.table, fig.caption, key)
    icons = {"atgard": ":material/flag:", "omvarld": ":material/public:"}
    for month, text, kind in zip(fig.notes[bd.MONTH], fig.notes[bd.NOTE], fig.notes["typ"]):
        st.caption(f"{icons.get(kind, ':material/warning:')} {fmt.month(month)}: "
                   f"{md(text)}.")


def section(d: data.Data, sel: state.Selection, code: str, heading: bool = True) -> None:
    """One measure: filters, headline, and its four charts with tables."""
    cfg = data.config()
    measure = cfg.catalogue.measure(code)
    if heading:
        st.subheader(measure.label)
    if d.counts[code].empty:
        st.info(f"Det finns inga inlästa uppgifter om {measure.short.lower()} ännu.")
        comparison.render(code)
        return
    present = state.presentation()
    # On the projector the chart comes first: the page's own choices fold into an expander
    # and the headline figures go below the chart.
    with (st.expander("Val för diagrammet", icon=":material/tune:") if present
          else st.container()):
        filters, storhet = _page_filters(measure, sel)
    head_slot, chart_slot = st.container(), st.container()
    if present:
        head_slot, chart_slot = chart_slot, head_slot
    with head_slot:
        widgets.ignored_note(pages.ignored(d.counts[code], measure, filters, storhet),
                             measure.short)
        _headline(d, measure, sel, filters, storhet)
        if code == "akutboende":
            _housing_status(d, measure, sel)
    with chart_slot:
        _charts(d, sel, measure, filters, storhet)


def _charts(d: data.Data, sel: state.Selection, measure: Measure, filters: pages.Filters,
            storhet: str) -> None:
    """The four charts in tabs; only the open one is computed."""
    code = measure.code
    names = {"trend": "Trend", "kon": "Flickor och pojkar" if measure.age_grouping == "barn"
             else "Kvinnor och män", "ar": "År för år", "fordelning": "Fördelning",
             "heatmap": "Månad × kategori"}
    kinds = [k for k in names if (k != "heatmap" or figures.heatmap_dimensions(measure))
             and (k != "kon" or figures.sex_comparable(measure, storhet))]
    # Only the open tab is computed and sent: a rerun draws one chart, not four.
    tabs = state.url_tabs([names[k] for k in kinds], f"{code}_vy")
    kind = next(k for k in kinds if tabs[names[k]].open)
    with tabs[names[kind]]:
        dim = None
        if kind in ("fordelning", "heatmap"):
            dims = (figures.breakdown_dimensions(measure, storhet) if kind == "fordelning"
                    else figures.heatmap_dimensions(measure))
            dim = state.url_widget(st.segmented_control,
                                "Dela upp efter" if kind == "fordelning" else "Kategori",
                                dims, f"{code}_{'per' if kind == 'fordelning' else 'vk'}",
                                dims[0], format_func=measure.dimension_label,
                                selection_mode="single", required=True)
        _show(figure(d, code, kind, sel.month, dim, filters, storhet), f"{code}_{kind}")
    comparison.render(code)  # Kolada: riket, länet, similar municipalities (cached only)
