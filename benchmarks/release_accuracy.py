"""Benchmark: how close the published releases are to the truth, and how long publishing takes.

Run:  python benchmarks/release_accuracy.py [--demo] [--city N] [--dir /tmp/scale]

On the demo (its shipped releases, or a fresh publication with --nytt) and on a big city
(``benchmarks/scale.py`` builds it; its last twelve months are published here, each timed),
prints against the true stored counts, with each goal:

- per measure, the mean absolute error of the municipal monthly total (goal ≤ 2 events) and,
  over months holding 200 or more, the mean relative error (goal ≤ 1 %);
- for postnummer with 100 or more events in the last twelve months, the share whose
  published 12-month rate is within ±10 % of the true rate (goal ≥ 90 %);
- on the demo: the planted patterns still found (the funnel's flagged areas 975 98, 974 33,
  974 52 and 973 45; the 974 42 action's interval below 1; skadligt bruk rising);
- the time to publish one month of the big city (goal ≤ 30 s).

Prints figures; asserts nothing. The load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lagesbild import store  # noqa: E402
from lagesbild.analysis import aggregate  # noqa: E402
from lagesbild.config import Config  # noqa: E402
from lagesbild.release import publish  # noqa: E402
from lagesbild.views import source  # noqa: E402

FLAGGED = {"97598", "97433", "97452", "97345"}


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _monthly(frame: pd.DataFrame, measure, months) -> pd.Series:
    rows = frame[frame["storhet"] == measure.primary.code]
    return rows.groupby("month", observed=True)["antal"].sum().reindex(months, fill_value=0)


def totals(cfg: Config, true: dict, published: dict, months: pd.DatetimeIndex) -> None:
    print("  municipal monthly totals (primary variable), against the truth:")
    for code, measure in cfg.catalogue.measures.items():
        known = aggregate.delivered(published[code])
        use = months[months.isin(known)] if known is not None else months
        t, p = _monthly(true[code], measure, use), _monthly(published[code], measure, use)
        error = (p - t).abs()
        big = t >= 200
        rel = f"{100 * (error[big] / t[big]).mean():.2f} % over {int(big.sum())} months " \
              f"≥ 200 (goal ≤ 1 %)" if big.any() else "no month ≥ 200"
        print(f"    {measure.short}: mean absolute error {error.mean():.2f} over {len(use)} "
              f"months (goal ≤ 2); {rel}")


def rates(cfg: Config, true: dict, published: dict, end: pd.Timestamp) -> None:
    period = aggregate.Period.rolling12(end)
    print(f"  postnummer with ≥ 100 events in the 12 months to {end:%Y-%m}: published rate "
          "within ±10 % of the true rate (goal ≥ 90 %):")
    for code, measure in cfg.catalogue.measures.items():
        if not measure.has_postnummer:
            continue
        rows = {k: f[(f["storhet"] == measure.primary.code) & period.contains(f["month"])]
                for k, f in (("t", true[code]), ("p", published[code]))}
        t = rows["t"].groupby("postnummer", observed=True)["antal"].sum()
        p = rows["p"].groupby("postnummer", observed=True)["antal"].sum().reindex(t.index,
                                                                                 fill_value=0)
        big = t >= 100
        if not big.any():
            print(f"    {measure.short}: no postnummer with 100 events")
            continue
        within = ((p[big] - t[big]).abs() <= 0.10 * t[big]).mean()
        windows = _all_windows(true[code], published[code], measure, end)
        print(f"    {measure.short}: {100 * within:.1f} % of {int(big.sum())} areas "
              f"(mean relative error {100 * ((p[big] - t[big]).abs() / t[big]).mean():.1f} %)"
              + (f"; over every 12-month window of the data: {100 * windows[0]:.1f} % of "
                 f"{windows[1]} area-windows" if windows[1] else ""))


def _all_windows(true: pd.DataFrame, published: pd.DataFrame, measure, end) -> tuple:
    """The same share over every 12-month window the data hold (area × end month)."""
    def table(frame):
        rows = frame[frame["storhet"] == measure.primary.code]
        return rows.groupby(["postnummer", "month"], observed=True)["antal"].sum().unstack(
            fill_value=0)
    t, p = table(true), table(published)
    months = [m for m in t.columns if m <= end]
    t = t[months]
    p = p.reindex(index=t.index, columns=months, fill_value=0)
    t12, p12 = t.T.rolling(12).sum().T.iloc[:, 11:], p.T.rolling(12).sum().T.iloc[:, 11:]
    big = t12 >= 100
    ok = ((p12 - t12).abs() <= 0.10 * t12)[big]
    n = int(big.sum().sum())
    return (float(ok.sum().sum()) / n if n else 0.0, n)


def patterns(cfg: Config, engine) -> None:
    from lagesbild.geo import groupings
    from lagesbild.store import process
    from lagesbild.views import areas as area_views
    from lagesbild.views import effect as effect_views

    snap = source.read(engine, cfg, store.fingerprint(engine))
    m = cfg.catalogue.measure("orosanmalningar")
    end = snap.latest()
    table, _ = area_views.exact_table(snap.counts[m.code], snap.population, m, "rullande",
                                      f"{end:%Y-%m}", "postnummer", aggregate.Filters(),
                                      groupings.load_grouping(cfg.omraden))
    safe = area_views.protect(table, cfg.threshold)
    flagged = set(safe.loc[safe["flagga"] == "över", "kod"])
    weaker = set(safe.loc[safe["tecken"] == "över", "kod"]) - flagged
    print(f"  funnel (limits widened by the release's noise): flagged above (99,8 %) "
          f"{sorted(flagged)}, above 95 % only {sorted(weaker & FLAGGED)}; planted "
          f"{sorted(FLAGGED)}: {len(FLAGGED & flagged)} of {len(FLAGGED)} flagged, "
          f"{len(FLAGGED & (flagged | weaker))} of {len(FLAGGED)} at least above 95 %")
    effect = effect_views.table(cfg, snap.counts, snap.population,
                                process.actions(engine), end)
    row = effect[effect["omrade"].astype(str).str.contains("974 42")]
    if len(row):
        r = row.iloc[0]
        print(f"  974 42 action: ratio {r['kvot']:.2f} ({r['ki_lag']:.2f}–{r['ki_hog']:.2f}); "
              f"interval below 1: {r['ki_hog'] < 1}")
    sb = cfg.catalogue.measure("skadligt_bruk")
    h = aggregate.headline(snap.counts[sb.code], sb, end)
    print(f"  skadligt bruk, rolling 12 months {h.rolling12:.0f} against {h.rolling12_before:.0f}"
          f" a year before: rising {h.rolling12 > h.rolling12_before}")


def demo(fresh: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="release-demo-"))
    cfg = Config(db_url=f"sqlite:///{folder / 'demo.sqlite'}")
    started = time.perf_counter()
    if fresh:
        cfg = replace(cfg, demo_dir=ROOT / "data" / "demo")
        from lagesbild.store import ingest

        engine = ingest.open_store(cfg)
        publish.publish_history(engine, cfg, created_by="benchmark")
    else:
        engine = publish.open_store(cfg)
    print(f"demo ({'published afresh' if fresh else 'shipped releases'}, "
          f"{time.perf_counter() - started:.0f} s; {_load()}):")
    true = store.read_all(engine, cfg.catalogue)
    snap = source.read(engine, cfg, store.fingerprint(engine))
    months = pd.DatetimeIndex(sorted(snap.counts["orosanmalningar"]["month"].unique()))
    totals(cfg, true, snap.counts, months)
    rates(cfg, true, snap.counts, snap.latest())
    patterns(cfg, engine)


def city(events: int, folder: Path) -> None:
    import scale

    cfg, _ = scale.build(folder, events)
    engine = publish.opening.open_store(cfg)
    latest = max(publish.unpublished_months(engine, cfg) or ["2025-12"])
    months = [str(p) for p in pd.period_range(end=latest, periods=12, freq="M")]
    done = {r.month for r in publish.releases.listed(engine)}
    took = []
    for month in months:
        if month in done:
            continue
        started = time.perf_counter()
        publish.publish_month(engine, cfg, month, "benchmark")
        took.append(time.perf_counter() - started)
    if took:
        print(f"city of {events:,} events ({_load()}): publishing one month took median "
              f"{np.median(took):.1f} s, max {max(took):.1f} s over {len(took)} months "
              "(goal ≤ 30 s)")
    true = {code: store.read_counts(engine, m, months=(pd.Timestamp(f"{months[0]}-01").date(),
                                                       pd.Timestamp(f"{months[-1]}-01").date()))
            for code, m in cfg.catalogue.measures.items()}
    published = source.all_counts(engine, cfg)
    index = pd.DatetimeIndex([pd.Timestamp(f"{m}-01") for m in months])
    totals(cfg, true, published, index)
    rates(cfg, true, published, index[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", action="store_true", help="measure the demo")
    parser.add_argument("--nytt", action="store_true",
                        help="publish the demo afresh instead of reading its shipped releases")
    parser.add_argument("--city", type=int, default=0, metavar="N",
                        help="measure a city of N events (benchmarks/scale.py builds it)")
    parser.add_argument("--dir", default=None, help="folder for the city's store (reused)")
    args = parser.parse_args()
    if args.demo or not args.city:
        demo(args.nytt)
    if args.city:
        folder = Path(args.dir or tempfile.mkdtemp(prefix="release-city-"))
        folder.mkdir(parents=True, exist_ok=True)
        city(args.city, folder)


if __name__ == "__main__":
    main()
