"""Personnummer in any disguise (issue 23): generated disguises the detector must see, ordinary
numbers it must not, and hostile files and typed fields with a personnummer in every place,
each refused with the place named while the number is never echoed, stored or logged."""

import datetime as dt
import io
import os
import re
from contextlib import redirect_stderr, redirect_stdout

import pytest
import sqlalchemy as sa
from conftest import small_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.defined_name import DefinedName

from lagesbild import pnr
from lagesbild.cli import main
from lagesbild.errors import DataError
from lagesbild.intake import personnummer, profiles
from lagesbild.store import ingest, process

# --- generated disguises ----------------------------------------------------------------------

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\u2062", "\u2063",
             "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069",
             "\u061c", "\u00ad", "\ufeff", "\u034f", "\u180e"]
INNER = ["", "-", ".", "/", " ", "_", "\u2013", "\u2212", " - ", "\u00a0"]
BETWEEN = ["", "-", "+", " ", "    ", "/", ".", "\u2014", "\u00a0", "\u3000", "_", ":",
           "\u2009", "\ufe63", "\uff0d", " / "]
ZEROS = [0x30, 0xFF10, 0x0660, 0x06F0, 0x0966, 0x1D7CE, 0x1D7EC, 0x09E6]  # digit scripts


def luhn_digit(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


@st.composite
def numbers(draw):
    """A valid personnummer or samordningsnummer: (century, YYMMDD, last four)."""
    born = draw(st.dates(dt.date(1890, 1, 1), dt.date(2025, 12, 31)))
    day = born.day + (60 if draw(st.booleans()) else 0)  # samordningsnummer
    date = f"{born:%y%m}{day:02d}"
    nine = date + draw(st.from_regex(r"\A[0-9]{3}\Z"))
    return f"{born.year // 100}", date, nine[6:] + luhn_digit(nine)


@st.composite
def disguises(draw):
    """(written, the ten digits): a personnummer as a person or an attacker might write it."""
    century, date, last = draw(numbers())
    seps = [draw(st.sampled_from(INNER)) for _ in range(3)]
    parts = [century + seps[0] if draw(st.booleans()) else "",
             date[:2], seps[1], date[2:4], seps[2], date[4:]]
    used = "".join(seps[1:]) + (seps[0] if parts[0] else "")
    dated = any(c in "-./\u2013\u2212" for c in used)
    # A date written with - . or /, then only spaces, is a date and a number (lagesbild.pnr).
    between = draw(st.sampled_from([b for b in BETWEEN if not dated or b.strip() or not b]))
    last = last[:2] + draw(st.sampled_from(["", "", " ", "-", "."])) + last[2:]
    text = "".join(parts) + between + last
    zero = draw(st.sampled_from(ZEROS))
    text = "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)
    for _ in range(draw(st.integers(0, 4))):  # invisible characters anywhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(INVISIBLE)) + text[at:]
    if draw(st.booleans()) and draw(st.booleans()):  # stored backwards, shown forwards
        text = "\u202e" + text[::-1] + "\u202c"
    before = draw(st.sampled_from(["", "Pnr: ", "Mamma ringde (", "Klient "]))
    after = draw(st.sampled_from(["", " igen", ")", ", akut"]))
    return before + text + after, date + last


def digits_of(text: str) -> str:
    return re.sub(r"[^0-9]", "", pnr.normalise(text))


@settings(max_examples=400, deadline=None)
@given(disguises())
def test_every_generated_disguise_is_seen_and_redacted(case):
    written, digits = case
    assert personnummer.contains(written), ascii(written)
    redacted = personnummer.redact(written)
    assert personnummer.REDACTED in redacted
    assert digits_of(redacted) == "", ascii(redacted)


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)),
       st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)),
       st.integers(10000, 99999), st.integers(0, 99999),
       st.sampled_from([" - ", " – ", "–", " till ", "/"]))
def test_ordinary_dates_postnummer_and_counts_are_not_personnummer(a, b, postnummer, count,
                                                                   dash):
    for text in (f"{a:%Y-%m-%d}", f"{a:%Y-%m}", f"{a:%Y-%m-%d}{dash}{b:%Y-%m-%d}",
                 f"{postnummer // 100} {postnummer % 100:02d}", f"{count}",
                 f"Uttag {a:%Y-%m-%d}, {count} rader", f"SE-{postnummer}"):
        assert not personnummer.contains(text), text


# --- hostile files: a disguise in every place ----------------------------------------------

HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"
ROW = "2023-01-05;972 31;Flicka;4;Våld mot barnet;Polis"
VALD = [["Månad", "Postnummer", "Kön", "Åldersgrupp", "Typ av våld", "Antal"],
        ["2023-03", "97231", "Kvinna", "25-44", "Fysiskt våld", 2],
        ["2023-03", "97333", "Man", "25-44", "Fysiskt våld", 3]]


def _number(seed: int) -> tuple[str, str]:
    """A valid personnummer (YYMMDD, last four), one per seed, all different."""
    born = dt.date(1940, 1, 1) + dt.timedelta(days=seed * 397)
    nine = f"{born:%y%m%d}{seed % 1000:03d}"
    return nine[:6], nine[6:] + luhn_digit(nine)


WRITINGS = [  # how each number is disguised (date part, last four) -> text
    lambda d, n: f"{d[:2]}\u200e{d[2:]}\u2062{n}",                       # LRM, invisible times
    lambda d, n: f"19{d[:2]}-{d[2:4]}-{d[4:]}-{n}",                       # dashes in the date
    lambda d, n: f"19{d}    {n}",                                         # four spaces
    lambda d, n: f"19{d}/{n}",                                            # slash
    lambda d, n: "\u202e" + f"{d}-{n}"[::-1] + "\u202c",                  # RLO, backwards
    lambda d, n: "".join(chr(0xFF10 + int(c)) for c in d) + "\uff0d" +
    "".join(chr(0xFF10 + int(c)) for c in n),                              # full width
    lambda d, n: f"{d[:3]}\u202a{d[3:]}\u2066-\u2069{n}",                 # bidi embeddings
    lambda d, n: f"{d}\u2212{n}",                                          # minus sign
    lambda d, n: f"{d[:2]}.{d[2:4]}.{d[4:]}_{n}",                         # dots in the date
    lambda d, n: "".join(chr(0x0660 + int(c)) for c in d + n),            # Arabic-Indic
    lambda d, n: f"{d}\u061c\u00ad{n}",                                    # ALM, soft hyphen
    lambda d, n: " ".join([d[:2], d[2:4], d[4:], n[:2], n[2:]]),           # pairs, spaced
]


def _csv(header=HEADER, rows=(ROW, ROW), title="") -> bytes:
    return ((title + "\n\n" if title else "") + "\n".join([header, *rows]) + "\n").encode()


def _book(build) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Blad1"
    for row in VALD:
        sheet.append(row)
    build(book, sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _hidden_sheet(book, sheet, text):
    other = book.create_sheet("Gömt")
    other.append(["Anteckning", text])
    other.sheet_state = "hidden"


def _custom(book, text):
    book.custom_doc_props.append(StringProperty(name="Klient", value=text))


def _tableless(book, sheet, text):
    book.create_sheet("Anteckningar").append([f"Ring {text}"])


# place -> (file name, measure, bytes builder, what the message must say)
PLACES = {
    "cell": (lambda t: ("oros.csv", _csv(rows=(ROW, ROW.replace("Polis", t)))),
             "kolumnen ”Anmälare” (till exempel rad 3)"),
    "fritext": (lambda t: ("oros.csv", _csv(HEADER + ";Fritext",
                                             (ROW + ";ok", ROW + f";Samtal om {t}"))),
                "kolumnen ”Fritext” (till exempel rad 3)"),
    "rubrik": (lambda t: ("oros.csv", _csv(HEADER + ";" + t, (ROW + ";1", ROW + ";2"))),
               "rubriken i kolumn 7"),
    "titelrad": (lambda t: ("oros.csv", _csv(title="Uttag för " + t)),
                 "raderna ovanför rubrikraden"),
    "notrad": (lambda t: ("oros.csv", _csv(rows=(ROW, ROW, f"Källa: {t}"))),
               "summa- eller notraderna under tabellen"),
    "utanför": (lambda t: ("oros.csv", _csv(rows=(ROW, ROW + ";" + t))),
                "summa- eller notraderna under tabellen"),
    "filnamn": (lambda t: (f"oros {t}.csv", _csv()), "Filnamnet (oros [personnummer"),
    "bladnamn": (lambda t: ("vald.xlsx", _book(lambda b, s: setattr(s, "title", t[:31]))),
                 "bladets namn"),
    "xlsx-cell": (lambda t: ("vald.xlsx", _book(lambda b, s: s.cell(3, 5, t))),
                  "kolumnen ”Typ av våld” (till exempel rad 3)"),
    "kommentar": (lambda t: ("vald.xlsx", _book(lambda b, s: setattr(
        s.cell(2, 6), "comment", Comment(f"Gäller {t}", "Anna")))), "i en cellkommentar"),
    "egenskaper": (lambda t: ("vald.xlsx", _book(lambda b, s: setattr(
        b.properties, "subject", t))), "i dokumentegenskaperna"),
    "egen egenskap": (lambda t: ("vald.xlsx", _book(lambda b, s: _custom(b, t))),
                      "i dokumentegenskaperna"),
    "definierat namn": (lambda t: ("vald.xlsx", _book(lambda b, s: b.defined_names.add(
        DefinedName("Klient", attr_text='"' + t + '"')))), "i ett definierat namn"),
    "dolt blad": (lambda t: ("vald.xlsx", _book(lambda b, s: _hidden_sheet(b, s, t))),
                  "i ett dolt blad"),
    "blad utan tabell": (lambda t: ("vald.xlsx", _book(lambda b, s: _tableless(b, s, t))),
                         "i ett blad utan rubrikrad"),
    "sidhuvud": (lambda t: ("vald.xlsx", _book(lambda b, s: setattr(
        s.oddHeader.center, "text", f"Klient {t}"))), "i en annan del av arbetsboken"),
    "länk": (lambda t: ("vald.xlsx", _book(lambda b, s: setattr(
        s.cell(2, 1), "hyperlink", f"https://journal.kommun.se/klient?id={t}"))),
             "i en annan del av arbetsboken"),
}
CASES = [(place, i % len(WRITINGS), 3 * n + i)
         for n, place in enumerate(PLACES) for i in range(n, n + 3)]
assert len(CASES) >= 40 and len(PLACES) >= 17


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("disguises")
    path = folder / "store.sqlite"
    cfg, engine = small_store(f"sqlite:///{path}")
    ingest.import_bytes(engine, cfg, _csv(), "oros_2023.csv", "orosanmalningar",
                        created_by="test")
    return cfg, engine, path, folder / "lagesbild.log", folder


def cli(cfg, log, *argv) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in ("LAGESBILD_DB_URL", "LAGESBILD_LOGG")}
    os.environ.update(LAGESBILD_DB_URL=cfg.db_url, LAGESBILD_LOGG=str(log))
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return code, out.getvalue() + err.getvalue()


