"""A report as a format-free document: blocks of title, points, figures, images and notes.

``views.report_files`` fills it from published numbers; ``slides`` (PowerPoint), ``paper``
(PDF and Word) and :func:`markdown` here write it out. Every text in it is literal: the
writers never interpret Markdown or HTML in it, and :func:`markdown` escapes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lagesbild import fmt
from lagesbild.present.export import DEMO_MARK


@dataclass(frozen=True)
class Image:
    png: bytes
    title: str  # what the picture shows (alt text)


@dataclass(frozen=True)
class Chart:
    """A chart a deck draws natively (an editable PowerPoint chart with its data): a line
    chart over months or a bar chart of a few groups. Values are published numbers; None is a
    hidden ("<5") or missing value and leaves a gap."""

    kind: str  # "line" or "bar"
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]  # (name, values)
    number_format: str = "#,##0"  # Excel format; shown with the reader's own separators
    axis_title: str = ""


@dataclass(frozen=True)
class Block:
    """One slide of a deck, one section of a paper."""

    title: str
    points: tuple[str, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()  # (label, value) headline figures
    image: Image | None = None
    table: tuple[tuple[str, ...], ...] = ()  # header row first
    notes: str = ""  # speaker notes: the numbers behind the chart
    kind: str = "content"  # "title", "content", "summary", "chart", "sources", "prose"
    headings: tuple[int, ...] = ()  # indexes of points that are subheadings
    chart: Chart | None = None  # drawn natively on a slide; ``image`` is its picture on paper
    key: str = ""  # stable name of the slide, for leaving out and reordering ("trend:kia")


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str  # the period, the date it was made
    blocks: tuple[Block, ...]
    demo: bool = False
    footer: str = ""  # sources and the disclosure rule, short
    made: str = ""  # "2026-11-30"
    page_footer: str = ""  # the short line at the foot of every page of a PDF
    extra: dict = field(default_factory=dict)
    links: tuple[tuple[str, str], ...] = ()  # (label, https address) from the settings

    @property
    def mark(self) -> str:
        return DEMO_MARK if self.demo else ""


# Every character that starts inline Markdown or HTML. Block markup (#, -, 1.) needs no
# escape: every text here sits after a prefix of our own ("- ", "## ", "| "). "<" and "&"
# only where they could start a tag or an entity: "<5" must read as "<5" when the Markdown
# is pasted raw into a mail or an intranet page, not as "\<5".
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]>|!~$]|<(?=[A-Za-z/!?])|&(?=#?\w+;))")
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]\\`]+")
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)", re.IGNORECASE)


def escape(text: object) -> str:
    """Text shown literally in any Markdown reader: control characters removed, every
    character that inline Markdown or HTML could read as markup escaped, and autolinks
    (``https://``, ``www.``, ``namn@``) broken by an invisible word joiner."""
    unlinked = _AUTOLINK.sub("\u2060", fmt.clean(text, newlines=False))
    return _MD_SPECIAL.sub(r"\\\1", unlinked)


def summary_blocks(text: str, title: str) -> Block:
    """The (edited) summary text as one block: "## " lines become subheadings and "- " lines
    points; other lines are points too. Nothing in it is interpreted further."""
    points, headings = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            headings.append(len(points))
            points.append(line.lstrip("#").strip())
        else:
            points.append(line[2:].strip() if line.startswith(("- ", "* ")) else line)
    return Block(title, tuple(points), kind="summary", headings=tuple(headings))


def markdown(doc: Document) -> str:
    """The document as short Markdown (a newsletter): headings, points, figures and tables,
    every text escaped; images are left out."""
    out = [f"# {escape(doc.title)}", "", f"*{escape(doc.subtitle)}*", ""]
    if doc.demo:
        out += [f"**{escape(DEMO_MARK)}**", ""]
    for block in doc.blocks:
        if block.kind == "title":
            continue
        out += [f"## {escape(block.title)}", ""]
        if block.kind == "prose":  # paragraphs, not points
            for point in block.points:
                out += [escape(point), ""]
            continue
        for label, value in block.figures:
            out.append(f"- **{escape(label)}:** {escape(value)}")
        if block.figures:
            out.append("")
        for i, point in enumerate(block.points):
            if i in block.headings:
                out += ["", f"### {escape(point)}", ""]
            else:
                out.append(f"- {escape(point)}")
        if block.points:
            out.append("")
        if block.table:
            header, *rows = block.table
            out.append("| " + " | ".join(escape(c) for c in header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
            out.append("")
    for label, url in doc.links:
        if _SAFE_URL.fullmatch(url):  # an address from the settings: a working link
            out.append(f"- [{escape(label)}](<{url}>)")
    if doc.links:
        out.append("")
    if doc.footer:
        out += ["---", "", escape(doc.footer), ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"
