"""The committed demo files: formats, calibration to published figures, patterns, determinism.

Reads data/demo directly with pandas and openpyxl, so a broken loader cannot hide a broken
demo file (and the other way round).
"""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from conftest import requires_shared

from lagesbild.config import ROOT, Config
from lagesbild.geo.geonames import read_geonames
from tools.demo import HIGH_RATE_POSTNUMMER, generate

DEMO = ROOT / "data" / "demo"
MONTHS = {str(p) for p in pd.period_range("2019-01", "2026-10", freq="M")}
FILES = ["befolkning_scb.csv", "orosanmalningar_combine.csv", "vald_i_nara_relation.xlsx",
         "skadligt_bruk.csv", "vrakningar_kronofogden.xlsx", "skuldradgivning.csv",
         "akutboende.xlsx", "kia_incidenter.xlsx", "insatser.csv", "README.md"]


@pytest.fixture(scope="module")
def cat():
    return Config.from_env({}).catalogue


def _csv(name: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(DEMO / name, sep=";", dtype=str, keep_default_na=False, **kwargs)


def _xlsx(name: str, sheet: str, header_row: int) -> pd.DataFrame:
    """A sheet as text columns, with the header on Excel row *header_row*."""
    ws = openpyxl.load_workbook(DEMO / name, read_only=True)[sheet]
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.fixture(scope="module")
def population():
    frame = _csv("befolkning_scb.csv")
    return frame.assign(År=frame["År"].astype(int), Antal=frame["Antal"].astype(int),
                        age=frame["Ålder"].str.rstrip("+").astype(int))


@pytest.fixture(scope="module")
def oros():
    frame = _csv("orosanmalningar_combine.csv", encoding="cp1252", skiprows=2)
    date = pd.to_datetime(frame["Inkomstdatum"], format="%Y-%m-%d")
    return frame.assign(date=date, year=date.dt.year, month=date.dt.to_period("M").astype(str),
                        pn=frame["Postnummer"].str.replace(" ", ""),
                        age=frame["Ålder"].astype(int))


@pytest.fixture(scope="module")
def vald():
    return _xlsx("vald_i_nara_relation.xlsx", "Ärenden", 3)


@pytest.fixture(scope="module")
def evictions():
    return _xlsx("vrakningar_kronofogden.xlsx", "Vräkningar", 1)


def test_every_file_is_there():
    # The files, and the demo's releases (published once when the demo was made).
    assert sorted(p.name for p in DEMO.iterdir()) == sorted([*FILES, "publicering.arrow"])


def test_the_shipped_releases_were_made_from_these_files(tmp_path):
    from lagesbild.release import publish
    from lagesbild.store import ingest, releases

    cfg = Config(db_url=f"sqlite:///{tmp_path / 'd.sqlite'}", demo=False)
    engine = ingest.open_store(cfg)
    ingest.load_demo(engine, cfg)
    assert publish.import_releases(engine, DEMO / publish.DEMO_RELEASES) == len(MONTHS)
    assert {r.month for r in releases.listed(engine)} == MONTHS


def test_total_size_stays_small():
    assert sum((DEMO / f).stat().st_size for f in FILES) < 6_000_000


# ----------------------------------------------------------------------------- formats

def test_csv_headers_and_encodings():
    first = {name: (DEMO / name).read_bytes().split(b"\n", 3) for name in
             ["befolkning_scb.csv", "orosanmalningar_combine.csv", "skadligt_bruk.csv",
              "skuldradgivning.csv", "insatser.csv"]}
    assert first["befolkning_scb.csv"][0] == "År;Postnummer;Kön;Ålder;Antal".encode()
    title, empty, header = (line.rstrip(b"\r") for line in first["orosanmalningar_combine.csv"][:3])
    assert title.decode("cp1252") == (
        "Aktualiseringar barn och unga 0–20 år, Luleå kommun. "
        "Uttag ur Combine 2026-11-05 (SYNTETISKA DEMODATA)")
    assert b"\x96" in title  # the en dash, as Windows-1252
    assert empty == b""
    assert header.decode("cp1252") == (
        "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare")
    bruk = first["skadligt_bruk.csv"][0].rstrip(b"\r")
    assert bruk == "\ufeffMånad;Postnummer;Kön;Åldersgrupp;Orsak;Anmälare;Antal".encode()
    assert first["skuldradgivning.csv"][0] == "Månad;Kön;Åldersgrupp;Typ av kontakt;Antal".encode()
    assert first["insatser.csv"][0] == b"Postnummer;Start;Insats;Beskrivning"


def test_workbook_layouts():
    def rows(name, sheet, n):
        ws = openpyxl.load_workbook(DEMO / name, read_only=True)[sheet]
        return [tuple(c for c in r if c is not None) for r in ws.iter_rows(max_row=n,
                                                                           values_only=True)]

    assert rows("vald_i_nara_relation.xlsx", "Ärenden", 3) == [
        ("Våld i nära relation – nya ärenden per månad, Luleå (SYNTETISKA DEMODATA)",), (),
        ("Månad", "Postnummer", "Kön", "Åldersgrupp", "Typ av våld", "Antal")]
    assert rows("vrakningar_kronofogden.xlsx", "Vräkningar", 1) == [
        ("Månad", "Postnummer", "Skede", "Barn berörda", "Antal ärenden", "Antal berörda barn")]
    assert rows("akutboende.xlsx", "Beläggning", 1) == [
        ("Månad", "Kön", "Belagda nätter", "Unika gäster under månaden")]
    assert rows("akutboende.xlsx", "Platser", 1) == [("Månad", "Platser")]
    assert rows("kia_incidenter.xlsx", "KIA", 4) == [
        ("Hot- och våldsincidenter mot personal rapporterade i KIA",),
        ("Socialförvaltningen, Luleå (SYNTETISKA DEMODATA)",), (),
        ("Månad", "Enhet", "Typ av incident", "Allvarlighetsgrad", "Antal")]


def test_vald_summa_row_is_the_total(vald):
    assert vald["Månad"].iloc[-1] == "Summa"
    body = vald.iloc[:-1]
    assert vald["Antal"].iloc[-1] == body["Antal"].sum()
    assert (body["Antal"] > 0).all()
    assert set(body["Kön"]) == {"Kvinna", "Man"}


def test_labels_come_from_the_catalogue(cat, oros, vald, evictions):
    def labels(measure, dim):
        return set(cat.measure(measure).dimensions[dim].categories.values())

    def groups(name):
        return {g.code for g in cat.age_groupings[name]}

    bruk = _csv("skadligt_bruk.csv", encoding="utf-8-sig")
    skuld = _csv("skuldradgivning.csv")
    kia = _xlsx("kia_incidenter.xlsx", "KIA", 4)
    assert set(oros["Aktualiseringsorsak"]) == labels("orosanmalningar", "orsak")
    assert set(oros["Anmälare"]) == labels("orosanmalningar", "anmalare")
    assert set(oros["Kön"]) == {"Flicka", "Pojke"}
    assert oros["age"].between(0, 20).all()
    assert set(vald["Typ av våld"].iloc[:-1]) == labels("vald_i_nara_relation", "valdtyp")
    assert set(vald["Åldersgrupp"].iloc[:-1]) == groups("alla")
    assert set(bruk["Orsak"]) == labels("skadligt_bruk", "orsak")
    assert set(bruk["Anmälare"]) == labels("skadligt_bruk", "anmalare")
    assert set(bruk["Åldersgrupp"]) == set(skuld["Åldersgrupp"]) == groups("vuxna")
    assert set(skuld["Typ av kontakt"]) == labels("skuldradgivning", "typ")
    assert set(evictions["Skede"]) == labels("vrakningar", "skede")
    assert set(evictions["Barn berörda"]) == labels("vrakningar", "barn_berorda")
    assert set(kia["Enhet"]) <= labels("kia", "enhet")
    assert set(kia["Typ av incident"]) == labels("kia", "typ")
    assert set(kia["Allvarlighetsgrad"]) == labels("kia", "allvarlighet")
    assert (evictions.loc[evictions["Barn berörda"] == "Nej", "Antal berörda barn"] == 0).all()
    assert (bruk["Antal"].astype(int) > 0).all() and (kia["Antal"] > 0).all()


@requires_shared
def test_postnummer_are_residential_codes(oros, vald, evictions, population):
    residential = set(read_geonames()["postnummer"])
    found = {
        "befolkning": set(population["Postnummer"]),
        "oros": set(oros["pn"]),
        "vald": set(vald["Postnummer"].iloc[:-1].str.replace(" ", "")),
        "bruk": set(_csv("skadligt_bruk.csv", encoding="utf-8-sig")["Postnummer"]),
        "vrakningar": {str(v) for v in evictions["Postnummer"]},
        "insatser": set(_csv("insatser.csv")["Postnummer"]),
    }
    for name, codes in found.items():
        assert all(re.fullmatch(r"[1-9]\d{4}", c) for c in codes), name
        assert codes <= residential, name
    assert found["befolkning"] == residential
    assert vald["Postnummer"].iloc[:-1].str.fullmatch(r"\d{3} \d{2}").all()
    compact = oros["Postnummer"].str.fullmatch(r"\d{5}").mean()
    assert 0.05 < compact < 0.15
    assert oros["Postnummer"].str.fullmatch(r"\d{5}|\d{3} \d{2}").all()


def test_months_cover_2019_01_to_2026_10(oros, vald, evictions):
    monthly = {
        "oros": set(oros["month"]),
        "vald": set(vald["Månad"].iloc[:-1]),
        "bruk": set(_csv("skadligt_bruk.csv", encoding="utf-8-sig")["Månad"]),
        "vrakningar": set(evictions["Månad"]),
        "skuld": set(_csv("skuldradgivning.csv")["Månad"]),
        "akut": set(_xlsx("akutboende.xlsx", "Beläggning", 1)["Månad"]),
        "platser": set(_xlsx("akutboende.xlsx", "Platser", 1)["Månad"]),
        "kia": set(_xlsx("kia_incidenter.xlsx", "KIA", 4)["Månad"]),
    }
    for name, months in monthly.items():
        assert months == MONTHS, name
    assert len(_xlsx("akutboende.xlsx", "Platser", 1)) == len(MONTHS)


# ----------------------------------------------------------------------------- calibration

def test_orosanmalningar_2021_and_2023_exact(oros):
    counts = oros.groupby(["year", "Kön"]).size()
    assert counts[(2021, "Flicka")] == 1_228
    assert counts[(2021, "Pojke")] == 1_394
    assert counts[(2023, "Flicka")] == 1_997
    assert counts[(2023, "Pojke")] == 1_710
    totals = oros.groupby("year").size()
    assert totals[2021] == 2_622 and totals[2023] == 3_707
    assert totals.loc[2019:2025].is_monotonic_increasing


def test_population_totals(population):
    totals = population.groupby("År")["Antal"].sum()
    assert list(totals.index) == list(range(2018, 2026))
    assert totals[2023] == 79_352
    assert totals[2024] == 79_650
    assert 77_000 < totals[2018] < 77_600 and 79_900 < totals[2025] < 80_500
    women = population[(population["År"] == 2023) & (population["Kön"] == "kvinnor")]
    assert abs(women["Antal"].sum() - 38_803) <= 5
    assert round(women["Antal"].sum() / 79_352 * 100, 1) == 48.9
    assert set(population["Kön"]) == {"kvinnor", "män"}
    assert set(population["Ålder"]) <= {str(a) for a in range(100)} | {"100+"}
    children = population[population["age"] <= 20].groupby("År")["Antal"].sum() / totals
    assert children.between(0.22, 0.25).all()


def test_evictions_affecting_children(evictions, population):
    totals = population.groupby("År")["Antal"].sum()
    executed = evictions[(evictions["Skede"] == "Verkställd")
                         & (evictions["Barn berörda"] == "Ja")]
    per_year = executed.groupby(executed["Månad"].str[:4])["Antal ärenden"].sum()
    assert per_year["2023"] == 8 and per_year["2024"] == 5
    assert round(8 / totals[2023] * 100_000, 1) == 10.1
    assert round(5 / totals[2024] * 100_000, 1) == 6.3


def test_akutboende_january_to_may_2025():
    nights = _xlsx("akutboende.xlsx", "Beläggning", 1)
    spring = nights[nights["Månad"].between("2025-01", "2025-05")]
    assert spring["Belagda nätter"].sum() == 1_209
    places = _xlsx("akutboende.xlsx", "Platser", 1).set_index("Månad")["Platser"]
    per_month = nights.groupby("Månad")["Belagda nätter"].sum()
    days = pd.PeriodIndex(per_month.index, freq="M").days_in_month
    assert (per_month.to_numpy() <= places[per_month.index].to_numpy() * days).all()


# ----------------------------------------------------------------------------- patterns

def test_school_reports_dip_in_july(oros):
    school = oros[oros["Anmälare"].isin(["Skola", "Förskola"])]
    per_month = school.groupby(["year", school["date"].dt.month]).size().unstack(fill_value=0)
    term = per_month[[9, 10, 11, 12, 1, 2, 3, 4, 5]].stack().mean()
    assert per_month[7].mean() < 0.3 * term
    overall = oros.groupby(["year", oros["date"].dt.month]).size().unstack().mean()
    assert overall.idxmin() == 7


def test_action_area_falls_after_start(oros, population):
    action = _csv("insatser.csv")
    assert len(action) == 1 and action["Start"].iloc[0] == "2024-09-01"
    code = action["Postnummer"].iloc[0]
    assert code not in HIGH_RATE_POSTNUMMER
    children = population[(population["Postnummer"] == code) & (population["age"] <= 20)]
    kids = children.groupby("År")["Antal"].sum()
    area = oros[oros["pn"] == code]
    before = area["month"].between("2023-09", "2024-08").sum() / kids[2024]
    after = area["month"].between("2024-09", "2025-08").sum() / kids[2025]
    assert after <= 0.7 * before
    rest = oros[oros["pn"] != code]
    assert rest["month"].between("2024-09", "2025-08").sum() > \
        rest["month"].between("2023-09", "2024-08").sum()


def test_three_areas_have_clearly_higher_rates(oros, population):
    kids = population[(population["År"] == 2023) & (population["age"] <= 20)]
    kids = kids.groupby("Postnummer")["Antal"].sum()
    counts = oros[oros["year"] == 2023].groupby("pn").size().reindex(kids.index, fill_value=0)
    ratio = (counts / kids) / (counts.sum() / kids.sum())
    assert ratio[list(HIGH_RATE_POSTNUMMER)].between(1.8, 2.8).all()
    big = kids[kids >= 300].index.difference(HIGH_RATE_POSTNUMMER)
    assert ratio[big].max() < 1.6


def test_orosanmalningar_distributions(oros):
    boys = (oros["Kön"] == "Pojke").mean()
    assert 0.45 < boys < 0.56
    assert 0.6 < (oros["age"] <= 12).mean() < 0.72
    violence = oros["Aktualiseringsorsak"].isin(
        ["Våld mot barnet", "Barnet bevittnat våld i nära relation"]).mean()
    assert 0.15 < violence < 0.25
    top = oros["Anmälare"].value_counts().index[:2]
    assert set(top) == {"Polis", "Skola"}


# ----------------------------------------------------------------------------- determinism

@requires_shared
def test_generate_reproduces_the_committed_files(tmp_path):
    written = generate(tmp_path)
    assert sorted(p.name for p in written) == sorted(FILES)
    for path in written:
        if path.suffix == ".xlsx":  # the XML's bytes depend on whether lxml is installed
            assert _cells(path) == _cells(DEMO / path.name), path.name
        else:
            assert path.read_bytes() == (DEMO / path.name).read_bytes(), path.name


def _cells(path):
    """Every sheet's name, cell values and column widths."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    return [(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)],
             {k: d.width for k, d in sheet.column_dimensions.items()})
            for sheet in book.worksheets]
