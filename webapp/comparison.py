"""Compared with riket, länet and similar municipalities (Kolada), on each measure page and
as a section of Översikt (where Luleå stands, with its rank among all municipalities).

Shows what is cached in the store; nothing is fetched when the page opens. An analytiker may
fetch from Kolada with a button (logged, with progress); everyone sees the figures. The demo
brings a dated synthetic snapshot, and says so wherever it is shown.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lagesbild import access, fmt
from lagesbild.views import comparison as views
from lagesbild.views import kolada
from webapp import auth, data, errors, widgets
from webapp.text import md

KOLADA = "kolada"
KOLADA_LABEL = "Jämförelsetal från Kolada (export från kolada.se)"


@st.cache_resource(show_spinner=False)
def _catalogue(path: str, mtime: float) -> kolada.Comparison:
    return kolada.catalogue(data.config())


def catalogue() -> kolada.Comparison:
    """The comparison catalogue (``jamforelse.yaml``), re-read when the file changes."""
    path = data.config().jamforelse
    return _catalogue(str(path), path.stat().st_mtime if path.exists() else 0.0)


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def _cached(url: str, fingerprint: tuple) -> tuple[pd.DataFrame, dict, dict, list]:
    # Public statistics: safe to share between sessions.
    return kolada.cached(data.engine())


def _figures(comp: kolada.Comparison):
    """The cached values, titles, the catalogue with Kolada's area names, and the group."""
    return kolada.figures(_cached(data.config().db_url, kolada.fingerprint(data.engine())),
                          comp)


def _demo_warning(values: pd.DataFrame) -> None:
    if values["source"].astype(str).str.startswith(views.DEMO).any():
        st.warning("Demo utan nät: jämförelsetalen är en medföljande ögonblicksbild med "
                   "SYNTETISKA värden (utom där källan säger publicerat), inte Koladas siffror. "
                   "Hämta från Kolada för riktiga värden.", icon=":material/science:")


def _fetch_button(comp: kolada.Comparison, code: str) -> None:
    """Fetch every KPI of the catalogue from Kolada (analytiker and förvaltare only)."""
    this_year = dt.date.today().year
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    years = left.text_input("År att hämta", f"{this_year - 6}-{this_year - 1}",
                            key=f"{code}_kolada_ar")
    if not right.button("Hämta från Kolada", key=f"{code}_kolada_hamta",
                        help="Hämtar alla nyckeltal i jämförelsekatalogen för kommunen, länet, "
                             "riket och liknande kommuner. Kräver att servern når "
                             "api.kolada.se."):
        return
    cfg = data.config()
    with errors.guard() as fetching:
        bar = st.progress(0.0, text="Hämtar från Kolada …")
        done, unknown = kolada.fetch(
            data.engine(), cfg, comp, years,
            progress=lambda share, text: bar.progress(min(share, 1.0), text=text))
        auth.record("kolada", {"via": "sidan", "ar": f"{done.years[0]}–{done.years[-1]}",
                               "nyckeltal": done.kpis, "rader": done.rows})
    if fetching.error is None:  # show the new figures at once, and say so
        _cached.clear()
        group = (f" Liknande kommuner: {done.group.title}." if done.group is not None
                 else "")
        st.session_state["_kolada_hamtat"] = (f"Hämtade {fmt.number(done.rows)} värden från "
                                              f"Kolada.{group}")
        st.session_state["_kolada_okanda"] = unknown
        st.rerun()


def _trend_chart(trend) -> None:
    """The years as lines, one per area, with Swedish labels only (Vega's own English axis
    descriptions, which screen readers would read, are turned off)."""
    import altair as alt

    long = trend.reset_index().melt(id_vars=trend.index.name, var_name="Område",
                                    value_name="Värde").dropna()
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X(f"{trend.index.name}:O", title=None, axis=alt.Axis(labelAngle=0, aria=False)),
        y=alt.Y("Värde:Q", title=None, axis=alt.Axis(aria=False)),
        color=alt.Color("Område:N", legend=alt.Legend(orient="bottom", title=None,
                                                     aria=False))
    ).properties(height=280).configure(aria=False)
    st.altair_chart(chart, width="stretch")


