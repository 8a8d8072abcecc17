"""Disclosure control: small counts and the rates built on them never reach a view."""

import pandas as pd
import pytest

from lagesbild import fmt
from lagesbild.present import maps
from lagesbild.release import cellkey, disclosure

SEED = "test-seed"


def _cells(counts, **columns) -> pd.DataFrame:
    """Aggregated cells as the engine gives them: counts with their cell-key sums."""
    rows = pd.DataFrame({"cell": range(len(counts)), "antal": counts, **columns})
    keyed = cellkey.with_keys(rows[["cell", "antal"]], SEED)
    return rows.assign(nyckel=keyed["nyckel"])


def test_zero_is_never_perturbed_and_shown():
    out = disclosure.protect(_cells([0] * 50), 5, rate_cols=())
    assert out["antal"].tolist() == [0] * 50 and not out["skyddad"].any()


def test_published_counts_are_near_the_truth_and_positive_counts_stay_positive():
    true = list(range(1, 400))
    out = disclosure.protect(_cells(true), 5, rate_cols=())
    published = cellkey.perturb(pd.Series(true), _cells(true)["nyckel"])
    assert ((published - pd.Series(true)).abs() <= cellkey.MAX_NOISE).all()
    assert (published >= 1).all()
    noise = (published - pd.Series(true))[3:]
    assert abs(noise.mean()) < 0.2 and 0.7 < noise.var() < 1.3  # ptable: mean 0, variance 1
    assert (noise != 0).mean() > 0.4  # most cells really are perturbed
    # Suppression works on the published value: 1-4 hidden, whatever the truth was.
    hidden = published.between(1, 4)
    assert out["skyddad"].tolist() == hidden.tolist()
    assert out["antal"].isna().tolist() == hidden.tolist()


@pytest.mark.parametrize("threshold", [3, 5, 10])
def test_threshold_is_configurable(threshold):
    out = disclosure.protect(_cells(list(range(1, 60))), threshold, rate_cols=())
    published = cellkey.perturb(pd.Series(range(1, 60)), _cells(list(range(1, 60)))["nyckel"])
    assert out["skyddad"].tolist() == published.between(1, threshold - 1).tolist()


def test_the_same_cell_gets_the_same_value_in_any_table():
    rows = pd.DataFrame({"month": ["2025-01", "2025-01", "2025-02"], "kon": ["K", "M", "K"],
                         "antal": [7, 9, 11]})
    keyed = cellkey.with_keys(rows, SEED)
    by_sex = keyed.groupby("kon")[["antal", "nyckel"]].sum().reset_index()
    by_month = keyed.groupby("month")[["antal", "nyckel"]].sum().reset_index()
    girls = disclosure.protect(by_sex, 5, rate_cols=()).set_index("kon").loc["K", "antal"]
    again = disclosure.protect(by_sex.iloc[::-1], 5, rate_cols=()).set_index("kon")
    assert again.loc["K", "antal"] == girls
    # The total of the sexes and the total of the months are one cell: one value.
    total = keyed[["antal", "nyckel"]].sum().to_frame().T
    once = disclosure.protect(total, 5, rate_cols=())["antal"].iloc[0]
    twice = disclosure.protect(by_month[["antal", "nyckel"]].sum().to_frame().T, 5,
                               rate_cols=())["antal"].iloc[0]
    assert once == twice


def test_record_keys_are_fixed_by_the_seed_and_change_with_it():
    rows = pd.DataFrame({"month": ["2025-01"] * 3, "orsak": ["a", "b", "c"], "antal": [1, 2, 3]})
    assert (cellkey.record_keys(rows, SEED) == cellkey.record_keys(rows.copy(), SEED)).all()
    assert (cellkey.record_keys(rows, SEED) != cellkey.record_keys(rows, "other")).all()
    keys = cellkey.record_keys(pd.DataFrame({"i": range(2000), "antal": 1}), SEED)
    assert 0 <= keys.min() and keys.max() < 1 and abs(keys.mean() - 0.5) < 0.05


def test_counts_without_cell_keys_are_refused():
    with pytest.raises(disclosure.DisclosureError, match="cellnycklar"):
        disclosure.protect(pd.DataFrame({"antal": [12]}), 5)


