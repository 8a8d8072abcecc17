"""What the user has chosen, kept in the URL: the shared sidebar filters, widgets whose value
lives in the URL, and presentation mode."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lagesbild import fmt
from lagesbild.views import pages
from webapp import data

log = logging.getLogger("lagesbild.ui")


# --- errors -------------------------------------------------------------------------------


# --- cached loaders -----------------------------------------------------------------------


# --- banner and filters -------------------------------------------------------------------


SEX_OPTIONS = {"": "Alla", "K": "Flickor/kvinnor", "M": "Pojkar/män"}


@dataclass(frozen=True)
class Selection:
    month: pd.Timestamp | None
    filters: pages.Filters


def _from_url(key: str, multi: bool):
    params = st.query_params
    if key not in params:
        return None
    return params.get_all(key) if multi else params[key]


def seed(key: str, options: list, multi: bool, default):
    """Seed a widget's state from the URL once, ignoring values that are not options."""
    if key in st.session_state:
        return
    value = _from_url(key, multi)
    if multi:
        value = [v for v in (value or []) if v in options]
        st.session_state[key] = value or default
    else:
        st.session_state[key] = value if value in options else default


@st.cache_resource(max_entries=4, show_spinner=False)
def _choices(url: str, fingerprint: tuple) -> pages.Choices:
    # Once per store version, not on every rerun of every page.
    return pages.choices(data._shared(url, fingerprint).counts)


def sidebar_filters(d: data.Data) -> Selection:
    """The global filters (month, area, sex, age group), shared by all pages and in the URL."""
    cat = data.config().catalogue
    options = _choices(data.config().db_url, d.fingerprint)
    month_options, areas = list(options.months), list(options.areas)
    names = data.postort_names()

    seed("manad", month_options, False, options.latest if options.latest is not None
          else (month_options[0] if month_options else None))
    seed("omrade", areas, True, [])
    seed("kon", list(SEX_OPTIONS), False, "")
    seed("alder", cat.all_age_groups, True, [])
    seed_presentation()

    with st.sidebar:
        st.header("Urval")
        st.selectbox("Månad", month_options, key="manad",
                     format_func=lambda m: fmt.month(m + "-01"),
                     help="Den månad översikten gäller. Rullande 12 månader slutar här.")
        st.multiselect("Område (postnummer)", areas, key="omrade",
                       format_func=lambda p: f"{fmt.postnummer(p)} {names.get(p, '')}".strip(),
                       placeholder="Hela kommunen",
                       help="Tomt betyder hela kommunen.")
        st.radio("Kön", list(SEX_OPTIONS), key="kon", format_func=SEX_OPTIONS.get,
                 horizontal=True)
        st.multiselect("Åldersgrupp", cat.all_age_groups, key="alder",
                       format_func=lambda g: g.replace("-", "–") + " år",
                       placeholder="Alla åldrar",
                       help="Barn: 0–5, 6–11, 12–17, 18–20. Vuxna: 18–24 … 65+. "
                            "Gäller de mått som har grupperna.")
        st.divider()
        st.toggle("Presentationsläge", key="presentationslage",
                  help="För projektorn: större text, tjockare linjer, diagram i full bredd "
                       "och sidopanelen infälld (öppna den med pilen uppe till vänster).")

    state = st.session_state
    to_url({"manad": state["manad"], "omrade": state["omrade"], "kon": state["kon"],
             "alder": state["alder"],
             "presentation": "1" if state["presentationslage"] else None})
    month = pd.Timestamp(state["manad"] + "-01") if state["manad"] else None
    chosen = Selection(month, pages.Filters(
        postnummer=tuple(state["omrade"]),
        kon=(state["kon"],) if state["kon"] else (),
        aldersgrupp=tuple(state["alder"]),
    ))
    state["_urval"] = chosen
    return chosen


def selection() -> Selection:
    """The sidebar's current choices (set by app.py before the page runs)."""
    return st.session_state.get("_urval") or Selection(None, pages.Filters())


def to_url(values: dict) -> None:
    """Keep the current choices in the URL, so a copied link reopens the same view.

    Only the named keys change (empty values are removed): the sidebar and each page keep
    their own choices side by side in one URL.
    """
    for name, value in values.items():
        multi = isinstance(value, (list, tuple))
        if value in (None, "", [], ()):
            if name in st.query_params:
                del st.query_params[name]
            continue
        current = st.query_params.get_all(name) if multi else st.query_params.get(name)
        wanted = list(value) if multi else value
        if current != wanted:
            st.query_params[name] = wanted

def url_widget(widget, label: str, options: list, key: str, default, **kwargs):
    """A page's own filter widget, seeded from the URL and kept there like the sidebar's.

    Parameters
    ----------
    widget : callable
        ``st.multiselect``, ``st.selectbox``, ``st.radio`` or ``st.segmented_control``.
    label, options, key : str, list, str
        As for the widget; *key* is also the URL parameter.
    default : object
        The value when the URL has none (a list for multiselect).
    **kwargs
        Passed on to the widget.

    Returns
    -------
    The widget's value.
    """
    multi = isinstance(default, list)
    seed(key, options, multi, default)
    widget(label, options, key=key, **kwargs)
    value = st.session_state[key]
    to_url({key: None if value == default else value})  # short links: defaults stay out
    return value


