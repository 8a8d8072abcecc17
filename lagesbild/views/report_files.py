"""A report (``views.report``) as files: the deck for the ledningsgrupp (monthly) and the
socialnämnd (quarterly) as .pptx or PDF, the newsletter text and the EST note as Markdown,
Word or PDF. Trend and action charts are native chart data on slides and the images the app
exports on paper (``views.figures``, ``views.areas``, ``present.export.png``), with
"Demodata" inside them when the data are synthetic; the speaker notes hold the published
numbers behind each chart.

Long because the deck, the paper, the newsletter and the EST note are composed from the same
report by the same helpers (headlines, messages, action and meeting blocks): one module keeps
what a slide says and what the newsletter says from drifting apart.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, replace

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Config
from lagesbild.errors import UnknownError
from lagesbild.present import columns as col
from lagesbild.present import document, export, maps, paper, slides
from lagesbild.present.document import Block, Chart, Document, Image
from lagesbild.store.process import ITEM_KINDS, Action, Meeting
from lagesbild.views import areas as area_views
from lagesbild.views import effect as effect_views
from lagesbild.views import figures
from lagesbild.views.report import Report, change_words

FORMATS = {"ledningsgrupp": ("pptx", "pdf", "md", "docx"),
           "namnd": ("pptx", "pdf", "md", "docx"),
           "nyhetsbrev": ("md", "docx", "pdf"), "est": ("md", "docx", "pdf")}
MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pdf": "application/pdf", "md": "text/markdown",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
SUMMARY_CHARS = 900  # per summary slide: more does not read from the back of the room
def _method() -> tuple[str, ...]:
    """The method note's points (``views.method``), the same text as Om data shows."""
    from lagesbild.views import method

    return method.points()


@dataclass(frozen=True)
class Inputs:
    """What the images and the meeting's slides are made from."""

    counts: dict[str, pd.DataFrame]
    population: pd.DataFrame
    actions: list[Action]
    layer: object | None = None  # area_views.DisplayLayer of the postnummer level
    outline: dict | None = None
    postorter: dict | None = None
    meeting: Meeting | None = None
    items: pd.DataFrame | None = None  # the meeting's items (process.items)


def check_format(typ: str, form: str) -> None:
    if form not in FORMATS.get(typ, ()):
        allowed = ", ".join(FORMATS.get(typ, ()))
        raise UnknownError(f"Rapporttypen {typ} finns inte som {form}; välj {allowed}.")


def _count(value, threshold: int) -> str:
    return f"<{threshold}" if pd.isna(value) else fmt.number(value)


def _footer(report: Report, cfg: Config) -> str:
    sources = sorted({s.measure.source for s in report.sections})
    return (f"Källa: {'; '.join(sources)}. Publicerade tal: små tal kan avvika med några "
            f"enheter för att skydda enskilda (röjandekontroll); tal under {report.threshold} "
            f"visas som ”<{report.threshold}”.")


def _page_footer(report: Report) -> str:
    return (f"Källor och metod: sista sidan. Små tal kan avvika (röjandekontroll); "
            f"tal under {report.threshold} visas som ”<{report.threshold}”.")


def _trend(report: Report, section, cfg: Config, inputs: Inputs, picture: bool
           ) -> tuple[Chart, Image | None, str]:
    """The 36-month trend as a native chart (its published monthly counts and the rolling
    mean), the app's export image of it for paper, and the numbers for the speaker notes."""
    code = section.measure.code
    period = figures.default_period("trend", report.period.end)
    fig = figures.figure("trend", inputs.counts[code], inputs.population, section.measure, cfg,
                         period, markers=effect_views.markers(inputs.actions, code))
    caption = replace(fig.caption, demo=report.demo)
    table = fig.table.sort_values(col.MONTH)
    mean_col = next((c for c in table.columns if str(c).startswith("Rullande")), None)

    def values(series) -> tuple[float | None, ...]:
        return tuple(None if pd.isna(v) else float(v) for v in series)

    series = [(f"Antal per månad ({section.measure.counted})", values(table[col.COUNT]))]
    if mean_col is not None:
        series.append(("Medel per månad, rullande 12 månader", values(table[mean_col])))
    chart = Chart("line", tuple(fmt.month_short(m) for m in table[col.MONTH]), tuple(series),
                  axis_title=f"Antal {section.measure.counted}")
    rows = [f"{pd.Timestamp(m):%Y-%m}: {_count(n, report.threshold)}"
            for m, n in zip(fig.table[col.MONTH], fig.table[col.COUNT])]
    notes = "\n".join([f"{caption.title} ({caption.subtitle}). Publicerade antal per månad, "
                       "nyast först (dolda tal ”<5” är luckor i diagrammet):", *rows,
                       caption.source])
    image = Image(export.png(fig.chart, caption), caption.title) if picture else None
    return chart, image, notes