def test_rates_and_changes_are_worked_out_from_published_counts_and_rounded():
    cells = _cells([120, 3], befolkning=[7000, 400], per_1000=[17.142857, 7.5])
    cells = cells.assign(antal_fg=[100, 30], nyckel_fg=cells["nyckel"] * 3.3,
                         forandring=[20, -27], forandring_pct=[20.0, -90.0])
    out = disclosure.protect(cells, 5, count_cols=("antal", "antal_fg"))
    row = out.iloc[0]
    assert row["per_1000"] == round(1000 * row["antal"] / 7000, 1)
    assert row["forandring"] == row["antal"] - row["antal_fg"]
    assert row["forandring_pct"] == round(100 * (row["antal"] - row["antal_fg"])
                                          / row["antal_fg"], 1)
    hidden = out.iloc[1]
    if hidden["skyddad"]:
        assert pd.isna(hidden["per_1000"]) and pd.isna(hidden["forandring"])
    assert "nyckel" not in out and "nyckel_fg" not in out  # keys never leave release


def test_protect_does_not_change_its_input_and_marks_its_output():
    frame = _cells([3, 12], per_1000=[2.0, 8.0])
    out = disclosure.protect(frame, 5)
    assert frame["antal"].tolist() == [3, 12]
    assert disclosure.is_protected(out)
    assert not disclosure.is_protected(frame)


def test_population_is_suppressed_but_not_perturbed():
    out = disclosure.protect(_cells([20, 20], befolkning=[3, 4567]), 5,
                             count_cols=("antal", "befolkning"), rate_cols=())
    assert pd.isna(out["befolkning"].iloc[0]) and out["befolkning"].iloc[1] == 4567


@pytest.mark.parametrize("value, hidden, text", [
    (3, True, "<5"), (0, False, "0"), (3707, False, "3\u00a0707"),
])
def test_shown_counts(value, hidden, text):
    assert fmt.count(value, hidden, 5) == text


def test_map_refuses_unprotected_tables():
    geojson = {"type": "FeatureCollection", "features": []}
    with pytest.raises(Exception, match="röjandekontrollen"):
        maps.choropleth(geojson, pd.DataFrame({"postnummer": [], "antal": []}), {}, 5)


def test_map_tooltips_never_show_a_suppressed_count():
    feature = {"type": "Feature", "properties": {"postnummer": "97231"},
               "geometry": {"type": "Point", "coordinates": [22, 65]}}
    geojson = {"type": "FeatureCollection", "features": [feature, {
        **feature, "properties": {"postnummer": "97333"}}]}
    table = disclosure.protect(_cells([1, 40], postnummer=["97231", "97333"],
                                      befolkning=[300, 500], per_1000=[10.0, 80.0]), 5)
    out, legend = maps.choropleth(geojson, table, {"97231": "Luleå"}, 5)
    hidden, shown = (f["properties"] for f in out["features"])
    assert (hidden["antal_text"], hidden["varde_text"]) == ("<5", "–")  # 1 is never perturbed
    published = int(table["antal"].iloc[1])
    assert abs(published - 40) <= 2
    assert (shown["antal_text"], shown["varde_text"]) == (
        str(published), fmt.number(1000 * published / 500, 1))
    assert hidden["namn"] == "972 31 Luleå"
    assert any("Färre än 5" in item.label for item in legend)


def test_zeros_that_would_tell_what_a_few_people_share_are_hidden():
    # Girls: all 7 reports for one reason; boys: spread. Published, the girls' zeros would
    # say every girl was reported for the same reason.
    safe = disclosure.protect(_cells([7, 0, 0, 6, 9, 0], orsak=["a", "b", "c"] * 2,
                                     kon=["K"] * 3 + ["M"] * 3), 5, rate_cols=())
    out = disclosure.conceal_concentration(safe, ["kon"], 5)
    girls, boys = out[out["kon"] == "K"], out[out["kon"] == "M"]
    assert girls["skyddad"].iloc[1:].all() and girls["antal"].iloc[1:].isna().all()
    assert boys["antal"].iloc[2] == 0  # spread over categories: the zero tells nothing
    many = disclosure.protect(_cells([40, 0, 0], orsak=["a", "b", "c"]), 5, rate_cols=())
    assert disclosure.conceal_concentration(many, [], 5)["antal"].tolist()[1:] == [0, 0]
