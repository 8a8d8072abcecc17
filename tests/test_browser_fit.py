"""Every page fits the screen (issue 24), in a real headless Chromium at 1366×768 and
1920×1080, in normal and presentation mode: no element reaches past the right edge of the
viewport and no box inside the page scrolls (a table with a scroll bar of its own is
unusable on a projector: the room sees ten rows of forty). The page itself may scroll.

Screenshots go to tests/artifacts/sidor/ for a person to look at.
"""

from __future__ import annotations

import json

import pytest
from test_browser import ARTIFACTS
from test_browser_projector import SIZES, _settle

pytestmark = pytest.mark.browser

PAGES = ["", "karta", "prioritering", "avstamningsmote", "analysmote", "atgarder", "omvarld",
         "rapporter", "barn-och-unga", "vald-i-nara-relation", "skadligt-bruk",
         "ekonomi-och-boende", "trygghet-for-personal", "data", "om-data", "logg",
         "installningar"]
OUT = ARTIFACTS / "sidor"
# Pages whose last part comes after a longer computation: wait until it is drawn.
LAST = {"rapporter": "Bilder i bildspelet"}

# Elements past the right edge, and boxes that scroll inside the page, in the main area.
# The page's own scroller (stMain) and elements clipped away by an ancestor are not counted.
MEASURE = """() => {
    const vw = document.documentElement.clientWidth;
    const main = document.querySelector('[data-testid="stMain"]');
    const name = el => (el.dataset.testid || el.className?.toString?.().split(' ')[0] ||
                        el.tagName).slice(0, 40) + ':' + (el.innerText || '').trim().slice(0, 40);
    const clipped = el => {
        const r = el.getBoundingClientRect();
        for (let a = el.parentElement; a && a !== main; a = a.parentElement) {
            const cs = getComputedStyle(a);
            if (cs.overflowX !== 'visible') {
                const ar = a.getBoundingClientRect();
                if (r.left >= ar.right || r.right <= ar.left) return true;
            }
        }
        return false;
    };
    const wide = [], scrolling = [];
    for (const el of main.querySelectorAll('*')) {
        if (el.checkVisibility && !el.checkVisibility()) continue;
        const r = el.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) continue;
        if (r.right > vw + 1 && !clipped(el)) wide.push(name(el) + ' ' + Math.round(r.right));
        const cs = getComputedStyle(el);
        const y = /(auto|scroll)/.test(cs.overflowY) && el.scrollHeight > el.clientHeight + 2;
        const x = /(auto|scroll)/.test(cs.overflowX) && el.scrollWidth > el.clientWidth + 2;
        if (x || y) scrolling.push(name(el) + (x ? ` (sidled ${el.scrollWidth}/${el.clientWidth})` : '')
                                   + (y ? ` (höjdled ${el.scrollHeight}/${el.clientHeight})` : ''));
    }
    return {wide: wide.slice(0, 8), scrolling: scrolling.slice(0, 8)};
}"""


def _visit(browser, server, path, size, presentation):
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    query = "?presentation=1" if presentation else ""
    page.goto(f"{server}/{path}{query}", wait_until="domcontentloaded")
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=90_000)
    _settle(page)
    if path in LAST:
        page.get_by_text(LAST[path]).first.wait_for(timeout=180_000)
        _settle(page)
    page.wait_for_timeout(1500)  # charts, maps and tables draw after the run
    found = page.evaluate(MEASURE)
    OUT.mkdir(parents=True, exist_ok=True)
    mode = "presentation" if presentation else "normal"
    # The page scrolls inside stMain: for a picture of all of it, a window as tall as it.
    tall = page.evaluate("() => Math.max(...[...document.querySelectorAll("
                         "'[data-testid=\"stAppViewContainer\"], [data-testid=\"stMain\"], "
                         "[data-testid=\"stMainBlockContainer\"]')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": width, "height": min(max(tall, height), 9000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(OUT / f"{path or 'oversikt'}_{size}_{mode}.png"))
    page.close()
    return found


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
@pytest.mark.parametrize("size", list(SIZES))
def test_no_page_is_wider_than_the_screen_or_scrolls_inside(server, browser, size,
                                                            presentation):
    problems = {}
    for path in PAGES:
        found = _visit(browser, server, path, size, presentation)
        if found["wide"] or found["scrolling"]:
            problems[path or "oversikt"] = found
    (OUT / f"problem_{size}_{'presentation' if presentation else 'normal'}.json").write_text(
        json.dumps(problems, ensure_ascii=False, indent=1), encoding="utf-8")
    assert problems == {}, problems
