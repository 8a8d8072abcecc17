"""What the app holds open for all its sessions: the store (published once when it has no
release), its version, the kept snapshots, the map layer's parts and the area grouping.

The Streamlit layer caches these (``webapp/data.py``); here is only what they are.
"""

from __future__ import annotations

from pathlib import Path

from lagesbild import store
from lagesbild.config import Config
from lagesbild.release import publish

StoreError = store.StoreError  # the store cannot be reached or used
StoreGone = store.StoreGone  # its file was deleted or replaced


def open_store(cfg: Config):
    """The store, with its months published once if none are (``release.publish``)."""
    return publish.open_store(cfg)


def check(engine) -> None:
    """Raise ``StoreGone`` when the store's file was deleted or replaced."""
    store.check(engine)


def fingerprint(engine) -> tuple:
    """The store's version: changes with every import, undo and publication."""
    return store.fingerprint(engine)


def load_snapshot(engine, kind: str, key: str) -> dict | None:
    return store.load_snapshot(engine, kind, key)


def save_snapshot(engine, kind: str, key: str, parts: dict) -> None:
    store.save_snapshot(engine, kind, key, parts)


def read_layer(path: str):
    """The postnummer layer (GeoPandas, imported only here, when first needed)."""
    from lagesbild.geo import layers

    return layers.read_layer(path)


def map_parts(layer) -> dict:
    """The simplified polygons, names, bounds, outline and the postnummer level, ready to
    draw and to keep as JSON."""
    from lagesbild.geo import layers
    from lagesbild.views import areas as area_views

    shown = layers.for_display(layer)
    postnummer = area_views.display_layer(layer, "postnummer", None)
    return {"geojson": layers.to_geojson_dict(shown),
            "names": dict(zip(layer["postnummer"], layer["postort"].fillna(""))),
            "bounds": [float(b) for b in shown.total_bounds],
            "outline": layers.outline_geojson(layer),
            "town_bounds": [float(b) for b in layers.dense_bounds(layer)],
            "postnummer": {"geojson": postnummer.geojson,
                           "bounds": [float(b) for b in postnummer.bounds],
                           "key": postnummer.key}}


def grouping(path: str | Path):
    """The grouping of postnummer into larger areas (``geo.groupings``)."""
    from lagesbild.geo import groupings

    return groupings.load_grouping(path)
