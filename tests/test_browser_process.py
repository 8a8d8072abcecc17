"""The lägesbild process in a real headless Chromium: record a meeting with a decision, and
see the decided action on the measure's trend chart; screenshots of the meeting page and the
priority overview land in tests/artifacts/."""

from __future__ import annotations

import pytest
from test_browser import ARTIFACTS

pytestmark = pytest.mark.browser


def _no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, errors.all_inner_texts()


def test_a_meeting_decides_an_action_that_shows_on_the_trend_chart(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.goto(f"{server}/avstamningsmote", wait_until="domcontentloaded")
    page.get_by_text("Demodata – syntetiska siffror").first.wait_for(timeout=90_000)
    page.get_by_text("Nytt möte", exact=True).first.click()
    page.get_by_role("button", name="Öppna mötet").click()
    page.get_by_role("tab", name="Inspel").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Åtgärder").click()
    page.get_by_text("Effekten jämför åtgärdens område").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "avstamningsmote_dagordning.png"))

    page.get_by_role("tab", name="Inspel").click()
    page.get_by_label("Vad har ni sett?").fill("Fler anmälningar från skolan i Svartöstaden")
    page.get_by_role("button", name="Spara observationen").click()
    page.get_by_text("Observation sparad i protokollet").wait_for(timeout=30_000)

    page.get_by_role("tab", name="Beslut", exact=True).click()
    page.get_by_label("Beslut (blir en åtgärd i åtgärdsregistret)").fill(
        "Nattvandring med föreningar")
    page.get_by_label("Indikatorer att följa").click()
    page.keyboard.type("Orosanm")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    start = page.get_by_label("Start", exact=True)
    start.click(position={"x": 18, "y": 10})  # the year segment; the input steps on by itself
    start.press_sequentially("20250301")
    start.press("Escape")
    page.get_by_role("button", name="Spara beslutet").click()
    page.get_by_text("Beslut sparad i protokollet").wait_for(timeout=30_000)
    _no_errors(page)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "avstamningsmote.png"), full_page=True)
    page.get_by_role("tab", name="Protokoll").click()
    page.get_by_role("button", name="Stäng mötet och skriv protokollet").click()
    page.get_by_role("button", name="Ja, stäng och skriv protokollet").click()
    page.get_by_text("Protokollet är sparat med mötet").wait_for(timeout=60_000)
    page.close()

    trend = browser.new_page(viewport={"width": 1600, "height": 1100})
    trend.goto(f"{server}/barn-och-unga", wait_until="domcontentloaded")
    chart = trend.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(timeout=90_000)
    # In the chart itself (drawn as SVG) and in words under it.
    chart.locator("text", has_text="Åtgärd: Nattvandring med föreningar").wait_for(
        timeout=60_000)
    chart.locator("text", has_text="Åtgärd: Fältarbete och skolsamverkan").wait_for(
        timeout=30_000)
    trend.get_by_text("mars 2025: Åtgärd: Nattvandring med föreningar (Hela kommunen)"
                      ).wait_for(timeout=30_000)
    trend.wait_for_timeout(1500)
    _no_errors(trend)
    trend.locator('[data-testid="stVegaLiteChart"]').first.screenshot(
        path=str(ARTIFACTS / "trend_med_atgarder.png"))
    trend.close()


def test_the_priority_overview_ranks_areas(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.goto(f"{server}/prioritering", wait_until="domcontentloaded")
    page.get_by_text("områden ligger över kommunens nivå").wait_for(timeout=90_000)
    page.locator('[data-testid="stDataFrame"], [data-testid="stTable"]').first.wait_for(
        timeout=30_000)
    page.wait_for_timeout(1500)
    _no_errors(page)
    page.screenshot(path=str(ARTIFACTS / "prioritering.png"), full_page=True)
    page.close()
