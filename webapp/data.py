"""Cached access to the store, the configuration and the map layers, shared by every page.

Domain calls are wrapped in Streamlit caches here and nowhere else; the cache keys are the
store's fingerprint and the files' modification times, so an import or a new layer is seen at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import streamlit as st

import lagesbild
from lagesbild import store
from lagesbild.config import Config
from lagesbild.errors import LagesbildError
from lagesbild.geo import groupings
from lagesbild.store import ingest
from lagesbild.views import areas as area_views
from lagesbild.views import source

log = logging.getLogger("lagesbild.ui")


@st.cache_resource
def config() -> Config:
    return Config.from_env()


@st.cache_resource(show_spinner="Öppnar databasen …")
def _engine(url: str):
    # Passing the config's URL makes a changed LAGESBILD_DB_URL a new engine.
    return ingest.open_store(config())


def engine():
    """The store, checked on every run, so a deleted or replaced SQLite file is never served
    from connections that still hold the old one: a deleted file is said (StoreGone) until it
    is back; a replaced one (restored from a backup, say) is opened afresh."""
    eng = _engine(config().db_url)
    try:
        store.check(eng)
    except store.StoreGone as gone:
        if not gone.replaced:
            raise
        log.warning("store file replaced; opening it again")
        eng.dispose()
        _engine.clear()
        _live.clear()  # the new file's batches may have the old one's ids
        eng = _engine(config().db_url)
        st.toast("Databasfilen har bytts ut sedan appen öppnade den; nu visas den nya filens "
                 "uppgifter.", icon=":material/sync:")
    return eng


@dataclass(frozen=True)
class Data:
    counts: dict[str, pd.DataFrame]
    population: pd.DataFrame
    batches: pd.DataFrame
    fingerprint: tuple  # the store version these were read from

    @property
    def is_demo(self) -> bool:
        if not len(self.batches):
            return False
        active = self.batches["undone_at"].isna() if "undone_at" in self.batches else True
        return bool(((self.batches["created_by"] == "demo") & active).any())


@st.cache_resource(show_spinner=False)
def _live(url: str, version: str) -> source.Live:
    # One per process and store: sessions share it. In memory only: the counts are
    # unprotected, so no copy of them goes to disk.
    return source.Live()


def _shared(url: str, fingerprint: tuple) -> Data:
    """The data of the store version *fingerprint* (the present one)."""
    with st.spinner("Läser data …", show_time=True):
        snap = _live(url, lagesbild.__version__).at(engine(), config(), fingerprint)
    return Data(snap.counts, snap.population, snap.batches, snap.version)


def data() -> Data:
    """All stored data, brought up to date only when the store has changed (a new batch is
    added, not the whole store re-read). Never mutate what it returns."""
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
    from lagesbild.geo import layers

    layer = layers.read_layer(path)
    shown = layers.for_display(layer)
    return MapLayer(layers.to_geojson_dict(shown),
                    dict(zip(layer["postnummer"], layer["postort"].fillna(""))),
                    list(shown.total_bounds), layers.outline_geojson(layer),
                    layers.dense_bounds(layer), layer)


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

    return groupings.load_grouping(path)


def grouping():
    """The configured grouping of postnummer into larger areas (None if there is no file)."""
    path = config().omraden
    if not path.exists():
        return None
    return _grouping(str(path), path.stat().st_mtime)


@st.cache_resource(show_spinner="Förbereder kartlagret …")
def _display_layer(level: str, shapes: str, mtime: float, groups: str, gmtime: float):

    return area_views.display_layer(map_layer().layer, level, grouping())


def display_layer(level: str):
    """The simplified polygons of a level, made once for all sessions: never mutate them."""
    shapes, groups = config().shapes, config().omraden
    return _display_layer(level, str(shapes), shapes.stat().st_mtime if shapes.exists() else 0,
                          str(groups), groups.stat().st_mtime if groups.exists() else 0)
