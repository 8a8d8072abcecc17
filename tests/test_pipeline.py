"""Reading, normalising, validating and storing exports, with small inputs built in code."""

import pandas as pd
import pytest

from lagesbild import store
from lagesbild.analysis import aggregate
from lagesbild.config import Config
from lagesbild.errors import DataError, UnknownError
from lagesbild.intake import load, normalize, validate
from lagesbild.store import ingest

CFG = Config()
CAT = CFG.catalogue
OROS = CAT.measure("orosanmalningar")

EVENTS_CSV = (
    "Aktualiseringar barn och unga – uttag 2026-11-05\n"
    "\n"
    "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare\n"
    "2023-01-05;972 31;Flicka;4;Våld mot barnet;Polis\n"
    "2023-01-20;97231;Flicka;3;Våld mot barnet;Polis\n"
    "2023-02-02;SE-973 33;Pojke;15;Skolfrånvaro;Skola\n"
    "Summa;;;;;\n"
).encode("cp1252")


def test_reads_cp1252_csv_with_title_and_total_rows():
    [sheet] = load.read_export(EVENTS_CSV, "oros.csv", OROS)
    assert list(sheet.frame.columns) == ["date", "postnummer", "kon", "alder", "orsak",
                                         "anmalare", "_rad"]
    assert len(sheet.frame) == 3
    assert sheet.frame["_rad"].tolist() == [4, 5, 6]  # row numbers as Excel shows them


def test_event_rows_become_monthly_counts():
    sheets = load.read_export(EVENTS_CSV, "oros.csv", OROS)
    tidy, rows_read = normalize.counts(sheets, OROS, CAT)
    assert rows_read == 3
    # Single years are kept beside the age group, so any later grouping can be derived.
    expected = pd.DataFrame({
        "month": pd.to_datetime(["2023-01-01", "2023-01-01", "2023-02-01"]),
        "postnummer": ["97231", "97231", "97333"], "kon": ["K", "K", "M"],
        "aldersgrupp": ["0-5", "0-5", "12-17"],
        "orsak": ["vald_mot_barnet", "vald_mot_barnet", "skolfranvaro"],
        "anmalare": ["polis", "polis", "skola"], "alder": pd.array([3, 4, 15], dtype="Int64"),
        "storhet": ["antal"] * 3, "antal": [1, 1, 1],
    }).astype({c: "object" for c in ["postnummer", "kon", "aldersgrupp", "orsak", "anmalare",
                                      "storhet"]})
    pd.testing.assert_frame_equal(tidy, expected)
    validate.counts(tidy, OROS, CAT)


def test_bad_values_are_reported_with_file_row_and_column():
    bad = EVENTS_CSV.replace("972 31".encode(), b"12").replace("Polis".encode(), b"Grannen", 1)
    sheets = load.read_export(bad, "oros.csv", OROS)
    with pytest.raises(DataError, match=r"oros.csv, rad 4, kolumn ”Postnummer”: ”12”") as info:
        normalize.counts(sheets, OROS, CAT)
    assert "rad 4, kolumn ”Anmälare”: ”Grannen” finns inte i katalogens lista" in str(info.value)


def test_missing_column_names_the_column_and_the_fix():
    data = "Månad;Kön;Antal\n2023-01;K;3\n".encode()
    sheets = load.read_export(data, "oros_2023.csv", OROS)
    with pytest.raises(DataError, match="kolumnen ”Postnummer” saknas.*rubrikraden"):
        normalize.counts(sheets, OROS, CAT)


@pytest.mark.parametrize("data, name, message", [
    (b"", "tom.csv", "tom.csv är tom"),
    (b"a;b\n1;2\n", "x.csv", "Hittar ingen rubrikrad i x.csv"),
    (b"not excel", "x.xlsx", "går inte att läsa som Excel-fil"),
    (b"1", "x.pdf", "filtypen .pdf stöds inte"),
])
def test_unusable_files(data, name, message):
    with pytest.raises(DataError, match=message):
        load.read_export(data, name, OROS)


def test_schema_lists_every_problem_in_swedish():
    frame = pd.DataFrame({
        "month": pd.to_datetime(["2023-01-01", "2023-01-15"]), "postnummer": ["97231", "0123"],
        "kon": ["K", "M"], "aldersgrupp": ["0-5", "0-5"], "orsak": ["ovrigt", "ovrigt"],
        "anmalare": ["polis", "polis"], "storhet": ["antal", "antal"], "antal": [1, -2]})
    with pytest.raises(DataError) as info:
        validate.counts(frame, OROS, CAT)
    text = str(info.value)
    assert "kolumn ”antal”, värde ”-2”: är för litet" in text
    assert "kolumn ”postnummer”, värde ”0123”: har fel format" in text
    assert "kolumn ”month”" in text


