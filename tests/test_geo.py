"""Tests for lagesbild.geo and tools.build_shapes: small layers built in code."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import requires_shared
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, Polygon, box

from lagesbild.config import ROOT
from lagesbild.errors import GeoError
from lagesbild.geo import geonames, layers
from lagesbild.intake import normalize
from tools import build_shapes

DEMO = ROOT / "shapes" / "lulea_postnummer_demo.gpkg"
X0, Y0 = 829_000.0, 7_292_000.0  # central Luleå in SWEREF 99 TM


def squares(codes, crs=3006, **columns) -> gpd.GeoDataFrame:
    """Unit squares (1 km) in a row near Luleå, one per code."""
    geoms = [box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(len(codes))]
    frame = gpd.GeoDataFrame({"postnummer": list(codes), **columns}, geometry=geoms, crs=3006)
    return frame.to_crs(crs)


def assert_covers(layer: gpd.GeoDataFrame, area, rel: float = 1e-6) -> None:
    """No gaps, no overlaps: areas add up, the union is the area, neighbours only touch."""
    assert layer.area.sum() == pytest.approx(area.area, rel=rel)
    union = shapely.union_all(layer.geometry.values)
    assert union.symmetric_difference(area).area <= rel * area.area
    pairs = gpd.sjoin(layer, layer, predicate="intersects")
    pairs = pairs[pairs.index < pairs["index_right"]]
    for i, j in zip(pairs.index, pairs["index_right"]):
        overlap = layer.geometry.iloc[i].intersection(layer.geometry.iloc[j]).area
        assert overlap <= rel * area.area, (layer.postnummer[i], layer.postnummer[j])


# --- postnummer normalisation ------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("972 31", "97231"),
    ("97231", "97231"),
    (97231, "97231"),
    (97231.0, "97231"),
    ("SE-972 31", "97231"),
    (" 972\u00a031 ", "97231"),
    ("07231", None),
    ("9723", None),
    ("972311", None),
    ("Luleå", None),
    ("", None),
    (None, None),
    (float("nan"), None),
    (97231.5, None),
])
def test_postnummer_normalisation(value, expected):
    assert normalize.postnummer(value) == expected


# --- read_layer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix, crs", [(".geojson", 4326), (".gpkg", 4326), (".gpkg", 3021),
                                         (".shp", 3857)])
def test_read_layer_reprojects_to_sweref(tmp_path, suffix, crs):
    original = squares(["97231", "97232"])
    path = tmp_path / f"layer{suffix}"
    squares(["97231", "97232"], crs=crs).to_file(path, engine="pyogrio")
    layer = layers.read_layer(path)
    assert layer.crs.to_epsg() == 3006
    assert list(layer.columns) == ["postnummer", "postort", "geometry"]
    assert list(layer["postnummer"]) == ["97231", "97232"]
    assert layer.area.to_numpy() == pytest.approx(original.area.to_numpy(), rel=1e-4)


@pytest.mark.parametrize("name", ["postnummer", "POSTNR", "Postal_Code", "postcode", "zip",
                                  "PNR", "Post nr"])
def test_read_layer_finds_column_by_name(tmp_path, name):
    frame = squares(["97231", "97232"]).rename(columns={"postnummer": name})
    frame = frame.assign(other=[1, 2])
    frame.to_file(tmp_path / "l.gpkg", engine="pyogrio")
    assert list(layers.read_layer(tmp_path / "l.gpkg")["postnummer"]) == ["97231", "97232"]


def test_read_layer_finds_column_by_content_and_normalises(tmp_path):
    frame = squares(["x", "y", "z"]).drop(columns="postnummer").assign(
        kod=["972 31", "SE-972 32", "97233"], id=["a", "b", "c"], NAMN=["Centrum", "Öster", None])
    frame.to_file(tmp_path / "l.gpkg", engine="pyogrio")
    layer = layers.read_layer(tmp_path / "l.gpkg")
    assert list(layer["postnummer"]) == ["97231", "97232", "97233"]
    assert layer["postort"].iloc[0] == "Centrum" and pd.isna(layer["postort"].iloc[2])


def test_read_layer_integer_codes_and_explicit_column(tmp_path):
    frame = squares(["x", "y"]).assign(nr=[97231, 97232], area_code=[97241, 97242])
    frame.drop(columns="postnummer").to_file(tmp_path / "l.gpkg", engine="pyogrio")
    with pytest.raises(GeoError, match="Flera kolumner .* ser ut som postnummer"):
        layers.read_layer(tmp_path / "l.gpkg")
    layer = layers.read_layer(tmp_path / "l.gpkg", column="AREA_CODE")
    assert list(layer["postnummer"]) == ["97241", "97242"]
    with pytest.raises(GeoError, match="Kolumnen ”saknas” finns inte i kartlagret l.gpkg"):
        layers.read_layer(tmp_path / "l.gpkg", column="saknas")


def test_read_layer_dissolves_duplicates_and_repairs(tmp_path):
    bowtie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    frame = gpd.GeoDataFrame(
        {"postnr": ["97231", "972 31", "97232", None]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000),
                  bowtie, box(X0, Y0 - 1000, X0 + 1000, Y0)], crs=3006)
    frame.to_file(tmp_path / "l.gpkg", engine="pyogrio")
    layer = layers.read_layer(tmp_path / "l.gpkg")
    assert list(layer["postnummer"]) == ["97231", "97232"]
    assert layer.is_valid.all()
    assert layer.area.iloc[0] == pytest.approx(2e6)
    assert layer.area.iloc[1] == pytest.approx(0.5e6)
    assert layer.attrs["utan_postnummer"] == 1
    assert list(layer.index) == [0, 1]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_read_layer_without_crs(tmp_path):
    squares(["97231"]).set_crs(None, allow_override=True).to_file(tmp_path / "l.shp",
                                                                  engine="pyogrio")
    with pytest.raises(GeoError, match="Filen l.shp saknar koordinatsystem .*EPSG:3006"):
        layers.read_layer(tmp_path / "l.shp")


def test_read_layer_missing_unreadable_or_wrong(tmp_path):
    with pytest.raises(GeoError, match="finns inte.*LAGESBILD_SHAPES"):
        layers.read_layer(tmp_path / "saknas.gpkg")
    (tmp_path / "trasig.gpkg").write_text("inte en geopackage")
    with pytest.raises(GeoError, match="trasig.gpkg går inte att läsa"):
        layers.read_layer(tmp_path / "trasig.gpkg")
    squares(["x"]).rename(columns={"postnummer": "namn"}).to_file(tmp_path / "utan.gpkg")
    with pytest.raises(GeoError, match="Hittar ingen kolumn med postnummer i kartlagret utan"):
        layers.read_layer(tmp_path / "utan.gpkg")
    gpd.GeoDataFrame({"postnummer": ["97231"]}, geometry=[Point(X0, Y0)], crs=3006).to_file(
        tmp_path / "punkter.gpkg")
    with pytest.raises(GeoError, match="inga ytor"):
        layers.read_layer(tmp_path / "punkter.gpkg")


# --- match_report and join -----------------------------------------------------------------------


def test_match_report():
    layer = squares(["97231", "97232", "97233"])
    missing_polygons, missing_data = layers.match_report(layer, ["97231", "972 32", 97299, None,
                                                               "okänt"])
    assert missing_polygons == ["97299", "okänt"]
    assert missing_data == ["97233"]
    assert layers.match_report(layer, pd.Series(["97231", "97232", "97233"])) == ([], [])


def test_join_keeps_every_polygon():
    layer = squares(["97231", "97232", "97233"])
    stats = pd.DataFrame({"postnummer": ["97231", "97233", "97299"], "antal": [4, 7, 1]})
    joined = layers.join(layer, stats)
    assert isinstance(joined, gpd.GeoDataFrame) and joined.crs == layer.crs
    assert list(joined["postnummer"]) == ["97231", "97232", "97233"]
    assert joined["antal"].iloc[0] == 4 and pd.isna(joined["antal"].iloc[1])
    assert "antal" not in layer.columns  # the input is unchanged


def test_join_rejects_duplicates_and_missing_crs():
    layer = squares(["97231"])
    with pytest.raises(GeoError, match="flera rader för samma postnummer \\(97231\\)"):
        layers.join(layer, pd.DataFrame({"postnummer": ["97231", "97231"], "antal": [1, 2]}))
    with pytest.raises(GeoError, match="saknar koordinatsystem"):
        layers.join(layer.set_crs(None, allow_override=True), pd.DataFrame({"postnummer": []}))


# --- display -------------------------------------------------------------------------------------


def test_for_display_and_geojson():
    layer = layers.join(squares(["97231", "97232"]),
                     pd.DataFrame({"postnummer": ["97231"], "antal": [3]}))
    shown = layers.for_display(layer, tolerance_m=50)
    assert shown.crs.to_epsg() == 4326 and len(shown) == 2
    data = layers.to_geojson_dict(shown)
    assert data["type"] == "FeatureCollection"
    props = [f["properties"] for f in data["features"]]
    assert props[0]["postnummer"] == "97231" and props[0]["antal"] == 3
    assert props[1]["antal"] is None
    x, y = data["features"][0]["geometry"]["coordinates"][0][0]
    assert round(x, 5) == x and round(y, 5) == y and 20 < x < 24 and 65 < y < 66
    json.dumps(data)  # plain JSON all the way down


# --- municipal boundary --------------------------------------------------------------------------


def test_municipality_boundary():
    lulea = layers.municipality_boundary("2580")
    assert lulea.crs.to_epsg() == 3006 and len(lulea) == 1
    assert lulea["kommun"].iloc[0] == "Luleå"
    assert lulea.geometry.iloc[0].contains(Point(X0, Y0))
    with pytest.raises(GeoError, match="Kommunkoden 9999 finns inte"):
        layers.municipality_boundary("9999")


# --- the Voronoi builder -------------------------------------------------------------------------


def random_points(n, codes, seed, bounds=(0, 0, 1000, 1000), crs=3006):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(bounds[:2], bounds[2:], size=(n, 2))
    return gpd.GeoDataFrame({"postnummer": rng.choice(codes, n)},
                            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


@pytest.mark.parametrize("n, codes, seed", [
    (1, ["97231"], 1),
    (2, ["97231", "97232"], 2),
    (50, ["97231", "97232", "97233"], 3),
    (400, [f"972{i:02d}" for i in range(20, 40)], 4),
])
def test_build_from_points_covers_square(n, codes, seed):
    square = box(0, 0, 1000, 1000)
    boundary = gpd.GeoDataFrame(geometry=[square], crs=3006)
    points = random_points(n, codes, seed)
    layer = build_shapes.build_from_points(points, boundary)
    assert layer.crs.to_epsg() == 3006
    assert list(layer.columns) == ["postnummer", "postort", "geometry"]
    assert sorted(layer["postnummer"]) == sorted(set(points["postnummer"]))
    assert layer.is_valid.all()
    assert_covers(layer, square)


def test_build_from_points_duplicates_outside_and_other_crs():
    square = box(X0, Y0, X0 + 4000, Y0 + 4000)
    boundary = gpd.GeoDataFrame(geometry=[square], crs=3006)
    points = random_points(60, ["97231", "97232", "97233"], 7, square.bounds)
    outside = gpd.GeoDataFrame({"postnummer": ["97239", "97239"]},
                               geometry=[Point(X0 - 500, Y0), Point(X0, Y0 - 9000)], crs=3006)
    doubled = pd.concat([points, points.iloc[:5], outside], ignore_index=True)
    layer = build_shapes.build_from_points(doubled.to_crs(4326), boundary)
    assert layer.crs.to_epsg() == 3006
    assert layer.attrs["utanfor_gransen"] == 2
    assert "97239" not in set(layer["postnummer"])
    assert_covers(layer, square)


def test_build_from_points_errors():
    boundary = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=3006)
    empty = gpd.GeoDataFrame({"postnummer": []}, geometry=[], crs=3006)
    with pytest.raises(GeoError, match="inga adresspunkter"):
        build_shapes.build_from_points(empty, boundary)
    bad = gpd.GeoDataFrame({"postnummer": ["97231", "okänt", None]},
                           geometry=[Point(1, 1), Point(2, 2), Point(3, 3)], crs=3006)
    with pytest.raises(GeoError, match="2 av 3 adresspunkter saknar giltigt postnummer"):
        build_shapes.build_from_points(bad, boundary)
    far = gpd.GeoDataFrame({"postnummer": ["97231"]}, geometry=[Point(50, 50)], crs=3006)
    with pytest.raises(GeoError, match="Alla 1 adresspunkter ligger utanför kommungränsen"):
        build_shapes.build_from_points(far, boundary)
    with pytest.raises(GeoError, match="Adresspunkterna saknar koordinatsystem"):
        build_shapes.build_from_points(far.set_crs(None, allow_override=True), boundary)


def test_build_shapes_from_file(tmp_path):
    lulea = layers.municipality_boundary("2580").geometry.iloc[0]
    xmin, ymin, xmax, ymax = lulea.bounds
    points = random_points(300, ["97231", "97232", "95521"], 11, (xmin, ymin, xmax, ymax))
    points = points[points.within(lulea)].rename(columns={"postnummer": "PostNr"})
    points.to_crs(4326).to_file(tmp_path / "adresser.geojson")
    out = tmp_path / "ut" / "postnummer.gpkg"
    layer = build_shapes.build_shapes(tmp_path / "adresser.geojson", out, "2580")
    assert sorted(layers.read_layer(out)["postnummer"]) == ["95521", "97231", "97232"]
    assert_covers(layer, lulea)


@requires_shared
def test_demo_points_are_deterministic_and_inside():
    a, b = build_shapes.demo_address_points(), build_shapes.demo_address_points()
    assert_geodataframe_equal(a, b)
    lulea = layers.municipality_boundary("2580").geometry.iloc[0]
    assert a.within(lulea).all()
    counts = a["postnummer"].value_counts()
    assert len(counts) == 100 and counts.between(20, 60).all()


# --- the committed demo layer --------------------------------------------------------------------


@requires_shared
def test_demo_layer():
    layer = layers.read_layer(DEMO)
    assert layer.crs.to_epsg() == 3006
    assert len(layer) == 100 and layer["postnummer"].is_unique
    assert set(layer["postnummer"]) == set(geonames.read_geonames()["postnummer"])
    assert layer.is_valid.all() and layer["postort"].notna().all()
    assert_covers(layer, layers.municipality_boundary("2580").geometry.iloc[0])


def test_demo_layer_display_size():
    data = layers.to_geojson_dict(layers.for_display(layers.read_layer(DEMO)))
    assert len(data["features"]) == 100
    assert len(json.dumps(data)) < 300_000

