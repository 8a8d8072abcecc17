"""Exports: PNG size, SVG text in Swedish formats, Excel and CSV, and refusal of unprotected
tables."""

import io

import altair as alt
import pandas as pd
import pytest
from conftest import ROOT
from openpyxl import load_workbook
from PIL import Image

from lagesbild.errors import DataError
from lagesbild.present import export, tables
from lagesbild.release import disclosure

CAPTION = export.Caption("Orosanmälningar per månad", "jan 2025 – dec 2025", "Flickor/kvinnor")


@pytest.fixture
def table():
    # Published sums, as a view hands them to the display rule: known numbers.
    raw = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=4, freq="MS"),
                        "antal": [3707, 3, 12, 0], "per_1000": [6.34, 0.5, 1.0, 0.0]})
    safe = disclosure.protect(raw, 5)
    shown = pd.DataFrame({"Månad": safe["month"], "Antal": safe["antal"],
                          "Per 1 000": safe["per_1000"]})
    return tables.mark(shown, 5)


def _chart(table):
    return alt.Chart(table).mark_bar().encode(x=alt.X("Månad:T"), y=alt.Y("Antal:Q"))


def test_png_is_1920_wide_and_not_blank(table):
    image = Image.open(io.BytesIO(export.png(_chart(table), CAPTION)))
    assert image.width == 1920
    assert 600 < image.height < 2000
    assert len(image.convert("L").getcolors(maxcolors=65536)) > 10


def test_svg_holds_title_caption_note_and_swedish_numbers(table):
    text = export.svg(_chart(table), CAPTION).replace("\u00a0", " ")
    assert "Orosanmälningar per månad" in text
    assert "jan 2025 – dec 2025 · Flickor/kvinnor" in text
    assert "Källa:" in text and "röjandekontroll" in text
    assert ">3 500<" in text  # the y axis: thousands grouped with a space
    assert ">3,500<" not in text


def test_xlsx_headers_values_formats_and_about_sheet(table):
    book = load_workbook(io.BytesIO(export.xlsx(table, CAPTION)))
    sheet = book["Tabell"]
    assert [c.value for c in sheet[1]] == ["Månad", "Antal", "Per 1 000"]
    assert sheet["B2"].value == 3707 and sheet["B2"].number_format == "#,##0"
    assert sheet["B3"].value == "<5"  # hidden count: text, never the number
    assert sheet["C3"].value is None  # its rate is removed too
    assert sheet["C2"].value == pytest.approx(6.34) and sheet["C2"].number_format == "#,##0.0"
    assert sheet.freeze_panes == "A2"
    about = [r[0].value for r in book["Om tabellen"].iter_rows()]
    assert about[0] == CAPTION.title and any("röjandekontroll" in line for line in about)


def test_csv_is_semicolon_bom_decimal_comma(table):
    data = export.csv(table)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Månad;Antal;Per 1 000"
    assert lines[1] == "2025-01;3707;6,3"
    assert lines[2] == "2025-02;<5;"


def test_unprotected_table_is_refused():
    raw = pd.DataFrame({"Antal": [3, 10]})
    with pytest.raises(DataError, match="röjandekontrollen"):
        export.csv(raw)
    with pytest.raises(DataError, match="under 5"):
        export.xlsx(tables.mark(raw.astype("Int64"), 5), CAPTION)


def test_file_stem_is_ascii_and_carries_the_filters():
    assert CAPTION.stem == "orosanmalningar_per_manad_jan_2025_dec_2025_flickor_kvinnor"
    boys = export.Caption(CAPTION.title, CAPTION.period, "Pojkar/män · 12–17 år")
    assert boys.stem == "orosanmalningar_per_manad_jan_2025_dec_2025_pojkar_man_12_17_ar"
    assert export.Caption(CAPTION.title, CAPTION.period).stem == \
        "orosanmalningar_per_manad_jan_2025_dec_2025"


def test_demo_data_are_marked_in_the_image_and_the_workbook(table):
    demo = export.Caption(CAPTION.title, CAPTION.period, CAPTION.filters, demo=True)
    chart = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x", y="y")
    assert "Demodata" in export.svg(chart, demo)
    assert "Demodata" not in export.svg(chart, CAPTION)
    book = load_workbook(io.BytesIO(export.xlsx(table, demo)))
    assert book.sheetnames[0] == "Tabell (demodata)"
    assert any("Demodata" in str(r[0].value) for r in book["Om tabellen"].iter_rows())
    plain = load_workbook(io.BytesIO(export.xlsx(table, CAPTION)))
    assert plain.sheetnames[0] == "Tabell"


FORMULAS = ["=HYPERLINK(\"https://example.com\",\"Logga in här\")", "+cmd|' /C calc'!A0",
            "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.fixture
def hostile():
    raw = pd.DataFrame({"kategori": [*FORMULAS, "Polis"], "antal": [10, 12, 3, 7, 0, 9, 20],
                        "forandring": [-3.5, -12.0, 1.0, 0.0, -0.5, 2.0, -1.0]})
    safe = disclosure.protect(raw, 5)
    shown = pd.DataFrame({"=Kategori": safe["kategori"], "Antal": safe["antal"],
                          "Förändring": safe["forandring"]})
    return tables.mark(shown, 5)


def test_csv_neutralises_formulas_and_keeps_negative_numbers(hostile):
    text = export.csv(hostile).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    assert frame.columns[0] == "'=Kategori"
    assert frame.iloc[:, 0].tolist() == ["'" + f for f in FORMULAS] + ["Polis"]
    assert frame["Förändring"].tolist()[:2] == ["-3,5", "-12,0"]  # numbers stay numbers
    assert frame["Antal"].tolist()[:3] == ["10", "12", "<5"]


def test_xlsx_neutralises_formulas_and_keeps_numbers_numeric(hostile):
    book = load_workbook(io.BytesIO(export.xlsx(hostile, export.Caption("=1+1", "jan 2025"))))
    sheet = book["Tabell"]
    assert sheet["A1"].value == "'=Kategori"
    # Plain XML stores a carriage return as a line feed; with lxml (python-pptx brings it)
    # openpyxl keeps it. Either way the formula is text.
    assert [str(sheet.cell(row=i, column=1).value).replace("\r", "\n")
            for i in range(2, 9)] == ["'" + f.replace("\r", "\n") for f in FORMULAS] + ["Polis"]
    assert all(sheet.cell(row=i, column=1).data_type == "s" for i in range(2, 9))
    assert sheet["C2"].value == -3.5 and sheet["C2"].data_type == "n"
    assert book["Om tabellen"]["A1"].value == "'=1+1"


def test_streamlit_offers_no_export_of_its_own_and_uploads_match_the_file_limit():
    import tomllib

    from lagesbild.config import Config

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
    assert config["server"]["maxUploadSize"] == Config().max_file_mb
