"""The page Data with hostile uploads (AppTest): the server survives a workbook that would
exhaust memory, Markdown in names and headers is shown as text, and a personnummer is never
shown, offered for mapping or written into a profile."""

import os
from pathlib import Path

import pytest
from conftest import ROOT, shown_tables
from hostile import far_cell_xlsx, with_declared_dimension
from streamlit.testing.v1 import AppTest

from lagesbild import store

TIMEOUT = 60
HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"
ROW = "2026-10-03;972 31;Flicka;4;Våld mot barnet;Polis"
PNR = "811218-9876"



def _problems(at) -> list[str]:
    """The import's problem list (a full-height table)."""
    return next(t for t in shown_tables(at) if "Problem" in t.columns)["Problem"].tolist()

def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    return at.switch_page("app_pages/data.py").run()


@pytest.fixture
def engine():
    engine = store.connect(os.environ["LAGESBILD_DB_URL"])
    AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()  # demo loaded
    before = store.fingerprint(engine)
    yield engine
    assert store.fingerprint(engine) == before  # nothing hostile was stored


def shown_text(at: AppTest) -> str:
    """Everything the page shows as text: messages, captions, labels, options, tables."""
    parts = [e.value for kind in (at.error, at.warning, at.success, at.info, at.caption,
                                  at.markdown) for e in kind]
    parts += [f"{s.label} {s.options}" for s in at.selectbox]
    parts += [d.value.to_string() for d in at.dataframe]
    parts += [t.to_string() for t in shown_tables(at)]
    parts += [str(m.label) + str(m.value) for m in at.metric]
    return "\n".join(parts)


def test_the_crash_file_is_refused_and_the_server_keeps_serving(engine):
    at = _page()
    lying = with_declared_dimension(far_cell_xlsx(), "A1:F3")
    at.file_uploader(key="fil_0").upload("vald_okt.xlsx", lying,
                                         "application/vnd.ms-excel").run()
    assert not at.exception
    problems = _problems(at)
    assert any("vald_okt.xlsx kunde inte läsas" in p and "MB minne" in p for p in problems)
    at.file_uploader(key="fil_0").upload("langt.xlsx", far_cell_xlsx(),
                                         "application/vnd.ms-excel").run()
    assert not at.exception
    assert any("Arbetsboken är för stor" in p for p in _problems(at))
    # The same process serves the next page load.
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not again.exception and not again.error
    data_page = _page()
    assert not data_page.exception and not data_page.error
    assert data_page.title[0].value == "Import och datakvalitet"


def test_markdown_in_a_file_name_and_header_is_shown_as_text(engine):
    at = _page()
    name = "![bild](https://evil.example/a.png) [Logga in här](https://evil.example).csv"
    data = (f"{HEADER};![x](https://evil.example/b.png)\n{ROW};a\n").encode()
    at.file_uploader(key="fil_0").upload(name, data, "text/csv").run()
    assert not at.exception
    dropped = [c.value for c in at.caption if "Kolumner som inte sparas" in c.value]
    assert dropped and "\\!\\[x\\]\\(https\\:\u2060\\/\\/evil\\.example\\/b\\.png\\)" in dropped[0]
    text = shown_text(at)
    for table in [*shown_tables(at), *(d.value for d in at.dataframe)]:
        text = text.replace(table.to_string(), "")  # tables hold the file's text, as data
    assert "](https://" not in text


def test_a_personnummer_is_never_shown_or_offered_for_mapping(engine):
    at = _page()
    profiles_before = {p: p.read_text(encoding="utf-8")
                       for p in Path(os.environ["LAGESBILD_PROFILER"]).glob("*.yaml")}
    data = f"{HEADER}\n{ROW.replace('Polis', 'Polis ' + PNR)}\n".encode()
    at.file_uploader(key="fil_0").upload("oros_okt.csv", data, "text/csv").run()
    assert not at.exception
    text = shown_text(at)
    assert "kolumnen ”Anmälare” (till exempel rad 2)" in text and "personnummer" in text
    assert not [s for s in at.selectbox if s.key and s.key.startswith("map_")]
    at.file_uploader(key="fil_0").upload(f"oros {PNR}.csv", f"{HEADER}\n{ROW}\n".encode(),
                                         "text/csv").run()
    assert not at.exception
    text = shown_text(at)
    assert "Filnamnet (oros [personnummer borttaget].csv)" in text
    for digits in ("811218", "9876"):
        assert digits not in text
    after = {p: p.read_text(encoding="utf-8")
             for p in Path(os.environ["LAGESBILD_PROFILER"]).glob("*.yaml")}
    assert after == profiles_before


@pytest.mark.parametrize("text, escaped", [
    ("![x](https://e.example/a.png)", "\\!\\[x\\]\\(https\\:\u2060\\/\\/e\\.example\\/a\\.png\\)"),
    ("www.e.example a@b.se", "www\u2060\\.e\\.example a\\@\u2060b\\.se"),
    ("<img src=x onerror=alert(1)>", r"\<img src\=x onerror\=alert\(1\)\>"),
    (":red[Larm] :material/warning:", r"\:red\[Larm\] \:material\/warning\:"),
    ("$x^2$ **fet** _kursiv_ `kod` # rubrik | a | ~~s~~ &amp;",
     r"\$x\^2\$ \*\*fet\*\* \_kursiv\_ \`kod\` \# rubrik \| a \| \~\~s\~\~ \&amp\;"),
    ("rad1\nrad2\x1b[31m\u202e", "rad1  \nrad2"),
    ("Våld mot barnet", "Våld mot barnet"),
])
def test_md_shows_text_as_written(text, escaped):
    from webapp.text import md

    assert md(text) == escaped


def test_an_unexpected_failure_in_the_import_keeps_the_batch_list(engine, monkeypatch):
    from lagesbild.store import ingest

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT * FROM batches WHERE secret = ?")

    at = _page()
    monkeypatch.setattr(ingest, "plan", broken)
    at.file_uploader(key="fil_0").upload("oros_okt.csv", f"{HEADER}\n{ROW}\n".encode(),
                                         "text/csv").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "Något gick fel" in errors[0]
    assert "SELECT" not in shown_text(at)
    assert any("Batch" in t.columns for t in [*(d.value for d in at.dataframe),
                                               *shown_tables(at)])  # the batch list is there
    assert at.subheader[-1].value == "Datakvalitet"
