"""Login in a real browser against a real OpenID Connect provider on localhost
(oidc-provider-mock): a läsare sees the pages but not import or undo, an analytiker imports, a
förvaltare reads the audit log, and the log holds the sign-ins, an export and the import."""

import os
import re
import threading

import pytest
from conftest import ROOT, chromium, free_port, require_chromium, streamlit_app
from test_page_data import HEADER

from lagesbild import store
from lagesbild.store import audit

ARTIFACTS = ROOT / "tests" / "artifacts"
pytestmark = pytest.mark.browser

USERS = {  # sub -> claims, as the municipality's provider would send them
    "lisa": {"email": "lisa@kommun.test", "name": "Lisa Läsare", "groups": ["g-lasare"]},
    "anders": {"email": "anders@kommun.test", "name": "Anders Analytiker",
               "groups": ["g-lasare", "g-analys"]},
    "frida": {"email": "frida@kommun.test", "name": "Frida Förvaltare", "groups": ["g-it"]},
}
ROLES = """gruppclaim: groups
roller:
  lasare: {grupper: [g-lasare]}
  analytiker: {grupper: [g-analys]}
  forvaltare: {epost: [frida@kommun.test]}
"""
OCTOBER = (f"{HEADER}\n2026-10-03;972 31;Flicka;4;Övrigt;Polis;Anna\n").encode()


@pytest.fixture(scope="module")
def provider():
    """The identity provider, on 127.0.0.1 in a thread of this process."""
    import werkzeug.serving
    from oidc_provider_mock import User, app

    users = [User(sub=sub, claims=claims) for sub, claims in USERS.items()]
    server = werkzeug.serving.make_server("127.0.0.1", 0, app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def app_server(provider, tmp_path_factory):
    require_chromium()
    port = free_port()
    here = tmp_path_factory.mktemp("login")
    secrets = here / "secrets.toml"
    secrets.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-long-random-secret-for-the-test-run-only"
client_id = "lagesbild"
client_secret = "test-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    (here / "roller.yaml").write_text(ROLES, encoding="utf-8")
    url = f"sqlite:///{here / 'store.sqlite'}"
    env = {**os.environ, "HOME": str(here), "LAGESBILD_DB_URL": url,
           "LAGESBILD_ROLLER": str(here / "roller.yaml"), "LAGESBILD_KRAV_INLOGGNING": "1"}
    with streamlit_app(port, env, here / "server.log", "--secrets.files", str(secrets)) as base:
        yield base, url, here


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def login(browser, base: str, sub: str, **options):
    """A fresh browser context (no cookies; *options* for ``new_context``) logged in as *sub*
    through the provider's form; (context, page)."""
    context = browser.new_context(**{"viewport": {"width": 1500, "height": 1000},
                                     "accept_downloads": True, **options})
    page = context.new_page()
    page.goto(base, wait_until="domcontentloaded")
    page.get_by_role("button", name="Logga in").click(timeout=90_000)
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.get_by_role("button", name=sub, exact=True).click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
    page.get_by_text(f"{USERS[sub]['name']} · ").wait_for(timeout=90_000)
    return context, page


def _menu(page) -> list[str]:
    nav = page.get_by_test_id("stSidebarNav")
    nav.wait_for(timeout=30_000)
    return [t.strip().splitlines()[-1] for t in nav.get_by_role("link").all_inner_texts()]


def test_roles_in_a_real_browser_and_the_audit_log(app_server, browser):
    base, url, _ = app_server
    ARTIFACTS.mkdir(exist_ok=True)

    # A visitor gets the login button and nothing else.
    context = browser.new_context()
    page = context.new_page()
    page.goto(base, wait_until="domcontentloaded")
    page.get_by_role("button", name="Logga in").wait_for(timeout=90_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    context.close()

    # Läsare: every page but Import and Logg; a direct link to /data is refused in Swedish.
    context, page = login(browser, base, "lisa")
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=90_000)
    menu = _menu(page)
    assert "Översikt" in menu and "Karta" in menu and "Om data" in menu
    assert not {"Import och datakvalitet", "Logg", "Inställningar"} & set(menu)
    page.get_by_test_id("stSidebar").screenshot(path=str(ARTIFACTS / "inloggad_sidopanel.png"))
    page.get_by_role("link", name="Barn och unga").click()
    page.get_by_text("Orosanmälningar och aktualiseringar:").wait_for(timeout=60_000)
    # The numbers behind the chart sit under it, folded away so the page fits a projector.
    page.get_by_text("Siffrorna bakom diagrammet").first.click()
    # Drawn when opened (a rerun): its own download buttons, not another table's.
    behind = page.get_by_test_id("stExpander").filter(has_text="Siffrorna bakom diagrammet").first
    with page.expect_download(timeout=60_000) as csv:
        behind.get_by_test_id("stDownloadButton").filter(has_text="CSV").first.click()
    assert csv.value.suggested_filename.endswith(".csv")
    page.goto(f"{base}/data", wait_until="domcontentloaded")
    page.get_by_text("kräver rollen").wait_for(timeout=60_000)
    assert "Sidan Import och datakvalitet kräver rollen analytiker" in \
        page.get_by_test_id("stAlertContentError").inner_text()
    assert page.get_by_test_id("stFileUploader").count() == 0
    assert page.get_by_text("Ångra batch").count() == 0
    context.close()

    # Analytiker: the Data page is in the menu, and an import is stored under the login.
    context, page = login(browser, base, "anders")
    assert "Import och datakvalitet" in _menu(page) and "Logg" not in _menu(page)
    page.get_by_role("link", name="Import och datakvalitet").click()
    # The address is shown as text, not a link: an invisible word joiner breaks autolinking.
    page.get_by_text(re.compile("Läses in som anders@\u2060?kommun\\.test")).wait_for(
        timeout=60_000)
    assert page.get_by_label("Vem läser in?").count() == 0
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "oros_okt.csv", "mimeType": "text/csv", "buffer": OCTOBER}])
    page.get_by_text("Ja, ersätt de månader som redan finns").click(timeout=60_000)
    page.get_by_role("button", name="Spara i databasen").click()
    page.get_by_text("Sparade batch").wait_for(timeout=60_000)
    context.close()

    # Förvaltare: the audit log page lists what happened.
    context, page = login(browser, base, "frida")
    assert {"Import och datakvalitet", "Logg", "Inställningar"} <= set(_menu(page))
    page.get_by_role("link", name="Logg").click()
    page.get_by_test_id("stDataFrame").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "logg.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    context.close()

    log = audit.read(store.connect(url))
    entries = set(zip(log["who"], log["action"]))
    assert {("lisa@kommun.test", "inloggning"), ("anders@kommun.test", "inloggning"),
            ("frida@kommun.test", "inloggning"), ("lisa@kommun.test", "export"),
            ("anders@kommun.test", "import")} <= entries
    assert ("lisa@kommun.test", "import") not in entries
    imported = log[log["action"] == "import"].iloc[0]["details"]
    assert imported["fil"] == "oros_okt.csv" and imported["ersatta_perioder"] == ["2026-10"]
    roles = {r["who"]: r["details"]["roll"] for _, r in log.iterrows()
             if r["action"] == "inloggning"}
    assert roles == {"lisa@kommun.test": "lasare", "anders@kommun.test": "analytiker",
                     "frida@kommun.test": "forvaltare"}
    exported = log[log["action"] == "export"].iloc[0]["details"]
    assert exported["format"] == "csv" and exported["vad"]
    batches = store.read_batches(store.connect(url))
    assert batches.set_index("source").loc["oros_okt.csv", "created_by"] == "anders@kommun.test"
