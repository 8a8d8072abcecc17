"""The overview's cards: every figure through disclosure control, texts in Swedish."""

import pandas as pd
import pytest

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Config
from lagesbild.errors import DataError
from lagesbild.present import tables
from lagesbild.views import areas as area_views
from lagesbild.views import overview

CFG = Config()
MONTH = pd.Timestamp("2026-10-01")


def _counts(per_month: list[int], kon: str = "K") -> pd.DataFrame:
    months = pd.date_range(end=MONTH, periods=len(per_month), freq="MS")
    return pd.DataFrame({
        "month": months, "postnummer": "97231", "kon": kon, "aldersgrupp": "0-5",
        "orsak": "ovrigt", "anmalare": "polis", "storhet": "antal", "antal": per_month})


def _number(text: str) -> int:
    return int(text.replace("\u00a0", "").split()[0].replace("+", "").replace("\u2212", "-"))


def _card(counts, filters=aggregate.Filters()):
    cards = overview.cards({"orosanmalningar": counts}, CFG, MONTH, filters)
    return next(c for c in cards if c.measure == "orosanmalningar")


def test_card_figures_and_swedish_texts():
    card = _card(_counts([100] * 12 + [110] * 11 + [1200]))
    now, last_year, r12 = (_number(card.value), _number(card.last_year),
                           _number(card.rolling12))
    assert abs(now - 1200) <= 2 and abs(last_year - 100) <= 2 and abs(r12 - 2410) <= 2
    # Differences are of the published numbers, so the card agrees with itself.
    assert card.delta == f"+{fmt.number(now - last_year)} mot okt 2025"
    assert card.direction == "up"
    assert card.rolling12_change.endswith("\u00a0% mot föregående 12 mån")
    assert card.rolling12_change.startswith("+100,") or card.rolling12_change.startswith("+101,")
    assert len(card.trend) == 24


def test_small_counts_are_hidden_everywhere_on_a_card():
    card = _card(_counts([20] * 23 + [1]))
    assert card.value == "<5"
    assert card.delta is None and card.direction == "off"  # a difference would reveal it
    assert card.trend is None  # and so would the line


def test_measures_without_data_say_inga_data_not_zero():
    cards = overview.cards({}, CFG, MONTH, aggregate.Filters())
    assert len(cards) == len(CFG.catalogue.measures)
    assert all(c.value == c.rolling12 == c.last_year == "inga uppgifter" for c in cards)
    assert all(c.trend is None and c.delta is None for c in cards)


def test_a_rolling_window_before_the_data_start_is_no_value_and_a_filtered_zero_is_zero():
    months = pd.date_range("2025-12-01", MONTH, freq="MS")  # under a year of data
    counts = pd.DataFrame({"month": months, "storhet": "antal", "postnummer": "97231",
                           "kon": "K", "aldersgrupp": "6-11", "orsak": "skolfranvaro",
                           "anmalare": "skola", "antal": 7})
    card = overview.cards({"orosanmalningar": counts}, CFG, MONTH, aggregate.Filters())[0]
    assert abs(_number(card.value) - 7) <= 2 and card.last_year == "inga uppgifter"
    assert card.rolling12 == "inga uppgifter"  # not the months there are, labelled as twelve
    boys = overview.cards({"orosanmalningar": counts}, CFG, MONTH,
                          aggregate.Filters(kon=("M",)))[0]
    assert boys.value == "0"  # inside the data's span, no boys' reports is a true zero


def test_a_filter_a_measure_lacks_is_named():
    cards = overview.cards({}, CFG, MONTH, aggregate.Filters(kon=("K",)))
    evictions = next(c for c in cards if c.measure == "vrakningar")
    assert evictions.note == "Urvalet på kön gäller inte detta mått."


def test_headline_filter_counts_only_new_contacts():
    months = [MONTH] * 2
    counts = pd.DataFrame({"month": months, "kon": ["K", "K"], "aldersgrupp": ["25-44"] * 2,
                           "typ": ["ny_kontakt", "pagaende"], "storhet": "antal",
                           "antal": [12, 300]})
    card = next(c for c in overview.cards({"skuldradgivning": counts}, CFG, MONTH, aggregate.Filters())
        if c.measure == "skuldradgivning")
    assert abs(_number(card.value) - 12) <= 2 and card.counted == "Nya kontakter"


def test_area_table_only_takes_protected_frames():

    raw = pd.DataFrame({"kod": ["97231", "97232"], "antal": [1, 40], "befolkning": [200, 300],
                        "per_1000": [5.0, 133.33], "antal_fg": [10, 1],
                        "per_1000_fg": [50.0, 3.3], "forandring": [-9, 39],
                        "forandring_pct": [-90.0, 3900.0], "flagga": ["inom", "över"]})
    with pytest.raises(DataError, match="röjandekontrollen"):
        area_views.display_table(raw, "postnummer", {}, None, 5)
    shown = area_views.display_table(area_views.protect(raw, 5), "postnummer", {"97231": "Luleå"},
                                None, 5)
    first, second = shown.iloc[0], shown.iloc[1]
    assert first["Postnummer"] == "972 31 Luleå"
    assert pd.isna(first["Antal"]) and pd.isna(first["Per 1 000"])  # shown as "<5"
    assert pd.isna(first["Förändring (%)"]) and first["Jämfört med kommunen"] == "–"
    assert abs(second["Antal"] - 40) <= 2 and pd.isna(second["Antal samma period i fjol"])
    assert pd.isna(second["Förändring (antal)"])  # no change against a hidden count
    assert tables.style(shown).to_string().count("<5") == 2


def test_each_sex_is_a_cell_of_its_own():
    # Girls' 1 is shown as "<5"; the boys' own figures are shown beside it.
    counts = pd.concat([_counts([0] * 23 + [1], kon="K"), _counts([10] * 24, kon="M")])
    measure = CFG.catalogue.measure("orosanmalningar")
    cards = overview.sex_cards(counts, measure, 5, MONTH)
    assert cards["K"][0].value == "<5" and cards["M"][1] is True
    assert abs(_number(cards["M"][0].rolling12) - 120) <= 2