def _population(year=2023):
    rows = [(year, pc, kon, age, 10) for pc in ("97231", "97333") for kon in ("K", "M")
            for age in range(0, 101)]
    return pd.DataFrame(rows, columns=["ar", "postnummer", "kon", "alder", "antal"])


def test_store_round_trip_and_replacing_months(tmp_path):
    engine = store.connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    tidy, n = normalize.counts(load.read_export(EVENTS_CSV, "oros.csv", OROS), OROS, CAT)
    first = store.write_counts(engine, OROS, tidy, source="oros.csv", digest="x", rows_read=n)
    back = store.read_counts(engine, OROS)
    assert back["antal"].sum() == 3
    assert isinstance(back["orsak"].dtype, pd.CategoricalDtype)
    # Importing January again replaces January only.
    again = tidy[tidy["month"] == "2023-01-01"].assign(antal=7)
    second = store.write_counts(engine, OROS, again, source="jan.csv", digest="y", rows_read=1)
    back = store.read_counts(engine, OROS)
    assert second > first
    assert back.groupby("month")["antal"].sum().tolist() == [7 * len(again), 1]
    assert store.fingerprint(engine)[0] == 2


def test_summary_rates_use_the_target_population():
    frame = pd.DataFrame({
        "month": pd.to_datetime(["2023-01-01", "2023-06-01", "2024-01-01"]),
        "postnummer": ["97231", "97333", "97231"], "kon": ["K", "M", "K"],
        "aldersgrupp": ["0-5", "6-11", "0-5"], "orsak": ["ovrigt"] * 3,
        "anmalare": ["polis"] * 3, "storhet": ["antal"] * 3, "antal": [6, 9, 100]})
    out = aggregate.summary(frame, _population(), OROS, aggregate.Period.year(2023), ["kon"])
    # Target group 0–20 years: 21 ages × 10 persons × 2 postnummer per sex = 420.
    assert out["kon"].tolist() == ["K", "M"]
    assert out["antal"].tolist() == [6, 9]
    assert out["befolkning"].tolist() == [420, 420]
    assert out["per_1000"].round(3).tolist() == [round(6000 / 420, 3), round(9000 / 420, 3)]


def test_summary_rejects_unknown_dimensions():
    with pytest.raises(UnknownError, match="ingen dimension ”skostorlek”"):
        aggregate.summary(pd.DataFrame(), _population(), OROS, aggregate.Period.year(2023),
                          ["skostorlek"])


def test_headline_compares_month_last_year_and_rolling_12():
    months = pd.date_range("2022-01-01", "2023-12-01", freq="MS")
    frame = pd.DataFrame({"month": months, "storhet": "antal",
                          "antal": [10] * 12 + [20] * 12})
    h = aggregate.headline(frame, OROS, pd.Timestamp("2023-12-01"))
    assert (h.month_value, h.month_last_year) == (20, 10)
    assert (h.rolling12, h.rolling12_before) == (240, 120)
    assert h.change_pct == 100
    assert len(h.trend) == 24


def test_latest_complete_month_ignores_the_current_month():
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-11-01"])})
    assert aggregate.latest_complete_month(frame, pd.Timestamp("2026-11-22")) == \
        pd.Timestamp("2026-10-01")


def test_open_store_loads_demo_only_when_asked(tmp_path):
    cfg = Config(db_url=f"sqlite:///{tmp_path / 'x.sqlite'}", demo=False)
    engine = ingest.open_store(cfg)
    assert store.is_empty(engine)


@pytest.mark.parametrize("url", [
    "postgresql://lagesbild:hemligt@127.0.0.1:1/lagesbild",
    "sqlite:////no/such/folder/x.sqlite",
    "inte-en-url",
])
def test_a_store_that_cannot_be_opened_gets_a_swedish_message(url):
    from lagesbild.errors import LagesbildError

    # ConfigError for a malformed URL, StoreError for a server that refuses or a missing folder
    with pytest.raises(LagesbildError,
                       match="går inte att (öppna|nå).*LAGESBILD_DB_URL") as info:
        store.connect(url)
    assert "hemligt" not in str(info.value)
