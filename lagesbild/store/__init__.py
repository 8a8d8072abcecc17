"""The store: monthly counts, population and import batches in SQL (SQLAlchemy).

``schema`` declares the tables, ``connection`` opens the database (timeouts, locks, Swedish
errors), ``write`` adds and undoes batches,
``read`` returns the current rows, and ``ingest`` plans and commits one import (what intake has
read and checked) as a single transaction. Callers use the names below.
"""

from lagesbild.store.columnar import load_snapshot, save_snapshot
from lagesbild.store.connection import (
                                  StoreError,
                                  StoreGone,
                                  check,
                                  connect,
                                  exclusive,
                                  is_new,
                                  translate,
                                  writing,
)
from lagesbild.store.read import (
                                  month_totals,
                                  postnummer_codes,
                                  read_all,
                                  read_batches,
                                  read_counts,
                                  read_population,
                                  year_totals,
)
from lagesbild.store.schema import Progress, fingerprint, is_empty, metadata, sha256
from lagesbild.store.write import BatchInfo, undo, write_counts, write_population

__all__ = ["BatchInfo", "Progress", "StoreError", "StoreGone", "check", "connect", "exclusive",
           "fingerprint", "is_empty", "is_new", "load_snapshot", "metadata", "save_snapshot",
           "translate", "writing",
           "month_totals", "postnummer_codes", "read_all", "read_batches", "read_counts",
           "read_population", "sha256", "undo", "write_counts", "write_population",
           "year_totals"]
