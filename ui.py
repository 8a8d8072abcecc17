"""Streamlit helpers shared by the pages: cached loaders, sidebar filters, errors, banners.

Only this module, ``app.py`` and ``pages/`` import streamlit. Domain work is done by
``lagesbild``; this module wraps it in caches and turns its errors into Swedish messages.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import streamlit as st

import lagesbild
from lagesbild import aggregate, fmt, ingest, store, tables
from lagesbild.config import Config
from lagesbild.errors import LagesbildError

log = logging.getLogger("lagesbild.ui")

GENERAL_ERROR = ("Något gick fel när sidan skulle visas. Försök igen; om felet kvarstår, "
                 "kontakta den som förvaltar lägesbilden (detaljerna finns i serverns logg).")


# --- errors -------------------------------------------------------------------------------

@contextmanager
def guard():
    """Show our errors as their Swedish message and anything else as a general one."""
    try:
        yield
    except LagesbildError as err:
        st.error(err.message, icon=":material/error:")
    except Exception:
        log.exception("unexpected error in page")
        st.error(GENERAL_ERROR, icon=":material/error:")


# --- cached loaders -----------------------------------------------------------------------

@st.cache_resource
def config() -> Config:
    return Config.from_env()


@st.cache_resource(show_spinner="Öppnar databasen …")
def _engine(url: str):
    # Passing the config's URL makes a changed LAGESBILD_DB_URL a new engine.
    return ingest.open_store(config())


def engine():
    return _engine(config().db_url)


@dataclass(frozen=True)
class Data:
    counts: dict[str, pd.DataFrame]
    population: pd.DataFrame
    batches: pd.DataFrame
    fingerprint: tuple  # the store version these were read from

    @property
    def is_demo(self) -> bool:
        return bool((self.batches["created_by"] == "demo").any()) if len(self.batches) else False


@st.cache_data(max_entries=4, show_spinner="Läser data …", persist="disk")
def _read(url: str, fingerprint: tuple, version: str) -> Data:
    # The fingerprint is the cache key: it changes when a batch is written or undone.
    # Kept on disk too, so a restarted server does not read the whole store again; the
    # package version in the key keeps an upgraded app from reading an older shape.
    eng = engine()
    cat = config().catalogue
    return Data(store.read_all(eng, cat), store.read_population(eng), store.read_batches(eng),
                fingerprint)


@st.cache_resource(max_entries=2, show_spinner=False)
def _shared(url: str, fingerprint: tuple) -> Data:
    # One shared copy per store version: cache_data would unpickle a copy on every rerun.
    return _read(url, fingerprint, lagesbild.__version__)


def data() -> Data:
    """All stored data, re-read only when the store has changed. Never mutate what it returns."""
    return _shared(config().db_url, store.fingerprint(engine()))


@dataclass(frozen=True)
class MapLayer:
    geojson: dict  # areas in EPSG:4326, simplified for display
    names: dict[str, str]  # postnummer -> postort
    bounds: list[float]
    outline: dict  # the municipal outline
    town_bounds: list[float]  # where the small (dense) areas are
    layer: object  # the full GeoDataFrame in EPSG:3006


@st.cache_resource(show_spinner="Läser postnummerområden …")
def _map_layer(path: str, mtime: float) -> MapLayer:
    from lagesbild import geo

    layer = geo.read_layer(path)
    shown = geo.for_display(layer)
    return MapLayer(geo.to_geojson_dict(shown),
                    dict(zip(layer["postnummer"], layer["postort"].fillna(""))),
                    list(shown.total_bounds), geo.outline_geojson(layer),
                    geo.dense_bounds(layer), layer)


def map_layer() -> MapLayer:
    """The postnummer layer, read and simplified once for all sessions: never mutate it."""
    path = config().shapes
    return _map_layer(str(path), path.stat().st_mtime if path.exists() else 0.0)


def postort_names() -> dict[str, str]:
    try:
        return map_layer().names
    except LagesbildError:
        return {}


# --- banner and filters -------------------------------------------------------------------

def demo_banner(d: Data) -> None:
    if d.is_demo:
        st.warning("**Demodata – syntetiska siffror.** Allt som visas är påhittat och "
                   "kalibrerat mot publicerade totaler för Luleå. Inga verkliga personer "
                   "eller ärenden.", icon=":material/science:")


SEX_OPTIONS = {"": "Alla", "K": "Flickor/kvinnor", "M": "Pojkar/män"}


@dataclass(frozen=True)
class Selection:
    month: pd.Timestamp | None
    filters: aggregate.Filters


def _from_url(key: str, multi: bool):
    params = st.query_params
    if key not in params:
        return None
    return params.get_all(key) if multi else params[key]


def _init(key: str, options: list, multi: bool, default):
    """Seed a widget's state from the URL once, ignoring values that are not options."""
    if key in st.session_state:
        return
    value = _from_url(key, multi)
    if multi:
        value = [v for v in (value or []) if v in options]
        st.session_state[key] = value or default
    else:
        st.session_state[key] = value if value in options else default