def _map(report: Report, section, cfg: Config, inputs: Inputs
         ) -> tuple[Image, str, str]:
    """The map as the app exports it, its numbers for the notes, and ``too_short``'s hint
    when most areas are hidden."""
    measure = section.measure
    view = area_views.view(cfg, inputs.counts[measure.code], inputs.population, measure,
                           "rullande", f"{report.period.end:%Y-%m}", "per_1000", "postnummer",
                           aggregate.Filters(categories=measure.headline_filter), inputs.layer,
                           inputs.postorter or {}, None)
    caption = replace(view.caption, demo=report.demo)
    image = maps.static_map(view.coloured, view.legend, view.legend_title, inputs.outline)
    rows = []
    for name, r in zip(view.names, view.safe.itertuples()):
        rate = "" if pd.isna(r.per_1000) else f", {fmt.number(r.per_1000, 1)} per 1 000"
        flag = f", {area_views.FLAG_LABELS[r.flagga].lower()}" if isinstance(
            getattr(r, "flagga", None), str) else ""
        rows.append(f"{name}: {_count(r.antal, report.threshold)}{rate}{flag}")
    kommun = "" if view.kommun_rate is None else \
        f" Kommunen: {fmt.number(view.kommun_rate, 1)} per 1 000."
    notes = "\n".join([f"{caption.title} ({caption.subtitle}).{kommun} Publicerade tal per "
                       "postnummer:", *rows, caption.source])
    return Image(export.png(image, caption), caption.title), notes, area_views.too_short(
        view.safe)


def _p(p) -> str:
    """A p-value for the speaker notes (never on the slide)."""
    return "" if p is None or pd.isna(p) else f" (p = {fmt.number(p, 4)}, före korrektion)"


def _verdict(section) -> str:
    """The measure's verdict for its slide: against its expected range, no p-value."""
    rng = section.expected_range()
    if rng:
        return f"Mot det förväntade ({rng}): {change_words(section.change)}."
    return section.line.split("), ", 1)[-1].rstrip(".").capitalize() + "."


def _figures(report: Report, section) -> tuple[tuple[str, str], ...]:
    t = report.threshold
    r12 = section.shown("rullande", t)
    c12 = section.change12
    if c12.now is not None and c12.before:
        r12 += f" ({fmt.percent(100 * (c12.now - c12.before) / c12.before)})"
    return ((report.label.capitalize(), section.shown("period", t)),
            ("Samma period i fjol", section.shown("period_fg", t)),
            (f"12 mån till {fmt.month_short(report.period.end)}", r12))


def headline(report: Report, section) -> str:
    """The trend slide's message as one sentence, without p-values (they are in the notes)."""
    t = report.threshold
    now, before = section.shown("period", t), section.shown("period_fg", t)
    counted = section.measure.counted
    name = section.measure.short
    c = section.change
    if c.verdict == "okar":
        return f"{name} ökar: {now} {counted} i {report.label} mot {before} i fjol"
    if c.verdict == "minskar":
        return f"{name} minskar: {now} {counted} i {report.label} mot {before} i fjol"
    if section.change12.significant:  # the longer trend is the message then
        return twelve_months(report, section)
    if c.verdict == "slump":
        return f"{name}: {now} {counted} i {report.label}, i nivå med i fjol ({before})"
    if c.verdict == "fa":
        return f"{name}: {now} {counted} i {report.label}, för få för att jämföra med i fjol"
    if c.verdict == "avbrott":
        return f"{name}: {now} {counted} i {report.label} (serieavbrott: jämför inte rakt av)"
    return f"{name}: {now} {counted} i {report.label}"


