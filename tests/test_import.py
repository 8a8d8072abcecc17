"""Importing files: every bad input is refused in Swedish and leaves the store unchanged;
good files round-trip to the CLI's summary; batches, re-imports, undo and a killed import."""

import io
import os
import signal
import subprocess
import sys
import textwrap
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest
from conftest import ROOT, small_store
from openpyxl import Workbook

from lagesbild import store
from lagesbild.cli import main
from lagesbild.errors import DataError
from lagesbild.intake import profiles
from lagesbild.store import ingest

HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"
GOOD_ROWS = [
    "2023-01-05;972 31;Flicka;4;Våld mot barnet;Polis",
    "2023-01-20;97231;Flicka;3;Våld mot barnet;Polis",
    "2023-02-02;SE-973 33;Pojke;15;Skolfrånvaro;Skola",
]


def events(*rows: str, header: str = HEADER, title: str = "") -> bytes:
    return ((title + "\n\n" if title else "") + "\n".join([header, *rows]) + "\n").encode()


def xlsx(rows: list[list], sheets: dict[str, list[list]] | None = None) -> bytes:
    wb = Workbook()
    wb.active.title = "Blad1"
    for row in rows:
        wb.active.append(row)
    for name, more in (sheets or {}).items():
        ws = wb.create_sheet(name)
        for row in more:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def small(tmp_path):
    """A store with the small population and orosanmälningar for January–February 2023."""
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'import.sqlite'}")
    ingest.import_bytes(engine, cfg, events(*GOOD_ROWS), "oros_2023.csv", "orosanmalningar",
                        created_by="test")
    return cfg, engine


def snapshot(engine, cfg):
    return (store.fingerprint(engine),
            {code: store.read_counts(engine, m)["antal"].sum()
             for code, m in cfg.catalogue.measures.items()},
            store.read_population(engine)["antal"].sum())


VALD = "Månad;Postnummer;Kön;Åldersgrupp;Typ av våld;Antal"


