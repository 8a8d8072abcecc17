"""The meeting pages through AppTest: a meeting's own period (not the sidebar's month),
two meetings of different kinds open at once, an observation and a decision (which registers
an action) recorded, edited and deleted with a Swedish history, closing with the protocol,
the open item followed up at the next meeting, forms that Enter does not send, the
projector's view, and a läsare who sees but cannot write; every write is in the audit log."""

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


def _step(at: AppTest, name: str) -> AppTest:
    """Open one step (tab) of the agenda; only the open one runs."""
    at.session_state["motessteg"] = name
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _table(at: AppTest, column: str, text: str):
    return next(t.value for t in at.table if column in t.value.columns
                and any(text in str(v) for v in t.value[column]))


def test_meeting_flow_owns_its_period_records_edits_deletes_closes_and_carries():
    _close_running("avstamning")
    tag = uuid.uuid4().hex[:6]
    observation = f"Fler skolsignaler i Gammelstaden {tag}"
    decision = f"Kvällsvandring {tag}"

    at = _app()
    at.query_params["manad"] = "2025-03"  # the sidebar's month is not the meeting's
    at.run()
    at.switch_page("app_pages/avstamning.py").run()
    _ok(at)
    default = at.selectbox(key="mote_ny_period_avstamning").value
    assert default != "2025-03" and default > "2026-01"  # the latest month with data
    at.button(key="mote_oppna").click().run()
    _ok(at)
    engine = _engine()
    m = process.meeting(engine, at.selectbox(key="mote_val_avstamning").value)
    assert m.period_kod == default and m.is_open
    assert [t.label for t in at.tabs][:7] == ["Öppna punkter", "Läget", "Områden", "Åtgärder",
                                              "Omvärld", "Inspel", "Protokoll"]
    _step(at, "Läget")
    assert len(_table(at, "Mått", "Orosanmälningar")) == 7  # every measure on the agenda
    _step(at, "Åtgärder")
    effect = _table(at, "Slutsats", "Minskningen är större")
    assert list(effect.columns) == ["Åtgärd", "Område", "Mått", "Slutsats", "Kvot", "95 % KI",
                                    "Före", "Efter"]  # what fits a 1366 px projector

    _step(at, "Inspel")
    at.text_area(key="obs_text").input(observation)
    at.selectbox(key="obs_matt").select("orosanmalningar")
    at.selectbox(key="obs_omrade").select("97345")  # a picker, not free text
    at.button(key="obs_spara").click().run()
    _ok(at)
    at.text_input(key="beslut_titel").input(decision)
    at.text_input(key="beslut_ansvarig").input("Fältgruppen")
    at.selectbox(key="beslut_omrade").select("97345")
    at.multiselect(key="beslut_indikatorer").set_value(["orosanmalningar"])
    at.button(key="beslut_skicka").click().run()
    _ok(at)
    record = _table(at, "Text", observation)
    assert set(record["Typ"]) >= {"Observation", "Beslut"}
    assert record.set_index("Text").loc[observation, "Område"].startswith("973 45")
    action = next(a for a in process.actions(engine) if a.titel == decision)
    assert action.postnummer == ("97345",) and action.mote_id == m.id
    assert action.ansvarig == "Fältgruppen"

    # Edit the observation, delete the decision (its action goes with it).
    obs_id = int(process.items(engine, m.id).query("typ == 'observation'")["id"].iloc[0])
    dec_id = int(process.items(engine, m.id).query("typ == 'beslut'")["id"].iloc[0])
    at.selectbox(key="mote_andra_val").set_value(obs_id).run()
    at.text_area(key=f"andra_{obs_id}_text").input(observation + " och Hertsön")
    at.selectbox(key=f"andra_{obs_id}_omrade").set_value("")
    at.button(key=f"andra_{obs_id}_skicka").click().run()
    _ok(at)
    at.selectbox(key="mote_andra_val").set_value(dec_id).run()
    at.button(key="mote_ta_bort").click().run()
    at.button(key="mote_ta_bort_ja").click().run()
    _ok(at)
    assert process.items(engine, m.id)["text"].tolist() == [observation + " och Hertsön"]
    assert decision not in {a.titel for a in process.actions(engine)}
    history = _table(at, "Vad", "Tog bort beslut")["Vad"].tolist()
    assert f"Ändrade text från ”{observation}” till ”{observation} och Hertsön”; område " \
        "från ”973 45 Luleå” till ”Hela kommunen”" in history

    _step(at, "Protokoll")
    at.text_area(key="mote_deltagare").input("Anna Strateg\nBo Enhetschef")
    at.button(key="mote_deltagare_spara").click().run()
    _ok(at)
    at.button(key="mote_stang").click().run()
    assert process.meeting(engine, m.id).is_open  # one click only asks
    at.button(key="mote_stang_ja").click().run()
    _ok(at)
    assert not process.meeting(engine, m.id).is_open
    assert process.protocol(engine, m.id, "pdf").startswith(b"%PDF")
    assert [d.label for d in at.get("download_button")] == ["Protokollet som PDF",
                                                            "Protokollet som Word"]

    # The next meeting follows up the open item of the last one.
    at.button(key="mote_oppna").click().run()
    _ok(at)
    _step(at, "Öppna punkter")
    assert any(observation in md.value for md in at.markdown)
    at.button(key=f"klar_{obs_id}").click().run()
    _ok(at)
    assert not process.items(engine, m.id).query(f"id == {obs_id}")["oppen"].iloc[0]

    done = audit.read(engine, actions=["mote", "atgard"])
    events = {d.get("handelse") for d in done["details"]}
    assert {"öppnat", "observation", "beslut", "punkt ändrad", "punkt borttagen", "stängt",
            "punkt klar", "deltagare"} <= events
    assert "registrerad" in events  # the decision's action, through the register
    _close_running("avstamning")


