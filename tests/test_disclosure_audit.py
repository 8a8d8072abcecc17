"""The reconstruction attack of benchmarks/disclosure_audit.py has teeth: it proves a hidden cell
when the publication does not protect it; under a release it proves nothing it can trust."""

import numpy as np
import pandas as pd
import pytest

from benchmarks import disclosure_audit as audit
from lagesbild.config import Config
from lagesbild.release import topdown

CFG = Config()
MEASURE = CFG.catalogue.measure("orosanmalningar")
MONTHS = list(pd.date_range("2024-01-01", "2025-03-01", freq="MS"))
SMALL = pd.Timestamp("2025-02-01")  # 97238 has 3 reports this month, 20 in every other


def test_a_suppressed_part_of_exact_totals_is_provable():
    # Three cells; the total and two parts published exactly, the third part hidden ("<5").
    rows = [(np.array([0, 1, 2]), 19.0), (np.array([1]), 10.0), (np.array([2]), 7.0),
            (np.array([0]), np.nan)]
    targets = [np.array([0])]
    blocks = np.zeros(3, dtype=int)
    exact = audit.solve(3, rows, targets, blocks, bound=0, threshold=5)
    assert exact.lo[0] == exact.hi[0] == 2
    # With a public noise bound of ±2 on every published number it is not.
    noisy = audit.solve(3, rows, targets, blocks, bound=2, threshold=5)
    assert not noisy.lo[0] == noisy.hi[0]
    assert noisy.lo[0] <= 2 <= noisy.hi[0]


def _municipality():
    """Eight postnummer over 15 months; one (97238) dips to 3 reports in one month."""
    rng = np.random.default_rng(2580)
    means = {"97231": (15, 15), "97232": (14, 16), "97233": (20, 18), "97234": (16, 15),
             "97235": (1, 10), "97236": (1, 1), "97237": (2, 12)}
    rows = []
    for month in MONTHS:
        for area, (girls, boys) in means.items():
            for sex, mean in (("K", girls), ("M", boys)):
                rows.append((month, area, sex, int(rng.poisson(mean))))
        rows.append((month, "97238", "K", 0 if month == SMALL else 10))
        rows.append((month, "97238", "M", 3 if month == SMALL else 10))
    truth = pd.DataFrame(rows, columns=["month", "postnummer", "kon", "antal"]).assign(
        aldersgrupp="6-11", orsak="ovrigt", anmalare="skola", storhet="antal")
    truth = truth[truth["antal"] > 0].reset_index(drop=True)
    population = pd.DataFrame([(year, area, sex, age, 20) for year in (2024, 2025)
                               for area in [*means, "97238"] for sex in ("K", "M")
                               for age in range(21)],
                              columns=["ar", "postnummer", "kon", "alder", "antal"])
    return _released(truth, population), truth, population


def _released(truth: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Each month of *truth* protected as a release is (OpenDP noise, one table per month)."""
    values = {"postnummer": sorted(population["postnummer"].unique()), "kon": ["K", "M"],
              "aldersgrupp": [g.code for g in MEASURE.age_groups],
              "orsak": list(MEASURE.dimensions["orsak"].categories),
              "anmalare": list(MEASURE.dimensions["anmalare"].categories), "storhet": ["antal"]}
    noise, rng = topdown.Noise(), np.random.default_rng()
    months = []
    for month, part in truth.groupby("month"):
        out = topdown.protect_month(part.drop(columns="month"), topdown.Domain(values), noise,
                                    topdown.Budget(), rng)
        months.append(out.assign(month=month))
    return pd.concat(months, ignore_index=True)[list(truth.columns)]


@pytest.fixture(scope="module")
def municipality():
    return _municipality()


def test_the_attack_proves_a_hidden_cell_of_an_unprotected_publication(municipality):
    _, truth, population = municipality
    # Published as they are (only "<5" protects): the views show what they are given.
    result = audit.attack_frames(CFG, truth, truth, population, MEASURE, months=3, bound=0)
    assert result.cells > 0
    assert result.provable > 0, result.detail
    assert result.provable_wrong == 0
    proved = result.detail[result.detail["lo"] == result.detail["hi"]]
    assert ((proved["postnummer"] == "97238") & (proved["month"] == SMALL)).any(), proved
    assert (proved["estimate"] == proved["true"]).all()
    assert result.exact >= 0.9


def test_under_a_release_the_attack_proves_nothing_true(municipality):
    counts, truth, population = municipality
    result = audit.attack_frames(CFG, counts, truth, population, MEASURE, months=3, bound=2)
    assert result.cells > 0
    # The release's noise has no bound, and its tables add up: no hidden cell is pinned down
    # (what an attack assuming ±2 "proves" is a guess, and never the truth here).
    assert result.provable - result.provable_wrong == 0
    assert result.zeros_true <= result.zeros_all
    assert 0 <= result.base_rate <= 1 and 0 <= result.exact <= result.within1 <= 1
