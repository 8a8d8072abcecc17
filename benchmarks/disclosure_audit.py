"""Disclosure audit: one reconstruction attack on everything the app and the command line publish.

Run:  python benchmarks/disclosure_audit.py [--measure orosanmalningar] [--months 24]
                                            [--bound 2] [--butik URL] [--dims kon,aldersgrupp]

By default the demo is loaded into a new store and published afresh, so the noise attacked is
secret (the demo's shipped releases are in the repository).

What is published. For one measure over a span (default: the last 24 complete months, plus the
11 months before them so every rolling window of the span is whole) the audit asks the same view
functions the pages and the command line call for every table a user can get:

- Karta / ``areas`` (``views.areas.exact_table`` + ``views.areas.protect``): per postnummer and
  per larger area (the grouping in ``LAGESBILD_OMRADEN``), for every month, quarter, year and
  rolling 12-month window, with the column "same period last year" too;
- ``summary`` (``aggregate.summary`` + ``disclosure.protect``): the municipality, by sex, by
  postnummer and by postnummer x sex, for every month and year;
- Översikt (``views.overview.card``): the month, the same month last year and the rolling 12
  months of the municipality, for every month;

each for all / girls (K) / boys (M), and, in a slice of its own per dimension (``--dims``), for
every age group or category of the measure (``areas --filter orsak=…``, ``summary --per orsak``,
``summary --per postnummer --per orsak``, the Översikt cards with that filter).

What the attacker knows. Every published number lies within ``--bound`` (a public noise bound;
the cell-key scheme documents ±2) of its true value; a published "<5" hides a published value
from 1 to 4, so its true value lies in [1 − bound, 4 + bound]; true counts are non-negative
integers. ``--zeros-exact`` adds the cell-key scheme's own public rule (a published 0 is a true 0
and a published positive count a true positive one). Nothing else: the attack reads published
outputs only, never how they were protected, so it runs unchanged on any protection scheme.

The attack. The unknowns are the true counts at the finest level those tables resolve: per
postnummer x month x sex, or per postnummer x month x category in a category slice. A bounded
least-squares fit (``scipy.optimize.lsq_linear``) to every published number at once (hidden
cells pulled softly towards 2.5) estimates them. Then, for every target cell, two LPs (HiGHS via
``scipy.optimize.milp``) find the smallest and largest value the cell can take under every
published bound at once; when the integer range is one value the cell is *provable* from what
is public. A range of two values is checked again with integrality (MILP). Fit and LPs are solved
per postnummer (larger areas and the municipality are left out, which only widens ranges: a cell
proved there is proved), and feasible points found on the way rule out cells before their own
LPs.

Targets: every postnummer-month of the span whose true count is 1–4 or that the postnummer
table of the month shows as "<5". Scored: exact and within ±1 (estimate = the fit, clipped to
the proved range), the base rate of always guessing the commonest hidden value, provable cells,
and whether a published 0 proves a true 0.

Prints a plain table; asserts nothing (tests/test_disclosure_audit.py does).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# One core: thousands of small dense solves are slower with BLAS threads than without.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import sparse  # noqa: E402
from scipy.optimize import Bounds, LinearConstraint, lsq_linear, milp  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lagesbild import store  # noqa: E402
from lagesbild.analysis import aggregate  # noqa: E402
from lagesbild.cli import _filters as cli_filters  # noqa: E402  (what --filter selects)
from lagesbild.config import Config, Measure  # noqa: E402
from lagesbild.geo import groupings  # noqa: E402
from lagesbild.release import disclosure  # noqa: E402
from lagesbild.views import areas as area_views  # noqa: E402
from lagesbild.views import overview, source  # noqa: E402

ALL = "*"
EPS = 1e-6


# --- the unknowns -----------------------------------------------------------------------------

@dataclass
class Grid:
    """True counts per postnummer x month x sex x category, flattened in that order."""

    postnummer: list[str]
    months: list[pd.Timestamp]
    sexes: list[str]  # ["K", "M"], or [ALL] when the slice does not split by sex
    dim: str | None  # the category dimension of the slice, if any
    cats: list[str]  # its codes, or [ALL]

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return len(self.postnummer), len(self.months), len(self.sexes), len(self.cats)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def cells(self, p=None, m=None, s=None, c=None) -> np.ndarray:
        """Flat indices of the product of the given index lists (None: all)."""
        axes = [np.arange(n) if ix is None else np.asarray(ix, dtype=np.int64)
                for ix, n in zip((p, m, s, c), self.shape)]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.sort(np.ravel_multi_index([a.ravel() for a in mesh], self.shape))


@dataclass
class Publication:
    """Published cells as sets of unknowns: a value, or NaN for "<threshold"."""

    grid: Grid
    rows: dict = field(default_factory=dict)  # (cells bytes, value) -> (cells, value)
    targets: dict = field(default_factory=dict)  # (postnummer, month) -> (cells, published)
    totals: dict = field(default_factory=dict)  # month -> the municipality's published count

    def hidden_mean(self, threshold: int) -> float:
        """What a hidden postnummer-month holds on average, from published numbers only: each
        month's municipal count minus its shown postnummer, over its hidden ones."""
        left = hidden = 0.0
        for month, total in self.totals.items():
            cells = [v for (_, m), (_, v) in self.targets.items() if m == month]
            if pd.isna(total) or not cells:
                continue
            left += total - sum(v for v in cells if not pd.isna(v))
            hidden += sum(1 for v in cells if pd.isna(v))
        return float(np.clip(left / hidden, 1, threshold - 1)) if hidden else threshold / 2

    def add(self, cells: np.ndarray, value) -> None:
        if len(cells) == 0:
            return
        value = np.nan if pd.isna(value) else float(value)
        self.rows.setdefault((cells.tobytes(), value), (cells, value))


