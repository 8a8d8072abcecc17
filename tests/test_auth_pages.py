"""Login and roles through AppTest: [auth] in the secrets switches login on, ``at.user`` is the
identity the provider returned (roles from conftest's LAGESBILD_ROLLER file)."""

import os
import re
import time
import uuid
from datetime import timedelta

import pytest
from conftest import ROOT, shown_tables
from streamlit.testing.v1 import AppTest

from lagesbild import store
from lagesbild.store import audit

TIMEOUT = 90
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "lagesbild", "client_secret": "hemligt",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
PEOPLE = {"lasare": "Lisa Läsare", "analytiker": "Anders Analytiker",
          "forvaltare": "Frida Förvaltare"}
ALL_PAGES = sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))
# Pages a role may not open, and the role the refusal names.
REFUSED = {"lasare": {"app_pages/data.py": "analytiker", "app_pages/logg.py": "förvaltare",
                      "app_pages/installningar.py": "förvaltare"},
           "analytiker": {"app_pages/logg.py": "förvaltare",
                          "app_pages/installningar.py": "förvaltare"},
           "forvaltare": {}}
LABELS = {"lasare": "läsare", "analytiker": "analytiker", "forvaltare": "förvaltare"}


def _app(role: str | None = None, **user) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets = {"auth": dict(AUTH)}
    if role is None and not user:
        at.user = {"is_logged_in": False}
    else:
        # A nonce of its own: each AppTest is a sign-in of its own, as in a browser.
        at.user = {"is_logged_in": True, "sub": f"sub-{role}", "name": PEOPLE.get(role, "X"),
                   "email": f"{role}@kommun.test", "iat": int(time.time()),
                   "nonce": uuid.uuid4().hex, **user}
    return at


def _engine():
    return store.connect(os.environ["LAGESBILD_DB_URL"])


def test_with_login_on_a_visitor_sees_only_the_login_button():
    at = _app().run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Logga in"]
    assert not at.metric and not at.dataframe  # no data before login
    assert "OSL 26 kap." in at.markdown[0].value


@pytest.mark.parametrize("role", list(REFUSED))
def test_each_role_opens_its_pages_and_is_refused_the_others_in_swedish(role):
    at = _app(role).run()
    assert not at.exception
    assert any(f"{PEOPLE[role]} · " in c.value for c in at.sidebar.caption)
    for page in ALL_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        errors = [e.value for e in at.error]
        if page in REFUSED[role]:
            assert errors == [f"Sidan {at.title[0].value} kräver rollen "
                              f"**{REFUSED[role][page]}**. Du är inloggad som "
                              f"{PEOPLE[role]} med rollen {LABELS[role]}. "
                              "Be den som förvaltar lägesbilden om behörighet."], page
            assert not at.file_uploader and not at.dataframe, page
        else:
            assert not errors, (page, errors)


def test_a_direct_link_to_the_data_page_as_lasare_is_refused_in_swedish():
    at = _app("lasare")
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert at.title[0].value == "Import och datakvalitet"
    assert "kräver rollen **analytiker**" in at.error[0].value
    assert "Lisa Läsare med rollen läsare" in at.error[0].value
    assert not at.file_uploader and not [b for b in at.button if b.key in ("spara", "angra")]


def test_an_analytiker_imports_under_the_login_name_and_both_are_logged():
    from test_page_data import OCTOBER

    engine = _engine()
    at = _app("analytiker", email="Analytiker@Kommun.test")
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert not at.error
    assert not [t for t in at.text_input if t.key == "vem"]
    assert any("Läses in som analytiker@kommun.test"
               in re.sub(r"\\(.)", r"\1", c.value).replace("\u2060", "") for c in at.caption)
    before = set(store.read_batches(engine)["id"])
    data = OCTOBER.replace(b"Grannbr\xc3\xa5k", "Övrigt".encode())
    at.file_uploader(key="fil_0").upload("oros_okt.csv", data, "text/csv").run()
    at.checkbox(key="bekrafta").check().run()
    at.button(key="spara").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (batch,) = set(store.read_batches(engine)["id"]) - before
    batches = store.read_batches(engine).set_index("id")
    assert batches.loc[batch, "created_by"] == "analytiker@kommun.test"
    log = audit.read(engine, who=["analytiker@kommun.test"])
    assert log["action"].tolist()[:2] == ["import", "inloggning"]
    assert log["details"][0]["batch"] == batch and log["details"][0]["fil"] == "oros_okt.csv"
    assert log["details"][1] == {"namn": "Anders Analytiker", "roll": "analytiker"}
    at.selectbox(key="angra_batch").set_value(batch).run()
    at.button(key="angra").click().run()
    at.button(key="angra_ja").click().run()
    assert audit.read(engine, who=["analytiker@kommun.test"])["action"][0] == "angra"


