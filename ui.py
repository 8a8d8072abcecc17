"""Streamlit helpers shared by the pages: cached loaders, sidebar filters, errors, banners.

Only this module, ``app.py`` and ``app_pages/`` import streamlit. Domain work is done by
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

def page_start() -> tuple[Data, "Selection"]:
    """What every data page starts with: the data, the demo banner and the sidebar's choices;
    an empty store gets a plain message and the page stops there."""
    d = data()
    demo_banner(d)
    sel = selection()
    if sel.month is None:
        st.info("Det finns inga data i databasen ännu. Läs in förvaltningens exporter på "
                "sidan Import och datakvalitet, eller starta med demodata (LAGESBILD_DEMO=1).")
        st.stop()
    return d, sel


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
    """Keep the current choices in the URL, so a copied link reopens the same view.

    Only the named keys change (empty values are removed): the sidebar and each page keep
    their own choices side by side in one URL.
    """
    for name, value in values.items():
        multi = isinstance(value, (list, tuple))
        if value in (None, "", [], ()):
            if name in st.query_params:
                del st.query_params[name]
            continue
        current = st.query_params.get_all(name) if multi else st.query_params.get(name)
        wanted = list(value) if multi else value
        if current != wanted:
            st.query_params[name] = wanted

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


def area_map(d: Data, measure_code: str, sel: Selection) -> None:
    """The overview's map: one measure's rate per 1 000 by postnummer, rolling 12 months.

    The same view as the Karta page (cached there), without the page's own choices.
    """
    cfg = config()
    measure = cfg.catalogue.measure(measure_code)
    town = st.radio("Kartvy", ["Hela kommunen", "Tätorten"], horizontal=True,
                    key=f"kartvy_{measure_code}", label_visibility="collapsed") == "Tätorten"
    choice = KartaChoice(measure_code, "rullande", f"{sel.month:%Y-%m}", "per_1000",
                         "postnummer", ())
    cached = _area_view(cfg.db_url, d.fingerprint, choice, sel.filters.kon,
                        sel.filters.aldersgrupp, sel.filters.postnummer, town)
    view = cached.view
    st.caption(f"{view.caption.subtitle}. Antal {measure.counted} per 1 000 i målgruppen "
               f"({measure.target.label if measure.target else '–'}). Områden med färre än "
               f"{cfg.threshold} visas grå och utan tal. Mer på sidan Karta.")
    ignored_note(view.ignored, measure.short)
    left, right = st.columns([4, 1])
    with left:
        st.pydeck_chart(cached.deck, height=560, key=f"karta_{measure_code}")
    with right:
        _legend(view.legend, "Per 1 000")
        if sel.filters.postnummer:
            st.caption("Valda områden har orange kant. Kartan visar alla områden; "
                       "områdesurvalet gäller korten ovan.")
    missing_note(view)
    with st.expander("Tabell: antal och andel per postnummer"):
        table(view.table, view.caption, f"tabell_{measure_code}", height=420)


def missing_note(view) -> None:
    if view.missing:
        st.caption("Postnummer med data men utan område på kartan: "
                   f"{', '.join(fmt.postnummer(p) for p in view.missing)}.")


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


# --- the map page (Karta) -----------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _grouping(path: str, mtime: float):
    from lagesbild import areas

    return areas.load_grouping(path)


def grouping():
    """The configured grouping of postnummer into larger areas (None if there is no file)."""
    path = config().omraden
    if not path.exists():
        return None
    return _grouping(str(path), path.stat().st_mtime)


@st.cache_resource(show_spinner="Förbereder kartlagret …")
def _display_layer(level: str, shapes: str, mtime: float, groups: str, gmtime: float):
    from lagesbild import areas

    return areas.display_layer(map_layer().layer, level, grouping())


def display_layer(level: str):
    """The simplified polygons of a level, made once for all sessions: never mutate them."""
    shapes, groups = config().shapes, config().omraden
    return _display_layer(level, str(shapes), shapes.stat().st_mtime if shapes.exists() else 0,
                          str(groups), groups.stat().st_mtime if groups.exists() else 0)


@dataclass(frozen=True)
class KartaChoice:
    measure: str
    kind: str
    period: str
    metric: str
    level: str
    categories: tuple  # ((dim, (values…)), …)


def karta_controls(d: Data) -> KartaChoice | None:
    """The map page's own choices, seeded from and kept in the URL."""
    from lagesbild import areas

    cat = config().catalogue
    measures = [m.code for m in cat.measures.values()
                if m.has_postnummer and not d.counts.get(m.code, pd.DataFrame()).empty]
    if not measures:
        st.info("Inget mått med postnummer har data ännu.")
        return None
    _init("matt", measures, False, measures[0])
    measure = cat.measure(st.session_state["matt"])
    frame = d.counts[measure.code]
    latest = aggregate.latest_complete_month(frame) or frame["month"].max()
    metrics = [k for k in areas.METRICS if k != "per_1000" or measure.target is not None]
    levels = list(areas.LEVELS) if grouping() is not None else ["postnummer"]
    _init("period_typ", list(areas.PERIOD_KINDS), False, "rullande")
    _init("varde", metrics, False, metrics[0])
    _init("niva", levels, False, "postnummer")

    top = st.columns([2, 2, 2, 3])
    top[0].selectbox("Mått", measures, key="matt",
                     format_func=lambda c: cat.measure(c).short)
    top[1].selectbox("Period", list(areas.PERIOD_KINDS), key="period_typ",
                     format_func=areas.PERIOD_KINDS.get)
    kind = st.session_state["period_typ"]
    options = areas.period_options(kind, sorted(frame["month"].unique()), latest)
    key = f"period_{kind}"
    sidebar_month = selection().month
    default = (options[0] if sidebar_month is None or not options
               else _default_period(kind, sidebar_month, options))
    _init(key, options, False, default)
    if st.session_state.get(key) not in options:
        st.session_state[key] = default
    top[2].selectbox("Välj period", options, key=key,
                     format_func=lambda c: areas.period_label(kind, c))
    top[3].selectbox("Visa", metrics, key="varde", format_func=areas.METRICS.get)

    cols = st.columns([2, 7])
    cols[0].radio("Nivå", levels, key="niva", format_func=areas.LEVELS.get, horizontal=True,
                  help="Postnummer eller större områden (områdesindelningen i "
                       "LAGESBILD_OMRADEN).")
    chosen = []
    dims = list(measure.dimensions)
    if dims:
        with cols[1]:
            boxes = st.columns(len(dims))
        for box, dim in zip(boxes, dims):
            labels = areas.value_labels(cat, measure, dim)
            wkey = f"{measure.code}_{dim}"
            # Stages of one case must not be added up: start from what the overview counts.
            _init(wkey, list(labels), True, list(dict(measure.headline_filter).get(dim, ())))
            box.multiselect(measure.dimension_label(dim), list(labels), key=wkey,
                            format_func=labels.get, placeholder="Alla")
            if st.session_state[wkey]:
                chosen.append((dim, tuple(st.session_state[wkey])))
    state = st.session_state
    _to_url({"matt": state["matt"], "period_typ": kind, key: state[key],
                  "varde": state["varde"], "niva": state["niva"],
                  **{f"{measure.code}_{dim}": state[f"{measure.code}_{dim}"] for dim in dims}})
    return KartaChoice(measure.code, kind, state[key], state["varde"], state["niva"],
                       tuple(chosen))