@pytest.mark.parametrize("name, data, measure, message", [
    ("oros.csv", events("2023-03-01;12;Flicka;4;Övrigt;Polis"), "orosanmalningar",
     r"oros.csv, rad 2, kolumn ”Postnummer”: ”12” är inget giltigt postnummer"),
    ("oros.csv", events("2023-03-01;111 22;Flicka;4;Övrigt;Polis"), "orosanmalningar",
     r"rad 2, kolumn ”Postnummer”: ”111 22” finns inte bland kommunens postnummer "
     r"\(Luleå\): okänt eller utanför kommunen"),
    ("oros.csv", events("1899-03-01;97231;Flicka;4;Övrigt;Polis"), "orosanmalningar",
     r"rad 2, kolumn ”Datum”: ”1899-03-01” ligger utanför rimligt intervall"),
    ("oros.csv", events("2099-03-01;97231;Flicka;4;Övrigt;Polis"), "orosanmalningar",
     r"rad 2, kolumn ”Datum”: ”2099-03-01” ligger utanför rimligt intervall"),
    ("oros.csv", events("igår;97231;Flicka;4;Övrigt;Polis"), "orosanmalningar",
     r"rad 2, kolumn ”Datum”: ”igår” är inget datum"),
    ("oros.csv", events("2023-03-01;97231;Flicka;4;Grannbråk;Polis"), "orosanmalningar",
     r"rad 2, kolumn ”Aktualiseringsorsak”: ”Grannbråk” finns inte i katalogens lista"),
    ("oros.csv", events("2023-03-01;97231;Okänt;4;Övrigt;Polis"), "orosanmalningar",
     r"rad 2, kolumn ”Kön”: ”Okänt” är inget känt kön"),
    ("vald.csv", f"{VALD}\n2023-03;97231;Kvinna;25-44;Fysiskt våld;-3\n".encode(),
     "vald_i_nara_relation", r"vald.csv, rad 2, kolumn ”Antal nya ärenden”: ”-3” är inget "
                             r"heltal ≥ 0"),
    ("vald.csv", f"{VALD}\n2023-03;97231;Kvinna;25-44;Fysiskt våld;2,5\n".encode(),
     "vald_i_nara_relation", r"rad 2, kolumn ”Antal nya ärenden”: ”2,5” är inget heltal"),
    ("vald.csv", f"{VALD}\n2023-03;97231;Kvinna;25-44;Fysiskt våld;2\n"
                 "2023-03;972 31;Kvinna;25-44;Fysiskt våld;2\n".encode(),
     "vald_i_nara_relation", r"vald.csv, rad 3: dubblerad rad, samma månad och dimensioner "
                             r"som rad 2"),
    ("tom.csv", b"", "orosanmalningar", r"tom.csv är tom"),
    ("bara_rubrik.csv", events(), "orosanmalningar", r"har rubriker men inga rader"),
    ("tomt_blad.xlsx", xlsx([]), "orosanmalningar", r"Hittar ingen rubrikrad i tomt_blad.xlsx"),
    ("oros.csv", events("2023-03-01;Flicka;4;Övrigt;Polis",
                        header="Inkomstdatum;Kön;Ålder;Aktualiseringsorsak;Anmälare"),
     "orosanmalningar", r"oros.csv: kolumnen ”Postnummer” saknas"),
    ("rapport.xlsx", b"%PDF-1.4 not a workbook", "orosanmalningar",
     r"rapport.xlsx går inte att läsa som Excel-fil"),
    ("rapport.pdf", b"%PDF-1.4", "orosanmalningar", r"filtypen .pdf stöds inte"),
    ("folkmangd.csv", "År;Region;Kön;Ålder;Antal\n2023;2580 Luleå;män;5 år;300\n".encode(),
     "befolkning", r"rad 2, kolumn ”Region”: ”2580 Luleå” är en kommun"),
    ("folkmangd.csv", "År;Postnummer;Kön;Ålder;Antal\n1850;97231;män;5;3\n".encode(),
     "befolkning", r"rad 2, kolumn ”År”: ”1850” ligger utanför rimligt intervall"),
    ("folkmangd.csv", "År;Postnummer;Kön;Ålder;Antal\n2023;97231;män;5;3\n"
                      "2023;97231;män;5;4\n".encode(),
     "befolkning", r"rad 3: dubblerad rad, samma år, postnummer, kön och ålder som rad 2"),
], ids=["malformed-postnummer", "postnummer-outside", "date-too-early", "date-in-future",
        "not-a-date", "unknown-category", "unknown-sex", "negative-count", "non-integer-count",
        "duplicated-rows", "empty-file", "header-only", "empty-sheet", "missing-column",
        "not-a-spreadsheet", "unsupported-type", "population-kommun-region",
        "population-year", "population-duplicates"])
def test_bad_input_is_refused_in_swedish_and_nothing_is_stored(small, name, data, measure,
                                                               message):
    cfg, engine = small
    before = snapshot(engine, cfg)
    with pytest.raises(DataError) as info:
        ingest.import_bytes(engine, cfg, data, name, measure)
    assert any(pd.Series(info.value.problems).str.contains(message)), info.value.problems
    assert snapshot(engine, cfg) == before


def test_every_problem_is_listed_not_only_the_first(small):
    cfg, engine = small
    rows = [f"2023-03-01;{n};Flicka;4;Övrigt;Polis" for n in range(10, 40)]
    plan = ingest.plan(engine, cfg, events(*rows), "oros.csv", "orosanmalningar")
    assert len(plan.problems) == 30
    assert plan.frame is None and not plan.ok