def url_tabs(labels: list[str], key: str) -> dict[str, object]:
    """Tabs where only the open one runs (``tab.open``), the choice kept in the URL.

    Returns
    -------
    dict
        Label to tab container.
    """
    first = f"_{key}_forst"
    if first not in st.session_state:  # the URL's tab, fixed for the widget's life
        wanted = st.query_params.get(key)
        st.session_state[first] = wanted if wanted in labels else None
    tabs = st.tabs(labels, key=key, on_change="rerun", default=st.session_state[first])
    chosen = st.session_state.get(key)
    to_url({key: None if chosen in (None, labels[0]) else chosen})
    return dict(zip(labels, tabs))


# --- shared renderers ---------------------------------------------------------------------


# --- charts, tables and their downloads ---------------------------------------------------

def seed_presentation() -> bool:
    """Presentation mode from the URL on a session's first run (before the navigation is
    built: the menu moves to the top of the page in presentation mode)."""
    if "presentationslage" not in st.session_state:
        st.session_state["presentationslage"] = st.query_params.get("presentation") == "1"
    return presentation()


def presentation() -> bool:
    """True when the projector mode is on (larger type, thicker lines)."""
    return bool(st.session_state.get("presentationslage", False))


def leave_presentation() -> None:
    """The page's own button out of presentation mode (the sidebar's toggle is folded away)."""
    st.session_state["presentationslage"] = False


# Always: Streamlit's own chart and table toolbars ("Download as PNG", "Show data", "Copy
# Vega-Lite spec", "Fullscreen", "Search") and heading links speak English and cannot be
# translated; our Swedish download buttons do their job (with title, source and disclosure
# note in the file). Streamlit's own "Show data" would also show unformatted raw rows.
# Navigation links get a visible focus ring for keyboard users. The upload box's English
# instructions ("25MB per file • XLSX …") go: the field's label and help say the same in
# Swedish. Captions are a shade darker than Streamlit's grey (4.5:1 contrast on the sidebar).
# A full-height table (widgets.fitted) may break a long file name anywhere rather than run
# past the right edge of a 1366 px screen (Streamlit sizes a cell's text to fit-content and
# nowrap, which kept an eleven-column table 4 px too wide).
_ALWAYS_CSS = """<style>
[data-testid="stElementToolbar"], [data-testid="stHeaderActionElements"] { display: none !important; }
a:focus-visible, button:focus-visible, [role="tab"]:focus-visible,
[data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stTopNavLink"]:focus-visible {
  outline: 3px solid #253494 !important; outline-offset: 2px; }
[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
[data-testid="stCaptionContainer"] { opacity: 1 !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: #4b5563 !important; }
[data-testid="stTable"] :is(th, td) { white-space: normal !important; }
[data-testid="stTable"] :is(th, td) * { display: block !important; width: auto !important;
  min-width: 0 !important; overflow-wrap: anywhere !important; }
</style>"""

# Streamlit sizes its text in rem: a larger root size enlarges every text on the page.
# Captions are dark and large enough to read from the back of a room.
_PRESENTATION_CSS = """<style>html { font-size: 20px; }
[data-testid="stMetricValue"] { font-size: 2.6rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  color: #111827 !important; font-size: 1rem !important; }
h1 { padding-top: 0 !important; font-size: 2.2rem !important; }
[data-testid="stMainBlockContainer"] { padding-top: 4.5rem !important; }
</style>"""