def render(code: str) -> None:
    """The comparison section of one measure: a table per indicator, or the empty state, and
    what Kolada does not have for this measure."""
    comp = catalogue()
    kpis = comp.for_measure(code)
    lacking = comp.without.get(code)
    if not kpis and not lacking:
        return
    st.subheader("Jämfört med riket, länet och liknande kommuner")
    if lacking:
        st.info(md(lacking), icon=":material/info:")
    if not kpis:
        return
    cfg = data.config()
    values, titles, comp, group = _figures(comp)
    if "_kolada_hamtat" in st.session_state:
        st.success(md(st.session_state.pop("_kolada_hamtat")), icon=":material/check_circle:")
        if note := st.session_state.pop("_kolada_okanda", None):
            st.warning(md(note), icon=":material/warning:")
    if access.allows(auth.current().role, "analytiker"):
        _fetch_button(comp, code)
    mine = values[values["kpi"].isin([k.id for k in kpis])]
    if mine.empty:
        st.info(views.EMPTY, icon=":material/travel_explore:")
        return
    _demo_warning(mine)
    d = data.data()
    path = cfg.jamforelse
    shown = _measure_views(code, cfg.db_url, d.fingerprint, kolada.fingerprint(data.engine()),
                           path.stat().st_mtime if path.exists() else 0.0)
    for view in shown:
        related = " – närliggande, inte samma mått" if view.kpi.related else ""
        st.markdown(f"**{md(view.title)}** ({md(view.kpi.unit or view.kpi.id)}){related}")
        widgets.fitted(views.display(view.table))
        trend = views.trend(view, comp)
        if len(trend) > 1:  # a line needs two years
            _trend_chart(trend)
        if len(view.similar.columns) > 2:
            with st.expander("Liknande kommuner, var för sig"):
                widgets.fitted(views.display(view.similar))
        st.caption(md(view.source))
        for note in view.notes:
            st.caption(md(note))
    missing = [k.id for k in kpis if k.id not in {v.kpi.id for v in shown}]
    if missing:
        st.caption(f"Inte hämtade ännu: {', '.join(missing)}.")


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _measure_views(code: str, url: str, fingerprint: tuple, kolada_fingerprint: tuple,
                   mtime: float) -> list:
    # Our own rates are the published (protected) ones; worked out once per store version.
    values, titles, comp, group = _figures(catalogue())
    d = data.data()
    return views.measure_views(values, code, comp, data.config(), d.counts[code],
                               d.population, titles, group)


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def _standing(url: str, fingerprint: tuple, kolada_fingerprint: tuple, mtime: float
              ) -> pd.DataFrame:
    # Our own rates in it are the published (protected) ones, the same for every role that
    # sees Översikt; worked out once per store version (about a second), not on every rerun.
    cfg = data.config()
    values, titles, comp, group = _figures(catalogue())
    d = data.data()
    own = views.standing_own(values, comp, cfg, d.counts, d.population)
    return views.standing(values, comp, cfg.catalogue, titles, group, own)


def overview_section() -> None:
    """Översikt: where the municipality stands against riket, the county and the similar
    municipalities for each comparable measure, with its rank among all municipalities, and
    what Kolada does not have."""
    comp = catalogue()
    cfg = data.config()
    st.subheader(f"{comp.kommun_name} jämfört med riket, {comp.lan[1]} och liknande kommuner")
    values, titles, comp, group = _figures(comp)
    d = data.data()
    path = cfg.jamforelse
    table = _standing(cfg.db_url, d.fingerprint, kolada.fingerprint(data.engine()),
                      path.stat().st_mtime if path.exists() else 0.0)
    if table.empty:
        st.info(views.EMPTY, icon=":material/travel_explore:")
    else:
        _demo_warning(values[values["kpi"].isin([k for k, v in comp.kpis.items()
                                                 if v.overview])])
        widgets.fitted(views.display(table.drop(columns=["Källa"])))
        if group is not None:
            who = ", ".join(group.members.values())
            year = f", {group.year}" if group.year else ""
            st.caption(md(f"Liknande kommuner: {group.title} ({group.id or 'egen lista'}"
                          f"{year}): {who}. Ovägt medel."))
        st.caption("Plats bland kommunerna: 1 är det högsta värdet bland alla kommuner med ett "
                   "värde det året; om högt eller lågt är bra beror på nyckeltalet. "
                   f"{views.OWN}: vår egen siffra räknad som Koladas (helt år, med "
                   "röjandeskydd) där det går; måttets sida säger hur definitionerna skiljer "
                   "sig. Varje måtts sida visar alla nyckeltal, år och kön.")
    for line in views.without_kolada(comp, cfg.catalogue):
        st.caption(md(line))


def import_export(upload) -> None:
    """The import page's choice for Kolada's own Excel/CSV export: preview, then save."""
    if upload is None:
        st.caption("Ladda ner nyckeltalets tabell från kolada.se (Excel eller CSV) med "
                   "kolumnerna Nyckeltal-id (eller Nyckeltal), Kommun-id eller Kommun, År, Kön "
                   "och Värde, eller en kolumn per år. Rader för områden som inte ingår i "
                   "jämförelsen läses inte in.")
        return
    comp = catalogue()
    read = kolada.read_export(upload.getvalue(), upload.name, comp, data.config())
    values = read.values
    known = set(comp.kpis)
    cols = st.columns(4)
    cols[0].metric("Värden", fmt.number(len(values)))
    cols[1].metric("Nyckeltal", fmt.number(values["kpi"].nunique()))
    cols[2].metric("Områden", fmt.number(values["kommun"].nunique()))
    cols[3].metric("År", f"{values['ar'].min()}–{values['ar'].max()}")
    for line in read.skipped:
        st.caption(md(line))
    outside = sorted(set(values["kpi"]) - known)
    if outside:
        st.caption(f"Nyckeltal som inte står i jämförelsekatalogen sparas men visas inte på "
                   f"sidorna: {md(', '.join(outside))}.")
    st.dataframe(kolada.export_table(values, comp), hide_index=True, width="stretch")
    st.caption("Värden som redan finns för samma nyckeltal, område, år och kön ersätts.")
    if st.button("Spara i databasen", type="primary", key="spara_kolada"):
        with errors.guard() as saving:
            rows = kolada.save_export(data.engine(), values, upload.name)
            auth.record("kolada", {"via": "sidan", "fil": upload.name,
                                   "nyckeltal": sorted(set(values["kpi"])), "rader": rows})
        if saving.error is None:
            _cached.clear()
            st.success(f"Sparade {fmt.number(rows)} jämförelsetal från {md(upload.name)}.",
                       icon=":material/check_circle:")
