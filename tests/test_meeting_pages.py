"""The meeting flow through AppTest: open an avstämningsmöte, add an observation and a
decision (which registers an action), close it; the next meeting opens with the open item.
Läsare see meetings and actions but cannot write; every write is in the audit log."""

from __future__ import annotations

import os
import time
import uuid

from conftest import ROOT, shown_tables
from streamlit.testing.v1 import AppTest
from test_auth_pages import AUTH

from lagesbild import store
from lagesbild.store import audit, process

TIMEOUT = 90


def _engine():
    return store.connect(os.environ["LAGESBILD_DB_URL"])


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def _close_running(kind: str) -> None:
    engine = _engine()
    for m in process.meetings(engine, kind):
        if m.is_open:
            process.close_meeting(engine, m.id, "test")


def _column(df, name: str) -> list:
    return list(df.value[name]) if name in df.value.columns else []


def test_meeting_flow_open_record_close_and_carry(tmp_path):
    _close_running("avstamning")
    tag = uuid.uuid4().hex[:6]
    observation = f"Fler skolsignaler i Gammelstaden {tag}"
    decision = f"Kvällsvandring {tag}"

    at = _app().run()
    at.switch_page("app_pages/avstamning.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="mote_oppna").click().run()
    assert not at.error, [e.value for e in at.error]
    headings = [h.value for h in at.subheader]
    assert headings[:6] == ["1. Öppna punkter från tidigare möten",
                            "2. Läget per verksamhetsområde", "3. Områden att prioritera",
                            "4. Pågående åtgärder och effekt hittills",
                            "5. Omvärldsbevakning sedan förra mötet", "6. Rummets inspel"]
    assert len(at.metric) == 7  # every measure's headline on the agenda
    # The agenda's effect table: the demo's action, a clear decrease.
    effect = next(df.value for df in at.dataframe if "Slutsats" in df.value.columns)
    assert effect["Slutsats"].str.startswith("Minskningen är större").any()

    at.text_area(key="obs_text").input(observation)
    at.selectbox(key="obs_matt").select("orosanmalningar")
    at.text_input(key="obs_omrade").input("97345")
    at.button(key="obs_spara").click().run()
    assert not at.error, [e.value for e in at.error]

    at.text_input(key="beslut_titel").input(decision)
    at.multiselect(key="beslut_postnummer").set_value(["97345"])
    at.multiselect(key="beslut_indikatorer").set_value(["orosanmalningar"])
    at.button(key="beslut_skicka").click().run()
    assert not at.error, [e.value for e in at.error]

    record = next(df.value for df in at.dataframe if observation in _column(df, "Text"))
    assert set(record["Typ"]) >= {"Observation", "Beslut"}
    assert at.get("download_button"), "the record downloads as CSV"
    engine = _engine()
    action = next(a for a in process.actions(engine) if a.titel == decision)
    assert action.postnummer == ("97345",) and action.mote_id is not None

    at.button(key="mote_stang").click().run()
    assert not at.error
    first = process.meeting(engine, action.mote_id)
    assert not first.is_open

    # The next meeting opens with the open items of the last one.
    at.button(key="mote_oppna").click().run()
    assert not at.error
    carried = next(df.value for df in at.dataframe if observation in _column(df, "Text"))
    assert "öppen" in carried["Öppen"].tolist()
    obs_id = int(process.items(engine, first.id).query("typ == 'observation'")["id"].iloc[0])
    at.button(key=f"klar_{obs_id}").click().run()
    assert not at.error
    assert not process.items(engine, first.id).query(f"id == {obs_id}")["oppen"].iloc[0]

    done = audit.read(engine, actions=["mote", "atgard"])
    events = {d.get("handelse") for d in done["details"]}
    assert {"öppnat", "observation", "beslut", "stängt", "punkt klar"} <= events
    assert "registrerad" in events  # the decision's action, through the register
    _close_running("avstamning")


def test_a_lasare_sees_meetings_and_actions_but_cannot_write():
    engine = _engine()
    _close_running("analys")
    meeting = process.open_meeting(engine, "analys", process.date.today(), "test")
    process.add_item(engine, meeting, "samverkan", "Fritid: öppet hus på lovet", "test",
                     aktor="Kultur- och fritidsförvaltningen")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets = {"auth": dict(AUTH)}
    at.user = {"is_logged_in": True, "sub": "sub-lasare", "name": "Lisa Läsare",
               "email": "lasare@kommun.test", "iat": int(time.time())}
    at.run()
    at.switch_page("app_pages/analysmote.py").run()
    assert not at.exception and not at.error
    assert not [b for b in at.button if b.key in ("mote_oppna", "mote_stang", "obs_spara",
                                                 "orsak_spara")]
    assert any("Fritid: öppet hus på lovet" in _column(df, "Text") for df in at.dataframe)
    at.switch_page("app_pages/atgarder.py").run()
    assert not at.error
    assert not at.get("expander") or all("Registrera" not in e.label
                                         for e in at.get("expander"))
    assert any("Slutsats" in df.columns for df in shown_tables(at))  # Åtgärder: fitted
    _close_running("analys")


def test_actions_are_marked_on_the_trend_and_the_area_profile():
    at = _app().run()
    at.switch_page("app_pages/barn.py").run()
    assert not at.error
    captions = " ".join(c.value for c in at.caption)
    assert "Åtgärd\\: Fältarbete och skolsamverkan \\(974 42\\)" in captions
    at.switch_page("app_pages/karta.py").run()
    at.selectbox(key="profil").set_value("97442").run()
    assert not at.error
    captions = " ".join(c.value for c in at.caption)
    assert "Fältarbete och skolsamverkan" in captions
    # Another area's profile does not list an action that is not there.
    at.selectbox(key="profil").set_value("97231").run()
    assert "Fältarbete och skolsamverkan" not in " ".join(c.value for c in at.caption)


def test_the_quarterly_meeting_records_a_cause_analysis():
    _close_running("analys")
    tag = uuid.uuid4().hex[:6]
    at = _app().run()
    at.switch_page("app_pages/analysmote.py").run()
    at.button(key="mote_oppna").click().run()
    assert not at.error, [e.value for e in at.error]
    at.text_area(key="orsak_text").input(f"Skolans nya rutin för anmälningar {tag}")
    at.selectbox(key="orsak_matt").select("orosanmalningar")
    at.button(key="orsak_spara").click().run()
    assert not at.error, [e.value for e in at.error]
    record = next(df.value for df in at.dataframe
                  if f"Skolans nya rutin för anmälningar {tag}" in _column(df, "Text"))
    assert record["Typ"].tolist() == ["Orsaksanalys"]
    assert record["Mått"].tolist() == ["Orosanmälningar"]
    _close_running("analys")


def test_an_action_for_a_larger_area_covers_its_postnummer_and_indicators_take_categories():
    from lagesbild.config import Config
    from lagesbild.geo import groupings

    grouping = groupings.load_grouping(Config.from_env().omraden)
    area = next(iter(grouping.labels))
    tag = uuid.uuid4().hex[:6]
    at = _app().run()
    at.switch_page("app_pages/atgarder.py").run()
    at.text_input(key="ny_atgard_titel").input(f"Familjecentral {tag}")
    at.multiselect(key="ny_atgard_storre").set_value([area])
    at.multiselect(key="ny_atgard_indikatorer").set_value(["vald_i_nara_relation"])
    # A category alone makes its measure an indicator, narrowed to it.
    at.multiselect(key="ny_atgard_kategorier").set_value(["orosanmalningar|anmalare|skola"])
    at.button(key="ny_atgard_skicka").click().run()
    assert not at.error, [e.value for e in at.error]
    action = next(a for a in process.actions(_engine()) if a.titel == f"Familjecentral {tag}")
    assert action.postnummer and all(grouping.area_of(p) == area for p in action.postnummer)
    assert action.omrade == grouping.labels[area]
    assert action.indikatorer == (
        process.Indicator("vald_i_nara_relation"),
        process.Indicator("orosanmalningar", (("anmalare", ("skola",)),)))
    logged = audit.read(_engine(), actions=["atgard"])
    assert any(d.get("atgard") == action.id for d in logged["details"])


def test_the_priority_overview_ranks_and_downloads():
    at = _app().run()
    at.switch_page("app_pages/prioritering.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = shown_tables(at)[0]  # a full-height table (st.table)
    assert {"Postnummer", "Befolkning", "Högre än väntat (antal mått)", "Orosanmälningar",
            "Pågående åtgärder"} <= set(table.columns)
    flagged = table["Högre än väntat (antal mått)"].astype(int).tolist()
    assert flagged == sorted(flagged, reverse=True) and flagged[0] >= 1
    assert any(("974 42" in str(n)) and "Fältarbete" in str(a)
               for n, a in zip(table["Postnummer"], table["Pågående åtgärder"]))
    assert len([b for b in at.get("download_button")]) == 2  # Excel and CSV
