"""Choropleth maps for pydeck: colour classes, legend and tooltip text from protected tables.

Takes the display GeoJSON (EPSG:4326, from ``geo.to_geojson_dict``) and a table that has been
through ``disclosure.protect``; nothing else reaches the map.

Long because the page's map (pydeck) and the slide's image (Altair) must agree on every cue:
colour classes, flags and their symbols, the names written on the areas and which of them
fit. One module keeps the two from drifting apart.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk

from lagesbild import fmt
from lagesbild.errors import DataError
from lagesbild.release import disclosure

# ColorBrewer YlGnBu, 5 classes: sequential, colour-blind safe, readable on a projector.
PALETTE = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
SUPPRESSED = "#9e9e9e"
NO_DATA = "#ffffff"  # white: unlike the change map's light neutral class
OUTLINE = [60, 60, 60, 255]
HIGHLIGHT = [230, 97, 1, 255]  # orange: stands out from the blue-green palette


def _rgb(hex_colour: str, alpha: int = 215) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


@dataclass(frozen=True)
class LegendItem:
    colour: str
    label: str


def class_breaks(values: pd.Series, classes: int = 5) -> list[float]:
    """Quantile class limits (classes + 1 edges), rounded for a readable legend."""
    clean = values.dropna().astype(float)
    if clean.empty:
        return []
    edges = np.unique(np.round(np.quantile(clean, np.linspace(0, 1, classes + 1)), 1))
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0] + 1])
    return edges.tolist()


def _classify(value: float, edges: list[float]) -> int:
    for i in range(len(edges) - 1):
        if value <= edges[i + 1]:
            return i
    return len(edges) - 2


# RdBu: fall … rise; the middle ("about the same") a warm grey-beige, so it does not look like
# the white of "no data".
DIVERGING = ["#2166ac", "#92c5de", "#d9d2bd", "#f4a582", "#b2182b"]
# Flags are not told by colour alone: a thick black edge (it shows on every fill, red too)
# and a labelled symbol, ▲ or ▼, before the area's name on the map and in the image.
FLAG_COLOURS = {"över": [17, 17, 17, 255], "under": [17, 17, 17, 255]}
FLAG_SYMBOLS = {"över": "▲", "under": "▼"}
FLAG_LEGEND = {"över": ("#111111", "▲ och svart kant: högre än väntat (99,8 %)"),
               "under": ("#111111", "▼ och svart kant: lägre än väntat (99,8 %)")}


def diverging_breaks(values: pd.Series) -> list[float]:
    """Five classes symmetric around zero: large fall, fall, about the same, rise, large rise."""
    clean = values.dropna().astype(float)
    if clean.empty:
        return []
    size = clean.abs()
    inner = max(float(np.quantile(size, 0.33)), 0.5)
    outer = max(float(np.quantile(size, 0.8)), inner + 0.5)
    low, high = min(float(clean.min()), -outer - 0.5), max(float(clean.max()), outer + 0.5)
    return [round(v, 1) for v in (low, -outer, -inner, inner, outer, high)]


def choropleth(geojson: dict, table: pd.DataFrame, names: dict[str, str], threshold: int,
               value: str = "per_1000", value_label: str = "Per 1 000",
               count_label: str = "Antal", key: str = "postnummer", decimals: int = 1,
               diverging: bool = False) -> tuple[dict, list[LegendItem]]:
    """Colour each polygon by *value* and write its tooltip text.

    Parameters
    ----------
    geojson : dict
        FeatureCollection with a *key* property per feature.
    table : DataFrame
        Protected table (``disclosure.protect``) with *key*, antal, *value* and skyddad; with
        ``flagga`` too, flagged areas are marked (see ``deck``).
    names : dict
        Postnummer to postort (key ``postnummer``), or area code to area name.
    threshold : int
        The suppression threshold, for "<5" in tooltips and legend.
    diverging : bool
        Colour a change (negative to positive) rather than a level.

    Returns
    -------
    (dict, list of LegendItem)
        A new FeatureCollection with ``fill`` and tooltip properties, and the legend.
    """
    if not disclosure.is_protected(table):
        raise DataError("Kartan kan bara visa tabeller som har gått genom röjandekontrollen.")
    rows = table.set_index(key)
    shown = (pd.to_numeric(rows.loc[rows[value].notna(), value]) if value in rows.columns
             else pd.Series(dtype=float))
    edges = diverging_breaks(shown) if diverging else class_breaks(shown)
    palette = (DIVERGING if diverging else
               PALETTE[-(len(edges) - 1):] if len(edges) > 1 else PALETTE[:1])
    # New features that share the (never changed) geometries of the cached layer.
    out = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"], "properties": dict(f["properties"])}
        for f in geojson["features"]]}
    for feature in out["features"]:
        props = feature["properties"]
        code = props[key]
        props["namn"] = (f"{fmt.postnummer(code)} {names.get(code, '')}".strip()
                         if key == "postnummer" else names.get(code, code))
        row = rows.loc[code] if code in rows.index else None
        if row is None:
            props.update(fill=_rgb(NO_DATA), antal_text="inga data", varde_text="–",
                         befolkning_text="–", rate_text="–", flagga_text="–", flagga=None)
            continue
        hidden = bool(row["skyddad"])
        props["antal_text"] = fmt.count(row["antal"], hidden, threshold)
        props["befolkning_text"] = (fmt.number(row["befolkning"]) if "befolkning" in row.index
                                    else "–")
        rate = row["per_1000"] if "per_1000" in row.index else None
        props["rate_text"] = "–" if hidden or rate is None or pd.isna(rate) else \
            fmt.number(rate, 1)
        shown_value = row[value] if value in row.index else None
        missing = shown_value is None or pd.isna(shown_value)
        props["varde_text"] = "–" if missing else (
            fmt.signed(shown_value, decimals) if diverging else fmt.number(shown_value, decimals))
        flag = row["flagga"] if "flagga" in row.index and not pd.isna(row["flagga"]) else None
        props["flagga"] = flag if flag in FLAG_COLOURS else None
        props["flagga_text"] = {"över": "▲ högre än väntat", "under": "▼ lägre än väntat",
                                "inom": "inom gränserna"}.get(flag, "–")
        if hidden:
            colour = SUPPRESSED
        elif missing or not edges:
            colour = NO_DATA
        else:
            colour = palette[_classify(float(shown_value), edges)]
        props["fill"] = _rgb(colour)

    def label(v: float) -> str:
        return fmt.signed(v, 1) if diverging else fmt.number(v, 1)

    legend = [LegendItem(palette[i], f"{label(edges[i])} till {label(edges[i + 1])}"
                         if diverging else f"{label(edges[i])}–{label(edges[i + 1])}")
              for i in range(len(edges) - 1)]
    legend.append(LegendItem(SUPPRESSED, f"Färre än {threshold} ({count_label.lower()} visas "
                                         "inte)"))
    legend.append(LegendItem(NO_DATA, "Vit: inga data eller ingen befolkning"))
    flagged = {f["properties"]["flagga"] for f in out["features"]} - {None}
    legend += [LegendItem(*FLAG_LEGEND[f]) for f in ("över", "under") if f in flagged]
    return out, legend


LARGE_SHARE = 0.015  # an area this large a share of the view gets its name on the map
MAX_LARGE_LABELS = 14


def area_labels(geojson: dict, bounds: list[float], selected: tuple[str, ...] = (),
           key: str = "postnummer", size: tuple[float, float] | None = None) -> list[dict]:
    """The names written on the map: flagged areas (with ▲ or ▼), chosen areas, and areas
    large enough in the current view (at the town zoom the town's areas qualify).

    Returns
    -------
    list of dict
        ``{"position": [lon, lat], "text": …, "code": …}``, flagged and chosen first.
    """
    from shapely.geometry import box, shape

    view = box(*bounds)
    marked, large = [], []
    for f in geojson["features"]:
        p = f["properties"]
        geom = shape(f["geometry"])
        if not geom.intersects(view):
            continue
        flag = p.get("flagga")
        chosen = p.get(key) in selected
        inside = geom.intersection(view)
        share = inside.area / max(view.area, 1e-12)
        if not (flag or chosen or share >= LARGE_SHARE):
            continue
        point = inside.representative_point()
        entry = {"position": [round(point.x, 5), round(point.y, 5)], "code": p.get(key),
                 "name": p.get("namn") or str(p.get(key)), "flag": flag, "share": share}
        (marked if flag or chosen else large).append(entry)
    # Larger areas: the biggest first, a readable number; by place name where that tells
    # them apart (Råneå), else by postnummer (the town's many "Luleå").
    large = sorted(large, key=lambda e: -e["share"])[:MAX_LARGE_LABELS]
    places = [e["name"].split(" ", 2)[-1] for e in large]
    for e, place in zip(large, places):
        if key == "postnummer" and e["name"][:3].isdigit():
            e["name"] = place if places.count(place) == 1 else " ".join(e["name"].split()[:2])
    out = [{"position": e["position"], "code": e["code"], "flag": e["flag"],
            "text": f"{FLAG_SYMBOLS[e['flag']]} {e['name']}" if e["flag"] else e["name"]}
           for e in marked + large]
    # Pixels the view takes on the page's map (``_zoom`` fits the bounds into 900 × 540): a
    # narrow municipality fills the height, not the width, and names are placed at that scale.
    return _without_overlaps(out, bounds, *(size or drawn_size(bounds, 900, 540)))


def drawn_size(bounds: list[float], width: float, height: float) -> tuple[float, float]:
    """Pixels the *bounds* take when a Mercator map fits them into *width* × *height*."""
    minx, miny, maxx, maxy = bounds
    aspect = (maxx - minx) * math.cos(math.radians((miny + maxy) / 2)) / max(maxy - miny,
                                                                             1e-12)
    return (width, width / aspect) if aspect > width / height else (height * aspect, height)


# Where a flagged name that would cover another goes instead: rings around its area, nearest
# first, in pixels of the drawn map.
_RINGS = (45, 75, 110, 150, 200, 260, 330)
_ANGLES = (0, 180, 30, 150, 330, 210, 60, 120, 300, 240, 90, 270)


def _without_overlaps(names: list[dict], bounds: list[float], width_px: int = 900,
                      height_px: int = 560) -> list[dict]:
    """Place the names so that none covers another, first come first (flagged and chosen
    before the larger areas), on a map about *width_px* × *height_px*. A larger area's name
    that would cover one already placed is left out (the Tätorten zoom names them); a flagged
    area's name is never left out: it moves to the nearest free place around its area and
    gets a leader line (``anchor``: the point in the area it names)."""
    minx, miny, maxx, maxy = bounds
    sx, sy = max(maxx - minx, 1e-12) / width_px, max(maxy - miny, 1e-12) / height_px
    placed = np.empty((len(names), 4))  # the boxes of the names kept so far, in pixels
    count, kept = 0, []
    # Every place a moved name may go, as offsets from its area, nearest first.
    rings = np.array([(r * math.cos(math.radians(a)), -r * math.sin(math.radians(a)))
                      for r in _RINGS for a in _ANGLES])

    def boxes_at(xy: np.ndarray, text: str) -> np.ndarray:
        half_w, half_h = 4.5 * len(text) + 6, 12
        return np.column_stack([xy[:, 0] - half_w, xy[:, 1] - half_h,
                                xy[:, 0] + half_w, xy[:, 1] + half_h])

    def free(candidates: np.ndarray) -> np.ndarray:
        """For each candidate box, whether it covers none placed (all at once)."""
        p = placed[:count]
        overlap = ((candidates[:, None, 0] < p[None, :, 2]) & (p[None, :, 0] < candidates[:, None, 2])
                   & (candidates[:, None, 1] < p[None, :, 3]) & (p[None, :, 1] < candidates[:, None, 3]))
        return ~overlap.any(axis=1)

    for n in names:
        x = (n["position"][0] - minx) / sx
        y = (maxy - n["position"][1]) / sy
        box = boxes_at(np.array([[x, y]]), n["text"])
        if free(box)[0]:
            placed[count], count = box[0], count + 1
            kept.append(n)
            continue
        if not n.get("flag"):
            continue
        spots = np.array([x, y]) + rings
        boxes = boxes_at(spots, n["text"])
        ok = (free(boxes) & (boxes[:, 0] >= 0) & (boxes[:, 2] <= width_px)
              & (boxes[:, 1] >= 0) & (boxes[:, 3] <= height_px))
        if not ok.any():
            continue  # no free place at all: counted by unnamed_flags, the page says so
        i = int(np.argmax(ok))
        placed[count], count = boxes[i], count + 1
        kept.append({**n, "anchor": n["position"],
                     "position": [round(minx + spots[i, 0] * sx, 5),
                                  round(maxy - spots[i, 1] * sy, 5)]})
    return kept


def unnamed_flags(geojson: dict, names: list[dict], key: str = "postnummer") -> int:
    """Flagged areas the map could not name without covering another name."""
    named = {n["code"] for n in names}
    return sum(1 for f in geojson["features"]
               if f["properties"].get("flagga") and f["properties"].get(key) not in named)


def deck(geojson: dict, bounds: list[float], value_label: str, count_label: str,
         outline: dict | None = None, selected: tuple[str, ...] = (), key: str = "postnummer",
         rate_line: bool = False, verdict: bool = False, label_size: int = 15,
         names: list[dict] | None = None) -> pdk.Deck:
    """A pydeck map with no basemap: the areas themselves give the context (works offline).

    *selected* areas get a thick orange edge, so a manager finds their own areas; areas the
    funnel flags (``flagga`` from ``choropleth``) get a thick black edge and ▲ or ▼ before
    their name. Names are written on flagged, chosen and larger areas (``area_labels``); the
    tooltip gives the funnel's verdict when *verdict* (a map of rates). *names*: the
    ``area_labels`` already placed for this view, if the caller has them.
    """
    minx, miny, maxx, maxy = bounds
    layers = [pdk.Layer(
        "GeoJsonLayer", geojson, id="omraden", pickable=True, stroked=True, filled=True,
        get_fill_color="properties.fill", get_line_color=OUTLINE, line_width_min_pixels=0.6,
        auto_highlight=True, highlight_color=[255, 140, 0, 200],
    )]
    if outline is not None:
        layers.append(pdk.Layer("GeoJsonLayer", outline, id="kommungrans", stroked=True,
                                filled=False, get_line_color=[0, 0, 0, 255],
                                line_width_min_pixels=2))
    for flag, colour in FLAG_COLOURS.items():
        marked = [f for f in geojson["features"] if f["properties"].get("flagga") == flag]
        if marked:
            layers.append(pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection",
                                                     "features": marked},
                                    id=f"flagga_{flag}", stroked=True, filled=False,
                                    get_line_color=colour, line_width_min_pixels=3.5))
    if selected:
        chosen = {"type": "FeatureCollection", "features": [
            f for f in geojson["features"] if f["properties"][key] in selected]}
        layers.append(pdk.Layer("GeoJsonLayer", chosen, id="valda", stroked=True, filled=False,
                                get_line_color=HIGHLIGHT, line_width_min_pixels=4))
    if names is None:
        names = area_labels(geojson, bounds, selected, key)
    leaders = [{"from": n["anchor"], "to": n["position"]} for n in names if "anchor" in n]
    if leaders:  # a moved name points at its area
        layers.append(pdk.Layer("LineLayer", leaders, id="namnlinjer",
                                get_source_position="from", get_target_position="to",
                                get_color=[17, 24, 39, 255], get_width=2,
                                width_units="'pixels'", pickable=False))
    if names:
        layers.append(pdk.Layer(
            "TextLayer", [{"position": n["position"], "text": n["text"]} for n in names],
            id="namn", get_position="position", get_text="text", get_size=label_size,
            # pydeck reads a bare string as an expression: constants are quoted.
            size_units="'pixels'", get_color=[17, 24, 39, 255], character_set="'auto'",
            font_family="'Source Sans Pro, DejaVu Sans, sans-serif'", font_weight=600,
            get_text_anchor="'middle'", get_alignment_baseline="'center'", background=True,
            get_background_color=[255, 255, 255, 225], background_padding=[4, 2],
            pickable=False))
    view = pdk.ViewState(latitude=(miny + maxy) / 2, longitude=(minx + maxx) / 2,
                         zoom=_zoom(bounds), min_zoom=5, max_zoom=15)
    tooltip = {
        "html": ("<b>{namn}</b><br/>" f"{count_label}: " "{antal_text}<br/>"
                 f"{value_label}: " "{varde_text}<br/>"
                 + ("Per 1 000: {rate_text}<br/>" if rate_line else "")
                 + ("Jämfört med kommunen: {flagga_text}<br/>" if rate_line or verdict else "")
                 + "Befolkning i målgruppen: {befolkning_text}"),
        "style": {"backgroundColor": "#1f2933", "color": "white", "fontSize": "14px"},
    }
    return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None, map_style=None,
                    tooltip=tooltip)


class FrozenDeck(pdk.Deck):
    """A Deck whose JSON is made once, quickly.

    Streamlit asks for the JSON on every rerun, and pydeck's serialiser walks GeoJSON in pure
    Python (most of a rerun's time). Each layer's data is swapped for a placeholder, pydeck
    serialises the small rest, and the data go in through the C JSON encoder.
    """

    def __init__(self, deck: pdk.Deck):  # noqa: D107 - copies, does not call Deck.__init__
        self.__dict__.update(deck.__dict__)
        payloads = {}
        for i, layer in enumerate(deck.layers):
            if isinstance(layer.data, (dict, list)):
                key = f"__lagesbild_data_{i}__"
                payloads[key] = json.dumps(layer.data, separators=(",", ":"),
                                           ensure_ascii=False)
                layer.data = key
        text = deck.to_json()
        for key, payload in payloads.items():
            text = text.replace(f'"{key}"', payload, 1)
        self._frozen_json = text

    def to_json(self) -> str:
        return self._frozen_json


def _zoom(bounds: list[float], width_px: int = 900, height_px: int = 540) -> float:
    """The Web Mercator zoom level at which the bounds fit into width × height pixels."""
    minx, miny, maxx, maxy = bounds

    def merc_y(lat: float) -> float:
        rad = np.radians(lat)
        return float(np.log(np.tan(np.pi / 4 + rad / 2)))

    world_x = max(maxx - minx, 1e-9) / 360  # share of the world's width
    world_y = max(merc_y(maxy) - merc_y(miny), 1e-9) / (2 * np.pi)
    zoom = min(np.log2(width_px / 512 / world_x), np.log2(height_px / 512 / world_y))
    return float(np.clip(zoom, 3, 15))


def _hex(rgba: list[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgba[:3])


def static_map(coloured: dict, legend: list[LegendItem], legend_title: str,
               outline: dict | None = None, bounds: list[float] | None = None,
               selected: tuple[str, ...] = (), key: str = "postnummer"):
    """The same choropleth as an Altair geoshape chart, for PNG and SVG export.

    Takes ``choropleth``'s output, so colours, classes, hidden areas and flags are the same as
    on the page, with the same names written on it. The legend is drawn beside the map
    inside the image. *bounds* (the town zoom) crops the image to what the page shows.
    """
    import altair as alt
    from shapely.geometry import mapping, shape
    from shapely.geometry.polygon import orient

    def clockwise(geometry: dict) -> dict:
        # d3-geo (Vega) reads a counter-clockwise ring as "the whole globe but this", the
        # opposite of GeoJSON's rule: dissolved areas come out that way.
        geom = shape(geometry)
        parts = getattr(geom, "geoms", [geom])
        oriented = [orient(p, sign=-1.0) for p in parts]
        return mapping(type(geom)(oriented) if hasattr(geom, "geoms") else oriented[0])

    features = []
    for f in coloured["features"]:
        p = f["properties"]
        flag = p.get("flagga")
        features.append({"type": "Feature", "geometry": clockwise(f["geometry"]), "properties": {
            "fill": _hex(p["fill"]), "namn": p["namn"],
            "stroke": _hex(FLAG_COLOURS[flag]) if flag else "#3c3c3c",
            "width": 2.5 if flag else 0.4, "order": 1 if flag else 0}})
    features.sort(key=lambda f: f["properties"]["order"])  # flagged edges on top
    if bounds is not None:  # the zoom: only what the page shows, fitted to the frame
        from shapely.geometry import box
        from shapely.geometry import shape as to_shape

        frame = box(*bounds)
        features = [f for f in features if to_shape(f["geometry"]).intersects(frame)]
        fit = {"type": "Feature", "properties": {},
               "geometry": mapping(orient(frame, sign=-1.0))}
        projection = {"type": "mercator", "fit": fit}
    else:
        projection = {"type": "mercator"}
    areas = alt.Chart(alt.Data(values=features)).mark_geoshape(clip=True).encode(
        fill=alt.Fill("properties.fill:N", scale=None),
        stroke=alt.Stroke("properties.stroke:N", scale=None),
        strokeWidth=alt.StrokeWidth("properties.width:Q", scale=None),
    ).project(**projection).properties(width=620, height=600)
    layers = [areas]
    if outline is not None:
        edge = [{**f, "geometry": clockwise(f["geometry"])} for f in outline["features"]]
        layers.append(alt.Chart(alt.Data(values=edge)).mark_geoshape(
            filled=False, stroke="black", strokeWidth=1.6, clip=True).project(**projection))
    if bounds is None:
        from shapely.geometry import shape as to_shape

        shapes = [to_shape(f["geometry"]) for f in coloured["features"]]
        bounds = [min(g.bounds[0] for g in shapes), min(g.bounds[1] for g in shapes),
                  max(g.bounds[2] for g in shapes), max(g.bounds[3] for g in shapes)]
    # The names are placed on the image's own scale: its map is smaller than the page's.
    names = area_labels(coloured, bounds, selected, key, drawn_size(bounds, 620, 600))
    leaders = pd.DataFrame([{"lon": n["anchor"][0], "lat": n["anchor"][1],
                             "lon2": n["position"][0], "lat2": n["position"][1]}
                            for n in names if "anchor" in n])
    if len(leaders):  # a moved name points at its area
        layers.append(alt.Chart(leaders).mark_rule(color="#111827", strokeWidth=1.5,
                                                   clip=True).encode(
            longitude="lon:Q", latitude="lat:Q", longitude2="lon2:Q", latitude2="lat2:Q"
        ).project(**projection))
    if names:
        points = pd.DataFrame({"lon": [n["position"][0] for n in names],
                               "lat": [n["position"][1] for n in names],
                               "text": [n["text"] for n in names]})
        base = alt.Chart(points).encode(longitude="lon:Q", latitude="lat:Q", text="text:N")
        layers.append(base.mark_text(fontSize=13, fontWeight="bold", stroke="white",
                                     strokeWidth=4, strokeJoin="round", clip=True
                                     ).project(**projection))
        layers.append(base.mark_text(fontSize=13, fontWeight="bold", color="#111827",
                                     clip=True).project(**projection))
    keys = pd.DataFrame({"y": range(len(legend)), "colour": [i.colour for i in legend],
                         "label": [i.label for i in legend]})
    y = alt.Y("y:O", axis=None)
    swatches = alt.Chart(keys).mark_square(size=260, stroke="#333333", strokeWidth=0.6,
                                          opacity=1, filled=True).encode(
        y=y, color=alt.Color("colour:N", scale=None))
    labels = alt.Chart(keys).mark_text(align="left", dx=14, fontSize=12, limit=340).encode(
        y=y, text="label:N")
    key = alt.layer(swatches, labels).properties(
        width=20, height=26 * len(legend), title=alt.TitleParams(legend_title, anchor="start",
                                                                  fontSize=13))
    return alt.hconcat(alt.layer(*layers), key, spacing=10)
