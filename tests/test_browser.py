"""The whole app in a real headless Chromium: start the server, open Översikt, see the map."""

from pathlib import Path

import pytest
from conftest import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.browser


def test_overview_draws_the_map_without_errors(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("Demodata – syntetiska siffror").wait_for(timeout=60_000)
    chart = page.locator('[data-testid="stDeckGlJsonChart"]')
    chart.wait_for(timeout=60_000)
    canvas = chart.locator("canvas").first
    canvas.wait_for(timeout=30_000)
    page.wait_for_timeout(2500)  # let deck.gl draw
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "oversikt.png"), full_page=True)
    shot = chart.screenshot(path=str(ARTIFACTS / "karta.png"))
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert page.locator('[data-testid="stMetric"]').count() == 7
    assert _distinct_colours(shot) >= 4, "the map canvas is blank"
    assert page.get_by_text("Färre än 5").count() >= 1, "the map legend is missing"
    page.close()


def _distinct_colours(png: bytes) -> int:
    """Distinct colours in a screenshot: a drawn choropleth has many, a blank canvas one."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 150))
    return len(image.getcolors(maxcolors=200 * 150))


def test_a_filter_lands_in_the_url_and_a_copied_link_reopens_it(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(server, wait_until="domcontentloaded")
    first = page.locator('[data-testid="stMetricValue"]').first
    first.wait_for(timeout=60_000)
    everyone = first.inner_text()
    page.get_by_text("Flickor/kvinnor", exact=True).click()
    page.wait_for_url("**kon=K**", timeout=30_000)
    page.wait_for_function(
        "(b) => document.querySelector('[data-testid=\"stMetricValue\"]').innerText !== b",
        arg=everyone, timeout=30_000)
    girls = first.inner_text()
    link = page.url
    page.close()

    again = browser.new_page(viewport={"width": 1600, "height": 1000})
    again.goto(link, wait_until="domcontentloaded")
    value = again.locator('[data-testid="stMetricValue"]').first
    value.wait_for(timeout=60_000)
    again.wait_for_function(
        "(g) => document.querySelector('[data-testid=\"stMetricValue\"]').innerText === g",
        arg=girls, timeout=30_000)
    assert again.get_by_role("radio", name="Flickor/kvinnor").is_checked()
    assert again.locator('[data-testid="stException"]').count() == 0
    again.close()


def test_clicking_an_area_on_the_map_opens_its_profile(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.goto(f"{server}/karta?niva=omrade", wait_until="domcontentloaded")
    chart = page.locator('[data-testid="stDeckGlJsonChart"]')
    chart.wait_for(timeout=90_000)
    chart.locator("canvas").first.wait_for(timeout=30_000)
    page.wait_for_timeout(8000)  # let deck.gl draw and become pickable
    assert page.get_by_text("Page not found").count() == 0  # a deep link opens the page
    box = chart.bounding_box()
    # The large northern area (Råneå och Vitå) fills the upper middle of the municipality.
    x, y = box["x"] + box["width"] * 0.56, box["y"] + box["height"] * 0.25
    for _ in range(3):  # deck.gl may not take clicks until it has drawn (slow on 2 cores)
        page.mouse.move(x, y)
        page.wait_for_timeout(1000)
        page.mouse.click(x, y)
        try:
            page.wait_for_function("() => location.search.includes('profil=ranea')",
                                   timeout=20_000)
            break
        except Exception:
            page.wait_for_timeout(3000)
    assert "profil=ranea" in page.url
    profile = page.get_by_text("Råneå och Vitå jämfört med hela kommunen")
    profile.first.wait_for(timeout=60_000)
    profile.first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "karta_profil.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


def test_a_measure_page_downloads_a_png_for_slides_and_its_table(server, browser):
    import io

    from openpyxl import load_workbook
    from PIL import Image

    page = browser.new_page(viewport={"width": 1600, "height": 1200}, accept_downloads=True)
    # Start at the front page and follow the menu: on a server's very first request a deep
    # link meets Streamlit's "Page not found" dialog before st.navigation has run.
    page.goto(server, wait_until="domcontentloaded")
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
    page.get_by_role("link", name="Barn och unga").click()
    page.wait_for_url("**/barn-och-unga**", timeout=60_000)
    page.get_by_text("Orosanmälningar och aktualiseringar:").wait_for(timeout=60_000)
    page.locator(".vega-embed").first.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as png:
        # Our button, not the chart toolbar's own "Download as PNG" of the screen image.
        page.get_by_test_id("stDownloadButton").filter(has_text="PNG").first.click()
    assert png.value.suggested_filename.endswith(".png")
    image = Image.open(png.value.path())
    assert image.width == 1920 and image.height > 800
    # The numbers behind the chart sit under it, folded away so the page fits a projector.
    page.get_by_text("Siffrorna bakom diagrammet").first.click()
    # Drawn when opened (a rerun): its own download buttons, not another table's.
    behind = page.get_by_test_id("stExpander").filter(has_text="Siffrorna bakom diagrammet").first
    with page.expect_download(timeout=60_000) as xlsx:
        behind.get_by_test_id("stDownloadButton").filter(has_text="Excel").first.click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes()))
    sheet = book["Tabell (demodata)"]  # synthetic data say so in the workbook
    assert [c.value for c in sheet[1]][:2] == ["Månad", "Antal"]
    assert isinstance(sheet["B2"].value, int) and sheet["B2"].value > 100
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "barn.png"))
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
