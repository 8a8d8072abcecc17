"""Kolada's figures as the page layer reads and stores them: the comparison catalogue, what
is cached in the store (``store.kolada``), a fetch from Kolada's API with progress, and
Kolada's own Excel/CSV export read for a preview and saved. ``views.comparison`` puts the
figures beside our own rates; this module is the way in and out of the cache."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa

from lagesbild.config import Config
from lagesbild.intake import kolada, kolada_export
from lagesbild.intake.kolada import Comparison, Group
from lagesbild.intake.workbook import Limits
from lagesbild.store import kolada as cache
from lagesbild.store.kolada import Fetched
from lagesbild.views import comparison as views

__all__ = ["Comparison", "Fetched", "Group", "cached", "catalogue", "export_table",
           "fetch", "figures", "fingerprint", "read_export", "save_export"]


def catalogue(cfg: Config) -> Comparison:
    """The comparison catalogue (``jamforelse.yaml``) with the measures it names."""
    return kolada.load_comparison(cfg.jamforelse, cfg.catalogue)


def fingerprint(engine: sa.Engine) -> tuple:
    """Changes whenever the cached Kolada tables change (a cache key)."""
    return cache.fingerprint(engine)


def cached(engine: sa.Engine) -> tuple[pd.DataFrame, dict, dict, list]:
    """Everything cached from Kolada: the values, KPI titles, area names and groups."""
    return (cache.read_values(engine), cache.read_titles(engine), cache.read_areas(engine),
            cache.read_groups(engine))


def figures(stored: tuple[pd.DataFrame, dict, dict, list], comp: Comparison
            ) -> tuple[pd.DataFrame, dict, Comparison, Group | None]:
    """The cached values and titles, the catalogue with Kolada's area names (a group's
    members by name), and the group of similar municipalities in use."""
    values, titles, named, groups = stored
    comp = dataclasses.replace(comp, areas_named=named)
    return values, titles, comp, cache.group_in_use(groups, comp)


def fetch(engine: sa.Engine, cfg: Config, comp: Comparison, years: str,
          progress: Callable[[float, str], None] | None = None) -> tuple[Fetched, str | None]:
    """Fetch every KPI of the catalogue from Kolada for the years typed ("2019-2024") and
    store them.

    Parameters
    ----------
    engine, cfg : the store and the settings (Kolada's address and time limit).
    comp : the comparison catalogue.
    years : the years as typed; a Swedish error if they cannot be read.
    progress : called with (share done 0–1, a Swedish line).

    Returns
    -------
    What was stored, and the Swedish warning for KPI ids Kolada did not know (or None).
    """
    done = cache.fetch(engine, kolada.Client(cfg.kolada_url, cfg.kolada_timeout), comp,
                       kolada.parse_years(years), progress=progress)
    return done, cache.unknown_note(done.unknown, cfg.jamforelse.name)


def read_export(content: bytes, name: str, comp: Comparison, cfg: Config
                ) -> kolada_export.Read:
    """Kolada's own Excel/CSV export read into value rows (within the file limits)."""
    return kolada_export.read(content, name, comp, limits=Limits.of(cfg))


def export_table(values: pd.DataFrame, comp: Comparison) -> pd.DataFrame:
    """An export's values as the preview shows them, with the areas' names."""
    names = comp.names()
    return views.display(values.assign(kommun=[names.get(k, k) for k in values["kommun"]])
                         [["kpi", "kommun", "ar", "kon", "varde", "status"]]
                         .rename(columns={"kpi": "Nyckeltal", "kommun": "Område",
                                          "ar": views.YEAR, "kon": views.SEX,
                                          "varde": "Värde", "status": views.STATUS}))


def save_export(engine: sa.Engine, values: pd.DataFrame, name: str) -> int:
    """Store an export's values (replacing the same KPI, area, year and sex); the rows."""
    return cache.write_values(engine, values, name)