# --- what the views publish --------------------------------------------------------------------

def _periods(months: list[pd.Timestamp]) -> list[tuple[str, str, list[pd.Timestamp]]]:
    """Every month, quarter, year and rolling 12-month window that lies inside *months*."""
    have = set(months)
    out = [("manad", f"{m:%Y-%m}", [m]) for m in months]
    for m in months:
        window = list(pd.date_range(m - pd.DateOffset(months=11), m, freq="MS"))
        if set(window) <= have:
            out.append(("rullande", f"{m:%Y-%m}", window))
        if m.month % 3 == 0:
            quarter = list(pd.date_range(m - pd.DateOffset(months=2), m, freq="MS"))
            if set(quarter) <= have:
                out.append(("kvartal", f"{m.year}-Q{m.month // 3}", quarter))
        if m.month == 12:
            year = list(pd.date_range(pd.Timestamp(m.year, 1, 1), m, freq="MS"))
            if set(year) <= have:
                out.append(("ar", str(m.year), year))
    return out


def _count(text: str):
    """A card's number as published: an int, NaN for "<5", None when nothing is shown."""
    text = str(text).strip()
    if text.startswith("<"):
        return np.nan
    digits = "".join(ch for ch in text if ch.isdigit())
    return int(digits) if digits and text[0].isdigit() else None


