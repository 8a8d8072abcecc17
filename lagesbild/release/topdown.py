"""One month of one measure, protected once: noisy measurements at several levels, fitted
into one table of non-negative integers from which every published number is summed.

The design is the US Census Bureau's 2020 TopDown Algorithm, at a municipality's scale:

1. **Measurements.** The month's true counts are measured at several levels, each a
   partition of the events (so one event changes one cell of each level by one): the
   municipal total; the municipality by sex × age group and by each of the measure's
   categories; larger areas (when a grouping is configured); postnummer; postnummer by sex ×
   age group; and postnummer × sex × age group by each category. Each measurement is the
   count plus discrete Gaussian noise drawn by OpenDP, under zero-concentrated differential
   privacy (zCDP); the noise scale of each level is a setting (:class:`Budget`).
2. **Post-processing, top down.** The municipal total is rounded to a non-negative integer;
   each finer level is then the non-negative integer table closest (least squares) to its
   noisy measurement whose parts add up exactly to the level above (and, where two levels
   meet, close to both). Post-processing uses no true count, so it costs no privacy.
3. **One table.** The category levels are joined into one row per postnummer, sex, age group
   and category combination: the canonical shape of the stored rows, with protected counts.
   Every view sums this table, so every total is the sum of its parts, in every view.

What one published month costs a person is the budget ρ (zCDP) per event: someone with
several events in the month is protected less, in proportion to their square.
"""

from __future__ import annotations

from dataclasses import dataclass, asdict

import numpy as np
import pandas as pd

NA = "\u2205"  # a missing value in a dimension, as its own cell (e.g. sex for places)


@dataclass(frozen=True)
class Budget:
    """Noise scales (standard deviation of the discrete Gaussian) per level of measurement.

    A larger scale protects more and costs accuracy. The privacy loss of one level is
    ρ = 1 / (2 σ²) per event (zCDP); a month's ρ is the sum over the levels measured.
    """

    kommun: float = 1.0          # the municipal total
    kommun_detalj: float = 1.5   # the municipality by sex × age group
    kommun_kategori: float = 1.5  # the municipality by each category dimension
    omrade: float = 1.5          # larger areas
    postnummer: float = 1.75     # postnummer totals
    postnummer_detalj: float = 2.0  # postnummer × sex × age group
    kategori: float = 2.0        # postnummer × sex × age group × each category dimension

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


LEVEL_NAMES = {  # Swedish names of the levels, for Om data and the release record
    "kommun": "kommunen totalt",
    "kommun_detalj": "kommunen efter kön och åldersgrupp",
    "kommun_kategori": "kommunen efter varje kategori",
    "omrade": "större områden",
    "postnummer": "postnummerområden",
    "postnummer_detalj": "postnummer efter kön och åldersgrupp",
    "kategori": "postnummer, kön och åldersgrupp efter varje kategori",
}


class Noise:
    """Discrete Gaussian noise from OpenDP, with the zCDP cost of every level it measures."""

    def __init__(self) -> None:
        import opendp.prelude as dp

        dp.enable_features("contrib")
        self._dp = dp
        self._made: dict[float, object] = {}
        self.spent: dict[str, float] = {}

    def _measurement(self, scale: float):
        if scale not in self._made:
            dp = self._dp
            self._made[scale] = dp.m.make_gaussian(
                dp.vector_domain(dp.atom_domain(T="i64")), dp.l2_distance(T="i64"),
                scale=float(scale))
        return self._made[scale]

    def measure(self, level: str, scale: float, true: np.ndarray) -> np.ndarray:
        """*true* (any shape, integer counts) plus noise; the level's ρ is recorded (a level
        is a partition of the events, so one event moves one of its cells by one)."""
        m = self._measurement(scale)
        self.spent[level] = float(m.map(1))
        flat = np.asarray(true, dtype=np.int64).ravel()
        if not len(flat):
            return np.zeros(np.shape(true), dtype=float)
        return np.asarray(m(flat.tolist()), dtype=float).reshape(np.shape(true))


