"""The page Rapporter through AppTest: the summary shown, the text edited and saved with the
meeting (escaped when shown again), a file made with progress and downloaded; läsare read
but do not edit."""

from __future__ import annotations

import os
from datetime import date

from conftest import ROOT
from streamlit.testing.v1 import AppTest
from test_auth_pages import _app as _app_as

from lagesbild import store
from lagesbild.store import audit, process

TIMEOUT = 120
HOSTILE = "<img src=x onerror=alert(1)> **fet** [länk](https://evil.example)"


def _engine():
    return store.connect(os.environ["LAGESBILD_DB_URL"])


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def _meeting_for_october() -> int:
    engine = _engine()
    for m in process.meetings(engine, "avstamning"):
        if m.period_slut == date(2026, 10, 1):
            return m.id
    for m in process.meetings(engine, "avstamning"):
        if m.is_open:
            process.close_meeting(engine, m.id, "test")
    new = process.open_meeting(engine, "avstamning", date(2026, 11, 10), "test",
                               period_end=date(2026, 10, 1))
    process.close_meeting(engine, new, "test")
    return new


def test_report_page_shows_edits_saves_and_downloads():
    meeting = _meeting_for_october()
    process.save_report_text(_engine(), meeting, None, "test")
    at = _app().run()
    at.switch_page("app_pages/rapporter.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Rapporter"
    shown = [m.value for m in at.markdown]
    assert any("Det viktigaste" in v for v in shown)
    assert at.selectbox(key="rapport_period").value == "2026-10"
    assert at.selectbox(key="rapport_typ").value == "ledningsgrupp"

    # Edit: the strategist's text, with markup in it, is saved with the meeting.
    at.text_area(key="rapport_text").set_value(f"## Läget i oktober\n- {HOSTILE}")
    at.button[[b.label for b in at.button].index("Spara texten med mötet")].click().run()
    assert not at.error, [e.value for e in at.error]
    assert process.report_text(_engine(), meeting)[0] == f"## Läget i oktober\n- {HOSTILE}"
    shown = [m.value for m in at.markdown]
    line = next(v for v in shown if "onerror" in v)
    assert "<img" not in line.replace("\\<img", "")  # escaped, never rendered as HTML
    assert any(h.value.startswith("Sammanfattning (redigerad)") for h in at.subheader)
    entries = audit.read(_engine(), actions=["mote"])
    assert any(d.get("handelse") == "rapporttext sparad" for d in entries["details"])

    # A file: made with a progress bar, then offered for download.
    at.button(key="skapa_md").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.get("download_button"), "no download after the file was made"
    process.save_report_text(_engine(), meeting, None, "test")


def test_a_reader_sees_the_report_but_cannot_edit_it():
    _meeting_for_october()
    at = _app_as("lasare").run()
    at.switch_page("app_pages/rapporter.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Det viktigaste" in m.value for m in at.markdown)
    assert not [t for t in at.text_area if t.key == "rapport_text"]
    assert any("Rollen analytiker behövs" in c.value for c in at.caption)


def test_the_page_says_the_sidebar_selection_does_not_apply_to_a_report():
    """A report is the whole municipality: with girls chosen in the sidebar the page must
    not claim "Flickor" as its selection."""
    at = _app().run()
    at.radio(key="kon").set_value("K").run()
    at.switch_page("app_pages/rapporter.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "urvalet i sidopanelen används inte" in text
    assert "Flickor" not in text


def test_a_quarter_brings_the_namnd_report_and_the_deck_can_be_chosen_slide_by_slide():
    at = _app().run()
    at.switch_page("app_pages/rapporter.py").run()
    assert at.selectbox(key="rapport_typ").value == "ledningsgrupp"
    editor = at.get("arrow_data_frame") or at.dataframe
    assert editor, "no slide list for the deck"
    at.radio(key="rapport_periodtyp").set_value("kvartal").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="rapport_typ").value == "namnd"
    at.radio(key="rapport_periodtyp").set_value("manad").run()
    assert at.selectbox(key="rapport_typ").value == "ledningsgrupp"
    assert any("Mall för bildspelet" in e.label for e in at.expander)