def sidebar_filters(d: Data) -> Selection:
    """The global filters (month, area, sex, age group), shared by all pages and in the URL."""
    cat = config().catalogue
    months = sorted({m for f in d.counts.values() for m in f["month"].unique()})
    latest = max((aggregate.latest_complete_month(f) for f in d.counts.values()
                  if not f.empty), default=None)
    month_options = [pd.Timestamp(m).strftime("%Y-%m") for m in reversed(months)]
    areas = sorted({str(p) for f in d.counts.values() if "postnummer" in f.columns
                    for p in f["postnummer"].dropna().unique()})
    names = postort_names()

    _init("manad", month_options, False, latest.strftime("%Y-%m") if latest is not None
          else (month_options[0] if month_options else None))
    _init("omrade", areas, True, [])
    _init("kon", list(SEX_OPTIONS), False, "")
    _init("alder", cat.all_age_groups, True, [])
    if "presentationslage" not in st.session_state:
        st.session_state["presentationslage"] = st.query_params.get("presentation") == "1"

    with st.sidebar:
        st.header("Urval")
        st.selectbox("Månad", month_options, key="manad",
                     format_func=lambda m: fmt.month(m + "-01"),
                     help="Den månad översikten gäller. Rullande 12 månader slutar här.")
        st.multiselect("Område (postnummer)", areas, key="omrade",
                       format_func=lambda p: f"{fmt.postnummer(p)} {names.get(p, '')}".strip(),
                       placeholder="Hela kommunen",
                       help="Tomt betyder hela kommunen.")
        st.radio("Kön", list(SEX_OPTIONS), key="kon", format_func=SEX_OPTIONS.get,
                 horizontal=True)
        st.multiselect("Åldersgrupp", cat.all_age_groups, key="alder",
                       format_func=lambda g: g.replace("-", "–") + " år",
                       placeholder="Alla åldrar",
                       help="Barn: 0–5, 6–11, 12–17, 18–20. Vuxna: 18–24 … 65+. "
                            "Gäller de mått som har grupperna.")
        st.divider()
        st.toggle("Presentationsläge", key="presentationslage",
                  help="För projektorn: större text, tjockare linjer, diagram i full bredd "
                       "och sidopanelen infälld (öppna den med pilen uppe till vänster).")

    state = st.session_state
    _to_url({"manad": state["manad"], "omrade": state["omrade"], "kon": state["kon"],
             "alder": state["alder"],
             "presentation": "1" if state["presentationslage"] else None})
    month = pd.Timestamp(state["manad"] + "-01") if state["manad"] else None
    chosen = Selection(month, aggregate.Filters(
        postnummer=tuple(state["omrade"]),
        kon=(state["kon"],) if state["kon"] else (),
        aldersgrupp=tuple(state["alder"]),
    ))
    state["_urval"] = chosen
    return chosen


def selection() -> Selection:
    """The sidebar's current choices (set by app.py before the page runs)."""
    return st.session_state.get("_urval") or Selection(None, aggregate.Filters())


def _to_url(values: dict) -> None:
    """Keep these choices in the URL, so a copied link reopens the same view.

    Only the given keys are touched: the sidebar and a page each keep their own.
    """
    for key, value in values.items():
        wanted = None if value in (None, [], "") else value
        current = (st.query_params.get_all(key) or None if isinstance(value, list)
                   else st.query_params.get(key))
        if current == wanted:
            continue
        if wanted is None:
            del st.query_params[key]
        else:
            st.query_params[key] = wanted