def _simplex_rows(y: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Each row of *y* projected (least squares) onto {x ≥ 0, Σx = total}."""
    y = np.atleast_2d(y).astype(float)
    totals = np.asarray(totals, dtype=float)
    n = y.shape[1]
    if n == 0:
        return y
    s = -np.sort(-y, axis=1)
    css = np.cumsum(s, axis=1) - totals[:, None]
    k = np.arange(1, n + 1)
    ok = s - css / k > 0
    rho = n - np.argmax(ok[:, ::-1], axis=1)  # the last index where ok holds (1-based)
    theta = css[np.arange(len(y)), rho - 1] / rho
    out = np.maximum(y - theta[:, None], 0.0)
    out[totals <= 0] = 0.0
    return out


def _round_rows(x: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Integers that keep each row's (integer) total: floors plus the largest remainders."""
    base = np.floor(x + 1e-9)
    short = (np.asarray(totals) - base.sum(axis=1)).astype(np.int64)
    frac = x - base
    order = np.argsort(-frac, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(x.shape[1])[None, :].repeat(len(x), 0), axis=1)
    return (base + (ranks < short[:, None])).astype(np.int64)


def _project(y: np.ndarray, totals: np.ndarray, cut: float) -> np.ndarray:
    """Each row of *y* made non-negative with the row's total, keeping large cells unbiased.

    The plain least-squares projection onto {x ≥ 0, Σx = total} takes what clipping adds to
    the many cells near zero from every positive cell alike: a large area would lose a
    little every month. So cells well above the noise (≥ *cut*) get the unbiased
    least-squares value (the noise's sum spread evenly), and only the small cells are
    projected onto what is left; where too little is left, the whole row is projected.
    """
    y = np.atleast_2d(y).astype(float)
    totals = np.asarray(totals, dtype=float)
    n = y.shape[1]
    if n == 0:
        return y
    even = y - ((y.sum(axis=1) - totals) / n)[:, None]
    big = even >= cut
    rest = totals - np.where(big, even, 0.0).sum(axis=1)
    ok = (rest >= 0) & big.any(axis=1) & ~big.all(axis=1)
    small = _simplex_rows(np.where(big, -1e18, y), np.where(ok, rest, 0.0))
    return np.where(ok[:, None], np.where(big, even, small), _simplex_rows(y, totals))


def fit(y: np.ndarray, rows: np.ndarray, cols: np.ndarray | None = None, cut: float = 4.0,
        rounds: int = 12) -> np.ndarray:
    """The non-negative integer table close to the noisy *y* whose rows add up to *rows*
    exactly and whose columns add up to about *cols* (alternating projections)."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    rows = np.asarray(rows, dtype=np.int64)
    x = _project(y, rows, cut)
    if cols is not None and y.shape[0] > 1:
        cols = np.asarray(cols, dtype=np.int64)
        for _ in range(rounds):
            x = _project(x.T, cols, cut).T
            x = _project(x, rows, cut)
    return _round_rows(x, rows)


def _join(margins: list[np.ndarray], rng: np.random.Generator) -> list[tuple[tuple, int]]:
    """One cell's category counts (one vector per dimension, equal totals) as joint counts:
    events paired at random across dimensions (post-processing: no data is read)."""
    lists = [np.repeat(np.arange(len(m)), m) for m in margins]
    for i in range(1, len(lists)):
        rng.shuffle(lists[i])
    joint: dict[tuple, int] = {}
    for combo in zip(*lists):
        joint[combo] = joint.get(combo, 0) + 1
    return list(joint.items())


@dataclass(frozen=True)
class Domain:
    """Every value each dimension of a measure can take (a cell may be zero: zeros are
    measured too, so a published 0 is not a proven 0)."""

    values: dict[str, list]  # column -> possible values (NA for missing)
    areas: dict[str, str] | None = None  # postnummer -> larger area, when configured


def protect_month(true: pd.DataFrame, domain: Domain, noise: Noise, budget: Budget,
                  rng: np.random.Generator) -> pd.DataFrame:
    """One month's true counts (one measure, any storheter; canonical columns with
    ``antal``) as protected counts in the same columns, zero rows left out."""
    out = []
    for storhet in domain.values["storhet"]:
        rows = true[true["storhet"] == storhet]
        measured = _Levels(noise, f"{storhet}:")
        out.append(_protect_storhet(rows, domain, measured, budget, rng).assign(storhet=storhet))
    frame = pd.concat(out, ignore_index=True) if out else true.iloc[:0]
    return frame[list(true.columns)]


class _Levels:
    """A :class:`Noise` whose levels are named per storhet (each is measured on its own)."""

    def __init__(self, noise: Noise, prefix: str) -> None:
        self._noise, self._prefix = noise, prefix

    def measure(self, level: str, scale: float, true: np.ndarray) -> np.ndarray:
        return self._noise.measure(self._prefix + level, scale, true)


def _codes(rows: pd.DataFrame, column: str, values: list) -> np.ndarray:
    text = rows[column].astype(object).where(rows[column].notna(), NA)
    codes = pd.Categorical(text, categories=values).codes
    if (codes < 0).any():
        raise ValueError(f"values of {column} outside the release's domain")
    return codes.astype(np.int64)


def _protect_storhet(rows: pd.DataFrame, domain: Domain, noise: "_Levels", budget: Budget,
                     rng: np.random.Generator) -> pd.DataFrame:
    values = domain.values
    geo = "postnummer" if "postnummer" in values else None
    detail = [c for c in ("kon", "aldersgrupp") if c in values]
    cats = [c for c in values if c not in {"postnummer", "kon", "aldersgrupp", "storhet"}]
    counts = rows["antal"].to_numpy(dtype=np.int64)
    geos = values[geo] if geo else [NA]
    g_code = _codes(rows, geo, geos) if geo else np.zeros(len(rows), dtype=np.int64)
    d_sizes = [len(values[c]) for c in detail]
    d_code = (np.ravel_multi_index([_codes(rows, c, values[c]) for c in detail], d_sizes)
              if detail else np.zeros(len(rows), dtype=np.int64))
    G, D = len(geos), int(np.prod(d_sizes)) if detail else 1

    def hist(index: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(index, weights=counts, minlength=size).astype(np.int64)

    total = int(counts.sum())
    t = max(0, int(round(noise.measure("kommun", budget.kommun, np.array([total]))[0])))
    k = (fit(noise.measure("kommun_detalj", budget.kommun_detalj, hist(d_code, D))[None], [t])[0]
         if D > 1 else np.array([t]))
    if geo:
        p_true = hist(g_code, G)
        if domain.areas:
            names = sorted({domain.areas.get(p, NA) for p in geos})
            area_of = np.array([names.index(domain.areas.get(p, NA)) for p in geos])
            a = fit(noise.measure("omrade", budget.omrade,
                                  np.bincount(area_of, weights=p_true, minlength=len(names))
                                  .astype(np.int64))[None], [t])[0]
            y_p = noise.measure("postnummer", budget.postnummer, p_true)
            p = np.zeros(G, dtype=np.int64)
            for i in range(len(names)):
                members = np.flatnonzero(area_of == i)
                p[members] = fit(y_p[members][None], [a[i]])[0]
        else:
            p = fit(noise.measure("postnummer", budget.postnummer, p_true)[None], [t])[0]
        b = (fit(noise.measure("postnummer_detalj", budget.postnummer_detalj,
                               hist(g_code * D + d_code, G * D).reshape(G, D)), p, k)
             if D > 1 else p[:, None])
    else:
        b = k[None, :]
    cell = g_code * D + d_code
    joined = []
    for c in cats:
        J = len(values[c])
        c_code = _codes(rows, c, values[c])
        m = fit(noise.measure(f"kommun_kategori:{c}", budget.kommun_kategori,
                              hist(c_code, J))[None], [t])[0]
        y = noise.measure(f"kategori:{c}", budget.kategori,
                          hist(cell * J + c_code, G * D * J).reshape(G * D, J))
        joined.append(fit(y, b.ravel(), m))
    flat = b.ravel()
    out: dict[str, list] = {c: [] for c in [*([geo] if geo else []), *detail, *cats]}
    out["antal"] = []
    for i in np.flatnonzero(flat):
        g, d = divmod(int(i), D)
        dims = np.unravel_index(d, d_sizes) if detail else ()
        pairs = _join([j[i] for j in joined], rng) if cats else [((), int(flat[i]))]
        for combo, n in pairs:
            if geo:
                out[geo].append(geos[g])
            for c, v in zip(detail, dims):
                out[c].append(values[c][v])
            for c, v in zip(cats, combo):
                out[c].append(values[c][v])
            out["antal"].append(n)
    frame = pd.DataFrame(out)
    for c in frame.columns:
        if c != "antal":
            frame[c] = frame[c].where(frame[c] != NA, None)
    return frame.astype({"antal": "int64"})
