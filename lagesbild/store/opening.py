"""Opening the store named by the settings: its timeouts, and the demo loaded into an empty
store when demo is on.

Apart from ``ingest`` (which re-exports both) so that a command or page that only reads opens
the store without importing the file readers, profiles and checks an import needs; those are
imported only when the demo is actually loaded.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from lagesbild import store
from lagesbild.config import Config


def connect(cfg: Config, *, create: bool = True) -> sa.Engine:
    """Open the store named by the settings, with their timeouts (see ``store.connect``)."""
    return store.connect(cfg.db_url, create=create, catalogue=cfg.catalogue,
                         **cfg.store_options)


def open_store(cfg: Config, *, create: bool = True,
               notice: Callable[[str], None] | None = None) -> sa.Engine:
    """Connect to the store; fill it with the demo data when it is empty and demo is on.

    The check and the load hold a lock across processes, so two processes starting on the
    same empty store load the demo once. *notice* is told (in Swedish) when a new store is
    created or the demo is loaded, so nobody is surprised by it.
    """
    engine = connect(cfg, create=create)
    if notice and store.is_new(engine):
        notice(f"Databasen {engine.url.render_as_string(hide_password=True)} fanns inte; "
               "en ny har skapats.")
    if cfg.demo and store.is_empty(engine):
        with store.exclusive(engine, "demo"):
            if store.is_empty(engine):  # again: another process may have loaded it meanwhile
                from lagesbild.store.ingest import load_demo

                load_demo(engine, cfg)
                if notice:
                    notice("Databasen var tom: demodata (syntetiska siffror) har lästs in och "
                           "publicerats. Sätt LAGESBILD_DEMO=0 för att slippa det.")
    return engine
