"""Disclosure control: small counts and the rates built on them never reach a view."""

import pandas as pd
import pytest

from lagesbild import fmt
from lagesbild.present import maps
from lagesbild.release import disclosure


@pytest.mark.parametrize("count, hidden", [
    (0, False), (1, True), (2, True), (4, True), (5, False), (3707, False),
])
def test_threshold_five(count, hidden):
    out = disclosure.protect(pd.DataFrame({"antal": [count], "per_1000": [1.5]}), 5)
    assert bool(out["skyddad"].iloc[0]) is hidden
    assert pd.isna(out["antal"].iloc[0]) is hidden
    assert pd.isna(out["per_1000"].iloc[0]) is hidden


@pytest.mark.parametrize("threshold, count, hidden", [(3, 2, True), (3, 3, False),
                                                      (10, 9, True), (10, 10, False)])
def test_threshold_is_configurable(threshold, count, hidden):
    out = disclosure.protect(pd.DataFrame({"antal": [count]}), threshold)
    assert bool(out["skyddad"].iloc[0]) is hidden


def test_protect_does_not_change_its_input_and_marks_its_output():
    frame = pd.DataFrame({"antal": [3, 12], "per_1000": [2.0, 8.0]})
    out = disclosure.protect(frame, 5)
    assert frame["antal"].tolist() == [3, 12]
    assert disclosure.is_protected(out)
    assert not disclosure.is_protected(frame)


def test_a_rate_is_hidden_when_any_of_its_counts_is():
    frame = pd.DataFrame({"antal": [20], "befolkning_antal": [3], "per_1000": [6.0]})
    out = disclosure.protect(frame, 5, count_cols=("antal", "befolkning_antal"))
    assert pd.isna(out["per_1000"].iloc[0])


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
    table = disclosure.protect(pd.DataFrame({
        "postnummer": ["97231", "97333"], "antal": [3, 40], "befolkning": [300, 500],
        "per_1000": [10.0, 80.0]}), 5)
    out, legend = maps.choropleth(geojson, table, {"97231": "Luleå"}, 5)
    hidden, shown = (f["properties"] for f in out["features"])
    assert (hidden["antal_text"], hidden["varde_text"]) == ("<5", "–")
    assert (shown["antal_text"], shown["varde_text"]) == ("40", "80,0")
    assert hidden["namn"] == "972 31 Luleå"
    assert any("Färre än 5" in item.label for item in legend)
