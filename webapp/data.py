"""Cached access to the store, the configuration and the map layers, shared by every page.

Domain calls are wrapped in Streamlit caches here and nowhere else; the cache keys are the
store's fingerprint and the files' modification times, so an import or a new layer is seen at once.
The store's data are held once per process (``views.source.Live``): an import, through this
process or another sharing the database, is added on the next rerun instead of re-reading it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

import lagesbild
from lagesbild.config import Config
from lagesbild.errors import LagesbildError
from lagesbild.views import app_data
from lagesbild.views import areas as area_views
from lagesbild.views import source

log = logging.getLogger("lagesbild.ui")


@st.cache_resource
def config() -> Config:
    return Config.from_env()


@st.cache_resource(show_spinner="Öppnar databasen …")
def _engine(url: str):
    # Passing the config's URL makes a changed LAGESBILD_DB_URL a new engine.
    return app_data.open_store(config())


def engine():
    """The store, checked on every run, so a deleted or replaced SQLite file is never served
    from connections that still hold the old one: a deleted file is said (StoreGone) until it
    is back; a replaced one (restored from a backup, say) is opened afresh."""
    eng = _engine(config().db_url)
    try:
        app_data.check(eng)
    except app_data.StoreGone as gone:
        if not gone.replaced:
            raise
        log.warning("store replaced; opening it again")
        eng.dispose()
        _engine.clear()
        _live.clear()  # the new file's batches may have the old one's ids
        eng = _engine(config().db_url)
        st.toast("Databasen har bytts ut sedan appen öppnade den; nu visas den nya "
                 "databasens uppgifter.", icon=":material/sync:")
    return eng


@dataclass(frozen=True)
class Data:
    counts: dict[str, pd.DataFrame]  # published counts (views.source)
    population: pd.DataFrame
    batches: pd.DataFrame
    fingerprint: tuple  # the store version these were read from
    releases: tuple = ()  # the newest version of each published month
    is_demo: bool = False  # the demo's batches are in force (worked out once per version)


def _is_demo(batches: pd.DataFrame) -> bool:
    if not len(batches):
        return False
    active = batches["undone_at"].isna() if "undone_at" in batches else True
    return bool(((batches["created_by"] == "demo") & active).any())


@st.cache_resource(show_spinner=False)
def _live(url: str, version: str) -> source.Live:
    # One per process and store: sessions share it. A copy of its published frames is kept
    # in the store for the next process (views.source), never in a file beside the app.
    return source.Live()


def _shared(url: str, fingerprint: tuple) -> Data:
    """The data of the store version *fingerprint* (the present one)."""
    live = _live(url, lagesbild.__version__)
    snap = live.held(fingerprint)
    if snap is None:  # a spinner (and its timer thread) only when there is reading to do
        with st.spinner("Läser data …", show_time=True):
            snap = live.at(engine(), config(), fingerprint)
    return _of(snap, url, snap.version)


@st.cache_resource(max_entries=4, show_spinner=False)
def _of(_snap: source.Snapshot, url: str, version: tuple) -> Data:
    # Once per store version: whether it is the demo is asked on every rerun.
    return Data(_snap.counts, _snap.population, _snap.batches, _snap.version, _snap.releases,
                _is_demo(_snap.batches))


def data() -> Data:
    """All stored data, brought up to date only when the store has changed (a new batch is
    added, not the whole store re-read). Never mutate what it returns."""
    return _shared(config().db_url, app_data.fingerprint(engine()))


@dataclass(frozen=True)
class MapLayer:
    geojson: dict  # areas in EPSG:4326, simplified for display
    names: dict[str, str]  # postnummer -> postort
    bounds: list[float]
    outline: dict  # the municipal outline
    town_bounds: list[float]  # where the small (dense) areas are
    path: str
    mtime: float

    @property
    def layer(self):
        """The full GeoDataFrame in EPSG:3006 (read when first needed: GeoPandas alone costs
        a third of a second to import, which Översikt does without)."""
        return _geodata(self.path, self.mtime)


@st.cache_resource(show_spinner="Läser postnummerområden …")
def _geodata(path: str, mtime: float):
    return app_data.read_layer(path)


MAP_FORMAT = 1  # raise when what the kept map holds, or how it is made, changes


@st.cache_resource(show_spinner="Läser postnummerområden …")
def _map_parts(path: str, mtime: float) -> dict:
    """The simplified polygons, names, bounds and outline, and the postnummer level ready to
    draw: kept in the store (snapshot kind "karta"), so a new process need not read the
    layer with GeoPandas to draw Översikt. Worked out again when the file changes."""
    if not Path(path).exists():  # the usual Swedish error from the reader
        return _work_out(path, mtime)
    key = hashlib.sha256(Path(path).read_bytes() + f"{lagesbild.__version__}:{MAP_FORMAT}"
                         .encode()).hexdigest()
    try:
        kept = app_data.load_snapshot(engine(), "karta", key)
        if kept and "karta" in kept:
            return json.loads(kept["karta"])
    except LagesbildError as exc:
        log.warning("map snapshot not read: %s", exc)
    text = json.dumps(_work_out(path, mtime), ensure_ascii=False)
    parts = json.loads(text)  # the same objects as a process that reads them back
    try:
        app_data.save_snapshot(engine(), "karta", key, {"karta": text.encode()})
    except LagesbildError as exc:  # a read-only store: worked out again next start
        log.warning("map snapshot not saved: %s", exc)
    return parts


def _work_out(path: str, mtime: float) -> dict:
    return app_data.map_parts(_geodata(path, mtime))


@st.cache_resource(show_spinner=False)
def _map_layer(path: str, mtime: float) -> MapLayer:
    parts = _map_parts(path, mtime)
    return MapLayer(parts["geojson"], parts["names"], parts["bounds"], parts["outline"],
                    parts["town_bounds"], path, mtime)


def map_layer() -> MapLayer:
    """The postnummer layer, read and simplified once for all sessions: never mutate it."""
    path = config().shapes
    return _map_layer(str(path), path.stat().st_mtime if path.exists() else 0.0)


def postort_names() -> dict[str, str]:
    try:
        return map_layer().names
    except LagesbildError:
        return {}


@st.cache_resource(show_spinner=False)
def _grouping(path: str, mtime: float):
    return app_data.grouping(path)


def grouping():
    """The configured grouping of postnummer into larger areas (None if there is no file)."""
    path = config().omraden
    if not path.exists():
        return None
    return _grouping(str(path), path.stat().st_mtime)


@st.cache_resource(show_spinner="Förbereder kartlagret …")
def _display_layer(level: str, shapes: str, mtime: float, groups: str, gmtime: float):
    if level == "postnummer":  # kept with the map (see _map_parts)
        return area_views.DisplayLayer(**_map_parts(shapes, mtime)["postnummer"])
    return area_views.display_layer(map_layer().layer, level, grouping())


def display_layer(level: str):
    """The simplified polygons of a level, made once for all sessions: never mutate them."""
    shapes, groups = config().shapes, config().omraden
    return _display_layer(level, str(shapes), shapes.stat().st_mtime if shapes.exists() else 0,
                          str(groups), groups.stat().st_mtime if groups.exists() else 0)