def twelve_months(report: Report, section) -> str:
    """"Skadligt bruk ökar över 12 månader: 1 502 mot 1 366 året före"."""
    word = "ökar" if section.change12.verdict == "okar" else "minskar"
    return (f"{section.measure.short} {word} över 12 månader: "
            f"{section.shown('rullande', report.threshold)} mot "
            f"{section.shown('rullande_fg', report.threshold)} året före")


EFFECT_WORDS = {"minskning": "har minskat mer än i resten av kommunen",
                "okning": "har ökat mer än i resten av kommunen",
                "oklart": "ännu ingen skillnad mot resten av kommunen som säkert inte är slump"}


def _messages(report: Report) -> list[str]:
    """The three things to take from the period, short and without p-values: changes larger
    than chance, actions with a clear effect, areas above the municipality (one per measure)."""
    ranked = []
    for s in report.sections:
        now, before = s.shown("period", report.threshold), s.shown("period_fg", report.threshold)
        if s.change.significant:
            ranked.append((0, -math.log10(max(s.change.p, 1e-300)), s.measure.code,
                           headline(report, s)))
        elif s.change12.significant:
            ranked.append((1, -math.log10(max(s.change12.p, 1e-300)), s.measure.code,
                           twelve_months(report, s)))
        del now, before
    for row in report.effect.itertuples():
        if row.kod in ("minskning", "okning"):
            what = report_measure_short(report, row.matt)
            ranked.append((1, 2.0, f"atgard:{row.id}",
                           f"{fmt.clean(row.titel, newlines=False)} "
                           f"({fmt.clean(row.omrade, newlines=False)}): {what.lower()} "
                           f"{EFFECT_WORDS[row.kod]}"))
    for s in report.sections:
        over = _over(s)
        if len(over):
            ranked.append((2, float(len(over)), f"omr:{s.measure.code}",
                           f"{s.measure.short}: {_areas_words(len(over))} över kommunens "
                           f"nivå, högst i {over['namn'].iloc[0]}"))
    ranked.sort(key=lambda r: (r[0], -r[1]))
    seen, out = set(), []
    for _, _, key, text in ranked:
        measure = key.split(":")[-1] if not key.startswith("atgard") else key
        if measure in seen:
            continue
        seen.add(measure)
        out.append(text)
    return out[:3]


def report_measure_short(report: Report, code: str) -> str:
    return next((s.measure.short for s in report.sections if s.measure.code == code), code)


def _areas_words(n: int) -> str:
    return "ett område" if n == 1 else f"{fmt.number(n)} områden"


def _over(section) -> pd.DataFrame:
    if not len(section.flagged):
        return section.flagged
    return section.flagged[section.flagged["flagga"] == "över"].sort_values(
        "per_1000", ascending=False)


P_VALUE = re.compile(r"\s*[(,]\s*p\s*[=<]\s*[\d\u00a0,]+\)?|\s*\(95\s*%\s*KI[^)]*\)|"
                     r"\s*Kvot [\d,]+\.?|\s*\(99,8\s*%\)")


def without_p(text: str) -> str:
    """A summary sentence without its p-value, interval and limits (for a slide or colleagues);
    the method slide and the notes keep them."""
    return P_VALUE.sub("", text).replace(" ,", ",").strip()


def _edited_points(report: Report) -> list[str]:
    """The first points of the strategist's edited text (it replaces the generated one)."""
    block = document.summary_blocks(report.text, "")
    return [without_p(p) for i, p in enumerate(block.points) if i not in block.headings]


