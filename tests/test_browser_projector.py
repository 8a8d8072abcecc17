"""On the projector, in the slide and for everyone (issue 16), in a real headless Chromium:
presentation mode at 1920×1080 and 1366×768, the map's labels and flags, no English text we
control, and an automated accessibility check (axe-core, vendored under tests/assets) on
every page.

Screenshots go to tests/artifacts/ for a person to look at.
"""

import re

import pytest
from conftest import ROOT
from test_browser import ARTIFACTS

pytestmark = pytest.mark.browser

AXE = ROOT / "tests" / "assets" / "axe.min.js"
SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768)}
PAGES = ["", "karta", "barn-och-unga", "vald-i-nara-relation", "skadligt-bruk",
         "ekonomi-och-boende", "trygghet-for-personal", "data", "om-data", "logg",
         "installningar"]
# Streamlit's, Vega's and deck.gl's own English, as the issue found it on the pages.
ENGLISH = ["Upload", "200MB", "per file", "Browse files", "Drag and drop", "yyyy",
           "Download as PNG", "Show data", "Copy Vega-Lite spec", "View source", "Fullscreen",
           "Search", "Zoom In", "Zoom Out", "Main menu", "Help for", "Collapse sidebar",
           "Expand sidebar", "Link to heading", "Vega visualization", "X-axis", "Y-axis",
           "child_care", "shield_person", "Choose an option", "Show/hide columns",
           "Press Enter", "Running", "Deploy", "Print", "Record a screencast", "None",
           "00:00:00"]


def _open(browser, url, size="1920x1080"):
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, wait_until="domcontentloaded")
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=90_000)
    _settle(page)
    return page


def _settle(page, quiet_ms=1500):
    """Wait until Streamlit has finished the run (no status widget) and the page is still."""
    page.wait_for_timeout(800)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)
    page.wait_for_timeout(quiet_ms)


def _first_figure_top(page) -> float:
    first = page.locator('[data-testid="stVegaLiteChart"], [data-testid="stDeckGlJsonChart"]'
                         ).first
    first.wait_for(timeout=90_000)
    return first.bounding_box()["y"]


def _sidebar_open(page) -> bool:
    return page.locator('[data-testid="stSidebar"][data-collapsed="false"]').count() == 1


@pytest.mark.parametrize("size", list(SIZES))
def test_presentation_mode_shows_the_filters_and_the_chart_first_and_toggles_again(
        server, browser, size):
    width, height = SIZES[size]
    page = _open(browser, f"{server}/barn-och-unga?kon=K&alder=12-17", size)
    toggle = page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]',
                          has_text="Presentationsläge")
    for round_ in range(3):  # on, off, on … as often as a meeting wants
        toggle.click()
        page.wait_for_url("**presentation=1**", timeout=30_000)
        _settle(page)
        line = page.locator('[data-testid="stMarkdown"]', has_text="Urval:").first
        assert "Flickor/kvinnor" in line.inner_text()
        assert "12–17 år" in line.inner_text()
        assert line.is_visible()
        assert not _sidebar_open(page), "the sidebar stays folded on the projector"
        top = _first_figure_top(page)
        assert top < height - 200, f"the chart starts at y={top} on a {size} screen"
        # The menu works without the sidebar: it sits at the top of the page.
        assert page.locator('[data-testid="stTopNavLink"], [data-testid="stNavSection"]'
                            ).count() >= 1 or page.get_by_text("Verksamhetsområden").count()
        page.screenshot(path=str(ARTIFACTS / f"presentation_{size}_{round_}.png"))
        page.get_by_role("button", name="Avsluta presentationsläge").click()
        page.wait_for_function("() => !location.search.includes('presentation=1')",
                               timeout=30_000)
        _settle(page)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stSidebar\"]')"
            "?.getAttribute('data-collapsed') === 'false'", timeout=30_000)
        assert page.locator('[data-testid="stMarkdown"]', has_text="Urval:").count() >= 1
    page.close()