def url_widget(widget, label: str, options: list, key: str, default, **kwargs):
    """A page's own filter widget, seeded from the URL and kept there like the sidebar's.

    Parameters
    ----------
    widget : callable
        ``st.multiselect``, ``st.selectbox``, ``st.radio`` or ``st.segmented_control``.
    label, options, key : str, list, str
        As for the widget; *key* is also the URL parameter.
    default : object
        The value when the URL has none (a list for multiselect).
    **kwargs
        Passed on to the widget.

    Returns
    -------
    The widget's value.
    """
    multi = isinstance(default, list)
    _init(key, options, multi, default)
    widget(label, options, key=key, **kwargs)
    value = st.session_state[key]
    _to_url({key: None if value == default else value})  # short links: defaults stay out
    return value


def url_tabs(labels: list[str], key: str) -> dict[str, object]:
    """Tabs where only the open one runs (``tab.open``), the choice kept in the URL.

    Returns
    -------
    dict
        Label to tab container.
    """
    first = f"_{key}_forst"
    if first not in st.session_state:  # the URL's tab, fixed for the widget's life
        wanted = st.query_params.get(key)
        st.session_state[first] = wanted if wanted in labels else None
    tabs = st.tabs(labels, key=key, on_change="rerun", default=st.session_state[first])
    chosen = st.session_state.get(key)
    _to_url({key: None if chosen in (None, labels[0]) else chosen})
    return dict(zip(labels, tabs))


def ignored_note(ignored: list[str], measure_short: str) -> None:
    from lagesbild.overview import ignored_text

    text = ignored_text(ignored, measure_short.lower())
    if text:
        st.caption(f":material/info: {text}")


# --- shared renderers ---------------------------------------------------------------------

def headline_card(card) -> None:
    """One measure's card on the overview (an ``overview.Card``)."""
    st.metric(card.title, card.value, card.delta, delta_color="off", delta_arrow=card.direction,
              chart_data=card.trend, chart_type="line",
              help=f"{card.counted} den valda månaden. Pilen jämför med samma månad året "
                   "innan. Linjen visar de senaste 24 månaderna.")
    st.caption(f"{card.counted}  \nSamma månad i fjol: {card.last_year}  \n"
               f"Rullande 12 mån: **{card.rolling12}** ({card.rolling12_change})")
    if card.trend is None:
        st.caption("Trendlinjen visas inte: någon månad har för få för att visas.")
    if card.note:
        st.caption(f":material/info: {card.note}")


def _legend(items, title: str) -> None:
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:.5rem;margin:.2rem 0">'
        f'<span style="width:1.4rem;height:1rem;background:{i.colour};'
        f'border:1px solid #333;display:inline-block"></span>{i.label}</div>'
        for i in items)
    st.markdown(f"**{title}**{rows}", unsafe_allow_html=True)


@dataclass(frozen=True)
class AreaMap:
    deck: object  # maps.FrozenDeck
    legend: list
    table: pd.DataFrame  # protected
    period: aggregate.Period
    ignored: list[str]
    missing_polygons: list[str]


@st.cache_resource(max_entries=32, show_spinner=False)
def _area_map(url: str, fingerprint: tuple, measure_code: str, month: pd.Timestamp,
              kon: tuple, alder: tuple, town: bool, selected: tuple) -> AreaMap:
    # Cached per view: the deck's JSON is the slow part of a rerun. Never mutate the result.
    from lagesbild import disclosure, maps
    from lagesbild.geo import match_report

    cfg, d, ml = config(), _shared(url, fingerprint), map_layer()
    measure = cfg.catalogue.measure(measure_code)
    frame, ignored = aggregate.apply_filters(
        d.counts[measure_code], measure, aggregate.Filters(kon=kon, aldersgrupp=alder))
    period = aggregate.Period.rolling12(month)
    table = aggregate.summary(frame, d.population, measure, period, ["postnummer"],
                              all_areas=True)
    safe = disclosure.protect(table, cfg.threshold)
    coloured, legend = maps.choropleth(ml.geojson, safe, ml.names, cfg.threshold,
                                       count_label=f"Antal {measure.counted}")
    bounds = ml.town_bounds if town else ml.bounds
    deck = maps.FrozenDeck(maps.deck(coloured, bounds, "Per 1 000", f"Antal {measure.counted}",
                                     ml.outline, selected))
    with_counts = safe.loc[safe["antal"].fillna(1) > 0, "postnummer"]
    missing_polygons, _ = match_report(ml.layer, with_counts.tolist())
    return AreaMap(deck, legend, safe, period, ignored, missing_polygons)


