"""Meetings in the store without Streamlit: two meetings of different kinds and periods open
at once, items edited and deleted with a readable history, one closed with its protocol
(PDF read back with pypdf, Word with python-docx), and no personnummer stored."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest
from docx import Document as Word

from lagesbild import store
from lagesbild.config import Config
from lagesbild.errors import DataError
from lagesbild.store import meetings, process
from lagesbild.views import protocol


@pytest.fixture
def engine(tmp_path):
    return store.connect(f"sqlite:///{tmp_path / 'moten.sqlite'}")


def _pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


def _docx_text(content: bytes) -> str:
    word = Word(io.BytesIO(content))
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


@pytest.mark.parametrize("kind, code, first, last, label", [
    ("avstamning", "2026-10", date(2026, 10, 1), date(2026, 10, 1), "oktober 2026"),
    ("analys", "2026-Q3", date(2026, 7, 1), date(2026, 9, 1), "kvartal 3 2026"),
    ("analys", "2025-Q1", date(2025, 1, 1), date(2025, 3, 1), "kvartal 1 2025"),
])
def test_a_period_is_its_months_and_its_swedish_name(kind, code, first, last, label):
    assert meetings.period_months(kind, code) == (first, last)
    assert meetings.period_label(kind, code) == label


@pytest.mark.parametrize("kind, code, message", [
    ("avstamning", "2026-13", "Månaden ”2026-13” går inte att läsa"),
    ("analys", "2026-10", "Kvartalet ”2026-10” går inte att läsa"),
])
def test_a_wrong_period_says_how_to_write_it(engine, kind, code, message):
    with pytest.raises(DataError, match=message):
        meetings.open_meeting(engine, kind, date(2026, 11, 5), "anna", period=code)


def test_two_meetings_of_different_kinds_and_periods_edit_delete_close_and_protocol(engine):
    cfg = Config()
    monthly = meetings.open_meeting(engine, "avstamning", date(2026, 11, 5), "anna",
                                    period="2026-10")
    quarterly = meetings.open_meeting(engine, "analys", date(2026, 11, 6), "bo",
                                      period="2026-Q3")
    both = {m.id: m for m in meetings.meetings(engine)}
    assert both[monthly].is_open and both[quarterly].is_open
    assert both[monthly].label == "Avstämningsmöte, oktober 2026 (2026-11-05, pågår)"
    assert both[quarterly].period == "kvartal 3 2026"
    # Not two of the same kind about the same period: a double click opens nothing twice.
    with pytest.raises(DataError, match="om oktober 2026 pågår redan"):
        meetings.open_meeting(engine, "avstamning", date(2026, 11, 5), "anna",
                              period="2026-10")
    # A report of the quarter finds the quarterly meeting, of the month the monthly one.
    assert meetings.meeting_for(engine, "kvartal", date(2026, 7, 1), date(2026, 9, 30)
                                ).id == quarterly
    assert meetings.meeting_for(engine, "manad", date(2026, 10, 1), date(2026, 10, 31)
                                ).id == monthly

    seen = meetings.add_item(engine, monthly, "observation", "Fler skolsignaler", "anna",
                             matt="orosanmalningar", omrade="974 42 Luleå")
    typo = meetings.add_item(engine, monthly, "observation", "Felskrivet", "anna")
    # Each meeting keeps its own items, written at the same time.
    cause = meetings.add_item(engine, quarterly, "orsak", "Skolans nya rutin", "bo",
                              matt="orosanmalningar")
    action = process.Action("Kvällsvandring", date(2026, 11, 10),
                            (process.Indicator("orosanmalningar"),), postnummer=("97442",),
                            ansvarig="Fältgruppen")
    decided = meetings.add_item(engine, quarterly, "beslut", "Kvällsvandring", "bo",
                                action=action, ansvarig="Fältgruppen",
                                uppfoljning=date(2027, 2, 15), omrade="974 42 Luleå",
                                matt="orosanmalningar")
    wrong = meetings.add_item(engine, quarterly, "beslut", "Fel beslut", "bo",
                              action=process.Action("Fel beslut", date(2026, 11, 10), ()))
    assert meetings.items(engine, monthly)["text"].tolist() == ["Fler skolsignaler",
                                                                "Felskrivet"]
    assert meetings.items(engine, quarterly)["text"].tolist() == [
        "Skolans nya rutin", "Kvällsvandring", "Fel beslut"]

    changed = meetings.update_item(engine, seen, "bo", text="Fler skolsignaler i Hertsön",
                                   omrade="Hela kommunen")
    assert changed == {"text": ["Fler skolsignaler", "Fler skolsignaler i Hertsön"],
                       "omrade": ["974 42 Luleå", "Hela kommunen"]}
    assert meetings.update_item(engine, seen, "bo", text="Fler skolsignaler i Hertsön") == {}
    meetings.delete_item(engine, typo, "anna")
    assert meetings.items(engine, monthly)["text"].tolist() == ["Fler skolsignaler i Hertsön"]
    # A decision changed in the room changes its action in the register too.
    new_action = process.action(engine, int(meetings.items(engine, quarterly).set_index("id")
                                            .loc[decided, "atgard_id"]))
    meetings.update_item(engine, decided, "bo", ansvarig="Fältgruppen och skolan",
                         action=process.Action(**{**new_action.__dict__,
                                                  "ansvarig": "Fältgruppen och skolan"}))
    assert process.action(engine, new_action.id).ansvarig == "Fältgruppen och skolan"
    # A decision deleted in the room takes its (never started) action with it.
    wrong_action = int(meetings.items(engine, quarterly).set_index("id").loc[wrong,
                                                                             "atgard_id"])
    meetings.delete_item(engine, wrong, "bo")
    assert wrong_action not in {a.id for a in process.actions(engine)}

    history = meetings.item_history(engine, monthly, {"matt": {"orosanmalningar":
                                                               "Orosanmälningar"}})
    assert history["who"].tolist() == ["anna", "anna", "bo", "anna"]
    assert history["beskrivning"].tolist() == [
        "Lade till observation: ”Fler skolsignaler”",
        "Lade till observation: ”Felskrivet”",
        "Ändrade text från ”Fler skolsignaler” till ”Fler skolsignaler i Hertsön”; område "
        "från ”974 42 Luleå” till ”Hela kommunen”",
        "Tog bort observation: ”Felskrivet”"]
    quarter_history = meetings.item_history(engine, quarterly)["beskrivning"].tolist()
    assert "Ändrade ansvarig från ”Fältgruppen” till ”Fältgruppen och skolan”" in \
        quarter_history
    assert f"Tog bort beslut: ”Fel beslut” (och åtgärd {wrong_action} i åtgärdsregistret)" \
        in quarter_history
    assert not any(":" in h and "→" in h for h in quarter_history)  # no raw "fält: → …"

    # Close the monthly meeting: its open item is followed up at the quarterly one.
    meetings.set_participants(engine, monthly, "Anna Strateg, IFO\nBo Enhetschef", "anna")
    meetings.close_meeting(engine, monthly, "anna")
    assert meetings.carried(engine, quarterly)["text"].tolist() == [
        "Fler skolsignaler i Hertsön"]
    with pytest.raises(DataError, match="Mötet är stängt"):
        meetings.update_item(engine, seen, "bo", text="För sent")
    with pytest.raises(DataError, match="Mötet är stängt"):
        meetings.delete_item(engine, seen, "bo")

    # The quarterly meeting closes too, and its protocol is written and saved with it.
    meetings.set_participants(engine, quarterly, "Bo Enhetschef\nCecilia Säkerhetsstrateg",
                              "bo")
    meetings.close_meeting(engine, quarterly, "bo")
    made = protocol.ensure(engine, cfg, quarterly, "bo")
    assert meetings.protocol(engine, quarterly, "pdf") == made["pdf"]
    assert meetings.protocol(engine, quarterly, "docx") == made["docx"]
    assert meetings.protocol(engine, monthly, "pdf") is None
    for text in (_pdf_text(made["pdf"]), _docx_text(made["docx"])):
        flat = " ".join(text.split())
        assert "Protokoll: Analys- och åtgärdsmöte, kvartal 3 2026" in flat
        assert "2026-11-06" in flat  # the date of the meeting
        assert "Bo Enhetschef" in flat and "Cecilia Säkerhetsstrateg" in flat
        assert "Skolans nya rutin" in flat  # the cause analysis
        # The decision with its owner, indicator and follow-up date.
        for part in ("Kvällsvandring", "Fältgruppen och skolan", "Orosanmälningar",
                     "2027-02-15"):
            assert part in flat, part
        assert "Fel beslut" not in flat  # deleted
        # The open item carried from the monthly meeting, with where it came from.
        assert "Fler skolsignaler i Hertsön" in flat
        assert "Avstämningsmöte, oktober 2026" in flat
        assert "fortfarande öppen" in flat
    assert meetings.meeting_counts(engine)[["typ", "period", "status"]].values.tolist() == [
        ["avstamning", "2026-10", "stängt"], ["analys", "2026-Q3", "stängt"]]
    assert cause in meetings.items(engine, quarterly)["id"].tolist()


def test_a_protocol_is_written_only_for_a_closed_meeting(engine):
    m = meetings.open_meeting(engine, "avstamning", date(2026, 11, 5), "anna",
                              period="2026-10")
    with pytest.raises(DataError, match="när mötet är stängt"):
        meetings.save_protocol(engine, m, {"pdf": b"%PDF"}, "anna")


@pytest.mark.parametrize("write", [
    lambda e, m: meetings.add_item(e, m, "observation", "Pojke 811218-9876 syntes", "a"),
    lambda e, m: meetings.add_item(e, m, "samverkan", "Skolan", "a", aktor="19811218-9876"),
    lambda e, m: meetings.set_participants(e, m, "Anna 811218-9876", "a"),
    lambda e, m: meetings.update_item(
        e, meetings.add_item(e, m, "observation", "Ok", "a"), "a", text="811218-9876"),
    lambda e, m: meetings.add_item(e, m, "beslut", "Insats", "a", action=process.Action(
        "Insats", date(2026, 11, 1), (), beskrivning="Gäller 811218-9876")),
])
def test_no_personnummer_is_stored_from_a_meeting(engine, write):
    m = meetings.open_meeting(engine, "avstamning", date(2026, 11, 5), "anna",
                              period="2026-10")
    with pytest.raises(DataError, match="personnummer"):
        write(engine, m)
    assert "811218" not in " ".join(meetings.items(engine, m)["text"])
    assert "811218" not in (meetings.meeting(engine, m).deltagare or "")


def test_action_history_reads_as_swedish():
    text = process.describe_changes(
        {"status": ["pagar", "avslutad"], "postnummer": ['["97442"]', '["97442", "97231"]'],
         "slut": [None, "2026-12-31"]}, process.ACTION_FIELDS)
    assert text == ("Ändrade status från ”Pågår” till ”Avslutad”; postnummer från ”974 42” "
                    "till ”974 42, 972 31”; lade till slut ”2026-12-31”")


def test_meetings_opened_before_the_upgrade_get_the_period_they_were_built_on(tmp_path):
    """A store at version 0007 (meetings had only the sidebar's month) is upgraded: a monthly
    meeting's period is that month, a quarterly one's the quarter it lies in."""
    import sqlalchemy as sa
    from alembic import command

    from lagesbild.store import migrations

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gammal.sqlite'}")
    with engine.begin() as conn:
        command.upgrade(migrations._config(conn, Config().catalogue), "0007")
        for typ, month in (("avstamning", "2026-10-01"), ("analys", "2026-08-01")):
            conn.execute(sa.text(
                "INSERT INTO moten (typ, datum, period_slut, oppnat_av, oppnat) VALUES "
                "(:typ, '2026-11-05', :month, 'anna', '2026-11-05 09:00:00')"),
                {"typ": typ, "month": month})
    engine.dispose()
    upgraded = store.connect(f"sqlite:///{tmp_path / 'gammal.sqlite'}")
    found = {m.typ: m for m in meetings.meetings(upgraded)}
    assert (found["avstamning"].period_kod, found["avstamning"].period) == \
        ("2026-10", "oktober 2026")
    assert (found["analys"].period_kod, found["analys"].period) == \
        ("2026-Q3", "kvartal 3 2026")