# Streamlit's own accessible names that no option translates ("Help for Månad", "Open",
# "Collapse sidebar"): put into Swedish in the browser, so a screen reader speaks Swedish.
# The words are fixed here; nothing from a user or a file reaches this script. (No angle
# brackets in it: Streamlit's HTML sanitiser drops a script that seems to hold tags.)
_SWEDISH_LABELS = {
    "Open": "Öppna", "Close": "Stäng", "Clear all": "Rensa alla", "Clear value": "Rensa",
    "Sidebar": "Sidopanel", "Collapse sidebar": "Fäll in sidopanelen",
    "Expand sidebar": "Fäll ut sidopanelen", "App pages": "Sidor", "Main menu": "Meny",
    "Link to heading": "Länk till rubriken", "Show password text": "Visa lösenordet",
    "Hide password text": "Dölj lösenordet", "Increment": "Öka", "Decrement": "Minska",
    "Zoom In": "Zooma in", "Zoom Out": "Zooma ut", "Reset bearing to north": "Norr uppåt",
    "Fullscreen": "Helskärm", "Close fullscreen": "Stäng helskärm", "Search": "Sök",
    "computer icon": "", "Upload": "Välj fil", "Browse files": "Välj fil",
    "Vega visualization": "Diagram", "Choose an option": "Välj", "Choose options": "Välj",
    "Remove": "Ta bort", "Delete": "Ta bort", "Running...": "Arbetar …",
    "Hide": "Dölj", "Show": "Visa", "Expand": "Fäll ut", "Collapse": "Fäll in",
    "Skip to main content": "Hoppa till innehållet", "Show/hide columns": "Kolumner",
    "Drag and drop file here": "Dra och släpp en fil här",
    "Drag and drop files here": "Dra och släpp filer här", "No results": "Inga träffar",
    "No options to select": "Inget att välja", "file upload": "Välj fil",
    "yyyy": "åååå", "Empty": "Tom",
}
_TRANSLATE_JS = """<script>
(() => {
  if (window.__lagesbildSv) return;
  window.__lagesbildSv = true;
  const words = %s;
  const attrs = ["aria-label", "title", "placeholder", "aria-roledescription",
                 "aria-valuetext"];
  const fix = (el) => {
    for (const a of attrs) {
      const v = el.getAttribute && el.getAttribute(a);
      if (!v) continue;
      if (v in words && words[v] === "") {  // an icon's English name: hide it instead
        el.removeAttribute(a);
        el.setAttribute("aria-hidden", "true");
      } else if (v in words) el.setAttribute(a, words[v]);
      else if (a === "placeholder" && /^[-ymd/.]+$/i.test(v))
        el.setAttribute(a, v.replace(/y/gi, "Å").replace(/m/gi, "M").replace(/d/gi, "D"));
      else if (v.startsWith("Help for ")) el.setAttribute(a, "Hjälp om " + v.slice(9));
      else if (v.startsWith("Remove ")) el.setAttribute(a, "Ta bort " + v.slice(7));
      else {  // a date field's parts: "year, Uttagsdatum"
        const part = {"year, ": "år, ", "month, ": "månad, ", "day, ": "dag, "};
        for (const p in part) if (v.startsWith(p)) el.setAttribute(a, part[p] + v.slice(p.length));
      }
    }
  };
  const text = (n) => {
    const t = n.nodeValue.trim();
    if (t in words && words[t]) n.nodeValue = words[t];
  };
  const walk = (root) => {
    if (root.nodeType === 3) { text(root); return; }
    if (root.nodeType !== 1) return;
    fix(root);
    root.querySelectorAll("[aria-label],[title],[placeholder],[aria-roledescription]," +
                          "[aria-valuetext]")
      .forEach(fix);
    const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = texts.nextNode(); n; n = texts.nextNode()) text(n);
    // Material icons are ligature text ("child_care"): hide the word from screen readers.
    // Vega's unnamed mark groups (the sparklines in Streamlit's own metric cards): the chart
    // as a whole has a Swedish name, the marks are decoration to a screen reader.
    root.querySelectorAll(".vega-embed g[role=graphics-symbol]:not([aria-label])")
      .forEach((g) => g.setAttribute("aria-hidden", "true"));
    root.querySelectorAll("[data-testid=stIconMaterial]")
      .forEach((i) => i.setAttribute("aria-hidden", "true"));
    // Streamlit's menu puts section divs straight into its list: invalid list markup for
    // screen readers. The links stay in the labelled nav element; the list roles go.
    root.querySelectorAll("[data-testid=stSidebarNavItems], [data-testid=stSidebarNavItems] li")
      .forEach((l) => l.setAttribute("role", "none"));
  };
  walk(document.body);
  new MutationObserver((ms) => {
    for (const m of ms) {
      if (m.type === "attributes") fix(m.target);
      if (m.type === "characterData") text(m.target);
      m.addedNodes.forEach(walk);
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             characterData: true, attributeFilter: attrs});
})();
</script>"""


def apply_presentation() -> None:
    """The page's look: always our Swedish names and no untranslatable toolbars; in
    projector mode also larger type and the sidebar folded away.

    Streamlit folds or opens the sidebar only when the page config says so; it is said only
    when the mode changes, so the sidebar no longer reopens on every page or month change.
    """
    import json

    on = presentation()
    if st.session_state.get("_presentation_shown") != on:
        st.set_page_config(initial_sidebar_state="collapsed" if on else "expanded")
        st.session_state["_presentation_shown"] = on
    st.html(_ALWAYS_CSS + (_PRESENTATION_CSS if on else ""))
    st.html(_TRANSLATE_JS % json.dumps(_SWEDISH_LABELS, ensure_ascii=False),
            unsafe_allow_javascript=True)


def describe(sel: Selection) -> str:
    """The sidebar's choices in words: "oktober 2026 · 973 31 Luleå · Flickor · 12–17 år"."""
    names = data.postort_names()
    parts = [fmt.month(sel.month) if sel.month is not None else "ingen månad"]
    areas = [f"{fmt.postnummer(p)} {names.get(p, '')}".strip() for p in sel.filters.postnummer]
    parts.append(", ".join(areas) if areas else "Hela kommunen")
    parts.append(", ".join(SEX_OPTIONS[k] for k in sel.filters.kon) if sel.filters.kon
                 else "Alla kön")
    parts.append(", ".join(g.replace("-", "–") + " år" for g in sel.filters.aldersgrupp)
                 if sel.filters.aldersgrupp else "Alla åldrar")
    return " · ".join(parts)


# --- the map page (Karta) -----------------------------------------------------------------


