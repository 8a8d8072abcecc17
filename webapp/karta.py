"""Karta: the map of a measure by area, its funnel plot and table, and one area's profile; also
the overview's map, which is the same view."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from lagesbild import fmt
from lagesbild.views import areas as area_views
from lagesbild.views import mapview, pages
from webapp import data, errors, state, widgets
from webapp.text import md


def area_map(d: data.Data, measure_code: str, sel: state.Selection) -> None:
    """The overview's map: one measure's rate per 1 000 by postnummer, rolling 12 months.

    The same view as the Karta page (cached there), without the page's own choices.
    """
    cfg = data.config()
    measure = cfg.catalogue.measure(measure_code)
    town = _zoom(f"kartvy_{measure_code}")
    choice = KartaChoice(measure_code, "rullande", f"{sel.month:%Y-%m}", "per_1000",
                         "postnummer", ())
    cached = _area_view(cfg.db_url, d.fingerprint, choice, sel.filters.kon,
                        sel.filters.aldersgrupp, sel.filters.postnummer, town,
                        state.presentation())
    view = cached.view
    st.caption(f"{view.caption.subtitle}. Antal {measure.counted} per 1 000 i målgruppen "
               f"({measure.target.label if measure.target else '–'}). Områden med färre än "
               f"{cfg.threshold} visas grå och utan tal. Mer på sidan Karta.")
    widgets.ignored_note(view.ignored, measure.short)
    left, right = st.columns([4, 1])
    with left:
        st.pydeck_chart(cached.deck, height=560, key=f"karta_{measure_code}")
    with right:
        widgets._legend(view.legend, "Per 1 000")
        if sel.filters.postnummer:
            st.caption("Valda områden har orange kant. Kartan visar alla områden; "
                       "områdesurvalet gäller korten ovan.")
    widgets.missing_note(view)
    # Drawn only when opened: formatting 300 rows cost every visitor a fifth of Översikt.
    shown = st.expander("Tabell: antal och andel per postnummer", on_change="rerun",
                        key=f"tabell_{measure_code}_oppen")
    if shown.open:
        with shown:
            widgets.table(view.table, view.caption, f"tabell_{measure_code}")


ZOOMS = {"kommun": "Hela kommunen", "tatort": "Tätorten"}


def _zoom(key: str) -> bool:
    """The map's zoom (whole municipality or the town), kept in the URL: True for the town."""
    return state.url_widget(st.radio, "Kartvy", list(ZOOMS), key, "kommun",
                            format_func=ZOOMS.get, horizontal=True,
                            label_visibility="collapsed") == "tatort"


@dataclass(frozen=True)
class KartaChoice:
    measure: str
    kind: str
    period: str
    metric: str
    level: str
    categories: tuple  # ((dim, (values…)), …)