def _traces(small) -> str:
    """The store file (with its journal), the log file and the audit log, as digits."""
    cfg, engine, path, log, _ = small
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    raw += log.read_bytes() if log.exists() else b""
    with engine.connect() as conn:
        audit = "\n".join(map(str, conn.execute(sa.text("SELECT * FROM audit_log"))))
    return digits_of(raw.decode("utf-8", "replace") + audit)


def _assert_nowhere(small, digits: str, *texts: str):
    for text in texts:
        assert digits not in digits_of(text) and digits[::-1] not in digits_of(text), text
    traces = _traces(small)
    assert digits not in traces and digits[::-1] not in traces


@pytest.mark.parametrize("place, writing, seed", CASES,
                         ids=[f"{p}-{w}" for p, w, _ in CASES])
def test_a_disguised_personnummer_in_every_place_is_refused_unechoed(small, place, writing,
                                                                      seed):
    cfg, engine, _, log, folder = small
    date, last = _number(seed)
    written = WRITINGS[writing](date, last)
    assert personnummer.contains(written)
    build, expected = PLACES[place]
    name, data = build(written)
    path = folder / f"{seed}"
    path.mkdir()
    (path / name).write_bytes(data)
    measure = "vald_i_nara_relation" if name.endswith(".xlsx") else "orosanmalningar"
    code, text = cli(cfg, log, "import", str(path / name), "--matt", measure, "--ja",
                     "--vem", f"Anna {written}")
    assert code == 1, text
    assert expected in text, text
    assert "personnummer" in text and "Traceback" not in text
    _assert_nowhere(small, date + last, text)


TYPED = {
    "observation": lambda e, m, t: process.add_item(e, m, "observation", f"Såg {t}", "anna"),
    "aktör": lambda e, m, t: process.add_item(e, m, "samverkan", "Polisen", "anna", aktor=t),
    "åtgärd": lambda e, m, t: process.add_action(e, process.Action(
        "Uppsökande", dt.date(2023, 1, 1), (), beskrivning=f"Familj {t}"), "anna"),
    "ansvarig": lambda e, m, t: process.add_action(e, process.Action(
        "Uppsökande", dt.date(2023, 1, 1), (), ansvarig=t), "anna"),
    "omvärld": lambda e, m, t: process.add_note(e, dt.date(2023, 1, 1), "Händelse", "anna",
                                                text=f"Gäller {t}"),
    "omvärld rubrik": lambda e, m, t: process.add_note(e, dt.date(2023, 1, 1), t, "anna"),
    "rapporttext": lambda e, m, t: process.save_report_text(e, m, f"Sammanfattning {t}",
                                                            "anna"),
}


