"""Disclosure control: small counts and the rates built on them never reach a view."""

import pandas as pd
import pytest

from lagesbild import fmt
from lagesbild.present import maps
from lagesbild.release import disclosure



def _cells(counts, **columns) -> pd.DataFrame:
    """Sums of published counts, as a view hands them to the display rule."""
    return pd.DataFrame({"cell": range(len(counts)), "antal": counts, **columns})


def test_small_counts_are_shown_as_below_the_threshold_and_zero_as_zero():
    out = disclosure.protect(_cells([0, 1, 4, 5, 120]), 5, rate_cols=())
    assert out["skyddad"].tolist() == [False, True, True, False, False]
    assert out["antal"].tolist()[3:] == [5, 120] and out["antal"].iloc[0] == 0
    assert out["antal"].iloc[1:3].isna().all()


@pytest.mark.parametrize("threshold", [3, 5, 10])
def test_threshold_is_configurable(threshold):
    out = disclosure.protect(_cells(list(range(1, 60))), threshold, rate_cols=())
    assert out["skyddad"].tolist() == pd.Series(range(1, 60)).between(1, threshold - 1).tolist()


def test_rates_and_changes_are_worked_out_from_published_counts_and_rounded():
    cells = _cells([120, 3], befolkning=[7000, 400], per_1000=[17.142857, 7.5])
    cells = cells.assign(antal_fg=[100, 30], forandring=[20, -27], forandring_pct=[20.0, -90.0])
    out = disclosure.protect(cells, 5, count_cols=("antal", "antal_fg"))
    row = out.iloc[0]
    assert row["per_1000"] == round(1000 * row["antal"] / 7000, 1)
    assert row["forandring"] == row["antal"] - row["antal_fg"]
    assert row["forandring_pct"] == round(100 * (row["antal"] - row["antal_fg"])
                                          / row["antal_fg"], 1)
    hidden = out.iloc[1]
    if hidden["skyddad"]:
        assert pd.isna(hidden["per_1000"]) and pd.isna(hidden["forandring"])


def test_protect_does_not_change_its_input_and_marks_its_output():
    frame = _cells([3, 12], per_1000=[2.0, 8.0])
    out = disclosure.protect(frame, 5)
    assert frame["antal"].tolist() == [3, 12]
    assert disclosure.is_protected(out)
    assert not disclosure.is_protected(frame)


def test_small_populations_are_shown_as_below_the_threshold():
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
    assert (hidden["antal_text"], hidden["varde_text"]) == ("<5", "–")
    published = int(table["antal"].iloc[1])
    assert published == 40
    assert (shown["antal_text"], shown["varde_text"]) == (
        str(published), fmt.number(1000 * published / 500, 1))
    assert hidden["namn"] == "972 31 Luleå"
    assert any("Färre än 5" in item.label for item in legend)