def test_a_sign_in_is_logged_once_per_login():
    def sign_ins():
        return len(audit.read(_engine(), who=["forvaltare@kommun.test"],
                              actions=["inloggning"]))

    before = sign_ins()
    login = {"sub": "sub-once", "nonce": uuid.uuid4().hex, "iat": int(time.time())}
    at = _app("forvaltare", **login).run()
    at.run()
    at.switch_page("app_pages/om.py").run()
    assert sign_ins() == before + 1
    _app("forvaltare", **login).run()  # another tab of the same login: no new entry
    assert sign_ins() == before + 1
    _app("forvaltare", sub="sub-once").run()  # a new sign-in: a new entry
    assert sign_ins() == before + 2


def test_the_audit_page_lists_filters_and_offers_csv_to_forvaltare():
    at = _app("forvaltare")
    at.run()
    at.switch_page("app_pages/logg.py").run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table.columns.tolist() == ["Tid", "Vem", "Vad", "Detaljer"]
    assert "Inloggning" in table["Vad"].tolist()
    at.multiselect(key="logg_vad").set_value(["import"]).run()
    assert set(at.dataframe[0].value["Vad"]) <= {"Import"}
    at.multiselect(key="logg_vem").set_value(["forvaltare@kommun.test"]).run()
    assert at.dataframe[0].value.empty  # Frida imported nothing
    assert at.get("download_button")[0].proto.label == "CSV"


def test_a_user_without_a_role_sees_nothing_and_is_logged():
    at = _app("okand", email="someone@elsewhere.test", name="Okänd Person").run()
    assert "har ingen roll i lägesbilden" in at.error[0].value
    assert not at.metric and not at.dataframe
    entry = audit.read(_engine(), who=["someone@elsewhere.test"]).iloc[0]
    assert entry["details"] == {"namn": "Okänd Person", "roll": None}


def test_logout_button_and_inactivity_log_out():
    at = _app("lasare", sub="sub-logout").run()
    at.button(key="logga_ut").click().run()
    assert at.user.get("is_logged_in") is False
    at.run()
    assert [b.label for b in at.button] == ["Logga in"]
    entry = audit.read(_engine(), who=["lasare@kommun.test"], actions=["utloggning"]).iloc[0]
    assert entry["details"] == {"orsak": "knapp"}

    # Signed in nine hours ago and not seen since: the default is eight hours of inactivity.
    stale = _app("lasare", sub="sub-stale", iat=int(time.time()) - 9 * 3600).run()
    assert stale.user.get("is_logged_in") is False
    assert not stale.metric
    entry = audit.read(_engine(), who=["lasare@kommun.test"], actions=["utloggning"]).iloc[0]
    assert entry["details"] == {"orsak": "inaktiv för länge"}


def test_local_mode_says_so_and_grants_every_role():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    (note,) = [c.value for c in at.sidebar.caption if "Lokalt läge" in c.value]
    assert "Lokalt läge – ingen inloggning, nås bara från den här datorn" in note
    assert "Alla roller gäller" in note
    at.switch_page("app_pages/logg.py").run()
    assert not at.error and at.dataframe


def test_production_without_login_refuses_to_start(caplog):
    from webapp import data

    os.environ["LAGESBILD_KRAV_INLOGGNING"] = "1"
    data.config.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    finally:
        del os.environ["LAGESBILD_KRAV_INLOGGNING"]
        data.config.clear()
    assert "Lägesbilden startar inte: LAGESBILD_KRAV_INLOGGNING är på" in at.error[0].value
    assert not at.metric and not at.dataframe and not at.warning
    assert "LAGESBILD_KRAV_INLOGGNING är på" in caplog.text


def test_a_missing_role_file_is_a_swedish_message_not_a_crash():
    from webapp import data

    os.environ["LAGESBILD_ROLLER"], saved = "/nonexistent/roller.yaml", \
        os.environ["LAGESBILD_ROLLER"]
    data.config.clear()
    try:
        at = _app("lasare").run()
    finally:
        os.environ["LAGESBILD_ROLLER"] = saved
        data.config.clear()
    assert not at.exception
    assert "Rollfilen /nonexistent/roller.yaml finns inte" in at.error[0].value
    assert not at.metric


def test_local_mode_on_another_address_shows_nothing():
    from streamlit import config

    saved = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    finally:
        config.set_option("server.address", saved)
    assert "utan inloggning får servern bara lyssna på den här datorn" in at.error[0].value
    assert "”0.0.0.0”" in at.error[0].value
    assert not at.metric and not at.dataframe


def test_a_download_is_logged_when_its_file_is_made():
    def script():
        import streamlit as st

        from lagesbild.present.export import Caption
        from webapp import auth, widgets

        auth.gate()
        caption = Caption("Orosanmälningar per månad", "jan 2025 – dec 2025", "Flickor/kvinnor")
        make = widgets.logged(lambda: b"bild", caption, "oros.png")
        st.text(make().decode())

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert at.text[0].value == "bild"
    entry = audit.read(_engine(), actions=["export"]).iloc[0]
    assert entry["who"].startswith("lokal användare (")
    assert entry["details"] == {"vad": "Orosanmälningar per månad",
                                "period": "jan 2025 – dec 2025", "urval": "Flickor/kvinnor",
                                "format": "png", "fil": "oros.png"}