class _Collector:
    """Calls the views for one slice and turns their published numbers into rows."""

    def __init__(self, cfg: Config, counts: pd.DataFrame, population: pd.DataFrame,
                 measure: Measure, grid: Grid, grouping, span: list[pd.Timestamp]):
        self.cfg, self.counts, self.population = cfg, counts, population
        self.measure, self.grid, self.grouping, self.span = measure, grid, grouping, span
        self.pub = Publication(grid)
        self.p_index = {p: i for i, p in enumerate(grid.postnummer)}
        self.m_index = {m: i for i, m in enumerate(grid.months)}
        self.headline = dict(measure.headline_filter)
        self.since = overview.first_month(counts)

    # -- index helpers
    def months(self, months) -> list[int] | None:
        ix = [self.m_index.get(pd.Timestamp(m)) for m in months]
        return None if any(i is None for i in ix) else ix

    def sex_ix(self, sex: str | None):
        return None if sex is None or self.grid.sexes == [ALL] else [self.grid.sexes.index(sex)]

    def cat_ix(self, cat: str | None):
        grid = self.grid
        if grid.dim is None:
            return None
        if cat is not None:
            return [grid.cats.index(cat)]
        if grid.dim in self.headline:  # no filter: the headline category, as the CLI counts
            return [grid.cats.index(c) for c in self.headline[grid.dim]]
        return None

    def filter_items(self, sex, cat) -> list[str]:
        return ([f"kon={sex}"] if sex else []) + ([f"{self.grid.dim}={cat}"] if cat else [])

    # -- the views
    def areas(self, sex, cat) -> None:
        """Karta and ``areas``: every period at both levels, with last year's column."""
        filters = cli_filters(self.filter_items(sex, cat), self.cfg, self.measure, headline=True)
        s, c = self.sex_ix(sex), self.cat_ix(cat)
        for level in ("postnummer", "omrade"):
            grouping = self.grouping if level == "omrade" else None
            if level == "omrade" and grouping is None:
                continue
            for kind, code, months in _periods(self.grid.months):
                table, _ = area_views.exact_table(self.counts, self.population, self.measure,
                                                  kind, code, level, filters, grouping)
                safe = area_views.protect(table, self.cfg.threshold)
                now = self.months(months)
                before = self.months([m - pd.DateOffset(years=1) for m in months])
                for kod, value, value_fg in zip(safe["kod"], safe["antal"], safe["antal_fg"]):
                    members = [kod] if level == "postnummer" else \
                        [q for q in self.grid.postnummer if grouping.area_of(q) == kod]
                    p = [self.p_index[q] for q in members if q in self.p_index]
                    if not p:
                        continue
                    cells = self.grid.cells(p, now, s, c)
                    self.pub.add(cells, value)
                    if before is not None:
                        self.pub.add(self.grid.cells(p, before, s, c), value_fg)
                    if (kind == "manad" and level == "postnummer" and sex is None
                            and cat is None and months[0] in self.span):
                        self.pub.targets[(kod, months[0])] = (cells, value)

    def summaries(self) -> None:
        """``summary --manad/--ar [--per …]`` as cmd_summary computes it."""
        grid = self.grid
        bys = [[], ["postnummer"]]
        if grid.sexes != [ALL]:
            bys += [["kon"], ["postnummer", "kon"]]
        if grid.dim is not None:
            bys += [[grid.dim], ["postnummer", grid.dim]]
        for by in bys:
            only = [(d, v) for d, v in self.measure.headline_filter if d not in by]
            frame, _ = aggregate.apply_filters(self.counts, self.measure,
                                               aggregate.Filters(categories=tuple(only)))
            for kind, _, months in _periods(grid.months):
                if kind not in ("manad", "ar"):
                    continue
                period = aggregate.Period(months[0], months[-1])
                table = aggregate.summary(frame, self.population, self.measure, period, by)
                safe = disclosure.protect(table, self.cfg.threshold)
                m = self.months(months)
                for _, row in safe.iterrows():
                    p = [self.p_index[row["postnummer"]]] if "postnummer" in by else None
                    if "postnummer" in by and row["postnummer"] not in self.p_index:
                        continue
                    s = self.sex_ix(row["kon"]) if "kon" in by else None
                    c = self.cat_ix(row[grid.dim]) if grid.dim in by else self.cat_ix(None)
                    self.pub.add(grid.cells(p, m, s, c), row["antal"])
                    if not by and kind == "manad":
                        self.pub.totals[months[0]] = row["antal"]

    def cards(self, sex, cat) -> None:
        """Översikt: each month's card (month, same month last year, rolling 12 months)."""
        filters = cli_filters(self.filter_items(sex, cat), self.cfg, self.measure, headline=True)
        frame, _ = aggregate.apply_filters(self.counts, self.measure, filters)
        s, c = self.sex_ix(sex), self.cat_ix(cat)
        for month in self.grid.months:
            card = overview.card(frame, self.measure, self.cfg.threshold, month,
                                 since=self.since)
            shown = {(month,): card.value, (month - pd.DateOffset(years=1),): card.last_year,
                     tuple(pd.date_range(month - pd.DateOffset(months=11), month,
                                         freq="MS")): card.rolling12}
            for months, text in shown.items():
                value, m = _count(text), self.months(months)
                if value is not None and m is not None:
                    self.pub.add(self.grid.cells(None, m, s, c), value)


