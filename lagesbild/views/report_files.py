"""A report (``views.report``) as files: the deck for the ledningsgrupp (monthly) and the
socialnämnd (quarterly) as .pptx or PDF, the newsletter text and the EST note as Markdown,
Word or PDF. Charts and maps are the images the app exports (``views.figures``,
``views.areas``, ``present.export.png``), with "Demodata" inside them when the data are
synthetic; the speaker notes hold the published numbers behind each chart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Config
from lagesbild.errors import UnknownError
from lagesbild.present import columns as col
from lagesbild.present import document, export, maps, paper, slides
from lagesbild.present.document import Block, Document, Image
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


def _trend(report: Report, section, cfg: Config, inputs: Inputs) -> tuple[Image, str]:
    code = section.measure.code
    period = figures.default_period("trend", report.period.end)
    fig = figures.figure("trend", inputs.counts[code], inputs.population, section.measure, cfg,
                         period, markers=effect_views.markers(inputs.actions, code))
    caption = replace(fig.caption, demo=report.demo)
    rows = [f"{pd.Timestamp(m):%Y-%m}: {_count(n, report.threshold)}"
            for m, n in zip(fig.table[col.MONTH], fig.table[col.COUNT])]
    notes = "\n".join([f"{caption.title} ({caption.subtitle}). Publicerade antal per månad, "
                       "nyast först:", *rows, caption.source])
    return Image(export.png(fig.chart, caption), caption.title), notes


def _map(report: Report, section, cfg: Config, inputs: Inputs) -> tuple[Image, str]:
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
    return Image(export.png(image, caption), caption.title), notes


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


def _summary(report: Report) -> list[Block]:
    """The summary over as many slides as it needs to stay readable at the back of a room."""
    whole = document.summary_blocks(report.text, "Sammanfattning")
    chunks, current, size = [], [], 0
    for i, point in enumerate(whole.points):
        if current and (size + len(point) > SUMMARY_CHARS or (
                i in whole.headings and size > SUMMARY_CHARS // 2)):
            chunks.append(current)
            current, size = [], 0
        current.append(i)
        size += len(point) + 40
    if current:
        chunks.append(current)
    parts = []
    for chunk in chunks:
        points = tuple(whole.points[i] for i in chunk)
        heads = tuple(n for n, i in enumerate(chunk) if i in whole.headings)
        title = "Sammanfattning" if not parts else "Sammanfattning (forts.)"
        parts.append(Block(title, points, kind="summary", headings=heads,
                           notes="\n".join(points)))
    return parts or [whole]


def _actions(report: Report, cfg: Config) -> Block:
    shown = effect_views.display(report.effect, cfg, report.threshold)
    if shown.empty:
        return Block("Åtgärder och effekt", ("Inga pågående åtgärder med indikatorer.",))
    header = ("Åtgärd", "Område", "Per 1 000 före → efter", "Övriga kommunen",
              "Kvot (95 % KI)", "Slutsats")
    rows = [(r["Åtgärd"], r["Område"], f"{r['Per 1 000 före']} → {r['Per 1 000 efter']}",
             f"{r['Övriga kommunen före']} → {r['Övriga kommunen efter']}",
             f"{r['Kvot']} ({r['95 % KI']})",
             r["Slutsats"] + (f" Per halvår: {r['Kvot per halvår']}."
                              if r.get("Kvot per halvår", "–") != "–" else ""))
            for _, r in shown.iterrows()]
    notes = "\n".join(" · ".join(f"{k}: {v}" for k, v in r.items()) for _, r in shown.iterrows())
    return Block("Åtgärder och effekt", table=(header, *rows), notes=notes)


def _meeting(report: Report, inputs: Inputs, kinds=("observation", "samverkan")) -> Block:
    title = "Observationer och samverkansbehov"
    if inputs.meeting is None:
        return Block(title, ("Inget möte är registrerat för perioden.",))
    items = inputs.items if inputs.items is not None else pd.DataFrame(columns=["typ", "text"])
    chosen = items[items["typ"].isin(kinds)]
    points = []
    for r in chosen.itertuples():
        where = f" ({r.omrade})" if isinstance(r.omrade, str) and r.omrade else ""
        who = f" – {r.aktor}" if isinstance(r.aktor, str) and r.aktor else ""
        points.append(f"{ITEM_KINDS[r.typ]}{who}: {fmt.clean(r.text, newlines=False)}{where}")
    return Block(f"{title} ({inputs.meeting.label})",
                 tuple(points) or ("Inget antecknat vid mötet.",), notes="\n".join(points))


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
                 headings=heads)


def deck_document(report: Report, cfg: Config, inputs: Inputs, progress=None,
                  split: bool = True) -> Document:
    """The full report: title, summary, one slide per measure (and a map where it has areas),
    actions and effect, the meeting's observations and samverkansbehov, sources and method."""
    made = dt.date.today().isoformat()
    blocks = [Block("", (f"{cfg.catalogue.kommun or 'Kommunen'}, socialförvaltningen",),
                    kind="title")]
    # On slides the summary runs over as many slides as it needs; on paper it is one section.
    blocks += _summary(report) if split else _summary_whole(report)
    steps = [(s, kind) for s in report.sections
             for kind in (("trend", "karta") if inputs.layer is not None and
                          s.measure.has_postnummer and s.measure.target is not None
                          else ("trend",))]
    for i, (section, kind) in enumerate(steps):
        if progress:
            progress(i / (len(steps) + 1), f"Diagram {i + 1} av {len(steps)}: "
                                           f"{section.measure.short}")
        if kind == "trend":
            image, notes = _trend(report, section, cfg, inputs)
            verdict = _verdict(section)
            blocks.append(Block(section.measure.label, (verdict,), _figures(report, section),
                                image, notes=notes + "\n\n" + "\n".join(
                                    f.text for f in section.findings), kind="chart"))
        else:
            image, notes = _map(report, section, cfg, inputs)
            over = section.flagged[section.flagged["flagga"] == "över"] \
                if len(section.flagged) else section.flagged
            points = tuple(f"▲ {n}: {fmt.number(r, 1)}" for n, r in
                           zip(over.get("namn", []), over.get("per_1000", [])))
            points = (f"Över kommunens nivå ({fmt.number(section.kommun_rate, 1)}), per 1 000:",
                      *points[:5]) if points else (
                "Inget område över kommunens nivå utanför slumpens gränser.",)
            blocks.append(Block(f"{section.measure.short}: var i kommunen", points,
                                image=image, notes=notes, kind="chart"))
    blocks += [_actions(report, cfg), _meeting(report, inputs), _sources(report)]
    if progress:
        progress(1.0, "Klart")
    return Document(report.title, f"{report.label.capitalize()} · skapad {made}",
                    tuple(blocks), report.demo, _footer(report, cfg), made,
                    _page_footer(report))