def _short(text: str, limit: int = 160) -> str:
    """The first sentence, cut at a word within *limit* characters: a point on a slide."""
    first = re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])", text.strip(), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _summary_slide(report: Report) -> Block:
    edited = report.text.strip() != report.summary.strip()
    points = [_short(p) for p in _edited_points(report)[:3]] if edited else \
        _messages(report)
    if not points:
        points = ["Inga förändringar större än slumpen och inga områden över kommunens nivå."]
    tested = report.tests[report.tests["p"].notna()] if len(report.tests) else report.tests
    p_values = [f"{m} ({t.replace('_', ' ')}{', ' + o if o else ''}): p = {fmt.number(p, 4)}"
                for m, t, o, p in zip(tested.get("matt", []), tested.get("test", []),
                                      tested.get("omrade", []), tested.get("p", []))][:20]
    return Block(f"Det viktigaste i {report.label}", tuple(points), kind="summary",
                 notes="Hela sammanfattningen:\n" + report.text + "\n\nP-värden före "
                 "korrektionen för många jämförelser (Holm):\n" + "\n".join(p_values),
                 key="viktigast")


def _action_blocks(report: Report, cfg: Config) -> list[Block]:
    """One slide per action that can be followed up: the area against the rest of the
    municipality, before and after, as a bar chart."""
    shown = effect_views.display(report.effect, cfg, report.threshold)
    blocks = []
    for (_, row), raw in zip(shown.iterrows(), report.effect.itertuples()):
        notes = "\n".join(f"{k}: {v}" for k, v in row.items())
        title = f"{fmt.clean(raw.titel, newlines=False)} i {fmt.clean(raw.omrade, newlines=False)}"
        if pd.isna(raw.per_1000_fore) or pd.isna(raw.per_1000_efter):
            blocks.append(Block(title, (raw.slutsats,), notes=notes, key=f"atgard:{raw.id}"))
            continue
        what = report_measure_short(report, raw.matt)
        words = EFFECT_WORDS.get(raw.kod)
        head = f"{title}: {what.lower()} {words}" if words else title
        chart = Chart("bar", (f"Före ({raw.fore})", f"Efter ({raw.efter})"), (
            (fmt.clean(raw.omrade, newlines=False),
             (float(raw.per_1000_fore), float(raw.per_1000_efter))),
            ("Övriga kommunen", (float(raw.ovriga_per_1000_fore),
                                 float(raw.ovriga_per_1000_efter)))),
            number_format="0.0", axis_title=f"{what} per 1 000")
        points = (f"{fmt.clean(raw.omrade, newlines=False)}: {fmt.number(raw.per_1000_fore, 1)}"
                  f" → {fmt.number(raw.per_1000_efter, 1)} per 1 000",
                  f"Övriga kommunen: {fmt.number(raw.ovriga_per_1000_fore, 1)} → "
                  f"{fmt.number(raw.ovriga_per_1000_efter, 1)}",
                  "Andra förklaringar kan finnas." if raw.kod in ("minskning", "okning")
                  else raw.slutsats)
        blocks.append(Block(head, points, chart=chart, notes=notes, kind="chart",
                            key=f"atgard:{raw.id}"))
    return blocks


def _actions(report: Report, cfg: Config) -> Block:
    """The actions as one table (paper)."""
    shown = effect_views.display(report.effect, cfg, report.threshold)
    header = ("Åtgärd", "Område", "Per 1 000 före → efter", "Övriga kommunen",
              "Kvot (95 % KI)", "Slutsats")
    rows = [(r["Åtgärd"], r["Område"], f"{r['Per 1 000 före']} → {r['Per 1 000 efter']}",
             f"{r['Övriga kommunen före']} → {r['Övriga kommunen efter']}",
             f"{r['Kvot']} ({r['95 % KI']})",
             r["Slutsats"] + (f" Per halvår: {r['Kvot per halvår']}."
                              if r.get("Kvot per halvår", "–") != "–" else ""))
            for _, r in shown.iterrows()]
    notes = "\n".join(" · ".join(f"{k}: {v}" for k, v in r.items()) for _, r in shown.iterrows())
    return Block("Åtgärder och effekt", table=(header, *rows), notes=notes, key="atgarder")


def _meeting_points(inputs: Inputs, kinds=("observation", "samverkan")) -> list[str]:
    if inputs.meeting is None or inputs.items is None:
        return []
    chosen = inputs.items[inputs.items["typ"].isin(kinds)]
    points = []
    for r in chosen.itertuples():
        where = f" ({r.omrade})" if isinstance(r.omrade, str) and r.omrade else ""
        who = f" – {r.aktor}" if isinstance(r.aktor, str) and r.aktor else ""
        points.append(f"{ITEM_KINDS[r.typ]}{who}: {fmt.clean(r.text, newlines=False)}{where}")
    return points


