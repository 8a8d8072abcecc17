"""Hostile uploads in a real server and headless Chromium: the server survives the crash
file, Markdown in a header is shown as text, and tables offer no download of their own."""

import urllib.request

import pytest
from hostile import far_cell_xlsx, with_declared_dimension

pytestmark = pytest.mark.browser

HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"
ROW = "2026-10-03;972 31;Flicka;4;Våld mot barnet;Polis"


def _data_page(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.goto(f"{server}/data", wait_until="domcontentloaded")
    page.get_by_text("Fil att läsa in").wait_for(timeout=60_000)
    return page


def test_the_server_survives_the_crash_file(server, browser, tmp_path):
    path = tmp_path / "vald_okt.xlsx"
    path.write_bytes(with_declared_dimension(far_cell_xlsx(), "A1:F3"))
    page = _data_page(server, browser)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("inget sparas förrän de är rättade").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Connection error").count() == 0
    page.close()
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=10) as answer:
        assert answer.status == 200
    again = browser.new_page(viewport={"width": 1600, "height": 1000})
    again.goto(server, wait_until="domcontentloaded")
    again.get_by_text("Demodata – syntetiska siffror").wait_for(timeout=60_000)
    again.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    assert again.locator('[data-testid="stException"]').count() == 0
    again.close()


def test_markdown_in_a_header_is_text_and_tables_have_no_download(server, browser,
                                                                   tmp_path):
    path = tmp_path / "oros_okt.csv"
    path.write_bytes(f"{HEADER};![bild](http://127.0.0.1:9/spion.png) [Logga in här]"
                     f"(http://127.0.0.1:9/)\n{ROW};x\n".encode())
    page = _data_page(server, browser)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("Kolumner som inte sparas").wait_for(timeout=60_000)
    caption = page.get_by_text("Kolumner som inte sparas").inner_text().replace("\u2060", "")
    assert "![bild](http://127.0.0.1:9/spion.png) [Logga in här](http://…" in caption
    assert page.locator('img[src*="spion"]').count() == 0
    links = page.locator('a[href*="127.0.0.1:9"]')
    assert links.count() == 0, [links.nth(i).evaluate("e => e.parentElement.outerHTML")
                                for i in range(links.count())]
    grid = page.locator('[data-testid="stDataFrame"], [data-testid="stTable"]').first
    grid.hover()
    page.wait_for_timeout(500)
    assert page.get_by_role("button", name="Download as CSV").count() == 0
    assert page.get_by_label("Download as CSV").count() == 0
    page.close()