def test_presentation_mode_keeps_the_map_first_on_karta(server, browser):
    page = _open(browser, f"{server}/karta?presentation=1")
    top = _first_figure_top(page)
    assert top < 1080 - 300, f"the map starts at y={top}"
    page.wait_for_timeout(3000)
    page.screenshot(path=str(ARTIFACTS / "presentation_karta.png"))
    page.close()


def test_the_sidebar_stays_folded_when_the_month_changes(server, browser):
    """Folded by the user, the sidebar no longer reopens on the next run."""
    page = _open(browser, f"{server}/barn-och-unga")
    assert _sidebar_open(page)
    page.locator('[data-testid="stSidebar"]').hover()  # the button shows on hover
    page.get_by_role("button", name="Fäll in sidopanelen").click()
    page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                           ".getAttribute('data-collapsed') === 'true'", timeout=10_000)
    # A change that reruns the app (a tab here; the month is in the folded sidebar).
    page.get_by_role("tab", name="År för år").click()
    page.wait_for_url("**vy=**", timeout=30_000)
    _settle(page)
    assert not _sidebar_open(page)
    page.close()


def test_map_has_labels_and_flags_that_do_not_rely_on_colour(server, browser):
    page = _open(browser, f"{server}/karta?kartvy=tatort")
    chart = page.locator('[data-testid="stDeckGlJsonChart"]')
    chart.wait_for(timeout=90_000)
    page.wait_for_timeout(4000)  # let deck.gl draw
    legend = page.locator('[data-testid="stMarkdown"]', has_text="Vit: inga data"
                          ).first.inner_text()
    assert "▲" in legend and "högre än väntat" in legend, legend
    assert "Ingen förändring" not in legend  # the level map has no neutral class
    # The zoom from the URL (a copied link keeps it).
    assert page.get_by_role("radio", name="Tätorten").is_checked()
    chart.screenshot(path=str(ARTIFACTS / "karta_tatort.png"))
    page.close()


def _english_on(page) -> list[str]:
    """English words in what a user sees (visible text) or hears (accessible names of
    visible elements)."""
    texts = page.evaluate("""() => {
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const el = n.parentElement;
            if (!el || el.closest('[aria-hidden="true"], script, style')) continue;
            if (el.checkVisibility && !el.checkVisibility() && !el.closest('a')) continue;
            if (n.nodeValue.trim()) out.push(n.nodeValue.trim());
        }
        for (const el of document.querySelectorAll('[aria-label],[title],[placeholder]')) {
            if (el.checkVisibility && !el.checkVisibility()) continue;
            if (el.closest('[aria-hidden="true"]')) continue;
            for (const a of ['aria-label', 'title', 'placeholder'])
                if (el.getAttribute(a)) out.push(el.getAttribute(a));
        }
        return out;
    }""")
    found = []
    for word in ENGLISH:
        pattern = re.compile(rf"(?<![\wåäö]){re.escape(word)}(?![\wåäö])")
        found += [f"{word!r} in {t[:80]!r}" for t in texts if pattern.search(t)]
    return found


@pytest.mark.parametrize("path", PAGES)
def test_no_english_and_no_serious_accessibility_violations(server, browser, path):
    page = _open(browser, f"{server}/{path}")
    page.wait_for_timeout(2000)
    assert _english_on(page) == []
    page.add_script_tag(path=str(AXE))  # the vendored file: nothing is downloaded
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    page.close()


def test_navigation_links_show_where_the_keyboard_is(server, browser):
    page = _open(browser, f"{server}/om-data", "1366x768")
    link = page.locator('[data-testid="stSidebarNavLink"]').first
    link.focus()
    page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
    page.keyboard.press("Shift+Tab")
    style = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [document.activeElement.dataset.testid, s.outlineStyle, s.outlineWidth]; }""")
    assert style == ["stSidebarNavLink", "solid", "3px"], style
    page.close()
