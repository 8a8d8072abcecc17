"""The meeting room in a real headless Chromium at the projector's sizes (1920×1080 and
1366×768): every step of the agenda, in the note-taker's and the projector's view, with no
element wider than the window, no scroll box inside the page and no text cut off with "…";
the projector follows what the note-taker writes without a reload; Enter in a field sends
nothing.

Screenshots go to tests/artifacts/mote_*.png for a person to look at.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from conftest import chromium, free_port, require_chromium, streamlit_app
from test_browser import ARTIFACTS

from lagesbild import store
from lagesbild.store import meetings, process

pytestmark = pytest.mark.browser

SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}
STEPS = ["Öppna punkter", "Läget", "Områden", "Åtgärder", "Omvärld", "Inspel", "Protokoll"]

# Streamlit's own scroll areas: the page itself and the sidebar. Anything else that scrolls
# is a box inside the page, which a projector cannot scroll.
PAGE_SCROLLERS = ["stMain", "stAppViewContainer", "stSidebarContent", "stSidebarNavItems",
                  "stSidebar", "stAppScrollToBottomContainer"]
CHECK_JS = """(allowed) => {
    const W = window.innerWidth, wide = [], boxes = [], cut = [];
    const name = (el) => (el.dataset.testid || el.tagName.toLowerCase()) +
        (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
    for (const el of document.querySelectorAll('body *')) {
        if (el.closest('[data-testid="stSidebar"]')) continue;
        if (el.closest('[aria-hidden="true"], script, style')) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (el.checkVisibility && !el.checkVisibility()) continue;
        if (r.right > W + 1 || r.left < -1) wide.push(name(el) + ' ' + Math.round(r.left) +
                                                       '..' + Math.round(r.right));
        const s = getComputedStyle(el);
        if (s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1 &&
            el.closest('[data-testid="stMain"]')) cut.push(name(el) + ' ' + el.innerText);
        const scrolls = (v) => v === 'auto' || v === 'scroll';
        if (allowed.includes(el.dataset.testid)) continue;
        if ((scrolls(s.overflowX) && el.scrollWidth > el.clientWidth + 2) ||
            (scrolls(s.overflowY) && el.scrollHeight > el.clientHeight + 2))
            boxes.push(name(el) + ' ' + el.scrollWidth + 'x' + el.scrollHeight + ' in ' +
                       el.clientWidth + 'x' + el.clientHeight);
    }
    return {wide: wide.slice(0, 8), boxes: boxes.slice(0, 8), cut: cut.slice(0, 8),
            pageWidth: document.documentElement.scrollWidth, W};
}"""


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """The app on the demo data with a store of its own, and two meetings in it: this
    month's avstämningsmöte and last quarter's analys- och åtgärdsmöte, both open."""
    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'mote.sqlite'}"
    env = {**os.environ, "HOME": str(tmp_path_factory.mktemp("home")),
           "LAGESBILD_DB_URL": url}
    with streamlit_app(free_port(), env, tmp_path_factory.mktemp("log") / "server.log",
                       "--server.address", "127.0.0.1", "--server.headless", "true",
                       "--browser.gatherUsageStats", "false") as base:
        with chromium() as browser:
            first = browser.new_page()
            first.goto(f"{base}/avstamningsmote", wait_until="domcontentloaded")
            first.get_by_text("Demodata – syntetiska siffror").first.wait_for(
                timeout=120_000)  # the store holds the demo now
            first.close()
            engine = store.connect(url)
            earlier = meetings.open_meeting(engine, "avstamning", date(2026, 10, 6), "anna",
                                            period="2026-09")
            meetings.add_item(engine, earlier, "observation", "Fler orosanmälningar från "
                              "skolorna i Svartöstaden sedan skolstarten, främst 12–17 år",
                              "anna", matt="orosanmalningar", omrade="974 42 Luleå")
            meetings.add_item(engine, earlier, "samverkan", "Gemensam kvällsvandring under "
                              "höstlovet", "anna", aktor="Kultur- och fritidsförvaltningen")
            meetings.close_meeting(engine, earlier, "anna")
            monthly = meetings.open_meeting(engine, "avstamning", date(2026, 11, 5), "anna",
                                            period="2026-10")
            quarterly = meetings.open_meeting(engine, "analys", date(2026, 11, 6), "anna",
                                              period="2026-Q3")
            for m in (monthly, quarterly):
                meetings.add_item(engine, m, "observation", "Oro kring kvällar i centrum "
                                  "efter att fritidsgården stängt tidigare", "anna",
                                  omrade="Hela kommunen")
                meetings.add_item(engine, m, "beslut", "Fältgruppen går kvällar i centrum",
                                  "anna", ansvarig="Fältgruppen", uppfoljning=date(2027, 2, 1),
                                  action=process.Action(
                                      "Fältgruppen går kvällar i centrum", date(2026, 11, 10),
                                      (process.Indicator("orosanmalningar"),),
                                      postnummer=("97231",), ansvarig="Fältgruppen"))
            meetings.set_participants(engine, quarterly, "Anna Strateg\nBo Enhetschef", "anna")
            yield base, browser, engine, {"avstamning": monthly, "analys": quarterly}


def _settle(page, quiet_ms=1200):
    page.wait_for_timeout(600)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)
    page.wait_for_timeout(quiet_ms)


def _open(browser, url: str, size: str):
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, wait_until="domcontentloaded")
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=90_000)
    page.get_by_role("tab", name="Protokoll").first.wait_for(timeout=90_000)
    _settle(page)
    return page


def _fits(page, where: str) -> None:
    found = page.evaluate(CHECK_JS, PAGE_SCROLLERS)
    assert found["pageWidth"] <= found["W"], f"{where}: the page scrolls sideways {found}"
    assert found["wide"] == [], f"{where}: wider than the window: {found['wide']}"
    assert found["boxes"] == [], f"{where}: a scroll box inside the page: {found['boxes']}"
    assert found["cut"] == [], f"{where}: text cut off with …: {found['cut']}"
    assert page.locator('[data-testid="stException"]').count() == 0, where
    assert page.get_by_text("Press Enter").count() == 0, where


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view, kind", [("anteckna", "analys"), ("visa", "avstamning")])
def test_every_step_fits_the_screen_without_inner_scroll_boxes(room, size, view, kind):
    base, browser, _, ids = room
    path = "analysmote" if kind == "analys" else "avstamningsmote"
    presentation = "&presentation=1" if view == "visa" else ""
    ARTIFACTS.mkdir(exist_ok=True)
    page = _open(browser, f"{base}/{path}?mote={ids[kind]}&motesvy={view}{presentation}", size)
    if view == "anteckna":  # the new meeting's kind, period and day fit too
        page.get_by_text("Nytt möte", exact=True).first.click()
        page.get_by_role("button", name="Öppna mötet").wait_for(timeout=30_000)
        _fits(page, f"{size} Nytt möte")
        page.screenshot(path=str(ARTIFACTS / f"mote_nytt_{size}.png"))
        page.get_by_text("Nytt möte", exact=True).first.click()  # folded again
        _settle(page)
    for step in STEPS:
        page.get_by_role("tab", name=step, exact=True).first.click()
        _settle(page)
        if step == "Åtgärder":
            page.get_by_text("Effekten jämför åtgärdens område").wait_for(timeout=90_000)
            _settle(page)
        _fits(page, f"{view} {size} {step}")
        slug = step.split()[0].lower().replace("ö", "o").replace("ä", "a")
        page.screenshot(path=str(ARTIFACTS / f"mote_{view}_{size}_{slug}.png"),
                        full_page=True)
    page.close()


def test_the_projector_follows_the_note_taker_and_enter_sends_nothing(room):
    base, browser, engine, ids = room
    m = ids["avstamning"]
    projector = _open(browser, f"{base}/avstamningsmote?mote={m}&motesvy=visa&"
                               "motessteg=Inspel&presentation=1", "1920x1080")
    laptop = _open(browser, f"{base}/avstamningsmote?mote={m}&motesvy=anteckna&"
                            "motessteg=Inspel", "1366x768")
    # Enter in a field of the form does not send it, and no English hint appears.
    laptop.get_by_role("tab", name="Samverkansbehov").click()
    field = laptop.get_by_label("Vilken förvaltning eller aktör?")
    field.fill("Socialförvaltningen och skolan")
    field.press("Enter")
    _settle(laptop)
    assert laptop.get_by_text("Press Enter").count() == 0
    assert "Socialförvaltningen och skolan" not in \
        " ".join(meetings.items(engine, m)["aktor"].dropna())
    laptop.get_by_label("Om vad?").fill("Läxhjälp på biblioteket under lovet")
    laptop.get_by_role("button", name="Spara", exact=True).click()
    laptop.get_by_text("Samverkansbehov sparad i protokollet").wait_for(timeout=30_000)
    # The projector shows it within a few seconds, without anyone touching it.
    projector.get_by_text("Läxhjälp på biblioteket under lovet").wait_for(timeout=20_000)
    projector.screenshot(path=str(ARTIFACTS / "mote_projektor_foljer.png"))
    laptop.close()
    projector.close()
