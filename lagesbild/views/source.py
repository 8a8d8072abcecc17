"""The counts every view starts from: the store's current rows, each with its cell key."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from lagesbild import store
from lagesbild.config import Config, Measure
from lagesbild.release import cellkey


def counts(engine: sa.Engine, cfg: Config, measure: Measure) -> pd.DataFrame:
    """One measure's canonical counts with their count-weighted record keys (``nyckel``)."""
    return cellkey.with_keys(store.read_counts(engine, measure), cfg.key_seed)


def all_counts(engine: sa.Engine, cfg: Config) -> dict[str, pd.DataFrame]:
    """Every measure's keyed counts, by measure code."""
    return {code: counts(engine, cfg, m) for code, m in cfg.catalogue.measures.items()}
