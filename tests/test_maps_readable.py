"""Maps readable from the back of a room and in a slide (issue 16): names on flagged, chosen
and larger areas, flags told by a symbol and not by colour alone, a neutral class unlike "no
data", the verdict in the tooltip, a hint when the period is too short, an image that follows
the town zoom, and a funnel image that names its outliers."""

import json

import pytest

from lagesbild import store
from lagesbild.analysis import aggregate, funnel
from lagesbild.config import Config
from lagesbild.geo import layers
from lagesbild.present import export, maps
from lagesbild.store import ingest
from lagesbild.views import areas as area_views
from lagesbild.views import source
from lagesbild.release import publish

CFG = Config.from_env()


@pytest.fixture(scope="module")
def demo():
    engine = publish.open_store(CFG)
    measure = CFG.catalogue.measure("orosanmalningar")
    layer = layers.read_layer(CFG.shapes)
    postorter = dict(zip(layer["postnummer"], layer["postort"].fillna("")))
    shown = area_views.display_layer(layer, "postnummer", None)
    frame, population = source.counts(engine, CFG, measure), store.read_population(engine)
    latest = aggregate.latest_complete_month(frame)

    def view(kind="rullande", code=None, metric="per_1000"):
        return area_views.view(CFG, frame, population, measure, kind,
                               code or f"{latest:%Y-%m}", metric, "postnummer",
                               aggregate.Filters(kon=("K",)), shown, postorter, None)

    return view, shown, layer


def _flagged(v):
    return {f["properties"]["postnummer"]: f["properties"]["flagga"]
            for f in v.coloured["features"] if f["properties"]["flagga"]}


def test_flagged_and_chosen_areas_are_named_with_a_symbol(demo):
    view, shown, _ = demo
    v = view()
    flagged = _flagged(v)
    assert flagged, "the demo's rolling 12 months of girls should flag some areas"
    chosen = next(c for c in v.safe["kod"] if c not in flagged)
    town = layers.dense_bounds(demo[2])
    names = maps.area_labels(v.coloured, town, (chosen,))
    by_code = {n["code"]: n["text"] for n in names}
    for code, flag in flagged.items():
        if code in by_code:
            assert by_code[code].startswith(maps.FLAG_SYMBOLS[flag] + " ")
    # Names never cover each other: a flag without a name is counted (the page says so).
    named_flags = sum(c in by_code for c in flagged)
    assert named_flags + maps.unnamed_flags(v.coloured, names) == len(flagged)
    assert named_flags >= len(flagged) - 2
    assert chosen in by_code
    assert len(names) > named_flags + 1, "larger areas are named too"
    whole = maps.area_labels(v.coloured, shown.bounds)
    assert maps.unnamed_flags(v.coloured, whole) >= maps.unnamed_flags(v.coloured, names)
    drawn = maps.deck(v.coloured, town, "Per 1 000", "Antal", selected=(chosen,),
                      verdict=True)
    assert "Jämfört med kommunen: {flagga_text}" in drawn._tooltip["html"]
    spec = json.loads(maps.FrozenDeck(drawn).to_json())
    text = next(layer for layer in spec["layers"] if layer["@@type"] == "TextLayer")
    assert {d["text"] for d in text["data"]} == {n["text"] for n in names}
    assert text["sizeUnits"] == "pixels" and text["characterSet"] == "auto"


def test_the_town_zoom_names_the_towns_areas(demo):
    view, shown, layer = demo
    v = view()
    town = layers.dense_bounds(layer)
    whole = {n["code"] for n in maps.area_labels(v.coloured, shown.bounds)}
    zoomed = {n["code"] for n in maps.area_labels(v.coloured, town)}
    assert zoomed - whole, "areas too small to name for the whole municipality get names"


def test_flags_legend_and_classes_do_not_rely_on_colour(demo):
    view, _, _ = demo
    v = view()
    labels = [i.label for i in v.legend]
    assert any(label.startswith("▲") for label in labels)
    assert maps.NO_DATA != maps.DIVERGING[2]
    assert maps.NO_DATA.lower() == "#ffffff" and maps.DIVERGING[2].lower() != "#f7f7f7"
    change = view(metric="forandring")
    colours = {i.colour for i in change.legend}
    assert maps.NO_DATA in colours and maps.DIVERGING[2] in colours
    for flag, colour in maps.FLAG_COLOURS.items():  # a dark edge shows on red fills too
        assert sum(colour[:3]) < 100, flag