def test_unknown_categories_are_listed_for_mapping_and_a_profile_maps_them(small, tmp_path):
    cfg, engine = small
    data = events("2023-03-01;97231;Flicka;4;Grannbråk;Polis",
                  "2023-03-02;97231;Flicka;4;GRANNBRÅK;Polisen")
    plan = ingest.plan(engine, cfg, data, "oros.csv", "orosanmalningar")
    assert plan.unknown == {"orsak": ["Grannbråk", "GRANNBRÅK"], "anmalare": ["Polisen"]}
    profile = profiles.new(tmp_path, "Test system", "Testsystem", "orosanmalningar")
    profile = profiles.save_values(profile, "orsak", {"Grannbråk": "ovrigt"}, cfg.catalogue)
    profile = profiles.save_values(profile, "anmalare", {"Polisen": "polis"}, cfg.catalogue)
    assert profile.path == tmp_path / "test_system.yaml"
    plan = ingest.plan(engine, cfg, data, "oros.csv", "orosanmalningar", profile=profile)
    assert plan.ok, plan.problems
    assert plan.frame.set_index("orsak")["antal"].to_dict() == {"ovrigt": 2}
    assert plan.source_system == "Testsystem"


def test_saving_a_mapping_keeps_the_profile_and_its_comment(tmp_path, small):
    cfg, _ = small
    path = tmp_path / "p.yaml"
    path.write_text("# Lifecare-export\nsystem: Lifecare\nmatt: orosanmalningar\n"
                    "kolumner:\n  Ärendedatum: datum\n", encoding="utf-8")
    profile = profiles.load_profile(path, cfg.catalogue)
    profiles.save_values(profile, "kon", {"Flickebarn": "K"}, cfg.catalogue)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Lifecare-export\n")
    again = profiles.load_profile(path, cfg.catalogue)
    assert again.columns == {"ärendedatum": "date"}
    assert again.values == {"kon": {"flickebarn": "K"}}


def test_a_profile_maps_headers_and_drops_every_other_column(small, tmp_path):
    cfg, engine = small
    path = tmp_path / "lifecare.yaml"
    path.write_text("system: Lifecare\nmatt: orosanmalningar\nkolumner:\n"
                    "  Reg.datum: datum\n  Orsakskod: orsak\n  Från: anmalare\n"
                    "varden:\n  orsak:\n    O12: omsorgsbrist\n", encoding="utf-8")
    profile = profiles.load_profile(path, cfg.catalogue)
    data = ("Reg.datum;Postnummer;Kön;Ålder;Orsakskod;Från;Namn;Adress;Anteckning\n"
            "2023-03-01;97231;Flicka;4;O12;Polis;Anna Andersson;Storgatan 1;Orolig granne\n"
            ).encode()
    plan = ingest.plan(engine, cfg, data, "lifecare.csv", "orosanmalningar", profile=profile)
    assert plan.ok, plan.problems
    assert plan.dropped_columns == ("Namn", "Adress", "Anteckning")
    ingest.commit(engine, cfg, plan, created_by="test")
    raw = (tmp_path / "import.sqlite").read_bytes()
    for secret in (b"Anna Andersson", b"Storgatan", b"Orolig granne"):
        assert secret not in raw


def test_a_profile_for_another_measure_is_refused(small):
    cfg, engine = small
    profile = profiles.find(cfg.profiles, "kia", cfg.catalogue)
    with pytest.raises(DataError, match="Profilen kia gäller kia, inte orosanmalningar"):
        ingest.plan(engine, cfg, events(*GOOD_ROWS), "x.csv", "orosanmalningar",
                    profile=profile)


def test_batches_record_source_system_extraction_date_hash_rows_and_who(small):
    cfg, engine = small
    data = events("2023-03-01;97231;Flicka;4;Övrigt;Polis",
                  "2023-03-09;97231;Flicka;4;Övrigt;Polis",
                  title="Aktualiseringar, uttag ur Combine 2023-04-02")
    profile = profiles.find(cfg.profiles, "combine_orosanmalningar", cfg.catalogue)
    done = ingest.import_bytes(engine, cfg, data, "oros_mars.csv", "orosanmalningar",
                               profile=profile, created_by="strateg")
    batch = store.read_batches(engine).set_index("id").loc[done.batch_id]
    assert batch["source"] == "oros_mars.csv"
    assert batch["source_system"] == "Combine"
    assert str(batch["extracted"]) == "2023-04-02"
    assert batch["sha256"] == store.sha256(data)
    assert (batch["rows_read"], batch["rows_stored"]) == (2, 1)
    assert batch["created_by"] == "strateg"
    assert (batch["first"], batch["last"]) == ("2023-03", "2023-03")


