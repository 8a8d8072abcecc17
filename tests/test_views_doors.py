"""The views the Streamlit layer writes and reads through (issue 26): what a page used to work
out between calls, now tested without Streamlit."""

import datetime as dt
import time
from datetime import timedelta

import pandas as pd
import pytest

from lagesbild.config import Config
from lagesbild.views import importing, meetings, process, sessions


class _Grouping:
    labels = {"norr": "Norr", "soder": "Söder"}

    def area_of(self, postnummer: str) -> str:
        return "norr" if postnummer < "97300" else "soder"


NAMES = {"97231": "Luleå", "97242": "Luleå", "97331": "Luleå"}


def test_an_action_from_its_form_narrows_and_takes_a_larger_area_whole():
    cat = Config().catalogue
    a = process.build_action(
        titel="Skolsamverkan", beskrivning="", typ="kortsiktig", niva="selektiv",
        status="pagar", postnummer=["97331"], larger=["norr"], omrade="", kon="",
        aldersgrupp="", indikatorer=["orosanmalningar"],
        narrowed=["orosanmalningar|anmalare|skola", "orosanmalningar|anmalare|polis"],
        start=dt.date(2026, 1, 1), slut=None, ansvarig="", samverkan="", mote_id=None,
        names=NAMES, grouping=_Grouping())
    assert a.postnummer == ("97231", "97242", "97331")
    assert a.omrade == "Norr" and a.kon is None and a.aldersgrupp is None
    (indicator,) = a.indikatorer
    assert indicator.kategorier == (("anmalare", ("skola", "polis")),)
    assert process.category_label(cat, "orosanmalningar|anmalare|skola").startswith(
        cat.measure("orosanmalningar").short + " – ")


def test_a_decision_keeps_the_categories_of_an_indicator_it_keeps():
    old = process.Action(titel="Gammal", start=dt.date(2026, 1, 1), indikatorer=(
        process.Indicator("orosanmalningar", (("anmalare", ("skola",)),)),))
    new = meetings.decision_action(old, titel="Ny", start=dt.date(2026, 2, 1),
                                   indicators=["orosanmalningar", "ekonomiskt_bistand"],
                                   postnummer=(), omrade="", typ="kortsiktig", ansvarig="IFO")
    assert new.titel == "Ny" and new.indikatorer[0] == old.indikatorer[0]
    assert new.indikatorer[1] == process.Indicator("ekonomiskt_bistand")


@pytest.mark.parametrize("choice, covers", [
    ("", ()), ("97331", ("97331",)), ("omrade:norr", ("97231", "97242"))])
def test_an_area_choice_covers_its_postnummer(choice, covers):
    assert meetings.area_postnummer(choice, _Grouping(), NAMES) == covers
    assert list(meetings.area_options(_Grouping(), NAMES))[:3] == ["", "omrade:norr",
                                                                   "omrade:soder"]


def test_a_value_that_could_be_a_personnummer_is_never_offered_for_mapping():
    assert importing.mappable(["Skola", "19121212-1212", "121212 1212", "Polis\x07"]) == \
        ["Skola"]


def test_undo_offers_only_active_batches_on_one_line():
    table = pd.DataFrame({"Batch": [2, 1], "Mått": ["Oros", "Oros"], "Fil": ["b\nx.csv", "a.csv"],
                          "Period": ["2026-01", "2025-12"], "Status": ["aktiv", "ångrad"]})
    assert importing.undo_choices(table) == {2: "2: Oros, b x.csv (2026-01)"}


def test_a_login_issued_within_the_idle_time_is_recent():
    now = time.time()
    assert sessions.issued_within({"iat": now - 60}, timedelta(hours=1))
    assert not sessions.issued_within({"iat": now - 7200}, timedelta(hours=1))
    assert not sessions.issued_within({}, timedelta(hours=1))


def test_a_spark_line_spans_low_to_high():
    assert meetings.spark([1, 2, 3]) == "▁▅█"
    assert meetings.spark([]) == "–"