def _meeting(report: Report, inputs: Inputs, kinds=("observation", "samverkan"),
             per_slide: int = 0) -> list[Block]:
    """The meeting's observations and samverkansbehov; nothing when no meeting was held or
    nothing was noted (a slide that only says so wastes the room's time). On slides three
    points each."""
    points = _meeting_points(inputs, kinds)
    if not points:
        return []
    title = f"Från mötet: observationer och samverkansbehov ({inputs.meeting.label})"
    size = per_slide or len(points)
    parts = [points[i:i + size] for i in range(0, len(points), size)]
    return [Block(title if n == 0 else f"{title}, forts.", tuple(part),
                  notes="\n".join(part), key=f"mote:{n}") for n, part in enumerate(parts)]


def _sources(report: Report) -> Block:
    sources = [f"{s.measure.short}: {s.measure.source}" for s in report.sections]
    disclosure = ("Alla antal kommer ur månadernas publicering"
                  + (f" ({report.release})" if report.release else "")
                  + ": varje månad skyddas en gång med slumpmässigt brus (TopDown, OpenDP), så "
                  "små tal kan avvika med några enheter men delarna summerar alltid till "
                  f"totalen; tal 1–{report.threshold - 1} visas som ”<{report.threshold}”; "
                  "kvoter och förändringar räknas från de publicerade talen.")
    points = ["Källor", *sources, "Metod", *_method(), "Röjandekontroll", disclosure]
    if report.demo:
        points.append("Demodata: syntetiska siffror om Luleå, inga verkliga personer.")
    heads = tuple(i for i, p in enumerate(points) if p in ("Källor", "Metod",
                                                           "Röjandekontroll"))
    return Block("Källor, metod och röjandekontroll", tuple(points), kind="sources",
                 headings=heads, key="metod")


def _method_slide(report: Report) -> Block:
    """Method on one slide in three points; sources, the full method and every p-value in the
    notes."""
    points = ("Jämförelser: samma period i fjol och 12 månader mot de 12 före. ”Större än "
              "slumpen”: exakt test, alla rapportens test korrigerade tillsammans (Holm, 5 %).",
              "Områden över kommunens nivå: utanför 99,8 %-gränserna i ett trattdiagram.",
              f"Röjandekontroll: små tal är justerade; under {report.threshold} visas "
              f"”<{report.threshold}”.")
    tests = [f"{s.measure.short}: {change_words(s.change)}" for s in report.sections]
    whole = _sources(report)
    notes = "\n".join([*whole.points, "", "Test mot samma period i fjol:", *tests])
    return Block("Så har vi räknat", points, kind="sources", notes=notes, key="metod")