def karta_controls(d: data.Data) -> KartaChoice | None:
    """The map page's own choices, seeded from and kept in the URL."""
    cat = data.config().catalogue
    measures = [m.code for m in cat.measures.values()
                if m.has_postnummer and not d.counts.get(m.code, pd.DataFrame()).empty]
    if not measures:
        st.info("Inget mått med postnummer har data ännu.")
        return None
    state.seed("matt", measures, False, measures[0])
    measure = cat.measure(st.session_state["matt"])
    known = _months(data.config().db_url, d.fingerprint, measure.code)
    metrics = [k for k in area_views.METRICS if k != "per_1000" or measure.target is not None]
    levels = list(mapview.LEVELS) if data.grouping() is not None else ["postnummer"]
    state.seed("period_typ", list(mapview.PERIOD_KINDS), False, "rullande")
    state.seed("varde", metrics, False, metrics[0])
    state.seed("niva", levels, False, "postnummer")

    top = st.columns([2, 2, 2, 3])
    top[0].selectbox("Mått", measures, key="matt",
                     format_func=lambda c: cat.measure(c).short)
    top[1].selectbox("Period", list(mapview.PERIOD_KINDS), key="period_typ",
                     format_func=mapview.PERIOD_KINDS.get)
    kind = st.session_state["period_typ"]
    options = known.options(kind)
    key = f"period_{kind}"
    sidebar_month = state.selection().month
    default = (options[0] if sidebar_month is None or not options
               else _default_period(kind, sidebar_month, options))
    state.seed(key, options, False, default)
    # The period follows the sidebar's month when that changes (a link's own period holds
    # until then).
    followed = st.session_state.get(f"_foljer_{key}")
    st.session_state[f"_foljer_{key}"] = sidebar_month
    if st.session_state.get(key) not in options or (followed is not None
                                                     and followed != sidebar_month):
        st.session_state[key] = default
    top[2].selectbox("Välj period", options, key=key,
                     format_func=lambda c: mapview.period_label(kind, c))
    top[3].selectbox("Visa", metrics, key="varde", format_func=area_views.METRICS.get)

    cols = st.columns([2, 7])
    cols[0].radio("Nivå", levels, key="niva", format_func=mapview.LEVELS.get, horizontal=True,
                  help="Postnummer eller större områden (områdesindelningen i "
                       "LAGESBILD_OMRADEN).")
    chosen = []
    dims = list(measure.dimensions)
    if dims:
        with cols[1]:
            boxes = st.columns(len(dims))
        for box, dim in zip(boxes, dims):
            labels = area_views.value_labels(cat, measure, dim)
            wkey = f"{measure.code}_{dim}"
            # Stages of one case must not be added up: start from what the overview counts.
            state.seed(wkey, list(labels), True, list(dict(measure.headline_filter).get(dim, ())))
            box.multiselect(measure.dimension_label(dim), list(labels), key=wkey,
                            format_func=labels.get, placeholder="Alla")
            if st.session_state[wkey]:
                chosen.append((dim, tuple(st.session_state[wkey])))
    ss = st.session_state
    state.to_url({"matt": ss["matt"], "period_typ": kind, key: ss[key],
                  "varde": ss["varde"], "niva": ss["niva"],
                  **{f"{measure.code}_{dim}": ss[f"{measure.code}_{dim}"] for dim in dims}})
    return KartaChoice(measure.code, kind, ss[key], ss["varde"], ss["niva"],
                       tuple(chosen))


@st.cache_resource(max_entries=16, show_spinner=False)
def _months(url: str, fingerprint: tuple, code: str) -> mapview.Months:
    # Once per store version and measure, not on every rerun.
    return mapview.months(data._shared(url, fingerprint).counts[code])


def _default_period(kind: str, month: pd.Timestamp, options: list[str]) -> str | None:
    """The period that holds the sidebar's month, else the newest."""
    if not options:
        return None
    wanted = {"manad": f"{month:%Y-%m}", "rullande": f"{month:%Y-%m}",
              "kvartal": f"{month.year}-Q{(month.month - 1) // 3 + 1}", "ar": str(month.year)}
    return wanted[kind] if wanted[kind] in options else options[0]


@dataclass(frozen=True)
class AreaView:
    view: object  # area_views.View
    deck: object  # maps.FrozenDeck
    hidden_flags: int  # flagged areas without a name on the map


@st.cache_resource(max_entries=32, show_spinner="Räknar områdena …")
def _area_data(url: str, fingerprint: tuple, choice: KartaChoice, kon: tuple, alder: tuple):
    # One view's table, colours and legend (area_views.View), shared by its map variants and its
    # funnel. Never mutate the result.

    cfg, d = data.config(), data._shared(url, fingerprint)
    measure = cfg.catalogue.measure(choice.measure)
    return area_views.view(cfg, d.counts[measure.code], d.population, measure, choice.kind,
                      choice.period, choice.metric, choice.level,
                      pages.Filters(kon=kon, aldersgrupp=alder, categories=choice.categories),
                      data.display_layer(choice.level), data.map_layer().names, data.grouping())


@st.cache_resource(max_entries=32, show_spinner="Ritar kartan …")
def _area_view(url: str, fingerprint: tuple, choice: KartaChoice, kon: tuple, alder: tuple,
               selected: tuple, town: bool, big: bool = False) -> AreaView:
    # Cached per view: the deck's JSON is the slow part of a rerun. Never mutate the result.
    v, ml = _area_data(url, fingerprint, choice, kon, alder), data.map_layer()
    layer = data.display_layer(choice.level)
    measure = data.config().catalogue.measure(choice.measure)
    drawn = mapview.drawn(v, measure, choice.metric, layer.bounds, layer.key, ml.outline,
                          ml.town_bounds if town else None, selected, big)
    return AreaView(v, drawn.deck, drawn.hidden_flags)