def _default_period(kind: str, month: pd.Timestamp, options: list[str]) -> str | None:
    """The period that holds the sidebar's month, else the newest."""
    if not options:
        return None
    wanted = {"manad": f"{month:%Y-%m}", "rullande": f"{month:%Y-%m}",
              "kvartal": f"{month.year}-Q{(month.month - 1) // 3 + 1}", "ar": str(month.year)}
    return wanted[kind] if wanted[kind] in options else options[0]


@dataclass(frozen=True)
class AreaView:
    view: object  # areas.View
    deck: object  # maps.FrozenDeck


@st.cache_resource(max_entries=32, show_spinner="Räknar områdena …")
def _area_data(url: str, fingerprint: tuple, choice: KartaChoice, kon: tuple, alder: tuple):
    # One view's table, colours and legend (areas.View), shared by its map variants and its
    # funnel. Never mutate the result.
    from lagesbild import areas

    cfg, d = config(), _shared(url, fingerprint)
    measure = cfg.catalogue.measure(choice.measure)
    return areas.view(cfg, d.counts[measure.code], d.population, measure, choice.kind,
                      choice.period, choice.metric, choice.level,
                      aggregate.Filters(kon=kon, aldersgrupp=alder,
                                        categories=choice.categories),
                      display_layer(choice.level), map_layer().names, grouping())


@st.cache_resource(max_entries=32, show_spinner="Ritar kartan …")
def _area_view(url: str, fingerprint: tuple, choice: KartaChoice, kon: tuple, alder: tuple,
               selected: tuple, town: bool) -> AreaView:
    # Cached per view: the deck's JSON is the slow part of a rerun. Never mutate the result.
    from lagesbild import maps

    v, ml = _area_data(url, fingerprint, choice, kon, alder), map_layer()
    layer = display_layer(choice.level)
    measure = config().catalogue.measure(choice.measure)
    deck = maps.FrozenDeck(maps.deck(v.coloured, ml.town_bounds if town else layer.bounds,
                                     v.legend_title, f"Antal {measure.counted}", ml.outline,
                                     selected, key=layer.key,
                                     rate_line="per_1000" in v.safe.columns
                                     and choice.metric != "per_1000"))
    return AreaView(v, deck)


