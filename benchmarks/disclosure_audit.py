"""Disclosure audit: publish what the app publishes, then try to take the small cells back.

Run:  python benchmarks/disclosure_audit.py [--matt orosanmalningar] [--manader 24]

It publishes, through the same functions the pages and the command line use
(``views.areas.exact_table`` + ``views.areas.protect`` as Karta and ``areas`` do, and
``aggregate.summary`` + ``disclosure.protect`` as ``summary`` does), the postnummer tables of
every month, quarter, year and rolling 12 months in the period, the same by sex, and the
municipal totals. Then a differencing attack targets every postnummer-month the tables show as
"<5" (and every hidden girls' cell), by five routes:

- year minus its other eleven months; quarter minus its other two months;
- neighbouring rolling windows: R(m) - R(m-1) + month(m-12);
- the municipal month total minus every other postnummer;
- sex complements: girls + boys, or the total minus boys.

It prints, per route, how many targets it reaches, how many estimates equal the true value,
and how many of those are *certain* (every published number the route used was exact; under
the cell key method no published number is known to be exact, so an attacker is never
certain); and how far published values lie from the truth. ``--utan-brus`` runs the same
attack on the old scheme (exact counts, "<5" only) to show what the attack can do.

Prints figures; asserts nothing (the tests in tests/test_disclosure_audit.py do).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lagesbild import store  # noqa: E402
from lagesbild.analysis import aggregate  # noqa: E402
from lagesbild.config import Config  # noqa: E402
from lagesbild.release import disclosure  # noqa: E402
from lagesbild.views import areas as area_views  # noqa: E402
from lagesbild.views import source  # noqa: E402

NEUTRAL_KEY = 0.5  # a cell key that selects no noise: the old, exact scheme


@dataclass
class Published:
    """Everything the attacker sees, and the truth the auditor checks against."""

    cells: dict = field(default_factory=dict)  # (table, period, sex, area) -> published or NaN
    truth: dict = field(default_factory=dict)  # the same keys -> true count
    deviations: list = field(default_factory=list)  # |published - true| of shown cells


def _publish(table: pd.DataFrame, threshold: int, noise: bool) -> pd.DataFrame:
    if not noise:  # the old scheme: exact counts with small ones hidden
        table = table.assign(**{c: NEUTRAL_KEY for c in table.columns if c.startswith("nyckel")})
    return area_views.protect(table, threshold)


def publish(counts: pd.DataFrame, population: pd.DataFrame, measure, months: list,
            threshold: int, noise: bool = True) -> Published:
    """Publish the area tables and municipal totals a user can ask for over *months*."""
    out = Published()
    periods = [("manad", f"{m:%Y-%m}") for m in months]
    periods += [("rullande", f"{m:%Y-%m}") for m in months]
    # *months* are whole calendar years, so every quarter and year in them is complete.
    periods += sorted({("kvartal", _quarter(m)) for m in months})
    periods += sorted({("ar", str(m.year)) for m in months})
    for sex in ("", "K", "M"):
        filters = aggregate.Filters(kon=(sex,) if sex else ())
        for kind, code in periods:
            table, _ = area_views.exact_table(counts, population, measure, kind, code,
                                              "postnummer", filters, None)
            safe = _publish(table, threshold, noise)
            for area, true, shown in zip(table["kod"], table["antal"], safe["antal"]):
                key = (kind, code, sex, area)
                out.truth[key] = int(true)
                out.cells[key] = np.nan if pd.isna(shown) else int(shown)
                if not pd.isna(shown):
                    out.deviations.append(abs(int(shown) - int(true)))
            total = table[[c for c in table.columns if c in ("antal", "nyckel")]].sum()
            cell = pd.DataFrame([total])
            if not noise:
                cell = cell.assign(nyckel=NEUTRAL_KEY)
            published = disclosure.protect(cell, threshold, rate_cols=())["antal"].iloc[0]
            out.truth[(kind, code, sex, "*")] = int(total["antal"])
            out.cells[(kind, code, sex, "*")] = np.nan if pd.isna(published) else int(published)
    return out


def _quarter(m: pd.Timestamp) -> str:
    return f"{m.year}-Q{(m.month - 1) // 3 + 1}"


def attack(pub: Published, months: list) -> pd.DataFrame:
    """Every route's estimate of every hidden postnummer-month (and hidden girls' cell)."""
    cells = pub.cells
    areas = sorted({k[3] for k in cells if k[0] == "manad" and k[3] != "*"})
    rows = []

    def value(*key):
        return cells.get(key, np.nan)

    for m in months:
        code = f"{m:%Y-%m}"
        for sex in ("", "K"):
            for area in areas:
                target = ("manad", code, sex, area)
                if target not in cells or not np.isnan(cells[target]):
                    continue
                truth = pub.truth[target]
                estimates = {}
                # Year minus its other months.
                year = [x for x in months if x.year == m.year]
                if len(year) == 12 and not np.isnan(value("ar", str(m.year), sex, area)):
                    others = [value("manad", f"{x:%Y-%m}", sex, area) for x in year if x != m]
                    if not np.isnan(others).any():
                        estimates["år minus månader"] = value("ar", str(m.year), sex, area) \
                            - sum(others)
                # Quarter minus its other months.
                quarter = [x for x in months if _quarter(x) == _quarter(m)]
                q = value("kvartal", _quarter(m), sex, area)
                if len(quarter) == 3 and not np.isnan(q):
                    others = [value("manad", f"{x:%Y-%m}", sex, area) for x in quarter if x != m]
                    if not np.isnan(others).any():
                        estimates["kvartal minus månader"] = q - sum(others)
                # Neighbouring rolling windows.
                before = m - pd.DateOffset(months=1)
                old = m - pd.DateOffset(months=12)
                r_now, r_before = (value("rullande", code, sex, area),
                                   value("rullande", f"{before:%Y-%m}", sex, area))
                v_old = value("manad", f"{old:%Y-%m}", sex, area)
                if not np.isnan([r_now, r_before, v_old]).any():
                    estimates["rullande fönster"] = r_now - r_before + v_old
                # The municipal total minus every other area.
                others = [value("manad", code, sex, a) for a in areas if a != area]
                total = value("manad", code, sex, "*")
                if not np.isnan(total) and not np.isnan(others).any():
                    estimates["kommunen minus områden"] = total - sum(others)
                # Sex complements.
                if sex == "":
                    girls, boys = value("manad", code, "K", area), value("manad", code, "M", area)
                    if not np.isnan([girls, boys]).any():
                        estimates["flickor plus pojkar"] = girls + boys
                else:
                    both, boys = value("manad", code, "", area), value("manad", code, "M", area)
                    if not np.isnan([both, boys]).any():
                        estimates["totalt minus pojkar"] = both - boys
                for route, estimate in estimates.items():
                    rows.append({"mål": target, "väg": route, "skattning": estimate,
                                 "sant": truth})
    return pd.DataFrame(rows, columns=["mål", "väg", "skattning", "sant"])


def summarise(found: pd.DataFrame, targets: int, noise: bool) -> pd.DataFrame:
    """Per route: targets reached, exact estimates, certain recoveries."""
    if found.empty:
        return pd.DataFrame(columns=["väg", "nådda", "exakta", "säkra"])
    found = found.assign(exakt=found["skattning"] == found["sant"])
    table = found.groupby("väg").agg(nådda=("mål", "nunique"), exakta=("exakt", "sum"))
    # Certain: every number the route used was published exactly, which an attacker knows
    # only when there is no noise.
    table["säkra"] = table["exakta"] if not noise else 0
    overall = found.groupby("mål")["exakt"].any()
    table.loc["någon väg"] = [len(overall), int(overall.sum()),
                              int(overall.sum()) if not noise else 0]
    return table.reset_index()


def agreement(found: pd.DataFrame) -> tuple[int, int]:
    """Targets reached by two or more routes that all give the same value, and how many of
    those values are right: what an attacker might take for a confirmed recovery."""
    if found.empty:
        return 0, 0
    by_target = found.groupby("mål").agg(n=("väg", "size"), values=("skattning", "nunique"),
                                         estimate=("skattning", "first"), sant=("sant", "first"))
    agreed = by_target[(by_target["n"] >= 2) & (by_target["values"] == 1)]
    return len(agreed), int((agreed["estimate"] == agreed["sant"]).sum())


def chance(found: pd.DataFrame) -> float:
    """The share of reached targets an attacker gets right by always guessing the most
    common hidden value, without any published number."""
    if found.empty:
        return 0.0
    truth = found.groupby("mål")["sant"].first()
    return float(truth.value_counts(normalize=True).iloc[0])


def run(cfg: Config, measure_code: str, n_months: int, noise: bool) -> dict:
    engine = store.connect(cfg.db_url)
    measure = cfg.catalogue.measure(measure_code)
    counts = source.counts(engine, cfg, measure)
    population = store.read_population(engine)
    latest = aggregate.latest_complete_month(counts)
    # Whole calendar years, so year and quarter routes are there.
    end = pd.Timestamp(latest.year - 1, 12, 1) if latest.month != 12 else latest
    months = list(pd.date_range(end - pd.DateOffset(months=n_months - 1), end, freq="MS"))
    t = time.perf_counter()
    pub = publish(counts, population, measure, months, cfg.threshold, noise)
    found = attack(pub, months)
    targets = sum(1 for k, v in pub.cells.items()
                  if k[0] == "manad" and k[2] in ("", "K") and k[3] != "*" and np.isnan(v))
    return {"table": summarise(found, targets, noise), "targets": targets,
            "deviations": pd.Series(pub.deviations, dtype=float), "found": found,
            "seconds": time.perf_counter() - t, "months": months}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matt", default="orosanmalningar")
    parser.add_argument("--manader", type=int, default=24, help="months audited (whole years)")
    parser.add_argument("--utan-brus", action="store_true",
                        help="the old scheme: exact counts, only '<5' (for comparison)")
    args = parser.parse_args(argv)
    cfg = Config.from_env()
    result = run(cfg, args.matt, args.manader, noise=not args.utan_brus)
    months = result["months"]
    scheme = "utan brus (gamla skyddet)" if args.utan_brus else "cellnyckelmetoden"
    print(f"Röjandegranskning, {args.matt}, {months[0]:%Y-%m} – {months[-1]:%Y-%m}, {scheme}")
    print(f"Dolda celler (postnummer × månad, totalt och flickor): {result['targets']}")
    print(result["table"].to_string(index=False))
    found = result["found"]
    agreed, right = agreement(found)
    reached = found["mål"].nunique() if len(found) else 0
    exact = int(result["table"].set_index("väg").loc["någon väg", "exakta"]) if reached else 0
    print(f"Exakt träff på någon väg: {100 * exact / max(reached, 1):.0f} % av nådda celler; "
          f"att alltid gissa det vanligaste dolda värdet träffar {100 * chance(found):.0f} %.")
    print(f"Flera vägar som ger samma värde: {agreed} celler, varav {right} rätt.")
    deviations = result["deviations"]
    if len(deviations):
        print(f"Publicerade värden mot sanningen: medel |avvikelse| {deviations.mean():.2f}, "
              f"max {deviations.max():.0f}, oförändrade {100 * (deviations == 0).mean():.0f} %"
              f" av {len(deviations)} celler")
    print(f"Tid: {result['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
