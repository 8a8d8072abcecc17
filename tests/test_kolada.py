"""Kolada: the catalogue, the API client against a local server answering in Kolada's v3
format (paging, a timeout, no network), the cache in the store, Kolada's own export, the
comparison table with our own protected rate, and the command line."""

import dataclasses
import io
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl
import pandas as pd
import pytest
from conftest import ROOT

from lagesbild import cli, store
from lagesbild.analysis import aggregate
from lagesbild.config import Config
from lagesbild.errors import DataError
from lagesbild.intake import kolada, kolada_export
from lagesbild.store import ingest
from lagesbild.store import kolada as cache
from lagesbild.views import breakdown as bd
from lagesbild.views import comparison, source
from lagesbild.release import publish

FIXTURES = ROOT / "tests" / "fixtures" / "kolada"
CFG = Config.from_env()
COMP = kolada.load_comparison(CFG.jamforelse, CFG.catalogue)
YEARS = [2022, 2023]


class _Kolada(BaseHTTPRequestHandler):
    """Answers like api.kolada.se/v3 from the recorded-shape fixtures."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        server.requests.append(self.path)
        if server.mode == "slow":
            time.sleep(1.5)
        if server.mode == "error":
            self.send_response(503)
            self.end_headers()
            return
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        page = int(urllib.parse.parse_qs(url.query).get("page", ["1"])[0])
        base = f"http://127.0.0.1:{server.server_port}/v3"
        answer = {"count": 0, "values": []}
        if parts[:3] == ["v3", "data", "kpi"] and len(parts) == 8:
            path = FIXTURES / f"data_{parts[3]}_{page}.json"
            if path.exists():
                text = (path.read_text(encoding="utf-8").replace("{base}", base)
                        .replace("{areas}", parts[5]).replace("{years}", parts[7]))
                answer = json.loads(text)
                areas, years = parts[5].split(","), [int(y) for y in parts[7].split(",")]
                answer["values"] = [v for v in answer["values"]
                                    if v["municipality"] in areas and v["period"] in years]
                if server.mode == "elsewhere" and "next_page" in answer:
                    answer["next_page"] = "http://example.org/v3/data?page=2"
        elif parts[:2] == ["v3", "kpi"]:
            answer = json.loads((FIXTURES / "kpi.json").read_text(encoding="utf-8"))
            wanted = parts[2].split(",")
            answer["values"] = [v for v in answer["values"] if v["id"] in wanted]
        elif parts[:2] == ["v3", "municipality_groups"]:
            path = FIXTURES / f"municipality_groups_{parts[2]}.json"
            if path.exists():
                answer = json.loads(path.read_text(encoding="utf-8"))
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Kolada)
    httpd.requests, httpd.mode = [], "ok"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _client(httpd, timeout=5.0) -> kolada.Client:
    return kolada.Client(f"http://127.0.0.1:{httpd.server_port}/v3", timeout)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def engine(tmp_path):
    return store.connect(f"sqlite:///{tmp_path / 'kolada.sqlite'}")


# --- the catalogue -------------------------------------------------------------------------

def test_catalogue_names_the_areas_and_every_kpi_its_page_and_source():
    assert (COMP.kommun, COMP.lan[0], COMP.riket[0]) == ("2580", "0025", "0000")
    assert COMP.lan[1] == "Norrbottens län"
    assert set(COMP.similar) == {"2581", "2482", "2080", "2284", "1489"}
    assert COMP.areas()[:3] == ["2580", "0025", "0000"]
    for kpi in COMP.kpis.values():
        assert kpi.measure in CFG.catalogue.measures
        assert kpi.source_note, f"{kpi.id}: where the id came from is missing"
        assert kolada_export.KPI_ID.fullmatch(kpi.id)
        assert not kpi.own_rate or kpi.definition


def test_a_kpi_on_an_unknown_measure_is_refused(tmp_path):
    path = tmp_path / "j.yaml"
    path.write_text("nyckeltal:\n  N00001: {namn: X, matt: finns_inte}\n", encoding="utf-8")
    with pytest.raises(Exception, match="finns_inte.*inte finns i katalogen"):
        kolada.load_comparison(path, CFG.catalogue)


@pytest.mark.parametrize("text, years", [("2020-2022", [2020, 2021, 2022]),
                                         ("2021,2023", [2021, 2023]), ("2024", [2024])])
def test_years(text, years):
    assert kolada.parse_years(text) == years


def test_bad_years_say_how_to_write_them():
    with pytest.raises(kolada.KoladaError, match="2020-2025"):
        kolada.parse_years("förra året")


# --- the client ----------------------------------------------------------------------------

def test_client_asks_for_every_area_and_follows_the_next_page(server):
    areas = COMP.areas()
    values = _client(server).data("N31816", areas, YEARS)
    first, second = server.requests
    assert first == (f"/v3/data/kpi/N31816/municipality/{','.join(areas)}"
                     "/year/2022,2023")
    assert second.endswith("?page=2&per_page=4")
    assert len(values) == 16  # both pages: totals and sexes
    luleå = values[(values["kommun"] == "2580") & (values["ar"] == 2023)]
    assert dict(zip(luleå["kon"], luleå["varde"])) == {"T": 1.9, "K": 1.6, "M": 2.2}
    assert values["underlag"].dtype == "Int64"
    assert set(values["kommun"]) == {"2580", "0025", "0000", "2581", "2482"}


def test_client_keeps_status_flags_and_missing_values(server):
    values = _client(server).data("N33818", COMP.areas(), [2025])
    assert values.set_index("kommun").loc["2580", "status"] == "B"
    assert pd.isna(values.set_index("kommun").loc["2080", "varde"])


@pytest.mark.parametrize("answer", [
    {"values": [{"kpi": "N31816", "municipality": "2580", "period": "i fjol",
                 "values": [{"gender": "T", "value": 1.0}]}]},
    {"values": [{"kpi": "N31816", "period": 2023, "values": [{"value": 1.0}]}]},
    {"values": "inte en lista"}])
def test_an_answer_in_another_shape_is_refused(answer):
    with pytest.raises(kolada.KoladaError, match="inte den form"):
        kolada.parse_values(answer)


def test_an_answer_without_values_is_empty():
    assert kolada.parse_values({"values": [{"kpi": "N31816", "values": []}]}).empty
    assert kolada.parse_values({"count": 0, "values": []}).empty


def test_a_slow_answer_times_out_with_a_swedish_message(server):
    server.mode = "slow"
    started = time.monotonic()
    with pytest.raises(kolada.KoladaError, match="svarade inte inom 0,3 sekunder"):
        _client(server, timeout=0.3).data("N31816", COMP.areas(), YEARS)
    assert time.monotonic() - started < 1.4


def test_no_network_says_so_in_swedish():
    client = kolada.Client(f"http://127.0.0.1:{_closed_port()}/v3", 2.0)
    with pytest.raises(kolada.KoladaError, match="Kan inte nå Kolada.*sidan Import"):
        client.data("N31816", COMP.areas(), YEARS)


def test_an_error_answer_is_named(server):
    server.mode = "error"
    with pytest.raises(kolada.KoladaError, match=r"HTTP 503"):
        _client(server).data("N31816", COMP.areas(), YEARS)


def test_a_next_page_on_another_host_is_not_followed(server):
    server.mode = "elsewhere"
    with pytest.raises(kolada.KoladaError, match="annan adress"):
        _client(server).data("N31816", COMP.areas(), YEARS)
    assert len(server.requests) == 1


def test_kpi_titles_and_group_members(server):
    titles = _client(server).kpi_titles(["N31816", "N33818"])
    assert titles["N31816"]["by_sex"] and not titles["N33818"]["by_sex"]
    assert _client(server).group_members("G1") == {"2581": "Piteå", "2580": "Luleå",
                                                   "2482": "Skellefteå"}
    with pytest.raises(kolada.KoladaError, match="kommungruppen G9"):
        _client(server).group_members("G9")


# --- the cache -----------------------------------------------------------------------------

def test_fetch_stores_every_kpi_once_and_a_second_fetch_replaces_it(server, engine):
    done = cache.fetch(engine, _client(server), COMP, [2022, 2023, 2025])
    # N31816: 16 cells on two pages; N33818: 4, one of them without a value (kept, as Kolada has it)
    assert done.kpis == list(COMP.kpis) and done.rows == 16 + 4
    stored = cache.read_values(engine)
    assert len(stored) == done.rows and set(stored["source"]) == {"api"}
    again = cache.fetch(engine, _client(server), COMP, [2022, 2023, 2025])
    assert len(cache.read_values(engine)) == again.rows == done.rows
    assert cache.read_titles(engine)["N31816"]["title"].startswith("Vuxna med långvarigt")
    # The fixtures' /kpi answer knows two of the six: the others are named as unknown.
    assert done.unknown == ["N33009", "N35011", "N35025", "N31001"]
    assert "Kolada känner inte till N33009, N35011" in cache.unknown_note(done.unknown,
                                                                           "j.yaml")
    assert cache.unknown_note([], "j.yaml") is None


def test_fetch_without_network_leaves_the_cache_as_it_was(server, engine):
    cache.fetch(engine, _client(server), COMP, YEARS, ["N31816"])
    before = cache.read_values(engine)
    offline = kolada.Client(f"http://127.0.0.1:{_closed_port()}/v3", 1.0)
    with pytest.raises(kolada.KoladaError):
        cache.fetch(engine, offline, COMP, YEARS)
    pd.testing.assert_frame_equal(cache.read_values(engine), before)


def test_a_kolada_group_replaces_the_configured_list(server, engine):
    grouped = kolada.Comparison(**{**COMP.__dict__, "group": "G1"})
    done = cache.fetch(engine, _client(server), grouped, YEARS, ["N31816"])
    assert done.similar == {"2581": "Piteå", "2580": "Luleå", "2482": "Skellefteå"}
    asked = urllib.parse.unquote(server.requests[-3])  # group, data page 1, page 2, titles
    assert "/municipality/2580,0025,0000,2581,2482/" in asked
    assert cache.read_areas(engine) == {"2581": "Piteå", "2580": "Luleå", "2482": "Skellefteå"}


def test_a_group_member_outside_the_list_is_named_as_kolada_names_it(engine):
    values = kolada.frame([{"kpi": "N31816", "kommun": k, "ar": 2024, "kon": "T", "varde": v,
                            "status": "", "underlag": None}
                           for k, v in (("2580", 1.9), ("2584", 1.1))])
    cache.write_values(engine, values, "api")
    cache.write_areas(engine, {"2584": "Kiruna"})
    named = dataclasses.replace(COMP, areas_named=cache.read_areas(engine))
    view = comparison.kpi_view(cache.read_values(engine), COMP.kpis["N31816"], named,
                               CFG.catalogue)
    assert "Kiruna" in view.similar.columns and "Kiruna" in view.notes[0]


# --- Kolada's own export -------------------------------------------------------------------

def _xlsx_long() -> bytes:
    """An export as kolada.se gives it: title rows, then one value per row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Kolada – Vuxna med långvarigt ekonomiskt bistånd"])
    ws.append(["Hämtad 2026-11-20"])
    ws.append([])
    ws.append(["Kommun", "Kommun-id", "Nyckeltal-id", "Nyckeltal", "År", "Kön", "Värde",
               "Status"])
    for kommun, kid in (("Luleå", "2580"), ("Norrbottens län", "0025"), ("Riket", "0000"),
                        ("Piteå", "2581"), ("Kiruna", "2584")):
        for sex, value in (("Totalt", 1.9), ("Kvinnor", 1.6), ("Män", 2.2)):
            ws.append([kommun, kid, "N31816", "Vuxna med långvarigt ekonomiskt bistånd", 2024,
                       sex, value, ""])
    ws.append(["Luleå", "2580", "N31816", "Vuxna …", 2023, "Totalt", None, "Saknas"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv_wide() -> bytes:
    """One column per year, decimal commas, semicolons, Windows-1252, names without ids."""
    text = ("N31001 Kostnad ekonomiskt bistånd, kr/inv\n\n"
            "Område;2022;2023;2024\n"
            "Luleå;1 612,5;1 700;1 810\n"
            "Norrbottens län;1 400;1 455,2;..\n"
            "Riket;2 100;2 210;2 300\n"
            "Gällivare;900;950;990\n")
    return text.encode("cp1252")


def test_the_long_export_reads_ids_sexes_and_missing_values():
    read = kolada_export.read(_xlsx_long(), "kolada.xlsx", COMP)
    v = read.values
    assert len(v) == 13 and set(v["kpi"]) == {"N31816"}
    assert set(v["kommun"]) == {"2580", "0025", "0000", "2581"}
    assert "Kiruna" in read.skipped[0]  # not among the similar municipalities: left out
    row = v[(v["kommun"] == "2580") & (v["ar"] == 2023)].iloc[0]
    assert pd.isna(row["varde"]) and row["status"] == "Saknas"
    assert dict(zip(v[(v["kommun"] == "0000")]["kon"], v[(v["kommun"] == "0000")]["varde"])) \
        == {"T": 1.9, "K": 1.6, "M": 2.2}


def test_the_wide_export_takes_the_kpi_from_the_title_and_skips_unknown_areas():
    read = kolada_export.read(_csv_wide(), "kolada.csv", COMP)
    v = read.values.set_index(["kommun", "ar"])["varde"]
    assert v[("2580", 2022)] == 1612.5 and v[("0025", 2023)] == 1455.2
    assert pd.isna(v[("0025", 2024)])
    assert set(read.values["kpi"]) == {"N31001"} and set(read.values["kon"]) == {"T"}
    assert "Gällivare" in read.skipped[0]


def test_an_export_without_kpi_id_names_the_rows():
    text = "Kommun;År;Värde\nLuleå;2024;1,9\n".encode()
    with pytest.raises(DataError, match=r"rad 2: nyckeltalets id"):
        kolada_export.read(text, "utan_id.csv", COMP)


def test_an_export_value_that_is_no_number_is_refused():
    text = "Kommun;Nyckeltal-id;År;Värde\nLuleå;N31816;2024;mycket\n".encode()
    with pytest.raises(DataError, match=r"rad 2: värdet ”mycket” är inget tal"):
        kolada_export.read(text, "fel.csv", COMP)


def test_an_export_with_a_personnummer_is_refused():
    text = "Kommun;Nyckeltal-id;År;Värde;Anteckning\nLuleå;N31816;2024;1,9;19121212-1212\n"
    with pytest.raises(DataError, match="personnummer"):
        kolada_export.read(text.encode(), "kolada.csv", COMP)
    with pytest.raises(DataError, match="Filnamnet"):
        kolada_export.read(b"Kommun;Nyckeltal-id\n", "kolada 19121212-1212.csv", COMP)


def test_an_imported_export_is_cached_with_its_file_name(engine):
    read = kolada_export.read(_xlsx_long(), "kolada.xlsx", COMP)
    cache.write_values(engine, read.values, "kolada.xlsx")
    assert set(cache.read_values(engine)["source"]) == {"kolada.xlsx"}


# --- the comparison ------------------------------------------------------------------------

def _cached(server, engine) -> pd.DataFrame:
    cache.fetch(engine, _client(server), COMP, [2022, 2023, 2025])
    return cache.read_values(engine)


def test_the_table_puts_the_municipality_beside_county_riket_and_similar(server, engine):
    view = comparison.kpi_view(_cached(server, engine), COMP.kpis["N31816"], COMP,
                               CFG.catalogue, cache.read_titles(engine))
    t = view.table
    assert list(t.columns) == ["År", "Kön", "Luleå", "Norrbottens län", "Riket",
                               "Jämförbara kommuner (ovägt medel)", "Status (Kolada)"]
    top = t[(t["År"] == 2023) & (t["Kön"] == "Totalt")].iloc[0]
    assert (top["Luleå"], top["Norrbottens län"], top["Riket"]) == (1.9, 1.7, 2.4)
    assert top["Jämförbara kommuner (ovägt medel)"] == pytest.approx((1.2 + 1.8) / 2)
    assert set(t["Kön"]) == {"Totalt", "Kvinnor", "Män"}
    assert list(view.similar.columns) == ["År", "Kön", "Skellefteå", "Piteå"] or \
        set(view.similar.columns) == {"År", "Kön", "Skellefteå", "Piteå"}
    assert "nyckeltal N31816" in view.source and "Senaste år: 2023" in view.source
    assert view.title.startswith("Vuxna med långvarigt ekonomiskt bistånd")
    line = comparison.trend(view, COMP)
    assert list(line.index) == ["2022", "2023"] and line.loc["2023", "Riket"] == 2.4
    assert line.loc["2022", "Luleå"] == 2.1


def test_status_flags_are_shown_and_swedish_numbers_in_the_display(server, engine):
    view = comparison.kpi_view(_cached(server, engine), COMP.kpis["N33818"], COMP,
                               CFG.catalogue)
    assert view.table.iloc[0]["Status (Kolada)"] == "Luleå: B"
    shown = comparison.display(pd.DataFrame({"År": [2025], "Kön": ["Totalt"],
                                             "Luleå": [3011.0], "Riket": [6.25]}))
    assert shown.iloc[0]["Luleå"] == "3\u00a0011" and shown.iloc[0]["Riket"] in ("6,2", "6,3")


@pytest.fixture(scope="module")
def demo():
    engine = publish.open_store(CFG)
    measure = CFG.catalogue.measure("orosanmalningar")
    return measure, source.counts(engine, CFG, measure), store.read_population(engine)


def test_our_own_rate_is_the_published_one_and_only_for_whole_years(demo):
    measure, counts, population = demo
    years = sorted(counts["month"].dt.year.unique())
    rates = comparison.own_yearly_rates(counts, population, measure, years, CFG.threshold,
                                        by_sex=True)
    whole = [y for y in years if not bd.missing_months(
        counts, pd.date_range(f"{y}-01-01", f"{y}-12-01", freq="MS"))]
    assert sorted(set(rates["ar"])) == whole and whole
    year = whole[-1]
    expected = bd.rate(counts, population, measure, aggregate.Period.year(year),
                       measure.primary.code, CFG.threshold)
    total = rates[(rates["ar"] == year) & (rates["kon"] == "T")]["per_1000"].iloc[0]
    assert total == expected  # the same protected number as the page's
    girls = rates[(rates["ar"] == year) & (rates["kon"] == "K")]["per_1000"].iloc[0]
    assert girls is not None and girls != total


def test_the_own_rate_column_comes_with_the_definition_note(demo, server, engine):
    measure, counts, population = demo
    values = _cached(server, engine)
    views = comparison.measure_views(values, "orosanmalningar", COMP, CFG, counts, population)
    view = next(v for v in views if v.kpi.id == "N33818")
    assert view.own_column == "Egen: anmälningar per 1 000 barn och unga 0–20 år"
    assert any(n.startswith("Definitionerna skiljer sig") for n in view.notes)
    assert view.own_column in view.table.columns


# --- the command line ----------------------------------------------------------------------

def test_cli_fetch_show_and_import(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAGESBILD_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("LAGESBILD_DEMO", "0")
    url = f"http://127.0.0.1:{server.server_port}/v3"
    assert cli.main(["kolada", "hamta", "--ar", "2022-2023", "--url", url]) == 0
    out = capsys.readouterr()
    assert "Hämtade 16 värden för 6 nyckeltal (2022–2023)" in out.out
    assert "Kolada känner inte till N33009" in out.err
    assert cli.main(["kolada", "visa", "N31816"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "nyckeltal;omrade_id;omrade;ar;kon;varde;status;kalla;hamtad"
    assert "N31816;2580;Luleå;2023;T;1,9;;api;" in "\n".join(lines)
    path = tmp_path / "kolada.xlsx"
    path.write_bytes(_xlsx_long())
    assert cli.main(["kolada", "las-in", str(path)]) == 0
    assert "Läste in 13 värden för N31816 från kolada.xlsx" in capsys.readouterr().out


def test_cli_without_network_exits_1_with_the_swedish_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAGESBILD_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("LAGESBILD_DEMO", "0")
    url = f"http://127.0.0.1:{_closed_port()}/v3"
    assert cli.main(["kolada", "hamta", "--ar", "2024", "--url", url]) == 1
    assert "fel: Kan inte nå Kolada" in capsys.readouterr().err
    assert cli.main(["kolada", "visa", "N31816"]) == 1
    assert "Inga värden för N31816" in capsys.readouterr().err


# --- live ----------------------------------------------------------------------------------

def _reaches_kolada() -> bool:
    try:
        socket.create_connection(("api.kolada.se", 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _reaches_kolada(), reason="api.kolada.se kan inte nås härifrån "
                    "(inget nät): livetestet mot Kolada hoppas över.")
def test_live_kolada_answers_in_the_shape_we_read():
    values = kolada.Client(CFG.kolada_url, 30).data("N31816", COMP.areas(), [2022, 2023])
    assert not values.empty and set(values["kommun"]) >= {"2580", "0000"}