def publish(cfg: Config, counts: pd.DataFrame, population: pd.DataFrame, measure: Measure,
            grid: Grid, grouping, span: list[pd.Timestamp]) -> Publication:
    """Everything the views publish that the slice's unknowns resolve."""
    col = _Collector(cfg, counts, population, measure, grid, grouping, span)
    sexes = [None] + ([] if grid.sexes == [ALL] else list(grid.sexes))
    cats = [None] + ([] if grid.dim is None else list(grid.cats))
    for sex in sexes:
        for cat in cats:
            if sex is not None and cat is not None:
                continue  # a slice splits by sex or by one category dimension, not both
            col.areas(sex, cat)
            col.cards(sex, cat)
    col.summaries()
    return col.pub


def truth_vector(truth: pd.DataFrame, measure: Measure, grid: Grid) -> np.ndarray:
    """The true counts on the grid (headline filter on every dimension the grid keeps whole)."""
    only = [(d, v) for d, v in measure.headline_filter if d != grid.dim]
    rows, _ = aggregate.apply_filters(truth, measure, aggregate.Filters(categories=tuple(only)))
    rows = rows[rows["storhet"] == measure.primary.code]
    x = np.zeros(grid.shape)
    p = rows["postnummer"].astype(str).map({q: i for i, q in enumerate(grid.postnummer)})
    m = rows["month"].map({q: i for i, q in enumerate(grid.months)})
    s = rows["kon"].astype(str).map({q: i for i, q in enumerate(grid.sexes)}) \
        if grid.sexes != [ALL] else pd.Series(0, index=rows.index)
    c = rows[grid.dim].astype(str).map({q: i for i, q in enumerate(grid.cats)}) \
        if grid.dim else pd.Series(0, index=rows.index)
    ok = p.notna() & m.notna() & s.notna() & c.notna()
    np.add.at(x, (p[ok].astype(int), m[ok].astype(int), s[ok].astype(int), c[ok].astype(int)),
              rows.loc[ok, "antal"].to_numpy())
    return x.ravel()


# --- the solver: fit, then prove ---------------------------------------------------------------

@dataclass
class Solved:
    estimate: np.ndarray  # per target: the fit (unrounded)
    lo: np.ndarray  # per target: the smallest integer value it can take (NaN: not computed,
    hi: np.ndarray  # per target: the largest            because it cannot be one value)
    infeasible_blocks: int
    lps: int


def _matrix(cells_list: list[np.ndarray], n: int) -> sparse.csr_matrix:
    indptr = np.cumsum([0] + [len(c) for c in cells_list])
    indices = np.concatenate(cells_list) if cells_list else np.zeros(0, dtype=np.int64)
    return sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(cells_list), n))


