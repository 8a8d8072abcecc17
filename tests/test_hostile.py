"""Hostile and malformed files: each is generated here, refused with a Swedish message and
an exit code, leaves the store unchanged and never echoes a personnummer."""

import datetime as dt
import io
import os
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import ROOT, small_store
from hostile import (
    far_cell_ods,
    far_cell_xlsx,
    with_declared_dimension,
    workbook,
    zip_bomb_xlsx,
)

from lagesbild import store
from lagesbild.cli import main
from lagesbild.errors import DataError
from lagesbild.intake import load, personnummer
from lagesbild.intake.workbook import Limits
from lagesbild.store import ingest

HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"
ROW = "2023-01-05;972 31;Flicka;4;Våld mot barnet;Polis"
PNR = "8112189876"  # Skatteverket's example, with a correct check digit
DIGITS = ("811218", "9876", "19811218")


def events(*rows: str, header: str = HEADER, title: str = "") -> bytes:
    return ((title + "\n\n" if title else "") + "\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def small(tmp_path):
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'hostile.sqlite'}")
    ingest.import_bytes(engine, cfg, events(ROW), "oros_2023.csv", "orosanmalningar",
                        created_by="test")
    return cfg, engine


def dump(engine) -> str:
    """Every value in every table of the store, as one text (to look for digits in)."""
    with engine.connect() as conn:
        tables = sa.inspect(engine).get_table_names()
        return "\n".join(str(row) for t in tables
                         for row in conn.execute(sa.text(f'SELECT * FROM "{t}"')))


def state(engine):
    return store.fingerprint(engine), dump(engine)


