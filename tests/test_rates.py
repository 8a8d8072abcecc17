"""A filtered count's rate has the filtered population as its denominator, on every route:
the measure page's headline, the Karta view (its municipal rate and each area), the measure
page's breakdown table and ``summary``."""

import pandas as pd
import pytest

from lagesbild import store
from lagesbild.analysis import aggregate, areas, periods
from lagesbild.config import Config
from lagesbild.store import ingest
from lagesbild.views import breakdown as bd
from lagesbild.views import figures

CFG = Config.from_env()
YEAR = 2025
PERIOD = aggregate.Period(pd.Timestamp(f"{YEAR}-01-01"), pd.Timestamp(f"{YEAR}-12-01"))


@pytest.fixture(scope="module")
def demo():
    engine = ingest.open_store(CFG)
    measure = CFG.catalogue.measure("orosanmalningar")
    return measure, store.read_counts(engine, measure), store.read_population(engine)


def _by_hand(counts, population, measure, kon=None, ages=None, postnummer=None):
    """Count and target population worked out directly from the rows, the slow way."""
    rows = counts[counts["month"].between(PERIOD.start, PERIOD.end)]
    people = population[(population["ar"] == YEAR) & population["alder"].between(0, 20)]
    if kon:
        rows, people = rows[rows["kon"] == kon], people[people["kon"] == kon]
    if ages:
        low, high = ages
        rows = rows[rows["aldersgrupp"] == f"{low}-{high}"]
        people = people[people["alder"].between(low, high)]
    if postnummer:
        rows = rows[rows["postnummer"] == postnummer]
        people = people[people["postnummer"] == postnummer]
    return int(rows["antal"].sum()), int(people["antal"].sum())


FILTERS = {
    "flickor": (aggregate.Filters(kon=("K",)), {"kon": "K"}),
    "pojkar": (aggregate.Filters(kon=("M",)), {"kon": "M"}),
    "12-17 år": (aggregate.Filters(aldersgrupp=("12-17",)), {"ages": (12, 17)}),
    "flickor 0-5 år": (aggregate.Filters(kon=("K",), aldersgrupp=("0-5",)),
                       {"kon": "K", "ages": (0, 5)}),
}


@pytest.mark.parametrize("name", FILTERS)
def test_headline_rate_divides_by_the_filtered_population(demo, name):
    measure, counts, population = demo
    filters, hand = FILTERS[name]
    count, people = _by_hand(counts, population, measure, **hand)
    rows, _ = aggregate.apply_filters(counts, measure, filters)
    rate = bd.rate(rows, aggregate.filter_population(population, measure, filters), measure,
                   PERIOD, measure.primary.code, CFG.threshold)
    assert rate == pytest.approx(1000 * count / people)


@pytest.mark.parametrize("name", FILTERS)
def test_karta_municipal_rate_and_each_area_use_the_filtered_population(demo, name):
    measure, counts, population = demo
    filters, hand = FILTERS[name]
    rows, _ = aggregate.apply_filters(counts, measure, filters)
    table = areas.area_table(rows, aggregate.filter_population(population, measure, filters),
                             measure, periods.parse_period("ar", str(YEAR)))
    count, people = _by_hand(counts, population, measure, **hand)
    assert table.attrs["kommun_per_1000"] == pytest.approx(1000 * count / people, rel=0.02)
    biggest = table.sort_values("befolkning").iloc[-1]
    count, people = _by_hand(counts, population, measure, postnummer=biggest["kod"], **hand)
    assert (biggest["antal"], biggest["befolkning"]) == (count, people)
    assert biggest["per_1000"] == pytest.approx(1000 * count / people)


def test_one_area_filter_divides_by_that_area(demo):
    measure, counts, population = demo
    postnummer = population.groupby("postnummer")["antal"].sum().idxmax()
    filters = aggregate.Filters(postnummer=(postnummer,))
    count, people = _by_hand(counts, population, measure, postnummer=postnummer)
    rows, _ = aggregate.apply_filters(counts, measure, filters)
    rate = bd.rate(rows, aggregate.filter_population(population, measure, filters), measure,
                   PERIOD, measure.primary.code, CFG.threshold)
    assert rate == pytest.approx(1000 * count / people)
    assert 50 < rate < 500  # a plausible rate, not a count over the whole municipality


def test_summary_by_sex_and_the_sex_filter_give_the_same_rate(demo):
    measure, counts, population = demo
    by_sex = aggregate.summary(counts, population, measure, PERIOD, ["kon"]).set_index("kon")
    for sex in ("K", "M"):
        filters = aggregate.Filters(kon=(sex,))
        rows, _ = aggregate.apply_filters(counts, measure, filters)
        alone = aggregate.summary(rows, aggregate.filter_population(population, measure,
                                                                    filters),
                                  measure, PERIOD, [])
        assert alone["per_1000"].iloc[0] == pytest.approx(by_sex.loc[sex, "per_1000"])


def test_breakdown_by_age_under_a_sex_filter_divides_by_that_sex(demo):
    measure, counts, population = demo
    fig = figures.figure("fordelning", counts, population, measure, CFG, PERIOD,
                         dim="aldersgrupp", filters=aggregate.Filters(kon=("K",)))
    table = fig.table.set_index(fig.table.columns[0])
    count, people = _by_hand(counts, population, measure, kon="K", ages=(12, 17))
    row = next(r for label, r in table.iterrows() if "12" in str(label))
    assert row[bd.RATE] == pytest.approx(1000 * count / people, abs=0.05)


def test_areas_command_under_a_sex_filter_prints_that_sex_population(demo, capsys):
    from lagesbild.cli import main

    measure, counts, population = demo
    assert main(["areas", "orosanmalningar", "--ar", str(YEAR), "--filter", "kon=K"]) == 0
    printed = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out),
                          dtype={"omrade": str})
    row = printed.sort_values("befolkning").iloc[-1]
    count, people = _by_hand(counts, population, measure, kon="K", postnummer=row["omrade"])
    assert (int(row["antal"]), int(row["befolkning"])) == (count, people)
    assert float(row["per_1000"]) == pytest.approx(1000 * count / people, abs=0.01)
