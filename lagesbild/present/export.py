"""Images and tables for presentations: PNG and SVG (vl-convert), Excel and CSV.

Every file states its title, period, filters, source and the disclosure rule inside itself,
so a chart pasted into a slide or a table mailed on still says what it shows. Only tables that
have come through ``disclosure.protect`` (and charts built from them) are exported: ``check``
refuses anything else.

Tables follow one convention (see ``tables``): Swedish headers; integer columns are counts,
where a missing value means "hidden by disclosure control"; float columns are rates or
percentages shown with one decimal.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from lagesbild import fmt
from lagesbild.errors import DataError
from lagesbild.present.tables import count_columns, decimals

if TYPE_CHECKING:  # Altair is imported where a chart is made: tables need none of it
    import altair as alt
from lagesbild.release.disclosure import PROTECTED_ATTR, suppressed

# Swedish d3 locales: "3 707", "6,3", "jan 2025". d3's own sv-SE capitalises month names,
# which Swedish does not.
NUMBER_LOCALE = {"decimal": ",", "thousands": fmt.SPACE, "grouping": [3],
                 "currency": ["", f"{fmt.SPACE}kr"], "minus": "\u2212"}
TIME_LOCALE = {
    "dateTime": "%A den %d %B %Y %X", "date": "%Y-%m-%d", "time": "%H:%M:%S",
    "periods": ["fm", "em"],
    "days": ["söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"],
    "shortDays": ["sön", "mån", "tis", "ons", "tor", "fre", "lör"],
    "months": fmt.MONTHS, "shortMonths": fmt.MONTHS_SHORT,
}
LOCALE = {"number": NUMBER_LOCALE, "time": TIME_LOCALE}
FONT = "Source Sans Pro, Liberation Sans, Arial, DejaVu Sans, sans-serif"
IMAGE_WIDTH = 1920  # pixels: a full-width 16:9 slide
IMAGE_DESIGN_WIDTH = 960  # the chart is laid out at this width and scaled up, so text is big
GREY = "#555555"
DEMO_MARK = "Demodata – syntetiska siffror, inga verkliga personer"


@dataclass(frozen=True)
class Caption:
    """What an exported chart or table says about itself."""

    title: str
    period: str  # "jan 2025 – dec 2025"
    filters: str = ""  # "Flickor/kvinnor · 974 42"; empty means the whole municipality
    source: str = "Källa: socialförvaltningens verksamhetssystem"
    threshold: int = 5
    demo: bool = False  # synthetic data: every image and workbook says so

    @property
    def subtitle(self) -> str:
        return " · ".join(p for p in (self.period, self.filters or "Hela kommunen") if p)

    @property
    def note(self) -> str:
        return (f"Publicerade tal: små tal kan avvika med några enheter för att skydda "
                f"enskilda (röjandekontroll); delarna summerar till totalen. Tal under "
                f"{self.threshold} visas som ”<{self.threshold}”.")

    @property
    def demo_mark(self) -> str:
        return DEMO_MARK if self.demo else ""

    @property
    def lines(self) -> list[str]:
        return [self.title, self.subtitle, self.source, self.note] + (
            [DEMO_MARK] if self.demo else [])

    @property
    def stem(self) -> str:
        """A file name without extension that tells files apart: measure and title, period
        and filters (``orosanmalningar_per_manad_jan_2025_dec_2025_flickor_kvinnor``)."""
        def slug(text: str) -> str:
            text = unicodedata.normalize("NFKD", text.lower().replace("–", "-"))
            text = text.encode("ascii", "ignore")
            return re.sub(r"[^a-z0-9]+", "_", text.decode()).strip("_")

        head = slug(f"{self.title} {self.period}")[:90]
        tail = slug(self.filters)[:60]
        return "_".join(p for p in (head, tail) if p).strip("_") or "lagesbild"


def check(table: pd.DataFrame) -> int:
    """The disclosure threshold *table* was protected with; refuse unprotected tables."""
    threshold = table.attrs.get(PROTECTED_ATTR)
    if threshold is None:
        raise DataError("Bara uppgifter som har gått genom röjandekontrollen kan exporteras.")
    for column in count_columns(table):
        if suppressed(table[column], threshold).any():
            raise DataError(f"Kolumnen ”{column}” har antal under {threshold}; den kan inte "
                            "exporteras.")
    return int(threshold)


# --- charts -------------------------------------------------------------------------------

def screen(chart: alt.TopLevelMixin, presentation: bool = False) -> alt.TopLevelMixin:
    """Configure a chart for the page: Swedish formats, and larger type on the projector."""
    size = 20 if presentation else 13
    # aria=False: Vega would describe every axis and mark in English ("X-axis for a time
    # scale …"); the chart's accessible name is given by the page (widgets.chart).
    return chart.configure(locale=LOCALE, font=FONT, aria=False).configure_mark(
        aria=False).configure_axis(
        labelFontSize=size, titleFontSize=size, labelColor=GREY, titleColor=GREY
    ).configure_legend(labelFontSize=size, titleFontSize=size, symbolSize=size * 14,
                       symbolStrokeWidth=3).configure_view(strokeWidth=0)


def image_chart(chart: alt.TopLevelMixin, caption: Caption) -> alt.TopLevelMixin:
    """The chart with its title and period on top and source and disclosure note below.

    A single or layered chart without a width of its own is laid out at slide proportions;
    a height of its own (a long list of bars) is kept.
    """
    import altair as alt

    if isinstance(chart, (alt.Chart, alt.LayerChart)) and chart.width is alt.Undefined:
        height = 400 if chart.height is alt.Undefined else chart.height
        chart = chart.properties(width=IMAGE_DESIGN_WIDTH - 140, height=height)
    titled = chart.properties(title=alt.TitleParams(
        caption.title, subtitle=caption.subtitle, anchor="start", fontSize=20,
        subtitleFontSize=14, subtitleColor=GREY, offset=12))
    footer = alt.TitleParams([caption.source, caption.note], orient="bottom", anchor="start",
                             fontSize=11, fontWeight="normal", color=GREY, offset=14)
    if caption.demo:  # in the image itself, so a pasted slide still says it
        titled = titled.properties(title=alt.TitleParams(
            caption.title, subtitle=[caption.subtitle, DEMO_MARK], anchor="start", fontSize=20,
            subtitleFontSize=14, subtitleColor=GREY, offset=12))
    return alt.vconcat(titled, title=footer, padding=16, background="white").configure(
        locale=LOCALE, font=FONT).configure_axis(labelColor=GREY, titleColor=GREY,
                                                 labelFontSize=12, titleFontSize=12
                                                 ).configure_legend(
        labelFontSize=13, titleFontSize=13, symbolSize=220, symbolStrokeWidth=3
    ).configure_view(strokeWidth=0)


def _spec(chart: alt.TopLevelMixin, caption: Caption) -> dict:
    return image_chart(chart, caption).to_dict()


def svg(chart: alt.TopLevelMixin, caption: Caption) -> str:
    """The chart as SVG text, with caption, Swedish formats and the disclosure note."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(_spec(chart, caption), format_locale=NUMBER_LOCALE,
                               time_format_locale=TIME_LOCALE)