def test_looking_for_idleness_is_not_activity():
    from lagesbild.store import sessions

    engine, hours = _engine(), timedelta(hours=8)
    login = sessions.key({"sub": "sub-idle", "iat": 1, "nonce": uuid.uuid4().hex})
    now = sessions._now()
    sessions.begin(engine, login, now)
    assert sessions.active(engine, login, hours)
    assert not sessions.status(engine, login, hours, now + timedelta(hours=7)).idle  # a look
    assert sessions.status(engine, login, hours, now + timedelta(hours=8, seconds=1)).idle
    sessions.touch(engine, login, now + timedelta(hours=2))  # a click two hours later
    assert not sessions.status(engine, login, hours, now + timedelta(hours=9)).idle
    sessions.end(engine, login, "knapp")
    assert sessions.status(engine, login, hours).ended
    assert not sessions.active(engine, login, hours)


def test_a_copied_login_after_logout_or_an_unknown_old_one_opens_nothing():
    claims = {"sub": "sub-kopia", "nonce": uuid.uuid4().hex, "iat": int(time.time())}
    at = _app("lasare", **claims).run()
    assert at.metric or at.sidebar.caption
    at.button(key="logga_ut").click().run()
    # The same cookie in another browser: the login it names has ended.
    copy = _app("lasare", **claims).run()
    assert not copy.metric and not copy.dataframe
    assert [b.label for b in copy.button] == ["Logga in"]
    assert "Du är utloggad" in copy.info[0].value
    signed = audit.read(_engine(), who=["lasare@kommun.test"], actions=["inloggning"])
    assert len(signed[signed["details"].map(str).str.contains("Lisa")]) >= 1
    # A login the store never saw, issued an hour ago (a store replaced since): signed out.
    old = _app("lasare", sub="sub-okand", iat=int(time.time()) - 3600).run()
    assert old.user.get("is_logged_in") is False and not old.metric
    entry = audit.read(_engine(), who=["lasare@kommun.test"], actions=["utloggning"]).iloc[0]
    assert entry["details"] == {"orsak": "okänd inloggning"}


def test_the_settings_page_shows_settings_and_roles_but_no_secrets():
    at = _app("forvaltare").run()
    at.switch_page("app_pages/installningar.py").run()
    assert not at.exception and not at.error
    settings = shown_tables(at)[0].set_index("Variabel")
    assert settings.loc["LAGESBILD_SESSION_TIMMAR", "Värde"] == "8"
    assert settings.loc["LAGESBILD_KRAV_INLOGGNING", "Värde"] == "nej"
    roles = shown_tables(at)[1]
    assert roles.set_index("Roll").loc["förvaltare", "E-post"] == "forvaltare@kommun.test"
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "OpenID Connect är på (identitetsleverantör: 127.0.0.1:9)" in shown
    assert "hemligt" not in shown and "x" * 32 not in shown


@pytest.mark.parametrize("headers, proxied", [
    ({"Host": "127.0.0.1:8501", "Origin": "http://127.0.0.1:8501"}, False),
    ({"Host": "lagesbild.kommun.se", "X-Forwarded-For": "10.1.2.3"}, True),
    ({"x-real-ip": "10.1.2.3"}, True),
    ({"Forwarded": "for=10.1.2.3;proto=https"}, True),
    ({"X-Forwarded-Host": "lagesbild.kommun.se"}, True),
    ({"X-Forwarded-Proto": "https"}, True),
    ({"Via": "1.1 nginx"}, True),
    ({"X-Client-IP": "10.1.2.3"}, True),
    ({"True-Client-IP": "10.1.2.3"}, True),
])
def test_local_mode_knows_a_request_that_came_through_a_proxy(headers, proxied):
    from webapp import auth

    assert auth.through_proxy(headers) is proxied


@pytest.mark.parametrize("headers, client, why", [
    ({"Host": "localhost:8501", "Origin": "http://localhost:8501"}, "127.0.0.1", None),
    ({"Host": "127.0.0.1:8501"}, "127.0.0.1", None),
    ({"Host": "[::1]:8501", "Origin": "http://[::1]:8501"}, "::1", None),
    ({"Host": "lagesbild.kommun.se"}, "127.0.0.1", "ett annat namn"),
    ({"Host": "10.0.0.5:8501"}, "127.0.0.1", "ett annat namn"),
    ({"Host": "127.0.0.1:8501", "Origin": "http://lagesbild.kommun.se"}, "127.0.0.1",
     "en annan adress"),
    ({"Host": "127.0.0.1:8501", "Origin": "null"}, "127.0.0.1", "en annan adress"),
    ({"Host": "localhost.evil.se"}, "127.0.0.1", "ett annat namn"),
    ({"Host": "127.0.0.1:8501"}, "10.0.0.7", "en annan dator"),
    ({"Host": "127.0.0.1:8501", "Via": "1.1 proxy"}, "127.0.0.1", "proxy"),
    ({}, "127.0.0.1", "ett annat namn"),
])
def test_local_mode_is_for_loopback_names_and_addresses_only(headers, client, why):
    from webapp import auth

    found = auth.not_local(headers, client)
    assert (found is None) if why is None else (why in found)
