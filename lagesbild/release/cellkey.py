"""The cell key method: the same small, secret noise on a cell however it is asked for.

A flexible table builder lets users combine months, quarters, years, rolling windows, areas,
sexes and categories. Suppressing small cells table by table does not hold: a total minus its
visible parts, or one rolling window minus its neighbour, gives a hidden cell back. Agencies
that publish such builders (the ABS TableBuilder, the ONS 2021 Census) perturb every published
count instead (Thompson, Broadfoot and Elazar 2013; Giessing and Tent 2019). We do the same:

- Every stored count row (one month, postnummer, sex, age group and category) gets a record
  key, a number in [0, 1) fixed by a keyed hash of the row's identity and a secret seed
  (``LAGESBILD_CELLNYCKEL``). Without the seed nobody can compute the keys.
- A published cell (any sum of rows: a month, a year, an area, girls, one reason …) carries
  the sum of its rows' keys weighted by their counts; its cell key is the fractional part.
  The same cell therefore has the same key, and the same noise, on every page, in the CLI and
  in every file; two overlapping cells have unrelated keys.
- The noise is looked up from the cell's true value and its key in a perturbation table
  (:data:`PTABLE`): at most ±2, mean 0, variance 1, and a positive count never becomes 0
  (a zero, which has no rows, is never perturbed). Published values below the threshold are
  then shown as "<5" as before.

Differences between published cells are the difference of the true values plus the
difference of two independent noises, so no differencing recovers a hidden count with
certainty. Totals are cells of their own, so parts do not always add up to them.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

KEY = "nyckel"  # the count-weighted key sum that travels beside a count column

# Perturbation table: for each true value, the possible noises and their probabilities.
# From 3 up: symmetric, maximum 2, variance 1. Small values cannot fall to 0 or below; 2 keeps
# mean 0 and variance 1 with an asymmetric spread; 1 is left as it is (it shows as "<5" anyway,
# and 2 and 3 can also be published as 1).
_LARGE = ((-2, 1 / 15), (-1, 7 / 30), (0, 2 / 5), (1, 7 / 30), (2, 1 / 15))
PTABLE: dict[int, tuple[tuple[int, float], ...]] = {
    0: ((0, 1.0),),
    1: ((0, 1.0),),
    2: ((-1, 0.45), (0, 0.15), (1, 0.35), (2, 0.05)),
}
MAX_NOISE = 2


def key_column(count_column: str) -> str:
    """The key-sum column that belongs to a count column: antal -> nyckel, antal_fg ->
    nyckel_fg."""
    return KEY + count_column[len("antal"):] if count_column.startswith("antal") else \
        f"{count_column}_{KEY}"


def _hash_key(seed: str) -> str:
    """pandas' hashing takes a 16-character key: derive it from the secret seed."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def record_keys(frame: pd.DataFrame, seed: str) -> np.ndarray:
    """A key in [0, 1) per row, from the row's identity (every column but the count)."""
    identity = frame[[c for c in frame.columns if c != "antal" and not c.startswith(KEY)]]
    if identity.empty and len(frame):
        raise ValueError("rows without identity columns cannot get record keys")
    hashed = pd.util.hash_pandas_object(_as_text(identity), index=False, categorize=False,
                                        hash_key=_hash_key(seed)).to_numpy(dtype=np.uint64)
    return (hashed >> np.uint64(11)).astype(np.float64) / float(2 ** 53)


def _as_text(identity: pd.DataFrame) -> pd.DataFrame:
    """Each column as text, the way ``astype("string")`` writes it, but converted once per
    distinct value (categories over the codes): a key depends on the text, not the dtype, and
    hashing is twenty times faster on a million rows."""
    columns = {}
    for column in identity.columns:
        codes, uniques = pd.factorize(identity[column], use_na_sentinel=True)
        text = pd.CategoricalDtype(pd.Index(uniques).astype("string"))
        columns[column] = pd.Categorical.from_codes(codes, dtype=text)
    return pd.DataFrame(columns, index=identity.index)


def with_keys(frame: pd.DataFrame, seed: str) -> pd.DataFrame:
    """The canonical counts with their count-weighted record keys (column ``nyckel``)."""
    keys = record_keys(frame, seed) if len(frame) else np.zeros(0)
    return frame.assign(**{KEY: frame["antal"].to_numpy(dtype=np.float64) * keys})


def _noises(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The noise each (true value, cell key) pair selects in :data:`PTABLE`."""
    out = np.zeros(len(values), dtype=np.int64)
    rows = {v: row for v, row in PTABLE.items()}
    for value in np.unique(values):
        row = rows.get(int(value), _LARGE)
        at = values == value
        noises = np.array([n for n, _ in row], dtype=np.int64)
        edges = np.cumsum([p for _, p in row])[:-1]
        out[at] = noises[np.searchsorted(edges, keys[at], side="right")]
    return out


def perturb(values: pd.Series, key_sums: pd.Series) -> pd.Series:
    """Published values: each true count plus the noise its cell key selects.

    Missing values (months not delivered) stay missing. Non-integer values (monthly means of
    stocks) are rounded first.
    """
    true = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    keys = np.mod(pd.to_numeric(key_sums, errors="coerce").to_numpy(dtype=np.float64), 1.0)
    known = ~np.isnan(true)
    rounded = np.where(known, np.round(true), 0).astype(np.int64)
    # Values >= 3 share one row of the table: group them so the lookup is one call.
    lookup = np.where(rounded >= 3, 3, rounded)
    noise = np.where(np.isnan(keys), 0, _noises(lookup, np.nan_to_num(keys)))
    published = pd.array(rounded + noise, dtype="Int64")
    published[~known] = pd.NA
    return pd.Series(published, index=values.index)