def cli(cfg, *argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("LAGESBILD_DB_URL")
    os.environ["LAGESBILD_DB_URL"] = cfg.db_url
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    finally:
        os.environ["LAGESBILD_DB_URL"] = old
    return code, out.getvalue(), err.getvalue()


def refused(small, tmp_path, name: str, data: bytes, message: str,
            measure: str = "orosanmalningar", *extra: str) -> str:
    """Import through the command line: exit 1, *message* shown, the store unchanged."""
    cfg, engine = small
    before = state(engine)
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = cli(cfg, "import", str(path), "--matt", measure, "--ja", *extra)
    assert code == 1, out + err
    assert message in out + err, out + err
    assert "Traceback" not in out + err
    assert state(engine) == before
    return out + err


# --- workbooks that would exhaust memory ---------------------------------------------------

def test_a_cell_at_xfd1048576_is_refused_by_its_declared_dimension(small, tmp_path):
    refused(small, tmp_path, "langt_bort.xlsx", far_cell_xlsx(),
            "Arbetsboken är för stor: bladet ”Blad1” anger 1\u00a0048\u00a0576 rader. Högst "
            "500\u00a0000 rader läses in. Spara om filen")


def test_a_workbook_that_lies_about_its_dimension_is_read_in_a_child_that_may_fail(
        small, tmp_path):
    lying = with_declared_dimension(far_cell_xlsx(), "A1:F3")
    started = time.perf_counter()
    text = refused(small, tmp_path, "ljuger.xlsx", lying,
                   "ljuger.xlsx kunde inte läsas: läsningen behövde mer än 2\u00a0048 MB minne")
    assert time.perf_counter() - started < 20
    assert "memory allocation" not in text  # the child's own words stay in the log


def test_a_zip_bomb_is_refused_before_it_is_unpacked(small, tmp_path):
    data, size = zip_bomb_xlsx()
    assert len(data) < 2 * 2 ** 20 and size > 1.4 * 2 ** 30
    refused(small, tmp_path, "bomb.xlsx", data, "Arbetsboken är för stor: bomb.xlsx packas "
            "upp till 1\u00a0515,0 MB. Högst 400 MB läses in.")
    with pytest.raises(DataError, match=r"packad 1\u00a0010 gånger \(högst 200\)"):
        load.read_export(data, "bomb.xlsx", None, limits=Limits(unpacked_mb=10_000))


@pytest.mark.parametrize("limits, message", [
    (Limits(file_mb=1), "är för stor: 1,0 MB. Högst 1 MB läses in"),
    (Limits(rows=2), "bladet ”Data” anger 3 rader. Högst 2 rader"),
    (Limits(cells=10),
     "bladet ”Data” anger 3 rader och 6 kolumner, 18 celler. Högst 10 celler"),
])
def test_each_limit_is_a_setting_and_says_what_is_too_large(limits, message):
    data = workbook(sheet="Data")
    if limits.file_mb == 1:
        data = data + b"\0" * (2 ** 20 - len(data) + 1)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load.read_export(data, "vald.xlsx", None, limits=limits)


def test_an_ods_with_a_far_cell_is_refused_not_fatal(small, tmp_path):
    # python-calamine caps .ods at 100 million cells itself; read from bytes, its refusal
    # surfaces as "Cannot detect file format", so the message is the general one.
    refused(small, tmp_path, "langt_bort.ods", far_cell_ods(),
            "langt_bort.ods går inte att läsa som Excel-fil")


def test_the_child_checks_the_real_size_when_the_declared_one_is_small():
    lying = with_declared_dimension(workbook(sheet="Data"), "A1:A1")
    with pytest.raises(DataError, match="bladet ”Data” har 3 rader och 6 kolumner"):
        load.read_export(lying, "vald.xlsx", None, limits=Limits(cells=10))


def test_ordinary_workbooks_are_read_as_before(small):
    cfg, engine = small
    plan = ingest.plan(engine, cfg, workbook(), "vald.xlsx", "vald_i_nara_relation")
    assert plan.ok, plan.problems
    assert plan.rows_kept == 2


def test_the_limits_come_from_the_settings():
    from lagesbild.config import Config

    cfg = Config.from_env({"LAGESBILD_MAX_RADER": "10", "LAGESBILD_LASMINNE_MB": "512"})
    assert Limits.of(cfg) == Limits(rows=10, memory_mb=512)


@pytest.mark.parametrize("make, message", [
    (lambda: with_declared_dimension(far_cell_xlsx(), "A1:F3"), "kunde inte läsas"),
    (far_cell_xlsx, "anger 1\u00a0048\u00a0576 rader"),
    (lambda: zip_bomb_xlsx()[0], "packas upp till"),
], ids=["lying-dimension", "xfd1048576", "zip-bomb"])
def test_the_command_as_a_process_survives_the_crash_files(small, tmp_path, make, message):
    cfg, engine = small
    before = state(engine)
    path = tmp_path / "aktualiseringar_okt.xlsx"
    path.write_bytes(make())
    env = dict(os.environ, LAGESBILD_DB_URL=cfg.db_url, LAGESBILD_DEMO="0")
    done = subprocess.run([sys.executable, "-m", "lagesbild", "import", str(path), "--matt",
                           "orosanmalningar"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert message in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert state(engine) == before


def test_a_csv_over_the_row_limit(small):
    cfg, engine = small
    with pytest.raises(DataError, match="oros.csv är för stor: 4 rader. Högst 3 rader"):
        load.read_export(events(ROW, ROW, ROW), "oros.csv", None, limits=Limits(rows=3))


# --- CSV that breaks readers ---------------------------------------------------------------

def test_a_cell_over_the_csv_field_limit(small, tmp_path):
    refused(small, tmp_path, "lang.csv", events(ROW + ";" + "x" * 131_073,
                                               header=HEADER + ";Fritext"),
            "en cell är för lång")


def test_duplicated_headers_we_read_are_refused_and_others_kept_apart(small, tmp_path):
    refused(small, tmp_path, "dubbel.csv", events(ROW + ";Polis", header=HEADER + ";Anmälare"),
            "rubriken ”Anmälare” står i två kolumner (F och G)")
    cfg, engine = small
    plan = ingest.plan(engine, cfg, events(ROW + ";a;b", header=HEADER + ";Namn;Namn"),
                       "oros.csv", "orosanmalningar")
    assert plan.ok and plan.dropped_columns == ("Namn",)


# --- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["2023-03-01", "2023-03", "01.03.2023", "1.3.2023",
                                     "2023/03/01", "20230301", "2023-03-01 00:00:00"])
def test_dates_that_cannot_be_misread(small, written):
    cfg, engine = small
    row = ROW.replace("2023-01-05", written)
    plan = ingest.plan(engine, cfg, events(row), "oros.csv", "orosanmalningar")
    assert plan.ok, plan.problems
    assert [c.period for c in plan.changes] == ["2023-03"]


def test_an_ambiguous_slash_date_is_refused_with_row_and_example(small, tmp_path):
    rows = [ROW.replace("2023-01-05", "03/10/2023"), ROW]
    text = refused(small, tmp_path, "oros.csv", events(*rows),
                   "oros.csv, rad 2, kolumn ”Datum”: ”03/10/2023” kan läsas både dag "
                   "först "
                   "och månad först")
    assert "2026-10-03" in text and "datumformat: DD/MM/ÅÅÅÅ" in text


@pytest.mark.parametrize("declared, month", [("DD/MM/ÅÅÅÅ", "2023-10"),
                                             ("%m/%d/%Y", "2023-03")])
def test_a_profile_declares_how_slash_dates_are_read(small, tmp_path, declared, month):
    from lagesbild.intake import profiles

    cfg, engine = small
    path = tmp_path / "datum.yaml"
    path.write_text(f"system: Test\nmatt: orosanmalningar\ndatumformat: \"{declared}\"\n",
                    encoding="utf-8")
    profile = profiles.load_profile(path, cfg.catalogue)
    rows = [ROW.replace("2023-01-05", "03/10/2023"), ROW.replace("2023-01-05", "2023-01-07")]
    plan = ingest.plan(engine, cfg, events(*rows), "oros.csv", "orosanmalningar",
                       profile=profile)
    assert plan.ok, plan.problems
    assert month in [c.period for c in plan.changes]


@pytest.mark.parametrize("title, message", [
    ("Uttag ur Combine 9999-12-31", "Uttagsdatumet 9999-12-31 ligger i framtiden"),
    (f"Uttag ur Combine {dt.date.today() + dt.timedelta(days=1)}", "ligger i framtiden"),
    ("Uttag ur Combine 1999-12-31", "Uttagsdatumet 1999-12-31 ligger före 2000"),
])
def test_an_extraction_date_in_the_future_is_refused(small, tmp_path, title, message):
    refused(small, tmp_path, "oros.csv", events(ROW, title=title), message)


def test_uttag_in_the_future_is_a_usage_error(small, tmp_path):
    cfg, engine = small
    path = tmp_path / "oros.csv"
    path.write_bytes(events(ROW))
    code, _, err = cli(cfg, "import", str(path), "--matt", "orosanmalningar", "--uttag",
                       "9999-12-31")
    assert code == 2 and "ligger i framtiden" in err


# --- ages and counts -----------------------------------------------------------------------

@pytest.mark.parametrize("age", ["", "okänd", "fyra", "4 år", "-4", "4,5", "200"])
def test_an_age_that_is_not_a_number_is_a_row_problem(small, tmp_path, age):
    row = "2023-01-05;972 31;Flicka;{};Våld mot barnet;Polis".format(age)
    text = refused(small, tmp_path, "oros.csv", events(ROW, row),
                   f"oros.csv, rad 3, kolumn ”Ålder”: ”{age}”")
    assert "rad 2," not in text


VALD = "Månad;Postnummer;Kön;Åldersgrupp;Typ av våld;Antal"


@pytest.mark.parametrize("count, message", [
    ("inf", "är inget heltal ≥ 0"), ("nan", "är inget heltal ≥ 0"),
    ("1e19", "är inget heltal ≥ 0"), ("12345678901234567890", "är inget heltal ≥ 0"),
    ("9223372036854775807", "är inget heltal ≥ 0"), ("-3", "är inget heltal ≥ 0"),
    ("2,5", "är inget heltal ≥ 0"), ("", "är inget heltal ≥ 0"),
    ("1000001", "är orimligt stort (högst 1\u00a0000\u00a0000)"),
])
def test_counts_that_are_not_plausible_are_row_problems(small, tmp_path, count, message):
    data = f"{VALD}\n2023-03;97231;Kvinna;25-44;Fysiskt våld;{count}\n".encode()
    refused(small, tmp_path, "vald.csv", data,
            f"vald.csv, rad 2, kolumn ”Antal nya ärenden”: ”{count}” {message}",
            "vald_i_nara_relation")


def test_a_huge_number_in_a_workbook_cell_is_a_row_problem(small):
    cfg, engine = small
    rows = [VALD.split(";"),
            ["2023-03", "97231", "Kvinna", "25-44", "Fysiskt våld", 1e19],
            ["2023-03", "97333", "Kvinna", "25-44", "Fysiskt våld", float("inf")],
            ["2023-03", "97345", "Kvinna", "25-44", "Fysiskt våld", 2 ** 63 - 1]]
    plan = ingest.plan(engine, cfg, workbook(rows), "vald.xlsx", "vald_i_nara_relation")
    assert [p.split(":")[0] for p in plan.problems] == [
        "vald.xlsx (blad Blad1), rad 2, kolumn ”Antal nya ärenden”",
        "vald.xlsx (blad Blad1), rad 3, kolumn ”Antal nya ärenden”",
        "vald.xlsx (blad Blad1), rad 4, kolumn ”Antal nya ärenden”"]


def test_plausible_counts_with_separators_are_read(small):
    cfg, engine = small
    data = (f"{VALD}\n2023-03;97231;Kvinna;25-44;Fysiskt våld;1 234\n"
            "2023-03;97333;Kvinna;25-44;Fysiskt våld;12,0\n").encode()
    plan = ingest.plan(engine, cfg, data, "vald.csv", "vald_i_nara_relation")
    assert plan.ok, plan.problems
    assert plan.frame["antal"].sum() == 1246


# --- personnummer in every disguise --------------------------------------------------------

SEPARATED = {"bindestreck": f"{PNR[:6]}-{PNR[6:]}", "plus": f"{PNR[:6]}+{PNR[6:]}",
             "mellanslag": f"{PNR[:6]} {PNR[6:]}", "hårt mellanslag": f"{PNR[:6]}\u00a0{PNR[6:]}",
             "tankstreck": f"{PNR[:6]}\u2013{PNR[6:]}",
             "långt streck": f"{PNR[:6]}\u2014{PNR[6:]}",
             "smalt mellanslag": f"{PNR[:6]}\u2009{PNR[6:]}",
             "smalt hårt mellanslag": f"{PNR[:6]}\u202f{PNR[6:]}",
             "tolv siffror": f"19{PNR}", "tolv med streck": f"19{PNR[:6]}-{PNR[6:]}",
             "tio siffror": PNR, "i fritext": f"Mamma ringde, pnr {PNR[:6]} {PNR[6:]}, igen",
             "helbreddssiffror": "".join(chr(ord(c) + 0xFEE0) for c in PNR[:6]) + "\uff0d"
                                 + "".join(chr(ord(c) + 0xFEE0) for c in PNR[6:]),
             "nollbrett mellanslag": f"{PNR[:4]}\u200b{PNR[4:6]}-{PNR[6:]}",
             "mjukt bindestreck": f"{PNR[:5]}\u00ad{PNR[5:]}"}


@pytest.mark.parametrize("written", list(SEPARATED.values()), ids=list(SEPARATED))
def test_the_guard_sees_every_separator(written):
    assert personnummer.contains(written)
    assert personnummer.REDACTED in personnummer.redact(written)
    assert not any(d in personnummer.redact(written) for d in DIGITS)


@pytest.mark.parametrize("text", ["2023-01-05", "97231", "972 31", "070-1234567",
                                  "Ärende 12345678", "20230105", "1234567890",
                                  "12345678901234567890", f"{PNR[:-1]}{(int(PNR[-1]) + 1) % 10}",
                                  "Summa 2023"])
def test_ordinary_numbers_are_not_personnummer(text):
    assert not personnummer.contains(text)


def _no_digits(text: str):
    assert not any(d in text for d in DIGITS), text


@pytest.mark.parametrize("where", ["kept", "dropped", "header", "title"])
@pytest.mark.parametrize("written", [SEPARATED["hårt mellanslag"], SEPARATED["tankstreck"],
                                     SEPARATED["i fritext"], SEPARATED["nollbrett mellanslag"]],
                         ids=["nbsp", "endash", "fritext", "zero-width"])
def test_a_personnummer_anywhere_in_the_file_stops_it_unechoed(small, tmp_path, where, written):
    header, rows, title = HEADER + ";Fritext", [ROW + ";ok", ROW + ";ok"], ""
    expected = "kolumnen ”Fritext” (till exempel rad 3)"
    if where == "kept":
        rows[1] = rows[1].replace("Polis", written)
        expected = "kolumnen ”Anmälare” (till exempel rad 3)"
    elif where == "dropped":
        rows[1] = rows[1].replace(";ok", ";" + written)
    elif where == "header":
        header, expected = HEADER + ";" + written, "rubriken i kolumn 7"
    else:
        title, expected = "Uttag för " + written, "raderna ovanför rubrikraden"
    text = refused(small, tmp_path, "oros.csv", events(*rows, header=header, title=title),
                   expected)
    assert "personnummer" in text
    _no_digits(text)
    _no_digits(dump(small[1]))


def test_a_personnummer_in_the_file_or_sheet_name_is_never_stored_or_shown(small, tmp_path):
    cfg, engine = small
    name = f"oros {PNR[:6]}-{PNR[6:]}.csv"
    text = refused(small, tmp_path, name, events(ROW), "Filnamnet (oros [personnummer borttaget]"
                                                       ".csv) ser ut att innehålla")
    _no_digits(text)
    plan = ingest.plan(engine, cfg, events(ROW), name, "orosanmalningar")
    assert plan.source == "oros [personnummer borttaget].csv" and not plan.ok
    with pytest.raises(DataError) as info:
        ingest.commit(engine, cfg, plan)
    _no_digits(str(info.value.problems))
    sheet = workbook(sheet=f"{PNR[:6]}-{PNR[6:]}")
    plan = ingest.plan(engine, cfg, sheet, "vald.xlsx", "vald_i_nara_relation")
    _no_digits(" ".join(plan.problems))
    assert "blad [personnummer borttaget]" in " ".join(plan.problems)
    _no_digits(dump(engine))


def test_an_unknown_value_holding_a_personnummer_is_never_offered_for_mapping(small):
    cfg, engine = small
    from lagesbild.intake import normalize

    sheet = load.read_export(events(ROW.replace("Polis", f"Polis {PNR}")), "oros.csv",
                             cfg.catalogue.measure("orosanmalningar"))
    with pytest.raises(DataError) as info:
        normalize.counts(sheet, cfg.catalogue.measure("orosanmalningar"), cfg.catalogue,
                         values={"anmalare": {}})
    assert info.value.unknown == {}
    _no_digits(str(info.value.problems))


def test_long_values_are_shortened_in_problems(small):
    cfg, engine = small
    plan = ingest.plan(engine, cfg, events(ROW.replace("Polis", "x" * 5000)), "oros.csv",
                       "orosanmalningar")
    assert not plan.ok
    assert max(map(len, plan.problems)) < 400
    assert all(len(v) <= 60 for values in plan.unknown.values() for v in values)


def test_pandas_is_not_asked_for_the_month_of_wrong_dates():
    from lagesbild.intake import dates

    parsed, why = dates.parse(pd.Series(["2023-02-30", "2023-13", "igår", "03/10/2023"],
                                        dtype="string"))
    assert parsed.isna().all()
    assert why.tolist() == ["invalid", "invalid", "invalid", "ambiguous"]


def test_who_is_stored_on_one_line_without_personnummer_or_escapes(small, tmp_path):
    cfg, engine = small
    path = tmp_path / "mars.csv"
    path.write_bytes(events(ROW.replace("2023-01-05", "2023-03-05")))
    code, out, err = cli(cfg, "import", str(path), "--matt", "orosanmalningar", "--vem",
                         f"Anna {PNR[:6]}-{PNR[6:]}\x1b[31m\u202e\nrad två")
    assert code == 0, err
    _no_digits(dump(engine))
    assert store.read_batches(engine)["created_by"].iloc[-1] == \
        "Anna [personnummer borttaget] rad två"
    code, out, _ = cli(cfg, "batches")
    assert code == 0 and "\x1b" not in out and "\u202e" not in out


def test_the_terminal_gets_no_escape_sequences_from_a_file(small, tmp_path):
    name = "oros\x1b]0;hackad\x07\u202egpj.csv"
    row = ROW.replace("Våld mot barnet", "Grannbråk\x1b[2J\x1b[31m")
    text = refused(small, tmp_path, name, events(row), "kan inte användas")
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "oros" in text and "gpj.csv" in text


def test_a_parse_that_takes_too_long_is_stopped(monkeypatch, tmp_path):
    from lagesbild.intake import workbook as wb

    slow = tmp_path / "slow_child.py"
    slow.write_text("import time\ntime.sleep(30)\n", encoding="utf-8")
    monkeypatch.setattr(wb, "CHILD", slow)
    started = time.perf_counter()
    with pytest.raises(DataError, match=r"vald.xlsx tog för lång tid att läsa \(mer än 1 "
                                        r"sekund\) och läsningen avbröts"):
        load.read_export(workbook(), "vald.xlsx", None, limits=Limits(seconds=1))
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("written", ["0001-01-01", "9999-12-31", "31.12.9999", "2023-02-30",
                                     "2023-13-01"])
def test_impossible_dates_are_row_problems(small, tmp_path, written):
    text = refused(small, tmp_path, "oros.csv", events(ROW, ROW.replace("2023-01-05", written)),
                   f"oros.csv, rad 3, kolumn ”Datum”: ”{written}”")
    assert "rad 2," not in text