def area_map(d: Data, measure_code: str, sel: Selection) -> None:
    """A choropleth of one measure's rate per 1 000 by postnummer, rolling 12 months."""
    cfg = config()
    measure = cfg.catalogue.measure(measure_code)
    town = st.radio("Kartvy", ["Hela kommunen", "Tätorten"], horizontal=True,
                    key=f"kartvy_{measure_code}", label_visibility="collapsed") == "Tätorten"
    m = _area_map(cfg.db_url, d.fingerprint, measure_code, sel.month,
                  sel.filters.kon, sel.filters.aldersgrupp, town, sel.filters.postnummer)
    names = map_layer().names
    st.caption(f"{fmt.period(m.period.start, m.period.end)}. Antal {measure.counted} per "
               f"1 000 i målgruppen ({measure.target.label if measure.target else '–'}). "
               f"Områden med färre än {cfg.threshold} visas grå och utan tal.")
    ignored_note(m.ignored, measure.short)
    left, right = st.columns([4, 1])
    with left:
        st.pydeck_chart(m.deck, height=560, key=f"karta_{measure_code}")
    with right:
        _legend(m.legend, "Per 1 000")
        if sel.filters.postnummer:
            st.caption("Valda områden har orange kant. Kartan visar alla områden; "
                       "områdesurvalet gäller korten ovan.")
    if m.missing_polygons:
        st.caption(f"Postnummer med data men utan område på kartan: "
                   f"{', '.join(fmt.postnummer(p) for p in m.missing_polygons)}.")
    with st.expander("Tabell: antal och andel per postnummer"):
        st.dataframe(tables.area_table(m.table, names, cfg.threshold), hide_index=True,
                     width="stretch")


# --- charts, tables and their downloads ---------------------------------------------------

def presentation() -> bool:
    """True when the projector mode is on (larger type, thicker lines)."""
    return bool(st.session_state.get("presentationslage", False))


# Streamlit sizes its text in rem: a larger root size enlarges every text on the page.
_PRESENTATION_CSS = ("<style>html { font-size: 20px; } "
                     "[data-testid='stMetricValue'] { font-size: 2.6rem; }</style>")


def apply_presentation() -> None:
    """Projector mode: larger type and the sidebar folded away.

    Streamlit cannot fold the sidebar from code except through the page config, which the
    browser applies when the setting changes; the user opens it again with its arrow.
    """
    on = presentation()
    st.set_page_config(initial_sidebar_state="collapsed" if on else "expanded")
    if on:
        st.html(_PRESENTATION_CSS)


def chart(chart_, caption, key: str) -> None:
    """An Altair chart in Swedish formats, with PNG and SVG downloads of the same chart."""
    from lagesbild import export

    # Our own configuration, not Streamlit's theme: the page shows what the PNG will show.
    st.altair_chart(export.screen(chart_, presentation()), width="stretch", theme=None,
                    key=f"{key}_chart")
    with st.container(horizontal=True):
        st.download_button("PNG", data=lambda: export.png(chart_, caption),
                           file_name=f"{caption.stem}.png", mime="image/png", on_click="ignore",
                           key=f"{key}_png", icon=":material/image:",
                           help="Bild 1920 px bred för presentationer, med rubrik, period, "
                                "urval, källa och röjandekontroll i bilden.")
        st.download_button("SVG", data=lambda: export.svg(chart_, caption),
                           file_name=f"{caption.stem}.svg", mime="image/svg+xml",
                           on_click="ignore", key=f"{key}_svg", icon=":material/draw:")


def table(table_: pd.DataFrame, caption, key: str, height: int | str = "auto") -> None:
    """A protected table in Swedish formats (numeric cells where nothing is hidden, so sorting
    works; see ``tables.style``), with Excel and CSV downloads."""
    from lagesbild import export

    styled = tables.style(table_)
    as_text = {c: st.column_config.TextColumn(alignment="right") for c in table_.columns
               if pd.api.types.is_numeric_dtype(table_[c])
               and not pd.api.types.is_numeric_dtype(styled.data[c])}
    st.dataframe(styled, hide_index=True, width="stretch", height=height, key=f"{key}_table",
                 column_config=as_text)
    with st.container(horizontal=True):
        st.download_button("Excel", data=lambda: export.xlsx(table_, caption),
                           file_name=f"{caption.stem}.xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument."
                                "spreadsheetml.sheet", key=f"{key}_xlsx",
                           icon=":material/table:")
        st.download_button("CSV", data=lambda: export.csv(table_),
                           file_name=f"{caption.stem}.csv", mime="text/csv", on_click="ignore",
                           key=f"{key}_csv", icon=":material/download:")
