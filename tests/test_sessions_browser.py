"""Sessions that really end, files only for their session (issue 23), in a real browser
against the real OpenID Connect provider of test_login_browser: after "Logga ut" a copied
login cookie opens nothing, a just-offered download cannot be fetched without the login's
cookie, with another login's, nor with its own after logout, and /_stcore/metrics is closed
while login is on."""

import urllib.error
import urllib.request

import pytest
from test_login_browser import app_server, browser, login, provider  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _status(url: str, cookie: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def _cookie_header(context) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())


def test_a_copied_cookie_and_a_download_url_open_nothing_after_logout(app_server, browser):
    base, _, _ = app_server
    context, page = login(browser, base, "lisa")
    page.get_by_role("link", name="Barn och unga").click()
    page.get_by_text("Orosanmälningar och aktualiseringar:").wait_for(timeout=60_000)
    # The numbers behind the chart sit under it, folded away so the page fits a projector.
    page.get_by_text("Siffrorna bakom diagrammet").first.click()
    # Drawn when opened (a rerun): its own download buttons, not another table's.
    behind = page.get_by_test_id("stExpander").filter(has_text="Siffrorna bakom diagrammet").first
    with page.expect_download(timeout=60_000) as offered:
        behind.get_by_test_id("stDownloadButton").filter(has_text="CSV").first.click()
    url = offered.value.url
    assert "/media/" in url
    cookies = context.cookies()
    header = _cookie_header(context)

    # The download is for this login only: no cookie, no file; the login's cookie, the file.
    assert _status(url) == 404
    assert _status(url, header) == 200
    assert _status(f"{base}/_stcore/metrics") == 404
    assert _status(f"{base}/_stcore/metrics", header) == 404
    fonts = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    font = next(u for u in fonts if "/static/media/" in u)
    assert _status(font) == 200  # the app's own fonts are for everyone

    # Another login, signed in and live, does not get Lisa's file either.
    other, _ = login(browser, base, "anders")
    assert _status(url, _cookie_header(other)) == 404
    other.close()

    page.get_by_test_id("stSidebar").get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/end_session**", timeout=60_000)  # the provider's own logout page
    context.close()

    # Someone kept a copy of the cookie: the login it names has ended.
    assert _status(url, header) == 404
    thief = browser.new_context()
    thief.add_cookies(cookies)
    stolen = thief.new_page()
    stolen.goto(base, wait_until="domcontentloaded")
    stolen.get_by_role("button", name="Logga in").wait_for(timeout=90_000)
    stolen.wait_for_timeout(1500)
    assert stolen.locator('[data-testid="stMetric"]').count() == 0
    assert stolen.get_by_text("Lisa Läsare · ").count() == 0
    thief.close()