def row_bounds(values: np.ndarray, bound: float, threshold: int, zeros_exact: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
    """What a published value says about the true sum: within *bound*; "<t" (NaN) is a
    published 1..t-1, so the truth is within *bound* of that; never negative."""
    hidden = np.isnan(values)
    lb = np.where(hidden, 1 - bound, values - bound)
    ub = np.where(hidden, threshold - 1 + bound, values + bound)
    if zeros_exact:
        ub = np.where(~hidden & (values == 0), 0, ub)
        lb = np.where(hidden | (values > 0), np.maximum(lb, 1), lb)
    return np.maximum(lb, 0), ub


def _lp(c: np.ndarray, A, lb, ub, integral: bool = False, time_limit: float = 5.0):
    res = milp(c, constraints=LinearConstraint(A, lb, ub), bounds=Bounds(0, np.inf),
               integrality=np.ones(len(c)) if integral else None,
               options={"time_limit": time_limit, "presolve": True})
    return res if res.x is not None and res.status == 0 else None


def solve(n: int, rows: list[tuple[np.ndarray, float]], targets: list[np.ndarray],
          blocks: np.ndarray, bound: float, threshold: int, zeros_exact: bool = False,
          integral_check: bool = True, hidden_weight: float = 1.0,
          hidden_goal: float | None = None) -> Solved:
    """Fit all published rows, then bound every target by LP, block by block.

    *blocks* gives each unknown a block number (by default its postnummer): rows and targets
    that lie within one block are fitted and bounded together. Rows across blocks (larger
    areas, the municipality) are left out, which only widens the ranges: a value proved
    without them is proved. The fit is a bounded least-squares fit (non-negative) of every
    published number; a hidden one is pulled towards *hidden_goal* (default: the middle of
    what "<t" allows) with *hidden_weight*.
    """
    A = _matrix([r[0] for r in rows], n)
    values = np.array([r[1] for r in rows], dtype=float)
    lb, ub = row_bounds(values, bound, threshold, zeros_exact)
    hidden = np.isnan(values)
    T = _matrix(targets, n)
    fit = np.zeros(n)
    lo = np.full(len(targets), np.nan)
    hi = np.full(len(targets), np.nan)
    row_block = _row_blocks(A, blocks)
    target_block = _row_blocks(T, blocks)
    infeasible, lps = 0, 0
    weight = np.where(hidden, hidden_weight, 1.0)
    goal = np.where(hidden, threshold / 2 if hidden_goal is None else hidden_goal, values)
    for b in np.unique(blocks):
        cols = np.flatnonzero(blocks == b)
        inside = np.flatnonzero(row_block == b)
        if not len(inside):
            continue
        Ab = A[inside][:, cols].toarray()
        lbb, ubb = lb[inside], ub[inside]
        w = weight[inside]
        fit[cols] = lsq_linear(Ab * w[:, None], goal[inside] * w, bounds=(0, np.inf),
                               method="bvls").x
        mine = np.flatnonzero(target_block == b)
        if not len(mine):
            continue
        Tb = T[mine][:, cols].toarray()
        # Every LP solution is a table that fits everything published: where two of them
        # already give a target two different integers, its LP range cannot be one value.
        seen_lo = np.full(len(mine), np.inf)
        seen_hi = np.full(len(mine), -np.inf)
        for k, t in enumerate(mine):
            if np.floor(seen_hi[k] + EPS) > np.ceil(seen_lo[k] - EPS):
                lo[t], hi[t] = np.nan, np.nan  # not provable; its range was not computed
                continue
            obj = Tb[k]
            low = _lp(obj, Ab, lbb, ubb)
            lps += 1
            if low is None:  # no truth fits every published bound: the bound was broken
                infeasible += 1
                lo[mine], hi[mine] = np.nan, np.nan
                break
            high = _lp(-obj, Ab, lbb, ubb)
            lps += 1
            if high is None:
                continue
            for point in (low.x, high.x):
                values = Tb @ point
                np.minimum(seen_lo, values, out=seen_lo)
                np.maximum(seen_hi, values, out=seen_hi)
            a, z = int(np.ceil(low.fun - EPS)), int(np.floor(-high.fun + EPS))
            if integral_check and z - a == 1:  # two values by LP: does an integer table fit?
                for sign in (1, -1):
                    res = _lp(sign * obj, Ab, lbb, ubb, integral=True)
                    lps += 1
                    if res is not None and res.status == 0:
                        if sign == 1:
                            a = max(a, int(round(res.fun)))
                        else:
                            z = min(z, int(round(-res.fun)))
            lo[t], hi[t] = a, z
    return Solved(T @ fit, lo, hi, infeasible, lps)


def _row_blocks(M: sparse.csr_matrix, blocks: np.ndarray) -> np.ndarray:
    """The block a row lies in, or -1 when it spans several."""
    out = np.full(M.shape[0], -1)
    for i in range(M.shape[0]):
        b = blocks[M.indices[M.indptr[i]:M.indptr[i + 1]]]
        if len(b) and (b == b[0]).all():
            out[i] = b[0]
    return out


# --- one measure -----------------------------------------------------------------------------

@dataclass
class Result:
    measure: str
    span: tuple[str, str]
    slices: list[str]
    published: int  # distinct published cells used
    unknowns: int
    cells: int  # targets attacked
    base_rate: float
    exact: float
    within1: float
    provable: int
    provable_wrong: int  # "proved" but not the truth: the noise bound was broken
    example: str
    zeros_true: int
    zeros_all: int
    beyond_bound: int  # published numbers further than the bound from the truth
    infeasible_blocks: int
    lps: int
    seconds: float
    detail: pd.DataFrame = field(repr=False, default=None)


def _grid(measure: Measure, counts: pd.DataFrame, population: pd.DataFrame,
          months: list[pd.Timestamp], dim: str) -> Grid:
    postnummer = sorted({str(p) for p in counts["postnummer"].dropna().unique()}
                        | {str(p) for p in population["postnummer"].dropna().unique()})
    if dim == "kon":
        sexes = ["K", "M"] if measure.has_sex else [ALL]
        return Grid(postnummer, months, sexes, None, [ALL])
    return Grid(postnummer, months, [ALL], dim, aggregate.categories(measure, dim))


def slices_of(measure: Measure, wanted: list[str] | None) -> list[str]:
    """The slices a measure can be attacked in: "kon" (always) and its category dimensions."""
    have = ["kon"] + (["aldersgrupp"] if measure.age_groups else []) \
        + list(measure.dimensions)
    return [d for d in have if wanted is None or d in wanted] or ["kon"]


def attack_frames(cfg: Config, counts: pd.DataFrame, truth: pd.DataFrame,
                  population: pd.DataFrame, measure: Measure, months: int = 24,
                  bound: float = 2, dims: list[str] | None = ("kon",),
                  zeros_exact: bool = False, end: pd.Timestamp | None = None,
                  integral_check: bool = True) -> Result:
    """The attack on frames: *counts* as the views read them, *truth* (the same rows without
    protection) only for scoring. *dims* chooses the slices (``slices_of``)."""
    started = time.perf_counter()
    if "postnummer" not in measure.dimension_columns:
        raise ValueError(f"{measure.code} has no postnummer: nothing to attack at that level")
    end = pd.Timestamp(end) if end is not None else aggregate.latest_complete_month(counts)
    span = list(pd.date_range(end - pd.DateOffset(months=months - 1), end, freq="MS"))
    first = max(span[0] - pd.DateOffset(months=11), pd.Timestamp(counts["month"].min()))
    grid_months = list(pd.date_range(first, end, freq="MS"))
    grouping = groupings.load_grouping(cfg.omraden) if cfg.omraden else None
    names = slices_of(measure, list(dims) if dims else None)
    est = lo = hi = None
    published = unknowns = infeasible = lps = 0
    zeros_true = zeros_all = beyond = 0
    keys = None
    for name in names:
        grid = _grid(measure, counts, population, grid_months, name)
        pub = publish(cfg, counts, population, measure, grid, grouping, span)
        x_true = truth_vector(truth, measure, grid)
        rows = list(pub.rows.values())
        published += len(rows)
        unknowns += grid.size
        sums = np.array([x_true[c].sum() for c, _ in rows])
        values = np.array([v for _, v in rows])
        shown = ~np.isnan(values)
        zeros = shown & (values == 0)
        zeros_all += int(zeros.sum())
        zeros_true += int((zeros & (sums == 0)).sum())
        beyond += int((shown & (np.abs(values - sums) > bound + EPS)).sum())
        order = sorted(pub.targets)
        if keys is None:
            keys = order
            truths = np.array([x_true[pub.targets[k][0]].sum() for k in keys])
            shown_hidden = np.array([pd.isna(pub.targets[k][1]) for k in keys])
            goal = pub.hidden_mean(cfg.threshold)
        targets = [pub.targets[k][0] for k in keys]
        blocks = _blocks(grid, grouping)
        solved = solve(grid.size, rows, targets, blocks, bound, cfg.threshold,
                       zeros_exact, integral_check, hidden_goal=goal)
        infeasible += solved.infeasible_blocks
        lps += solved.lps
        if est is None:
            est, lo, hi = solved.estimate, solved.lo, solved.hi
        else:  # every slice's range is a valid range: keep the narrowest
            lo, hi = np.fmax(lo, solved.lo), np.fmin(hi, solved.hi)
    pick = (truths >= 1) & (truths <= cfg.threshold - 1) | shown_hidden
    guess = np.fmin(np.fmax(np.round(est), lo), hi)  # NaN: no range computed
    detail = pd.DataFrame({"postnummer": [k[0] for k in keys], "month": [k[1] for k in keys],
                           "true": truths, "estimate": guess, "fit": est, "lo": lo, "hi": hi,
                           "hidden": shown_hidden})[pick].reset_index(drop=True)
    proved = detail[detail["lo"] == detail["hi"]]
    example = ""
    if len(proved):
        row = proved.iloc[0]
        example = (f"{row['postnummer']} {row['month']:%Y-%m}: proved {int(row['lo'])}, "
                   f"true {int(row['true'])}")
    common = detail["true"].value_counts(normalize=True)
    return Result(
        measure=measure.code, span=(f"{span[0]:%Y-%m}", f"{span[-1]:%Y-%m}"), slices=names,
        published=published, unknowns=unknowns, cells=len(detail),
        base_rate=float(common.iloc[0]) if len(common) else 0.0,
        exact=float((detail["estimate"] == detail["true"]).mean()) if len(detail) else 0.0,
        within1=float(((detail["estimate"] - detail["true"]).abs() <= 1).mean())
        if len(detail) else 0.0,
        provable=len(proved), provable_wrong=int((proved["lo"] != proved["true"]).sum()),
        example=example, zeros_true=zeros_true, zeros_all=zeros_all, beyond_bound=beyond,
        infeasible_blocks=infeasible, lps=lps, seconds=time.perf_counter() - started,
        detail=detail)


def _blocks(grid: Grid, grouping, level: str = "postnummer") -> np.ndarray:
    """Each unknown's block: its postnummer, or (*level* "omrade") its larger area."""
    areas = [grouping.area_of(p) if grouping is not None and level == "omrade" else None
             for p in grid.postnummer]
    codes = {a: i for i, a in enumerate(dict.fromkeys(a for a in areas if a is not None))}
    per_p = np.array([codes[a] if a is not None else len(codes) + i
                      for i, a in enumerate(areas)])
    return np.repeat(per_p, grid.size // len(grid.postnummer))


def attack(cfg: Config, engine, measure: str | Measure, months: int = 24, **options) -> Result:
    """The attack on a store: counts through ``views.source`` as every view reads them, the
    store's own rows as the truth (for scoring only). Options as :func:`attack_frames`."""
    measure = cfg.catalogue.measure(measure) if isinstance(measure, str) else measure
    counts = source.counts(engine, cfg, measure)
    truth = store.read_counts(engine, measure)
    return attack_frames(cfg, counts, truth, store.read_population(engine), measure, months,
                         **options)


# --- the command -------------------------------------------------------------------------------

COLUMNS = ["measure", "slices", "cells attacked", "base rate", "exact", "within ±1",
           "provable", "published 0 = true 0", "runtime"]


def row(r: Result) -> dict:
    return {"measure": r.measure, "slices": "+".join(r.slices), "cells attacked": r.cells,
            "base rate": f"{100 * r.base_rate:.0f} %", "exact": f"{100 * r.exact:.0f} %",
            "within ±1": f"{100 * r.within1:.1f} %",
            "provable": str(r.provable) + (f" ({r.provable_wrong} wrong)" if r.provable_wrong
                                            else ""),
            "published 0 = true 0": f"{r.zeros_true} / {r.zeros_all}",
            "runtime": f"{r.seconds:.0f} s"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="append", default=None,
                        help="measure code (repeatable; default every measure with postnummer)")
    parser.add_argument("--months", type=int, default=24, help="months attacked (the span)")
    parser.add_argument("--bound", type=float, default=2,
                        help="public noise bound: |published - true| <= bound (default 2)")
    parser.add_argument("--butik", default=None, metavar="URL",
                        help="attack this store's releases as they are (default: the demo, "
                             "published afresh with noise nobody has seen)")
    parser.add_argument("--dims", default="kon",
                        help="slices, comma-separated: kon, aldersgrupp or a category "
                             "dimension; 'all' for every one (default kon)")
    parser.add_argument("--zeros-exact", action="store_true",
                        help="also use the cell-key rule: published 0 = true 0, positive = "
                             "positive")
    parser.add_argument("--no-milp", action="store_true", help="LP bounds only")
    args = parser.parse_args(argv)
    cfg = Config.from_env()
    if args.butik:
        cfg = dataclasses.replace(cfg, db_url=args.butik)
        engine = store.connect(cfg.db_url)
    else:  # the demo's shipped releases are public: publish it again, with secret noise
        import tempfile

        from lagesbild.release import publish as publishing
        from lagesbild.store import ingest

        folder = Path(tempfile.mkdtemp(prefix="audit-"))
        cfg = dataclasses.replace(cfg, db_url=f"sqlite:///{folder / 'demo.sqlite'}",
                                  demo=True)
        engine = ingest.open_store(cfg)
        publishing.publish_history(engine, cfg, created_by="audit")
    codes = args.measure or [c for c, m in cfg.catalogue.measures.items()
                             if "postnummer" in m.dimension_columns]
    dims = None if args.dims == "all" else [d.strip() for d in args.dims.split(",")]
    print(f"Disclosure audit: reconstruction attack, noise bound ±{args.bound:g}, "
          f"threshold {cfg.threshold}, "
          f"{'the store' + chr(39) + 's releases' if args.butik else 'the demo published afresh'}"
          + (", published 0 taken as exact" if args.zeros_exact else ""))
    results = []
    for code in codes:
        r = attack(cfg, engine, code, args.months, bound=args.bound, dims=dims,
                   zeros_exact=args.zeros_exact, integral_check=not args.no_milp)
        results.append(r)
        print(f"  {code} {r.span[0]}..{r.span[1]}: {r.published} published cells, "
              f"{r.unknowns} unknowns, {r.lps} LPs, {r.beyond_bound} published numbers beyond "
              f"the bound, {r.infeasible_blocks} infeasible blocks"
              + (f"; e.g. {r.example}" if r.example else ""), flush=True)
    print(pd.DataFrame([row(r) for r in results], columns=COLUMNS).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