@st.cache_resource(max_entries=32, show_spinner=False)
def _funnel_chart(url: str, fingerprint: tuple, choice: KartaChoice, kon: tuple, alder: tuple,
                  highlight: str | None):
    # The funnel's limits take a moment to compute: once per view and chosen area.
    view = _area_data(url, fingerprint, choice, kon, alder)
    return mapview.funnel_chart(view, data.config().catalogue.measure(choice.measure),
                                highlight)


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


def karta(d: data.Data, choice: KartaChoice, sel: state.Selection) -> None:
    """The map, its legend, the funnel plot, the table, the downloads and the area profile."""
    cfg = data.config()
    measure = cfg.catalogue.measure(choice.measure)
    layer_key = "postnummer" if choice.level == "postnummer" else "omrade"
    town = _zoom("kartvy")
    profile_key = "profil"
    if profile_key not in st.session_state:  # a shared link: outline its area at once
        st.session_state[profile_key] = st.query_params.get(profile_key, "")
    cached = _area_view(cfg.db_url, d.fingerprint, choice, sel.filters.kon,
                        sel.filters.aldersgrupp,
                        tuple(filter(None, [st.session_state.get(profile_key)]))
                        or (sel.filters.postnummer if choice.level == "postnummer" else ()),
                        town, state.presentation())
    view, deck = cached.view, cached.deck
    selected = (tuple(filter(None, [st.session_state.get(profile_key)]))
                or (sel.filters.postnummer if choice.level == "postnummer" else ()))
    widgets.ignored_note(view.ignored, measure.short)
    short = area_views.too_short(view.safe)
    if short:
        st.info(short, icon=":material/date_range:")
    st.caption(f"**{view.caption.title}** · {view.caption.subtitle}. "
               + (f"Målgrupp: {measure.target.label}. " if measure.target else "")
               + f"Områden med färre än {cfg.threshold} visas grå och utan tal. "
               "Klicka på ett område för att se dess profil.")
    left, right = st.columns([4, 1])
    with left:
        st.pydeck_chart(deck, height=600, key="karta", on_select=lambda: _picked(
            "karta", profile_key, layer_key), selection_mode="single-object")
    with right:
        widgets._legend(view.legend, view.legend_title)
        with st.popover("Ladda ned kartan", icon=":material/download:"):
            def image():  # built on click only: Altair checks every polygon it is given
                # The page's zoom and chosen area, so the slide shows what the page shows.
                return mapview.static_map(view, data.map_layer().outline,
                                          data.map_layer().town_bounds if town else None,
                                          selected, layer_key)

            caption = widgets.marked(view.caption if not town else replace(
                view.caption, filters=" · ".join(
                    p for p in (view.caption.filters, "Tätorten") if p)))
            png, svg = f"{caption.stem}.png", f"{caption.stem}.svg"
            st.download_button("PNG (1920 px)", data=widgets.logged(
                lambda: pages.png(image(), caption), caption, png),
                file_name=png, mime="image/png", on_click="ignore", key="karta_png",
                icon=":material/image:")
            st.download_button("SVG", data=widgets.logged(
                lambda: pages.svg(image(), caption), caption, svg),
                file_name=svg, mime="image/svg+xml", on_click="ignore", key="karta_svg",
                icon=":material/draw:")

    if cached.hidden_flags:
        st.caption(f"{fmt.number(cached.hidden_flags)} flaggade områden ligger för tätt för att få "
                   "namn på kartan i den här vyn: välj Tätorten, eller se trattdiagrammet.")

    st.subheader("Skiljer sig områdena från kommunen på riktigt?")
    if view.kommun_rate is None:
        st.info(f"{measure.short} har ingen målgrupp att räkna andelar på, så "
                "trattdiagrammet kan inte ritas.")
    else:
        widgets.chart(_funnel_chart(cfg.db_url, d.fingerprint, choice, sel.filters.kon,
                            sel.filters.aldersgrupp, st.session_state.get(profile_key) or None),
              pages.Caption(f"{measure.short}: trattdiagram per "
                            f"{mapview.LEVEL_NOUNS[choice.level]}",
                            view.caption.period, view.caption.filters,
                            source=area_views.source_line(measure),
                            threshold=cfg.threshold), "tratt")
        st.markdown(mapview.funnel_text(view, cfg.threshold))

    widgets.missing_note(view)
    with st.expander("Tabellen bakom kartan", expanded=False):
        widgets.table(view.table, view.caption, "karta_tabell")

    codes = view.safe["kod"].tolist()
    names = dict(zip(codes, view.names))
    state.seed(profile_key, [""] + codes, False, "")
    if st.session_state[profile_key] not in codes:  # e.g. a postnummer after a switch to areas
        st.session_state[profile_key] = ""
    st.subheader("Områdesprofil")
    st.selectbox("Område", [""] + codes, key=profile_key,
                 format_func=lambda c: names.get(c, "Välj ett område (eller klicka på kartan)"))
    code = st.session_state[profile_key]
    state.to_url({"profil": code})
    if code:
        area_profile(d, choice, sel, code, names[code])