def newsletter_document(report: Report, cfg: Config) -> Document:
    """The summary for the administration's newsletter: short, text only."""
    made = dt.date.today().isoformat()
    return Document(report.title, f"{report.label.capitalize()} · skapad {made}",
                    tuple(_summary_whole(report)), report.demo, _footer(report, cfg), made)


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
    signals = tuple(f.text for f in report.findings if f.tier == 0) or (
        "Inget utöver det väntade: inga förändringar som klarar rapportens korrektion för "
        "många jämförelser.",)
    blocks = [Block(f"Områden med högre nivåer än kommunen (12 månader till "
                    f"{fmt.month_short(report.period.end)})", areas),
              Block("Signaler", signals)]
    if inputs.meeting is not None:
        passed = _meeting(report, inputs, kinds=("vidare", "samverkan"))
        blocks.append(replace(passed, title="Från mötet till EST och andra aktörer"))
    return Document(report.title, f"{report.label.capitalize()} · skapad {made}",
                    tuple(blocks), report.demo, _footer(report, cfg), made)


def write(report: Report, form: str, cfg: Config, inputs: Inputs, progress=None) -> bytes:
    """The report of its type in format *form* (pptx, pdf, md or docx), as bytes."""
    check_format(report.typ, form)
    if report.typ in ("ledningsgrupp", "namnd"):
        doc = deck_document(report, cfg, inputs, progress, split=form == "pptx") \
            if form in ("pptx", "pdf") else _text_deck(report, cfg, inputs)
    elif report.typ == "nyhetsbrev":
        doc = newsletter_document(report, cfg)
    else:
        doc = est_document(report, cfg, inputs)
    if form == "pptx":
        return slides.deck(doc, cfg.report_template)
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
    blocks += [_actions(report, cfg), _meeting(report, inputs), _sources(report)]
    return Document(report.title, f"{report.label.capitalize()} · skapad {made}",
                    tuple(blocks), report.demo, _footer(report, cfg), made)


def file_name(report: Report, form: str) -> str:
    return f"lagesbild_{report.typ}_{report.code}.{form}"