def test_a_month_too_short_for_the_map_says_so(demo):
    view, _, _ = demo
    assert area_views.too_short(view().safe) == ""
    month = view(kind="manad")
    hint = area_views.too_short(month.safe)
    if month.safe["skyddad"].mean() > area_views.TOO_SHORT_SHARE:
        assert "längre period" in hint
    # A table where every counted area is hidden always gets the hint.
    all_hidden = month.safe.assign(skyddad=True, antal=None)
    assert "längre period" in area_views.too_short(all_hidden)


def test_the_map_image_follows_the_zoom_and_carries_the_names(demo):
    view, shown, layer = demo
    v = view()
    flagged = _flagged(v)
    town = layers.dense_bounds(layer)
    whole = maps.static_map(v.coloured, v.legend, v.legend_title, None).to_dict()
    zoomed = maps.static_map(v.coloured, v.legend, v.legend_title, None, town).to_dict()
    areas_whole = whole["hconcat"][0]["layer"][0]["data"]["values"]
    areas_zoomed = zoomed["hconcat"][0]["layer"][0]["data"]["values"]
    assert len(areas_zoomed) < len(areas_whole)
    assert "fit" in json.dumps(zoomed["hconcat"][0]["layer"][0].get("projection", {}))
    svg = export.svg(maps.static_map(v.coloured, v.legend, v.legend_title, None, town),
                     export.Caption("Test", "2025"))
    names = [n["text"] for n in maps.area_labels(v.coloured, town)]
    assert names and all(n.replace("&", "&amp;") in svg for n in names[:5])
    assert any(maps.FLAG_SYMBOLS[f] in svg for f in flagged.values()) or not any(
        c in {n["code"] for n in maps.area_labels(v.coloured, town)} for c in flagged)


def test_the_funnel_image_names_its_outliers(demo):
    view, _, _ = demo
    v = view()
    chart = funnel.chart(v.safe, v.names, v.kommun_rate, "")
    svg = export.svg(chart, export.Caption("Tratt", "2025"))
    outside = v.names[v.safe["flagga"].isin(["över", "under"]) & v.safe["antal"].notna()]
    assert len(outside)
    for name in outside:
        assert name.replace("&", "&amp;") in svg
    inside = v.names[v.safe["flagga"].eq("inom")]
    assert not any(f">{name}<" in svg for name in inside)


def test_every_flagged_area_is_named_at_the_whole_municipality_without_collisions(demo):
    """Issue 24: Karta named 3 of 7 flagged areas; now a name that would cover another moves
    to a free place around its area with a leader line, on the page and in the image."""
    view, shown, _ = demo
    v = view()
    flagged = _flagged(v)
    for size in (maps.drawn_size(shown.bounds, 900, 540),
                 maps.drawn_size(shown.bounds, 620, 600)):
        names = maps.area_labels(v.coloured, shown.bounds, size=size)
        assert maps.unnamed_flags(v.coloured, names) == 0
        assert {c for c in flagged} <= {n["code"] for n in names}
        minx, miny, maxx, maxy = shown.bounds
        boxes = []
        for n in names:
            x = (n["position"][0] - minx) / (maxx - minx) * size[0]
            y = (maxy - n["position"][1]) / (maxy - miny) * size[1]
            half = 4.5 * len(n["text"]) + 6
            boxes.append((x - half, y - 12, x + half, y + 12))
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    moved = [n for n in maps.area_labels(v.coloured, shown.bounds) if "anchor" in n]
    spec = json.loads(maps.FrozenDeck(maps.deck(v.coloured, shown.bounds, "Per 1 000",
                                                "Antal")).to_json())
    lines = [layer for layer in spec["layers"] if layer["@@type"] == "LineLayer"]
    assert bool(moved) == bool(lines)
    if moved:
        assert len(lines[0]["data"]) == len(moved)