def deck_document(report: Report, cfg: Config, inputs: Inputs, progress=None,
                  split: bool = True) -> Document:
    """The full report. As slides (*split*): title; the three most important things; per
    measure its trend (a native chart), and a map where areas lie above the municipality;
    one slide per action; the meeting's observations (when there are any); the method. On
    paper: the whole summary, the trend and map pictures, the action table and the sources."""
    made = dt.date.today().isoformat()
    blocks = [Block("", (f"{cfg.catalogue.kommun or 'Kommunen'}, socialförvaltningen",),
                    kind="title", key="titel")]
    blocks += [_summary_slide(report)] if split else _summary_whole(report)
    steps = [(s, kind) for s in report.sections
             for kind in (("trend", "karta") if inputs.layer is not None and len(_over(s))
                          and s.measure.has_postnummer and s.measure.target is not None
                          else ("trend",))]
    for i, (section, kind) in enumerate(steps):
        if progress:
            progress(i / (len(steps) + 1), f"Diagram {i + 1} av {len(steps)}: "
                                           f"{section.measure.short}")
        code = section.measure.code
        if kind == "trend":
            chart, image, notes = _trend(report, section, cfg, inputs, picture=not split)
            said = [_verdict(section) + _p(section.change.p),
                    f"12 månader mot de 12 före: {change_words(section.change12)}."
                    + _p(section.change12.p),
                    *(f.text for f in section.findings)]
            blocks.append(Block(headline(report, section), (), _figures(report, section),
                                image, chart=chart, kind="chart", key=f"trend:{code}",
                                notes="\n".join(said) + "\n\n" + notes))
        else:
            image, notes, hint = _map(report, section, cfg, inputs)
            over = _over(section)
            places = [f"▲ {n}: {fmt.number(r, 1)}" for n, r in
                      zip(over["namn"], over["per_1000"])]
            if len(places) > 3:
                places = [*places[:2], f"och {len(places) - 2} till (se anteckningarna)"]
            title = (f"{section.measure.short}: {_areas_words(len(over))} över kommunens nivå "
                     f"({fmt.number(section.kommun_rate, 1)} per 1 000)")
            if hint and split:  # a mostly grey map says nothing: the areas as points
                places = [*places[:2], "Kartan visas inte: de flesta områden har för få fall "
                                       "för att visas (röjandekontroll)."]
                image = None
            blocks.append(Block(title, tuple(places), image=image, kind="chart",
                                key=f"karta:{code}",
                                notes="Per 1 000 i målgruppen, de senaste 12 månaderna. "
                                      "Utanför 99,8 %-gränserna i trattdiagrammet.\n" + notes))
    if split:
        blocks += _action_blocks(report, cfg)
        blocks += _meeting(report, inputs, per_slide=3)
        blocks.append(_method_slide(report))
    else:
        if len(report.effect):
            blocks.append(_actions(report, cfg))
        blocks += _meeting(report, inputs)
        blocks.append(_sources(report))
    if progress:
        progress(1.0, "Klart")
    return Document(report.title, f"{report.label.capitalize()} · skapad {made}",
                    tuple(blocks), report.demo, _footer(report, cfg), made,
                    _page_footer(report))


def slide_list(report: Report, cfg: Config, inputs: Inputs) -> list[tuple[str, str]]:
    """(key, headline) of every slide the deck would have, in order, without drawing the
    maps: for choosing and ordering slides before the deck is made."""
    blocks = [_summary_slide(report)]
    for s in report.sections:
        blocks.append(Block(headline(report, s), key=f"trend:{s.measure.code}"))
        if inputs.layer is not None and len(_over(s)) and s.measure.has_postnummer \
                and s.measure.target is not None:
            blocks.append(Block(f"{s.measure.short}: karta över områdena",
                                key=f"karta:{s.measure.code}"))
    blocks += _action_blocks(report, cfg) + _meeting(report, inputs, per_slide=3)
    blocks.append(_method_slide(report))
    return [(b.key, b.title) for b in blocks]


def newsletter_document(report: Report, cfg: Config) -> Document:
    """The lägesbild for colleagues in the administration's newsletter: a few short paragraphs
    in plain Swedish, the numbers that matter, no p-values, and where to read more."""
    made = dt.date.today().isoformat()
    edited = report.text.strip() != report.summary.strip()
    messages = _edited_points(report)[:4] if edited else _messages(report)
    first = (f"Varje månad går socialförvaltningen igenom statistiken om barn, unga och vuxna i "
             f"kommunen. Här är det viktigaste från {report.label}.")
    said = [first, *(_sentence(m) for m in messages)] if messages else [
        first, "Inga stora förändringar mot samma period i fjol, och inga områden som sticker "
               "ut."]
    numbers = [_sentence(f"{s.measure.short}: {s.shown('period', report.threshold)} "
                         f"{s.measure.counted} ({s.shown('period_fg', report.threshold)} samma "
                         f"period i fjol)") for s in report.sections]
    link = cfg.app_url.rstrip("/") if cfg.app_url else ""
    more = ("Diagram, kartor och siffror per område finns i appen Social lägesbild" +
            (":" if link else "; fråga strategen för social lägesbild om du inte har tillgång."))
    links = ((("Social lägesbild", link), ("Kartan över kommunen", f"{link}/karta"),
              ("Rapporter och bildspel", f"{link}/rapporter")) if link else ())
    blocks = [Block("Det viktigaste", tuple(said), kind="prose"),
              Block("Siffrorna", (" ".join(numbers),), kind="prose"),
              Block("Läs mer", (more, "Små tal redovisas inte (”<5”) för att skydda "
                                      "enskilda."), kind="prose")]
    return Document(report.title, f"{report.label.capitalize()} · skapad {made}",
                    tuple(blocks), report.demo, _footer(report, cfg), made, links=links)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _summary_whole(report: Report) -> list[Block]:
    return [document.summary_blocks(report.text, "Sammanfattning")]