@st.cache_resource(max_entries=32, show_spinner=False)
def _profile(url: str, fingerprint: tuple, choice: KartaChoice, kon: tuple, alder: tuple,
             name: str, inside: tuple, marks: tuple) -> mapview.Profile:
    # Cached per area, view and actions there: its charts too, so a rerun does not build
    # and validate them again. Never mutate the result.
    cfg, d = data.config(), data._shared(url, fingerprint)
    measure = cfg.catalogue.measure(choice.measure)
    return mapview.profile(cfg, d.counts[measure.code], d.population, measure, choice.kind,
                           choice.period, pages.Filters(kon=kon, aldersgrupp=alder,
                                                        categories=choice.categories),
                           name, list(inside), marks)


def area_profile(d: data.Data, choice: KartaChoice, sel: state.Selection, code: str,
                 name: str) -> None:
    """One area: its trend against the municipality, breakdowns, and its population."""
    cfg = data.config()
    measure = cfg.catalogue.measure(choice.measure)
    inside = tuple(mapview.members(code, choice.level, data.grouping(),
                                   sorted(data.map_layer().names)))
    marks = (widgets.markers(measure.code, inside, notes=False)
             if measure.target is not None else ())
    p = _profile(cfg.db_url, d.fingerprint, choice, sel.filters.kon, sel.filters.aldersgrupp,
                 name, inside, marks)
    if p.trend is not None:
        st.markdown(f"**{name} jämfört med hela kommunen**: {measure.counted} per 1 000 i "
                    f"målgruppen, rullande 12 månader, vid varje kvartalsslut.")
        widgets.chart(p.trend.chart, p.trend.caption, "profil_trend")
        for month, text in p.trend.notes:
            st.caption(f":material/flag: {fmt.month(month)}: {md(text)}.")
        if p.trend.hidden_note:
            st.caption(p.trend.hidden_note)
    if p.parts:
        st.markdown(f"**Fördelning i {name}**, {p.period_text}")
        columns = st.columns(2)
        for i, panel in enumerate(p.parts):
            with columns[i % 2]:
                st.markdown(f"*{panel.heading}*")
                widgets.chart(panel.chart, panel.caption, f"profil_{panel.key}")
    st.markdown(f"**Befolkning i {name}** efter ålder och kön ({p.population_year})")
    widgets.chart(p.population.chart, p.population.caption, "profil_befolkning")


def render() -> None:
    st.title("Karta och områdesanalys")

    with errors.guard():
        d, sel = widgets.page_start()
        # On the projector the map comes first: the choices fold into an expander (their
        # result is in the caption over the map).
        with (st.expander("Val för kartan", icon=":material/tune:") if state.presentation()
              else st.container()):
            choice = karta_controls(d)
        if choice is not None:
            karta(d, choice, sel)