def test_reimport_replaces_the_period_and_undo_brings_the_earlier_numbers_back(small):
    cfg, engine = small
    oros = cfg.catalogue.measure("orosanmalningar")
    again = events(*["2023-02-10;97231;Pojke;15;Skolfrånvaro;Skola"] * 5,
                   "2023-03-10;97231;Pojke;15;Skolfrånvaro;Skola")
    plan = ingest.plan(engine, cfg, again, "feb_mars.csv", "orosanmalningar")
    assert [(c.period, c.before, c.after) for c in plan.changes] == \
        [("2023-02", 1, 5), ("2023-03", None, 1)]
    assert [c.period for c in plan.replaced] == ["2023-02"]
    done = ingest.commit(engine, cfg, plan)
    monthly = store.read_counts(engine, oros).groupby("month", observed=True)["antal"].sum()
    assert monthly.tolist() == [2, 5, 1]
    store.undo(engine, done.batch_id)
    monthly = store.read_counts(engine, oros).groupby("month", observed=True)["antal"].sum()
    assert monthly.tolist() == [2, 1]


def test_a_plan_made_before_the_store_changed_is_not_stored(small):
    cfg, engine = small
    plan = ingest.plan(engine, cfg, events("2023-05-01;97231;Flicka;4;Övrigt;Polis"),
                       "maj.csv", "orosanmalningar")
    ingest.import_bytes(engine, cfg, events("2023-06-01;97231;Flicka;4;Övrigt;Polis"),
                        "juni.csv", "orosanmalningar")
    with pytest.raises(DataError, match="Databasen har ändrats sedan förhandsgranskningen"):
        ingest.commit(engine, cfg, plan)


# --- population from SCB -------------------------------------------------------------------

PX_TITLE = ["Folkmängd efter region, ålder och kön. År 2022 - 2023"]
PX_ROWS = [
    ["region", "ålder", "kön", "2022", "2023"],
    ["97231 Luleå", "0 år", "män", 10, 11],
    [None, None, "kvinnor", 12, 13],
    [None, "1 år", "män", 14, 15],
    [None, None, "kvinnor", 16, 17],
    [None, "100+ år", "män", 1, 2],
    [None, None, "kvinnor", 3, 4],
    ["972 31 totalt", "totalt ålder", "totalt", 999, 999],
    ["97333 Luleå", "0 år", "män", 20, 21],
    [None, None, "kvinnor", 22, 23],
]
PX_FOOTER = [[], ["Källa: SCB, Statistikdatabasen"], ["Senast uppdaterad 2024-02-22"]]


def _px_csv() -> bytes:
    def cell(v):
        return "" if v is None else f'"{v}"' if isinstance(v, str) else str(v)

    lines = [f'"{PX_TITLE[0]}"', ""] + [",".join(cell(v) for v in row) for row in PX_ROWS]
    lines += [",".join(cell(v) for v in row) for row in PX_FOOTER]
    return ("\n".join(lines) + "\n").encode("cp1252")


@pytest.mark.parametrize("name, data", [
    ("BE0101_folkmangd.csv", _px_csv()),
    ("BE0101_folkmangd.xlsx", xlsx([PX_TITLE, [], *PX_ROWS, *PX_FOOTER])),
])
def test_px_web_population_exports(tmp_path, name, data):
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'px.sqlite'}")
    done = ingest.import_bytes(engine, cfg, data, name, "befolkning")
    pop = store.read_population(engine)
    # The PX-Web years replace 2022 and 2023 of the small store's population.
    assert pop.groupby("ar")["antal"].sum().to_dict() == {2022: 98, 2023: 106}
    assert pop.query("ar == 2023 and postnummer == '97231' and alder == 100 and kon == 'K'")[
        "antal"].tolist() == [4]
    assert done.rows_stored == 16