def est_document(report: Report, cfg: Config, inputs: Inputs) -> Document:
    """The EST-lägesbild note: areas above the municipality's level, signals, and what the
    meeting passes on to the EST forum."""
    made = dt.date.today().isoformat()
    by_area: dict[str, list[str]] = {}
    for s in report.sections:
        if not len(s.flagged):
            continue
        for name, rate in zip(s.flagged.loc[s.flagged["flagga"] == "över", "namn"],
                              s.flagged.loc[s.flagged["flagga"] == "över", "per_1000"]):
            by_area.setdefault(name, []).append(
                f"{s.measure.short.lower()} {fmt.number(rate, 1)} per 1 000 (kommunen "
                f"{fmt.number(s.kommun_rate, 1)})")
    areas = tuple(f"{name}: {'; '.join(what)}" for name, what in sorted(
        by_area.items(), key=lambda kv: -len(kv[1]))) or (
        "Inga områden över kommunens nivå utanför slumpens gränser.",)
    signals = tuple(without_p(f.text) for f in report.findings if f.tier == 0) or (
        "Inget utöver det väntade: inga förändringar som klarar rapportens korrektion för "
        "många jämförelser.",)
    blocks = [Block(f"Områden med högre nivåer än kommunen (12 månader till "
                    f"{fmt.month_short(report.period.end)})", areas),
              Block("Signaler", signals)]
    passed = _meeting_points(inputs, kinds=("vidare", "samverkan"))
    if passed:
        blocks.append(Block(f"Från mötet till EST och andra aktörer ({inputs.meeting.label})",
                            tuple(passed)))
    return Document(report.title, f"{report.label.capitalize()} · skapad {made}",
                    tuple(blocks), report.demo, _footer(report, cfg), made)


def write(report: Report, form: str, cfg: Config, inputs: Inputs, progress=None,
          template=None, order: list[str] | None = None) -> bytes:
    """The report of its type in format *form* (pptx, pdf, md or docx), as bytes.

    *template* (the bytes of an uploaded .potx/.pptx) replaces the configured one; *order*
    (slide keys, ``slide_list``) leaves slides out of the deck and reorders them."""
    check_format(report.typ, form)
    if report.typ in ("ledningsgrupp", "namnd"):
        doc = deck_document(report, cfg, inputs, progress, split=form == "pptx") \
            if form in ("pptx", "pdf") else _text_deck(report, cfg, inputs)
    elif report.typ == "nyhetsbrev":
        doc = newsletter_document(report, cfg)
    else:
        doc = est_document(report, cfg, inputs)
    if form == "pptx":
        return slides.deck(doc, template or cfg.report_template, order)
    if form == "pdf":
        return paper.pdf(doc)
    if form == "docx":
        return paper.docx(doc)
    return document.markdown(doc).encode("utf-8")


def _text_deck(report: Report, cfg: Config, inputs: Inputs) -> Document:
    """The deck's text without its images (Markdown and Word)."""
    made = dt.date.today().isoformat()
    blocks = _summary_whole(report)
    blocks += [Block(s.measure.label, (_verdict(s),), _figures(report, s))
               for s in report.sections]
    if len(report.effect):
        blocks.append(_actions(report, cfg))
    blocks += [*_meeting(report, inputs), _sources(report)]
    return Document(report.title, f"{report.label.capitalize()} · skapad {made}",
                    tuple(blocks), report.demo, _footer(report, cfg), made)


def file_name(report: Report, form: str) -> str:
    return f"lagesbild_{report.typ}_{report.code}.{form}"


def check_template(raw: bytes) -> None:
    """Raise our Swedish error when *raw* (an upload) is not a PowerPoint template."""
    slides.check_template(raw)