@st.cache_resource(max_entries=32, show_spinner=False)
def _funnel_chart(url: str, fingerprint: tuple, choice: KartaChoice, kon: tuple, alder: tuple,
                  highlight: str | None):
    # The funnel's limits take a moment to compute: once per view and chosen area.
    from lagesbild import funnel

    view = _area_data(url, fingerprint, choice, kon, alder)
    measure = config().catalogue.measure(choice.measure)
    return funnel.chart(view.safe, view.names, view.kommun_rate,
                        f"({measure.target.label})" if measure.target else "", highlight)


def _picked(map_key: str, target: str, layer_key: str) -> None:
    """Map click → the profile's area (a callback, so it may set another widget's state)."""
    event = st.session_state.get(map_key)
    try:
        objects = event["selection"]["objects"].get("omraden", [])
    except (KeyError, TypeError, AttributeError):
        return
    if objects:
        obj = objects[0]
        props = obj.get("properties", obj)
        if props.get(layer_key):
            st.session_state[target] = props[layer_key]


def karta(d: Data, choice: KartaChoice, sel: Selection) -> None:
    """The map, its legend, the funnel plot, the table, the downloads and the area profile."""
    from lagesbild import areas, export, funnel, maps

    cfg = config()
    measure = cfg.catalogue.measure(choice.measure)
    layer_key = "postnummer" if choice.level == "postnummer" else "omrade"
    town = st.radio("Kartvy", ["Hela kommunen", "Tätorten"], horizontal=True, key="kartvy",
                    label_visibility="collapsed") == "Tätorten"
    profile_key = "profil"
    if profile_key not in st.session_state:  # a shared link: outline its area at once
        st.session_state[profile_key] = st.query_params.get(profile_key, "")
    cached = _area_view(cfg.db_url, d.fingerprint, choice, sel.filters.kon,
                        sel.filters.aldersgrupp,
                        tuple(filter(None, [st.session_state.get(profile_key)]))
                        or (sel.filters.postnummer if choice.level == "postnummer" else ()),
                        town)
    view, deck = cached.view, cached.deck
    ignored_note(view.ignored, measure.short)
    st.caption(f"**{view.caption.title}** · {view.caption.subtitle}. "
               + (f"Målgrupp: {measure.target.label}. " if measure.target else "")
               + f"Områden med färre än {cfg.threshold} visas grå och utan tal. "
               "Klicka på ett område för att se dess profil.")
    left, right = st.columns([4, 1])
    with left:
        st.pydeck_chart(deck, height=600, key="karta", on_select=lambda: _picked(
            "karta", profile_key, layer_key), selection_mode="single-object")
    with right:
        _legend(view.legend, view.legend_title)
        with st.popover("Ladda ned kartan", icon=":material/download:"):
            def image():  # built on click only: Altair checks every polygon it is given
                return maps.static_map(view.coloured, view.legend, view.legend_title,
                                       map_layer().outline)

            st.download_button("PNG (1920 px)", data=lambda: export.png(image(), view.caption),
                               file_name=f"{view.caption.stem}.png", mime="image/png",
                               on_click="ignore", key="karta_png", icon=":material/image:")
            st.download_button("SVG", data=lambda: export.svg(image(), view.caption),
                               file_name=f"{view.caption.stem}.svg", mime="image/svg+xml",
                               on_click="ignore", key="karta_svg", icon=":material/draw:")

    st.subheader("Skiljer sig områdena från kommunen på riktigt?")
    if view.kommun_rate is None:
        st.info(f"{measure.short} har ingen målgrupp att räkna andelar på, så "
                "trattdiagrammet kan inte ritas.")
    else:
        chart(_funnel_chart(cfg.db_url, d.fingerprint, choice, sel.filters.kon,
                            sel.filters.aldersgrupp, st.session_state.get(profile_key) or None),
              export.Caption(f"{measure.short}: trattdiagram per "
                             f"{areas.LEVEL_NOUNS[choice.level]}",
                             view.caption.period, view.caption.filters,
                             threshold=cfg.threshold), "tratt")
        flagged = view.safe["flagga"].isin(["över", "under"]).sum()
        st.markdown(funnel.EXPLANATION.format(threshold=cfg.threshold)
                    + f" Kommunens nivå: **{fmt.number(view.kommun_rate, 1)} per 1 000**. "
                    f"Utanför 99,8 %-gränsen: **{fmt.number(flagged)}** områden.")

    missing_note(view)
    with st.expander("Tabellen bakom kartan", expanded=False):
        table(view.table, view.caption, "karta_tabell", height=420)

    codes = view.safe["kod"].tolist()
    names = dict(zip(codes, view.names))
    _init(profile_key, [""] + codes, False, "")
    if st.session_state[profile_key] not in codes:  # e.g. a postnummer after a switch to areas
        st.session_state[profile_key] = ""
    st.subheader("Områdesprofil")
    st.selectbox("Område", [""] + codes, key=profile_key,
                 format_func=lambda c: names.get(c, "Välj ett område (eller klicka på kartan)"))
    code = st.session_state[profile_key]
    _to_url({"profil": code})
    if code:
        area_profile(d, choice, sel, code, names[code])