def test_plain_long_population_table(tmp_path):
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'long.sqlite'}")
    assert store.read_population(engine).groupby("ar")["antal"].sum().to_dict() == \
        {2022: 6060, 2023: 6060}


# --- command line ----------------------------------------------------------------------------

def cli(cfg, *argv, stdin="") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_url, old_stdin = os.environ.get("LAGESBILD_DB_URL"), sys.stdin
    os.environ["LAGESBILD_DB_URL"] = cfg.db_url
    sys.stdin = io.StringIO(stdin)  # not a terminal: nobody can be asked
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    finally:
        os.environ["LAGESBILD_DB_URL"], sys.stdin = old_url, old_stdin
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)
    return write


def test_round_trip_import_then_summary_gives_the_imported_numbers(small, files):
    cfg, engine = small
    rows = (["2024-05-03;97231;Flicka;4;Övrigt;Polis"] * 7 +
            ["2024-05-20;97333;Pojke;13;Skolfrånvaro;Skola"] * 6)
    code, out, err = cli(cfg, "import", files("maj.csv", events(*rows)), "--matt",
                         "orosanmalningar", "--vem", "strateg")
    assert code == 0, err
    assert "Sparade batch" in out
    code, out, _ = cli(cfg, "summary", "orosanmalningar", "--manad", "2024-05", "--per", "kon")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype={"antal": str})
    assert dict(zip(table["kon"], table["antal"])) == {"K": "7", "M": "6"}


def test_dry_run_prints_rows_months_and_problems(small, files):
    cfg, engine = small
    before = snapshot(engine, cfg)
    good = files("ok.csv", events("2023-02-10;97231;Pojke;15;Skolfrånvaro;Skola",
                                  "2023-04-10;97231;Pojke;15;Skolfrånvaro;Skola",
                                  header=HEADER + ";Namn"))
    code, out, _ = cli(cfg, "import", good, "--matt", "orosanmalningar", "--dry-run")
    assert code == 0
    assert "Rader lästa: 2" in out and "Rader som sparas: 2" in out
    assert "Påverkade månader: 1 nya, 1 ersätts" in out
    assert "2023-02  ersätts" in out and "2023-04  ny" in out
    assert "Kolumner som inte sparas: Namn" in out
    bad = files("bad.csv", events("2023-02-10;12;Pojke;15;Skolfrånvaro;Skola",
                                  "2023-02-11;97231;Pojke;15;Grannbråk;Skola"))
    code, out, err = cli(cfg, "import", bad, "--matt", "orosanmalningar", "--dry-run")
    assert code == 1
    assert "Problem (2):" in out and "”12”" in out and "”Grannbråk”" in out
    assert "Okända värden i ”orsak”: Grannbråk" in out
    assert "Inget har sparats" in err
    assert snapshot(engine, cfg) == before


def test_replacing_needs_ja_when_nobody_can_be_asked(small, files):
    cfg, engine = small
    before = snapshot(engine, cfg)
    path = files("feb.csv", events("2023-02-10;97231;Pojke;15;Skolfrånvaro;Skola"))
    code, _, err = cli(cfg, "import", path, "--matt", "orosanmalningar")
    assert code == 1
    assert "skulle ersätta 1 perioder" in err and "Lägg till --ja" in err
    assert snapshot(engine, cfg) == before
    code, out, _ = cli(cfg, "import", path, "--matt", "orosanmalningar", "--ja")
    assert code == 0


def test_replacing_asks_on_a_terminal(small, files, monkeypatch):
    cfg, engine = small
    path = files("feb.csv", events("2023-02-10;97231;Pojke;15;Skolfrånvaro;Skola"))
    before = snapshot(engine, cfg)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for answer, code_expected, changed in (("nej\n", 1, False), ("ja\n", 0, True)):
        monkeypatch.setattr("builtins.input", lambda prompt, a=answer: a.strip())
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setenv("LAGESBILD_DB_URL", cfg.db_url)
        monkeypatch.setattr(sys, "stdin", Terminal())
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["import", path, "--matt", "orosanmalningar"])
        assert code == code_expected
        assert (snapshot(engine, cfg) != before) == changed