@pytest.mark.parametrize("field", list(TYPED))
@pytest.mark.parametrize("writing", [0, 4, 9])
def test_a_personnummer_typed_into_any_field_is_refused_and_not_stored(small, field, writing):
    cfg, engine = small[:2]
    meetings = [m for m in process.meetings(engine, "analys") if m.is_open]
    meeting = meetings[0].id if meetings else \
        process.open_meeting(engine, "analys", dt.date(2023, 3, 1), "anna")
    date, last = _number(500 + 10 * writing + len(field))
    with pytest.raises(DataError) as info:
        TYPED[field](engine, meeting, WRITINGS[writing](date, last))
    assert "ser ut att innehålla ett personnummer" in info.value.message
    assert "Fältet ”" in info.value.message
    _assert_nowhere(small, date + last, info.value.message)


def test_a_profile_named_with_a_personnummer_is_refused(small, tmp_path):
    cfg = small[0]
    date, last = _number(900)
    with pytest.raises(DataError, match="Fältet ”Profilens namn”"):
        profiles.new(tmp_path, f"lifecare_{WRITINGS[2](date, last)}", "Lifecare",
                     "orosanmalningar", cfg.catalogue)
    assert not list(tmp_path.iterdir())


def test_an_import_by_someone_typing_a_disguised_number_stores_and_logs_it_redacted(small):
    cfg, engine, _, log, folder = small
    date, last = _number(901)
    path = folder / "mars.csv"
    path.write_bytes(_csv(rows=(ROW.replace("2023-01-05", "2023-03-05"),)))
    code, text = cli(cfg, log, "import", str(path), "--matt", "orosanmalningar", "--ja",
                     "--vem", f"Anna {WRITINGS[0](date, last)}")
    assert code == 0, text
    _assert_nowhere(small, date + last, text)
    with engine.connect() as conn:
        assert "[personnummer borttaget]" in str(conn.execute(sa.text(
            "SELECT details FROM audit_log WHERE action = 'import'")).all())


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(disguises())
def test_generated_disguises_in_a_file_cell_are_refused(small, case):
    cfg, engine = small[:2]
    written, digits = case
    data = _csv(HEADER + ";Fritext", (ROW + ";ok", ROW + f";{written}"))
    plan = ingest.plan(engine, cfg, data, "oros.csv", "orosanmalningar")
    assert not plan.ok and "personnummer" in " ".join(plan.problems)
    assert digits not in digits_of(" ".join(plan.problems))


def test_the_omvarld_page_refuses_a_typed_personnummer_in_swedish():
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    from lagesbild import store as stores
    from webapp import data

    engine = stores.connect(data.config().db_url)
    before = len(process.notes(engine))
    date, last = _number(777)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/omvarld.py").run()
    at.text_input(key="omv_rubrik").input("Händelse i området")
    at.text_area(key="omv_text").input(f"Gäller {WRITINGS[1](date, last)}")
    at.button[0].click().run()  # the form's submit button
    shown = " ".join(e.value for e in at.error)
    assert "Fältet ”Text” ser ut att innehålla ett personnummer" in shown
    assert not at.exception
    assert len(process.notes(engine)) == before
    assert date + last not in digits_of(shown + " ".join(m.value for m in at.markdown))


@pytest.mark.parametrize("kind", ["csv sex+fyra", "csv åtta+fyra", "xlsx tal", "helbredd"])
def test_a_personnummer_split_over_two_cells_is_refused(small, kind):
    cfg, engine, _, log, folder = small
    date, last = _number(950 + len(kind))
    if kind.startswith("xlsx"):
        name, measure = "vald.xlsx", "vald_i_nara_relation"
        data = _book(lambda b, s: [s.cell(1, 7, "Anteckning"), s.cell(1, 8, "Nr"),
                                   s.cell(3, 7, int(date)), s.cell(3, 8, int(last))])
    else:
        left = f"19{date}" if "åtta" in kind else date
        if kind == "helbredd":
            left = "".join(chr(0xFF10 + int(c)) for c in left)
        name, measure = "oros.csv", "orosanmalningar"
        data = _csv(HEADER + ";Anteckning;Nr", (ROW + ";;", ROW + f";{left};{last}"))
    path = folder / f"split-{kind}"
    path.mkdir()
    (path / name).write_bytes(data)
    code, text = cli(cfg, log, "import", str(path / name), "--matt", measure, "--ja")
    assert code == 1, text
    assert "tillsammans (till exempel rad 3)" in text, text
    _assert_nowhere(small, date + last, text)