@st.cache_resource(max_entries=32, show_spinner=False)
def _profile(url: str, fingerprint: tuple, choice: KartaChoice, kon: tuple, alder: tuple,
             code: str) -> tuple:
    # Cached per area and view; never mutate the result.
    from lagesbild import areas

    cfg, d = config(), _shared(url, fingerprint)
    measure = cfg.catalogue.measure(choice.measure)
    filters = aggregate.Filters(kon=kon, aldersgrupp=alder, categories=choice.categories)
    frame, _ = aggregate.apply_filters(d.counts[measure.code], measure, filters)
    period = areas.parse_period(choice.kind, choice.period)
    members = areas.members(code, choice.level, grouping(), sorted(map_layer().names))
    trend = (areas.profile_trend(frame, d.population, measure, members, period.end,
                                 cfg.threshold) if measure.target is not None else None)
    parts = areas.profile_breakdowns(frame, d.population, measure, members, period,
                                     cfg.threshold)
    pop = areas.profile_population(d.population, members, period.end.year, cfg.threshold)
    return trend, parts, pop


def area_profile(d: Data, choice: KartaChoice, sel: Selection, code: str, name: str) -> None:
    """One area: its trend against the municipality, breakdowns, and its population."""
    from lagesbild import areas, export

    cfg = config()
    cat = cfg.catalogue
    measure = cat.measure(choice.measure)
    filters = aggregate.Filters(kon=sel.filters.kon, aldersgrupp=sel.filters.aldersgrupp,
                                categories=choice.categories)
    period = areas.parse_period(choice.kind, choice.period)
    period_text = areas.period_label(choice.kind, choice.period)
    filters_text = areas.filter_text(cat, measure, filters)
    trend, parts, pop = _profile(cfg.db_url, d.fingerprint, choice, sel.filters.kon,
                                 sel.filters.aldersgrupp, code)
    if trend is not None:
        st.markdown(f"**{name} jämfört med hela kommunen**: {measure.counted} per 1 000 i "
                    f"målgruppen, rullande 12 månader, vid varje kvartalsslut.")
        chart(areas.trend_chart(trend, name),
              export.Caption(f"{name} och hela kommunen: {measure.short.lower()} per 1 000",
                             f"rullande 12 månader till {fmt.month_short(period.end)}",
                             filters_text, threshold=cfg.threshold), "profil_trend")
        if trend.loc[trend["serie"] == "Området", "skyddad"].any():
            st.caption(f"Punkter där området har färre än {cfg.threshold} visas inte.")
    if parts:
        st.markdown(f"**Fördelning i {name}**, {period_text}")
        columns = st.columns(2)
        for i, (dim, safe) in enumerate(parts.items()):
            labels = areas.value_labels(cat, measure, dim)
            header = measure.dimension_label(dim)
            shown = areas.breakdown_table(safe, dim, labels, cfg.threshold, header)
            with columns[i % 2]:
                st.markdown(f"*{header}*")
                chart(areas.bar_chart(shown, header, cfg.threshold),
                      export.Caption(f"{name}: {measure.short.lower()} efter "
                                     f"{header.lower()}", period_text, filters_text,
                                     threshold=cfg.threshold), f"profil_{dim}")
    st.markdown(f"**Befolkning i {name}** efter ålder och kön ({pop.attrs['ar']})")
    sex = {k: cat.sex_label(k) for k in ("K", "M")}
    chart(areas.population_chart(pop, sex, cfg.threshold),
          export.Caption(f"{name}: befolkning efter ålder och kön", str(pop.attrs["ar"]),
                         source="Källa: SCB, befolkningsstatistik", threshold=cfg.threshold),
          "profil_befolkning")
