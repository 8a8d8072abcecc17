"""A filtered count's rate has the filtered population as its denominator, on every route:
the measure page's headline, the Karta view (its municipal rate and each area), the measure
page's breakdown table and ``summary``. Every route sums the same published rows, so a
rate worked out by hand from them is the rate shown."""

import pandas as pd
import pytest

from lagesbild import store
from lagesbild.analysis import aggregate, areas, periods
from lagesbild.config import Config
from lagesbild.release import disclosure, publish
from lagesbild.store import ingest
from lagesbild.views import breakdown as bd
from lagesbild.views import figures, source

CFG = Config.from_env()
YEAR = 2025
PERIOD = aggregate.Period(pd.Timestamp(f"{YEAR}-01-01"), pd.Timestamp(f"{YEAR}-12-01"))


@pytest.fixture(scope="module")
def demo():
    engine = publish.open_store(CFG)
    measure = CFG.catalogue.measure("orosanmalningar")
    return measure, source.counts(engine, CFG, measure), store.read_population(engine)


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


def _near(rate, count, people):
    """A published rate: the sum of the published rows over the exact population."""
    return abs(rate - 1000 * count / people) <= 0.05


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
    assert _near(rate, count, people)


@pytest.mark.parametrize("name", FILTERS)
def test_karta_municipal_rate_and_each_area_use_the_filtered_population(demo, name):
    measure, counts, population = demo
    filters, hand = FILTERS[name]
    rows, _ = aggregate.apply_filters(counts, measure, filters)
    table = areas.area_table(rows, aggregate.filter_population(population, measure, filters),
                             measure, periods.parse_period("ar", str(YEAR)))
    count, people = _by_hand(counts, population, measure, **hand)
    assert table.attrs["kommun_per_1000"] == pytest.approx(1000 * count / people)  # exact
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
    assert _near(rate, count, people)
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
        # Published, the girls of the breakdown and the girls alone are the same cell.
        assert (disclosure.protect(alone, 5)["per_1000"].iloc[0]
                == disclosure.protect(by_sex.reset_index(), 5).set_index("kon")
                .loc[sex, "per_1000"])


def test_breakdown_by_age_under_a_sex_filter_divides_by_that_sex(demo):
    measure, counts, population = demo
    fig = figures.figure("fordelning", counts, population, measure, CFG, PERIOD,
                         dim="aldersgrupp", filters=aggregate.Filters(kon=("K",)))
    table = fig.table.set_index(fig.table.columns[0])
    count, people = _by_hand(counts, population, measure, kon="K", ages=(12, 17))
    row = next(r for label, r in table.iterrows() if "12" in str(label))
    assert _near(row[bd.RATE], count, people)


def test_areas_command_under_a_sex_filter_prints_that_sex_population(demo, capsys):
    from lagesbild.cli import main

    measure, counts, population = demo
    assert main(["areas", "orosanmalningar", "--ar", str(YEAR), "--filter", "kon=K"]) == 0
    printed = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out),
                          dtype={"omrade": str})
    row = printed.sort_values("befolkning").iloc[-1]
    count, people = _by_hand(counts, population, measure, kon="K", postnummer=row["omrade"])
    assert int(row["befolkning"]) == people and abs(int(row["antal"]) - count) <= 2
    assert float(row["per_1000"]) == round(1000 * int(row["antal"]) / people, 1)


def test_the_same_cell_is_the_same_number_on_every_route(demo, capsys):
    """A postnummer's 2025 count: Karta's table, its Excel file, `areas` and `summary`."""
    import io

    from openpyxl import load_workbook

    from lagesbild.cli import main
    from lagesbild.geo import layers
    from lagesbild.present import export
    from lagesbild.views import areas as area_views

    measure, counts, population = demo
    layer = layers.read_layer(CFG.shapes)
    postorter = dict(zip(layer["postnummer"], layer["postort"].fillna("")))
    shown = area_views.display_layer(layer, "postnummer", None)
    view = area_views.view(CFG, counts, population, measure, "ar", str(YEAR), "antal",
                           "postnummer", aggregate.Filters(), shown, postorter, None)
    code = view.safe.sort_values("befolkning").iloc[-1]["kod"]
    on_page = int(view.safe.set_index("kod").loc[code, "antal"])
    book = load_workbook(io.BytesIO(export.xlsx(view.table, view.caption)))
    row = next(r for r in book["Tabell"].iter_rows(min_row=2, values_only=True)
               if str(r[0]).replace(" ", "").startswith(code))
    assert row[1] == on_page
    assert main(["areas", "orosanmalningar", "--ar", str(YEAR)]) == 0
    areas_cli = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"omrade": str})
    assert int(areas_cli.set_index("omrade").loc[code, "antal"]) == on_page
    assert main(["summary", "orosanmalningar", "--ar", str(YEAR), "--per", "postnummer"]) == 0
    summary_cli = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"postnummer": str})
    assert int(summary_cli.set_index("postnummer").loc[code, "antal"]) == on_page