def test_batches_and_undo_from_the_command_line(small):
    cfg, engine = small
    code, out, _ = cli(cfg, "batches")
    assert code == 0
    assert "oros_2023.csv" in out and "befolkning.csv" in out and "Orosanmälningar" in out
    last = int(store.read_batches(engine)["id"].max())
    code, _, err = cli(cfg, "undo", str(last))
    assert code == 1 and "--ja" in err
    code, out, _ = cli(cfg, "undo", str(last), "--ja")
    assert code == 0 and f"Tog bort batch {last}" in out
    assert store.read_counts(engine, cfg.catalogue.measure("orosanmalningar")).empty


@pytest.mark.parametrize("argv, code, message", [
    (["import", "x.csv"], 2, "Fel i kommandot"),
    (["import", "x.csv", "--matt", "skostorlek"], 2, "Okänt mått ”skostorlek”"),
    (["import", "x.csv", "--matt", "kia", "--profil", "ingen_sadan"], 2, "Okänd profil"),
    (["import", "x.csv", "--matt", "orosanmalningar", "--profil", "kia"], 2,
     "Profilen kia gäller kia"),
    (["import", "x.csv", "--matt", "kia", "--uttag", "5 nov"], 2, "ÅÅÅÅ-MM-DD"),
    (["import", "/finns/inte.csv", "--matt", "kia"], 1, "går inte att läsa"),
    (["undo", "999", "--ja"], 2, "Det finns ingen batch 999"),
    (["undo", "sju"], 2, "Fel i kommandot"),
])
def test_cli_exit_codes(small, argv, code, message):
    cfg, _ = small
    got, _, err = cli(cfg, *argv)
    assert got == code
    assert message in err


def test_personnummer_stop_the_import_with_exit_1(small, files):
    cfg, engine = small
    before = snapshot(engine, cfg)
    path = files("pnr.csv", events("2023-02-10;97231;Pojke;15;Skolfrånvaro;Skola;"
                                   "811218-9876", header=HEADER + ";Pnr"))
    code, out, err = cli(cfg, "import", path, "--matt", "orosanmalningar", "--ja")
    assert code == 1
    assert "kolumnen ”Pnr”" in out and "personnummer" in out
    assert "811218" not in out + err
    assert snapshot(engine, cfg) == before


# --- a killed import -------------------------------------------------------------------------

KILLED = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from lagesbild.store import ingest
    from lagesbild import store
    from lagesbild.config import Config

    cfg = Config(db_url=sys.argv[1], demo=False, profiles=Path(sys.argv[3]))
    engine = store.connect(cfg.db_url)
    plan = ingest.plan(engine, cfg, Path(sys.argv[2]).read_bytes(), "stor.csv",
                       "orosanmalningar")
    assert plan.ok, plan.problems

    def stop_here(fraction, text):  # rows are written, the transaction is still open
        print("WRITING", flush=True)
        time.sleep(120)

    ingest.commit(engine, cfg, plan, progress=stop_here)
""")


def test_an_import_killed_midway_leaves_the_earlier_data(small, tmp_path):
    cfg, engine = small
    oros = cfg.catalogue.measure("orosanmalningar")
    before = store.read_counts(engine, oros)
    batches_before = len(store.read_batches(engine))
    rows = [f"2023-{m:02d}-{d:02d};{pc};{kon};{age};Övrigt;Polis" for m in (1, 2, 3)
            for d in range(1, 28) for pc in ("97231", "97333", "97345")
            for kon in ("Flicka", "Pojke") for age in range(0, 21)]
    big = tmp_path / "stor.csv"
    big.write_bytes(events(*rows))
    proc = subprocess.Popen([sys.executable, "-c", KILLED, cfg.db_url, str(big),
                             str(cfg.profiles)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "WRITING", proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    engine.dispose()
    again = store.connect(cfg.db_url)
    pd.testing.assert_frame_equal(store.read_counts(again, oros), before)
    assert len(store.read_batches(again)) == batches_before