def test_two_meetings_of_different_kinds_are_open_at_once_and_listed_with_their_periods():
    _close_running("avstamning")
    _close_running("analys")
    at = _app().run()
    at.switch_page("app_pages/avstamning.py").run()
    at.button(key="mote_oppna").click().run()
    _ok(at)
    # The quarterly meeting, opened from the monthly page: the kind is asked, and its period
    # is a quarter.
    at.radio(key="mote_ny_typ").set_value("analys").run()
    quarter = at.selectbox(key="mote_ny_period_analys").value
    assert "-Q" in quarter
    at.button(key="mote_oppna").click().run()
    _ok(at)
    # On its own page now, with its period in the title.
    assert at.title[0].value == f"Analys- och åtgärdsmöte · kvartal {quarter[-1]} {quarter[:4]}"
    running = [m for m in process.meetings(_engine()) if m.is_open]
    assert {m.typ for m in running} == {"avstamning", "analys"}
    listed = _table(at, "Period", "kvartal")
    assert {"pågår"} <= set(listed["Läge"])
    assert any(p.startswith("kvartal ") for p in listed["Period"])
    assert len(listed) >= 2 and set(listed["Möte"]) >= {"Avstämningsmöte",
                                                         "Analys- och åtgärdsmöte"}
    _close_running("avstamning")
    _close_running("analys")


def test_no_form_on_the_meeting_page_submits_on_enter():
    _close_running("analys")
    engine = _engine()
    process.open_meeting(engine, "analys", process.date.today(), "test", period="2026-Q3")
    at = _app()
    at.query_params["motessteg"] = "Inspel"
    at.run()
    at.switch_page("app_pages/analysmote.py").run()
    _ok(at)
    forms = at.get("form")
    assert len(forms) >= 5
    assert all(not f.proto.form.enter_to_submit for f in forms)
    _close_running("analys")


def test_the_projector_view_follows_the_meeting_without_forms():
    _close_running("avstamning")
    engine = _engine()
    m = process.open_meeting(engine, "avstamning", process.date.today(), "test",
                             period="2026-09")
    process.add_item(engine, m, "observation", "Sett från sekreterarens dator", "test")
    at = _app()
    at.query_params.update({"motessteg": "Inspel", "motesvy": "visa", "mote": str(m)})
    at.run()
    at.switch_page("app_pages/avstamning.py").run()
    _ok(at)
    assert at.selectbox(key="mote_val_avstamning").value == m
    assert not at.get("form") and not [b for b in at.button if b.key == "mote_stang"]
    _table(at, "Text", "Sett från sekreterarens dator")
    process.add_item(engine, m, "observation", "Skrivet nyss", "test")
    at.run()  # what the refresh does every few seconds
    _table(at, "Text", "Skrivet nyss")
    assert any("uppdateras var 5:e sekund" in c.value for c in at.caption)
    _close_running("avstamning")


def test_a_lasare_sees_meetings_and_actions_but_cannot_write():
    engine = _engine()
    _close_running("analys")
    meeting = process.open_meeting(engine, "analys", process.date.today(), "test",
                                   period="2026-Q2")
    process.add_item(engine, meeting, "samverkan", "Fritid: öppet hus på lovet", "test",
                     aktor="Kultur- och fritidsförvaltningen")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets = {"auth": dict(AUTH)}
    at.user = {"is_logged_in": True, "sub": "sub-lasare", "name": "Lisa Läsare",
               "email": "lasare@kommun.test", "iat": int(time.time())}
    at.query_params["motessteg"] = "Inspel"
    at.run()
    at.switch_page("app_pages/analysmote.py").run()
    _ok(at)
    assert not [b for b in at.button if b.key in ("mote_oppna", "mote_stang", "obs_spara",
                                                 "orsak_spara", "mote_ta_bort")]
    assert not at.get("form")
    _table(at, "Text", "Fritid: öppet hus på lovet")
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
    at = _app()
    at.query_params["motessteg"] = "Inspel"
    at.run()
    at.switch_page("app_pages/analysmote.py").run()
    at.button(key="mote_oppna").click().run()
    _ok(at)
    at.text_area(key="orsak_text").input(f"Skolans nya rutin för anmälningar {tag}")
    at.selectbox(key="orsak_matt").select("orosanmalningar")
    at.button(key="orsak_spara").click().run()
    _ok(at)
    record = _table(at, "Text", f"Skolans nya rutin för anmälningar {tag}")
    assert record["Typ"].tolist() == ["Orsaksanalys"]
    assert record["Mått"].tolist() == ["Orosanmälningar"]
    # An item without measure, area or owner opens in the edit form too (it gave NaN once).
    at.text_input(key="samv_aktor").input("Skolan")
    at.text_area(key="samv_text").input(f"Gemensam rutin {tag}")
    at.button(key="samv_spara").click().run()
    _ok(at)
    item = int(process.items(_engine()).query(f"text == 'Gemensam rutin {tag}'")["id"].iloc[0])
    at.selectbox(key="mote_andra_val").set_value(item).run()
    _ok(at)
    assert at.text_input(key=f"andra_{item}_aktor").value == "Skolan"
    assert at.selectbox(key=f"andra_{item}_matt").value == ""
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
    # Its history reads as Swedish, not as raw fields ("titel: → …").
    at.selectbox(key="atgard_vald").set_value(action.id).run()
    history = next(t for t in shown_tables(at) if "Vad" in t.columns)
    assert history["Vad"].tolist() == [f"Registrerade åtgärden ”Familjecentral {tag}”"]
    assert history["Händelse"].tolist() == ["Registrerad"]


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