def png(chart: alt.TopLevelMixin, caption: Caption, width: int = IMAGE_WIDTH) -> bytes:
    """The chart as a PNG exactly *width* pixels wide (1920 for a 16:9 slide)."""
    import vl_convert as vlc

    # Axis labels and legends make the laid-out width hard to know in advance: lay out once
    # as SVG, then scale the PNG so it comes out at the wanted width.
    spec = _spec(chart, caption)
    drawn = vlc.vegalite_to_svg(spec, format_locale=NUMBER_LOCALE, time_format_locale=TIME_LOCALE)
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)"', drawn)
    scale = width / float(match.group(1)) if match else width / IMAGE_DESIGN_WIDTH
    data = vlc.vegalite_to_png(spec, scale=scale, format_locale=NUMBER_LOCALE,
                               time_format_locale=TIME_LOCALE)
    return _exact_width(data, width)


def _exact_width(data: bytes, width: int) -> bytes:
    """Pad or trim the right edge by the pixel or two the renderer's rounding leaves."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    if image.width == width:
        return data
    fitted = Image.new(image.mode, (width, image.height), "white")
    fitted.paste(image.crop((0, 0, min(width, image.width), image.height)), (0, 0))
    out = io.BytesIO()
    fitted.save(out, format="PNG")
    return out.getvalue()


# --- tables -------------------------------------------------------------------------------

# A text cell starting with one of these is a formula to Excel and LibreOffice
# (=HYPERLINK(...), +cmd|..., -2+3, @SUM(...)); tab and carriage return hide one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(value):
    """A text cell that a spreadsheet would run as a formula, prefixed with a single quote
    (OWASP's CSV injection advice); numbers and everything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value, is_count: bool, threshold: int):
    if pd.isna(value):
        return f"<{threshold}" if is_count else None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return neutral(value.item() if hasattr(value, "item") else value)


def xlsx(table: pd.DataFrame, caption: Caption) -> bytes:
    """An Excel workbook: the table with Swedish headers, number formats, column widths and a
    frozen header row, and a sheet "Om tabellen" with title, period, filters, source and the
    disclosure rule."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    threshold = check(table)
    book = Workbook()
    sheet = book.active
    sheet.title = "Tabell (demodata)" if caption.demo else "Tabell"
    counts = count_columns(table)
    sheet.append([neutral(str(c)) for c in table.columns])
    for row in table.itertuples(index=False):
        sheet.append([_cell(v, c in counts, threshold) for v, c in zip(row, table.columns)])
    for i, column in enumerate(table.columns, start=1):
        series = table[column]
        places = decimals(table, column)
        number_format = ("#,##0" if pd.api.types.is_integer_dtype(series)
                         else ("#,##0." + "0" * places if places else "#,##0")
                         if pd.api.types.is_float_dtype(series)
                         else "yyyy-mm" if pd.api.types.is_datetime64_any_dtype(series)
                         else None)
        letter = get_column_letter(i)
        if number_format:
            for cell in sheet[letter][1:]:
                if isinstance(cell.value, (int, float)) or hasattr(cell.value, "year"):
                    cell.number_format = number_format
                else:
                    cell.alignment = Alignment(horizontal="right")
        shown = [str(column), *(fmt.number(v, places) if isinstance(v, float) else str(v)
                                for v in series.head(500))]
        sheet.column_dimensions[letter].width = min(60, max(8, max(map(len, shown)) + 2))
        sheet[f"{letter}1"].font = Font(bold=True)
    sheet.freeze_panes = "A2"
    about = book.create_sheet("Om tabellen")
    for line in caption.lines:
        about.append([neutral(line)])
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(table: pd.DataFrame) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with BOM: Swedish Excel opens it right.

    Text cells that would start a formula are neutralised (:func:`neutral`); counts and
    rates stay numbers, so a negative change such as −3,5 is not touched."""
    threshold = check(table)
    counts = count_columns(table)
    shown = table.copy()
    for column in table.columns:
        series = table[column]
        if column in counts:
            shown[column] = series.astype(object).where(series.notna(), f"<{threshold}")
        elif pd.api.types.is_float_dtype(series):
            shown[column] = series.map(lambda v, d=decimals(table, column): "" if pd.isna(v)
                                       else f"{v:.{d}f}".replace(".", ","))
        elif pd.api.types.is_datetime64_any_dtype(series):
            shown[column] = series.dt.strftime("%Y-%m")
        elif not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            shown[column] = series.astype(object).map(neutral)
    shown.columns = [neutral(str(c)) for c in shown.columns]
    return shown.to_csv(sep=";", index=False, lineterminator="\r\n").encode("utf-8-sig")
