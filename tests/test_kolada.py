"""Kolada: the catalogue checked against Kolada's own metadata, the API client against a local
server answering in Kolada's real v3 shapes (group members, next_url paging, isdeleted rows,
25 ids per path segment, a timeout, no network), the similar municipalities' group found by
title, the cache in the store, Kolada's own export, the comparison table with rank and our
own protected rate, the demo's snapshot, and the command line."""

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


def _fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["values"]


DATA = _fixture("data_made_up") + _fixture("data_N00945")
KPIS, AREAS, GROUPS = _fixture("kpi"), _fixture("municipality"), _fixture("municipality_groups")
PAGE = 4  # the largest page this server gives (Kolada's is 5000): small, so every test pages


class _Kolada(BaseHTTPRequestHandler):
    """Answers like api.kolada.se/v3: the fixtures' rows (real v3 shapes), filtered by the
    path, paged with ``next_url``; more than 25 ids in one path segment is refused, as Kolada
    does."""

    def _send(self, status: int, answer: dict | None = None) -> None:
        body = json.dumps(answer or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        server.requests.append(self.path)
        if server.mode == "slow":
            time.sleep(1.5)
        if server.mode == "error":
            return self._send(503)
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/")]
        if any(len(p.split(",")) > 25 for p in parts):
            return self._send(400, {"error": "too many ids"})
        segments = dict(zip(parts[2::2], parts[3::2]))  # /v3/data/kpi/…/year/…
        title = query.get("title", [""])[0].lower()
        if parts[:2] == ["v3", "data"]:
            kpis = segments["kpi"].split(",")
            areas = segments.get("municipality", "").split(",")
            years = [int(y) for y in segments["year"].split(",")]
            rows = [r for r in DATA if r["kpi"] in kpis and r["period"] in years
                    and (areas == [""] or r["municipality"] in areas)]
        else:
            rows = {"kpi": KPIS, "municipality": AREAS,
                    "municipality_groups": GROUPS + server.extra_groups}.get(parts[1], [])
            if len(parts) > 2:
                rows = [r for r in rows if r["id"] in parts[2].split(",")]
            rows = [r for r in rows if title in r["title"].lower()]
        per_page = min(int(query.get("per_page", [PAGE])[0]), PAGE)  # the server's cap
        page = int(query.get("page", ["1"])[0])
        answer = {"count": len(rows[(page - 1) * per_page:page * per_page]),
                  "values": rows[(page - 1) * per_page:page * per_page]}
        if page * per_page < len(rows):
            rest = {k: v[0] for k, v in query.items()} | {"page": page + 1, "per_page": per_page}
            host = ("http://example.org" if server.mode == "elsewhere"
                    else f"http://127.0.0.1:{server.server_port}")
            answer["next_url"] = f"{host}{url.path}?{urllib.parse.urlencode(rest)}"
        return self._send(200, answer)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Kolada)
    httpd.requests, httpd.mode, httpd.extra_groups = [], "ok", []
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
    assert COMP.lan[1] == "Region Norrbotten"  # Kolada's name for 0025 (type L)
    assert COMP.similar_kind == "IFO" and COMP.similar == {}  # Kolada's group, not ours
    assert COMP.areas()[:3] == ["2580", "0025", "0000"]
    assert COMP.names()["0025"] == "Region Norrbotten" and len(COMP.kolada_areas) == 312
    assert COMP.kolada_areas == {a["id"]: a["title"] for a in AREAS}  # as in the fixture
    for kpi in COMP.kpis.values():
        assert kpi.measure in CFG.catalogue.measures
        assert kpi.source_note, f"{kpi.id}: where the id came from is missing"
        assert kolada_export.KPI_ID.fullmatch(kpi.id)
        assert not kpi.own_rate or kpi.definition


def test_every_kpi_is_in_koladas_metadata_with_the_same_gender_split_and_unit():
    # kpi.json is Kolada's own v3 metadata (rKolada's dump): ids, titles, is_divided_by_gender.
    meta = {k["id"]: k for k in KPIS}
    for kpi in COMP.kpis.values():
        assert kpi.id in meta, f"{kpi.id} is not in Kolada's KPI list"
        assert kpi.by_sex == meta[kpi.id]["is_divided_by_gender"], kpi.id
        assert kpi.label.split(",")[0][:30] == meta[kpi.id]["title"].split(",")[0][:30], kpi.id
    assert meta["N33818"]["is_divided_by_gender"]  # the issue: it is divided by gender
    assert "18 år och äldre" in meta["N31816"]["description"]  # adults, not all inhabitants
    assert COMP.kpis["N31816"].unit == "% av invånare 18+"
    assert COMP.kpis["U30750"].unit == "antal/10 000 vuxna invånare"


def test_every_measure_has_kolada_figures_or_says_what_kolada_lacks():
    for code in CFG.catalogue.measures:
        assert COMP.for_measure(code) or code in COMP.without, code
    for code in ("orosanmalningar", "skuldradgivning", "kia"):
        assert "Kolada har inget" in COMP.without[code] or "Kolada har inga" in COMP.without[code]


def test_a_kpi_on_an_unknown_measure_is_refused(tmp_path):
    path = tmp_path / "j.yaml"
    path.write_text("nyckeltal:\n  N00001: {namn: X, matt: finns_inte}\n", encoding="utf-8")
    with pytest.raises(Exception, match="finns_inte.*inte finns i katalogen"):
        kolada.load_comparison(path, CFG.catalogue)


def test_an_unknown_group_kind_is_refused(tmp_path):
    path = tmp_path / "j.yaml"
    path.write_text("liknande: {typ: skolor}\n", encoding="utf-8")
    with pytest.raises(Exception, match="skolor.*IFO"):
        kolada.load_comparison(path, CFG.catalogue)


@pytest.mark.parametrize("text, years", [("2020-2022", [2020, 2021, 2022]),
                                         ("2021,2023", [2021, 2023]), ("2024", [2024])])
def test_years(text, years):
    assert kolada.parse_years(text) == years


def test_bad_years_say_how_to_write_them():
    with pytest.raises(kolada.KoladaError, match="2020-2025"):
        kolada.parse_years("förra året")


# --- the client ----------------------------------------------------------------------------

AREAS_5 = COMP.areas({"2581": "Piteå", "2482": "Skellefteå"})


def test_client_asks_for_every_area_and_follows_next_url(server):
    values = _client(server).data("N31816", AREAS_5, YEARS)
    first, *rest = server.requests
    assert first == ("/v3/data/kpi/N31816/municipality/2580,0025,0000,2581,2482/year/2022,2023"
                     "?per_page=5000")
    assert rest and all("page=" in r for r in rest)  # v3's next_url, followed to the end
    luleå = values[(values["kommun"] == "2580") & (values["ar"] == 2023)]
    assert dict(zip(luleå["kon"], luleå["varde"])) == {"T": 1.9, "K": 1.6, "M": 2.2}
    assert values["underlag"].dtype == "Int64"
    assert set(values["kommun"]) == {"2580", "0025", "0000", "2581", "2482"}
    assert len(values) == 16


def test_rows_kolada_marks_isdeleted_are_dropped(server):
    values = _client(server).data("N31816", AREAS_5, [2021, 2022, 2023])
    assert 2021 not in set(values["ar"])  # the only 2021 row is deleted
    riket = values[(values["kommun"] == "0000") & (values["ar"] == 2023) & (values["kon"] == "T")]
    assert list(riket["varde"]) == [2.4]  # not the deleted 99.0 beside it
    answer = {"values": [{"kpi": "N1", "municipality": "2580", "period": 2024, "isdeleted": True,
                          "values": [{"gender": "T", "value": 1.0}]}]}
    assert kolada.parse_values(answer).empty  # marked on the row instead of the value


def test_every_id_list_is_split_into_runs_of_25(server):
    kommuner = [a["id"] for a in AREAS if kolada.is_municipality(a["id"])][:60]
    _client(server).data(["N00945", "N31816"], kommuner, list(range(1990, 2021)))
    asked = [urllib.parse.unquote(r).split("?")[0].split("/") for r in server.requests]
    assert len({"/".join(a) for a in asked}) == 3 * 2  # 60 areas -> 3 runs, 31 years -> 2
    assert all(len(segment.split(",")) <= 25 for a in asked for segment in a)
    server.requests.clear()
    ids = [k["id"] for k in KPIS]
    assert len(ids) > 20 and set(_client(server).kpi_titles(ids + ids)) == set(ids)
    assert all(len(r.split("/")[-1].split("?")[0].split(",")) <= 25 for r in server.requests)


def test_every_municipality_without_the_municipality_segment(server):
    values = _client(server).data("N00945", None, [2020])
    assert server.requests[0] == "/v3/data/kpi/N00945/year/2020?per_page=5000"
    assert set(values["kommun"]) == {"0180", "1280", "1480"}  # rKolada's example, real values
    assert values.set_index("kommun").loc["0180", "varde"] == pytest.approx(
        next(v for v in DATA if v["municipality"] == "0180" and v["period"] == 2020
             and v["kpi"] == "N00945")["values"][0]["value"])


def test_client_keeps_status_flags_and_missing_values(server):
    values = _client(server).data("N33818", COMP.areas({"2080": "Falun"}), [2025])
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
        _client(server).data("N31816", AREAS_5, YEARS)
    assert len(server.requests) == 1


def test_group_members_are_read_in_kolada_v3_shape(server):
    # v3 lists members as {"member_id", "member_title"} (G36579 as in Kolada's metadata).
    assert _client(server).group_members("G36579") == {
        "0163": "Sollentuna", "0184": "Solna", "0188": "Norrtälje", "0880": "Kalmar",
        "1481": "Mölndal", "2380": "Östersund", "2482": "Skellefteå"}


def test_kpi_titles_and_an_unknown_group(server):
    titles = _client(server).kpi_titles(["N31816", "U30750"])
    assert titles["N31816"]["by_sex"] and not titles["U30750"]["by_sex"]
    assert titles["U30750"]["title"].endswith("antal/10 000 vuxna invånare")
    with pytest.raises(kolada.KoladaError, match="kommungruppen G9"):
        _client(server).group_members("G9")


@pytest.mark.parametrize("title, kind, year", [
    ("Liknande kommuner IFO, Luleå, 2024", "IFO", 2024),
    ("Liknande kommuner, övergripande, Luleå, 2025", "övergripande", 2025),
    ("Liknande kommuner ekonomiskt bistånd, Luleå, 2023", "ekonomiskt bistånd", 2023),
    ("Liknande kommuner IFO, Luleå, 2024", "socioekonomi", None),
    ("Liknande regioner socioekonomi, Region Norrbotten, 2024", "socioekonomi", None),
    ("Liknande kommuner IFO, Piteå, 2024", "IFO", None)])
def test_group_titles(title, kind, year):
    assert kolada.group_year(title, kind, "Luleå") == year


@pytest.mark.parametrize("kind, group, year", [
    ("IFO", "G36579", 2024), ("ekonomiskt bistånd", "G176035", 2023),
    ("socioekonomi", "G176325", 2024), ("övergripande", "G37455", 2025)])
def test_the_similar_group_is_found_by_title(server, kind, group, year):
    found = _client(server).similar_group(kind, "Luleå")
    assert (found.id, found.year, len(found.members)) == (group, year, 7)
    assert "title=Lule%C3%A5" in server.requests[0]


def test_the_newest_edition_of_the_group_wins(server):
    older = {"id": "G1", "title": "Liknande kommuner IFO, Luleå, 2023",
             "members": [{"member_id": "2581", "member_title": "Piteå"}]}
    newer = {**older, "id": "G2", "title": "Liknande kommuner IFO, Luleå, 2025"}
    server.extra_groups += [older, newer]
    assert _client(server).similar_group("IFO", "Luleå").id == "G2"
    server.extra_groups.remove(newer)
    assert _client(server).similar_group("IFO", "Luleå").id == "G36579"


def test_no_group_of_that_kind_says_what_to_do(server):
    with pytest.raises(kolada.KoladaError, match="Liknande kommuner IFO, Ankeborg"):
        _client(server).similar_group("IFO", "Ankeborg")


# --- the cache -----------------------------------------------------------------------------

def test_fetch_stores_the_group_its_members_and_every_kpi(server, engine):
    done = cache.fetch(engine, _client(server), COMP, [2022, 2023, 2025])
    assert done.group.id == "G36579" and done.group.year == 2024
    assert done.kpis == list(COMP.kpis)
    asked = [urllib.parse.unquote(r) for r in server.requests]
    assert any("/municipality/2580,0025,0000,0163,0184,0188,0880,1481,2380,2482/" in r
               for r in asked)
    assert any(r.startswith("/v3/data/kpi/") and "/municipality/" not in r for r in asked)
    stored = cache.read_values(engine)
    assert len(stored) == done.rows and set(stored["source"]) == {"api"}
    assert cache.read_titles(engine)["N31816"]["title"].startswith("Vuxna biståndsmottagare")
    in_use = cache.group_in_use(cache.read_groups(engine), COMP)
    assert (in_use.id, in_use.title, in_use.year) == ("G36579",
                                                      "Liknande kommuner IFO, Luleå, 2024", 2024)
    assert cache.read_areas(engine)["0163"] == "Sollentuna"
    again = cache.fetch(engine, _client(server), COMP, [2022, 2023, 2025])
    assert len(cache.read_values(engine)) == again.rows == done.rows
    assert done.unknown == [] and cache.unknown_note([], "j.yaml") is None
    assert "Kolada känner inte till N1" in cache.unknown_note(["N1"], "j.yaml")


def test_fetch_reports_progress_from_0_to_1(server, engine):
    seen = []
    cache.fetch(engine, _client(server), COMP, YEARS, ["N31816"],
                progress=lambda share, text: seen.append((share, text)))
    shares = [s for s, _ in seen]
    assert shares[0] == 0 and shares[-1] == 1 and shares == sorted(shares)
    assert any("rangordningen" in t for _, t in seen)


def test_our_own_list_replaces_koladas_group(server, engine):
    own = dataclasses.replace(COMP, similar={"2581": "Piteå", "2482": "Skellefteå"},
                              similar_name="Norrlandskommuner")
    done = cache.fetch(engine, _client(server), own, YEARS, ["N31816"])
    assert done.group.id is None and done.similar == {"2581": "Piteå", "2482": "Skellefteå"}
    assert not any("municipality_groups" in r for r in server.requests)
    view = comparison.kpi_view(cache.read_values(engine), own.kpis["N31816"], own,
                               CFG.catalogue, group=cache.group_in_use([], own))
    assert any("Norrlandskommuner, en lista som kommunen själv valt" in n for n in view.notes)


def test_another_kind_of_group_from_the_catalogue(server, engine, tmp_path):
    path = tmp_path / "j.yaml"
    path.write_text(CFG.jamforelse.read_text(encoding="utf-8").replace(
        "  typ: IFO", "  typ: ekonomiskt bistånd"), encoding="utf-8")
    chosen = kolada.load_comparison(path, CFG.catalogue)
    done = cache.fetch(engine, _client(server), chosen, YEARS, ["N31816"])
    assert (done.group.id, done.group.year) == ("G176035", 2023)
    assert cache.group_in_use(cache.read_groups(engine), chosen).id == "G176035"
    assert cache.group_in_use(cache.read_groups(engine), COMP) is None  # IFO not fetched


def test_too_many_pages_stop_with_nothing_stored(server, engine, monkeypatch):
    monkeypatch.setattr(kolada, "MAX_PAGES", 2)
    with pytest.raises(kolada.KoladaError, match="fler än 2 sidor"):
        cache.fetch(engine, _client(server), COMP, YEARS, ["N31816"])
    assert cache.read_values(engine).empty


def test_a_fixed_group_id(server, engine):
    fixed = dataclasses.replace(COMP, similar_group="G176325")
    done = cache.fetch(engine, _client(server), fixed, YEARS, ["N31816"])
    assert done.group.title == "Liknande kommuner socioekonomi, Luleå, 2024"
    assert cache.group_in_use(cache.read_groups(engine), fixed).id == "G176325"


def test_fetch_without_network_leaves_the_cache_as_it_was(server, engine):
    cache.fetch(engine, _client(server), COMP, YEARS, ["N31816"])
    before = cache.read_values(engine)
    offline = kolada.Client(f"http://127.0.0.1:{_closed_port()}/v3", 1.0)
    with pytest.raises(kolada.KoladaError):
        cache.fetch(engine, offline, COMP, YEARS)
    pd.testing.assert_frame_equal(cache.read_values(engine), before)


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
    assert len(v) == 16 and set(v["kpi"]) == {"N31816"}
    # Kiruna is kept by its id: every municipality's value counts for the rank.
    assert set(v["kommun"]) == {"2580", "0025", "0000", "2581", "2584"}
    assert read.skipped == []
    row = v[(v["kommun"] == "2580") & (v["ar"] == 2023)].iloc[0]
    assert pd.isna(row["varde"]) and row["status"] == "Saknas"
    assert dict(zip(v[(v["kommun"] == "0000")]["kon"], v[(v["kommun"] == "0000")]["varde"])) \
        == {"T": 1.9, "K": 1.6, "M": 2.2}


def test_the_wide_export_takes_the_kpi_from_the_title_and_knows_every_kolada_name():
    read = kolada_export.read(_csv_wide(), "kolada.csv", COMP)
    v = read.values.set_index(["kommun", "ar"])["varde"]
    assert v[("2580", 2022)] == 1612.5 and v[("0025", 2023)] == 1455.2  # "Norrbottens län"
    assert pd.isna(v[("0025", 2024)])
    assert v[("2523", 2024)] == 990  # Gällivare, by Kolada's own name list (for the rank)
    assert set(read.values["kpi"]) == {"N31001"} and set(read.values["kon"]) == {"T"}
    bad = kolada_export.read(_csv_wide().replace(b"G\xe4llivare", b"Ankeborg"), "k.csv", COMP)
    assert "Ankeborg" in bad.skipped[0]  # a name Kolada does not have cannot be placed


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


def _group(engine):
    return cache.group_in_use(cache.read_groups(engine), COMP)


def test_the_table_puts_the_municipality_beside_county_riket_and_the_kolada_group(server,
                                                                                   engine):
    values = _cached(server, engine)
    view = comparison.kpi_view(values, COMP.kpis["N31816"], COMP, CFG.catalogue,
                               cache.read_titles(engine), group=_group(engine))
    t = view.table
    assert list(t.columns) == ["År", "Kön", "Luleå", "Region Norrbotten", "Riket",
                               "Liknande kommuner (ovägt medel)", "Status (Kolada)"]
    top = t[(t["År"] == 2023) & (t["Kön"] == "Totalt")].iloc[0]
    assert (top["Luleå"], top["Region Norrbotten"], top["Riket"]) == (1.9, 1.7, 2.4)
    # Skellefteå is in Luleå's IFO group; Piteå (in the fixture too) is not, and is not asked.
    assert top["Liknande kommuner (ovägt medel)"] == 1.8
    assert set(t["Kön"]) == {"Totalt", "Kvinnor", "Män"}
    assert list(view.similar.columns) == ["År", "Kön", "Skellefteå"]
    assert any("Koladas grupp ”Liknande kommuner IFO, Luleå, 2024” (G36579, 2024)" in n
               for n in view.notes)
    assert "nyckeltal N31816" in view.source and "Senaste år: 2023" in view.source
    assert view.title.startswith("Vuxna biståndsmottagare (18+ år)")
    line = comparison.trend(view, COMP)
    assert list(line.index) == ["2022", "2023"] and line.loc["2023", "Riket"] == 2.4
    assert line.loc["2022", "Luleå"] == 2.1


def _every_municipality(kpi="U00915", year=2024, own=6.3):
    """290 municipalities' values: 0114 … with 1, 2, 3 …; Luleå's own value in between."""
    kommuner = [a["id"] for a in AREAS if kolada.is_municipality(a["id"]) and a["id"] != "2580"]
    rows = [{"kpi": kpi, "kommun": k, "ar": year, "kon": "T", "varde": float(i),
             "status": "", "underlag": None} for i, k in enumerate(kommuner, 1)]
    rows += [{"kpi": kpi, "kommun": k, "ar": year, "kon": "T", "varde": v, "status": "",
              "underlag": None} for k, v in (("2580", own), ("0000", 999.0), ("0025", 998.0))]
    return kolada.frame(rows)


def test_the_rank_counts_municipalities_only_and_place_1_is_the_highest():
    part = _every_municipality()
    assert len(kolada_ids := [a for a in part["kommun"] if kolada.is_municipality(a)]) == 290
    place, of = comparison.rank(part, "2580", 2024)
    assert of == 290 and place == 290 - 6  # 283 values above 6.3 (7 … 289), riket not counted
    assert comparison.rank_text((place, of)) == "284 av 290"
    assert comparison.rank(part, "2580", 2023) is None  # no value that year
    assert comparison.rank(part[part["kommun"].isin(kolada_ids[:50] + ["2580"])],
                           "2580", 2024) is None  # 51 municipalities are not "all"


def test_the_page_table_shows_the_rank(engine):
    cache.write_values(engine, _every_municipality(), "api")
    view = comparison.kpi_view(cache.read_values(engine), COMP.kpis["U00915"], COMP,
                               CFG.catalogue)
    assert view.table.iloc[0]["Plats bland kommunerna"] == "284 av 290"
    assert any(n.startswith("Plats bland kommunerna: 1 är det högsta") for n in view.notes)


def test_status_flags_are_shown_and_swedish_numbers_in_the_display(server, engine):
    cache.write_values(engine, _client(server).data("N33818", COMP.areas(), [2025]), "api")
    view = comparison.kpi_view(cache.read_values(engine), COMP.kpis["N33818"], COMP,
                               CFG.catalogue)
    assert view.table.iloc[0]["Status (Kolada)"] == "Luleå: B"
    shown = comparison.display(pd.DataFrame({"År": [2025], "Kön": ["Totalt"],
                                             "Luleå": [3011.0], "Riket": [6.25]}))
    assert shown.iloc[0]["Luleå"] == "3\u00a0011" and shown.iloc[0]["Riket"] in ("6,2", "6,3")
    small = comparison.display(pd.DataFrame({"År": [2024], "Luleå": [0.123], "Riket": [0.0]}))
    assert (small.iloc[0]["Luleå"], small.iloc[0]["Riket"]) == ("0,12", "0,0")


@pytest.fixture(scope="module")
def demo():
    engine = publish.open_store(CFG)
    return engine


def _measure_data(engine, code):
    measure = CFG.catalogue.measure(code)
    return measure, source.counts(engine, CFG, measure), store.read_population(engine)


def test_our_own_rate_is_the_published_one_and_only_for_whole_years(demo):
    measure, counts, population = _measure_data(demo, "orosanmalningar")
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


def test_own_rate_for_evictions_affecting_children_is_per_100000_and_beside_kolada(demo):
    measure, counts, population = _measure_data(demo, "vrakningar")
    values = cache.read_values(demo, ["U00915"])
    view = comparison.measure_views(values, "vrakningar", COMP, CFG, counts, population,
                                    group=_group(demo))
    u = next(v for v in view if v.kpi.id == "U00915")
    assert u.own_column == "Egen: antal berörda barn per 100\u00a0000 invånare"
    t = u.table.set_index("År")
    executed = aggregate.Filters(categories=(("skede", ("verkstalld",)),))
    selected, _ = aggregate.apply_filters(counts, measure, executed)
    expected = bd.rate(selected, population, measure, aggregate.Period.year(2023),
                       "berorda_barn", CFG.threshold)
    assert t.loc[2023, u.own_column] == pytest.approx(expected * 100)  # per 1 000 -> 100 000
    # Kolada's column holds Luleå's published values (10,1 and 6,3), the rest is synthetic.
    assert (t.loc[2023, "Luleå"], t.loc[2024, "Luleå"]) == (10.1, 6.3)
    assert any(n.startswith("Definitionerna skiljer sig") for n in u.notes)


def test_own_rate_for_violence_is_per_10000_adults(demo):
    measure, counts, population = _measure_data(demo, "vald_i_nara_relation")
    kpi = COMP.kpis["U30750"]
    rates = comparison.own_yearly_rates(counts, population, measure, [2024], CFG.threshold,
                                        by_sex=False, own=kpi.own)
    adults = aggregate.Filters(aldersgrupp=("18-24", "25-44", "45-64", "65+"))
    selected, _ = aggregate.apply_filters(counts, measure, adults)
    people = aggregate.filter_population(population, measure, adults)
    expected = bd.rate(selected, people, measure, aggregate.Period.year(2024),
                       measure.primary.code, CFG.threshold)
    assert rates["per_1000"].iloc[0] == expected
    everyone = bd.rate(counts, population, measure, aggregate.Period.year(2024),
                       measure.primary.code, CFG.threshold)
    assert expected != everyone


def test_the_demo_snapshot_shows_lulea_against_riket_region_and_group_with_rank(demo):
    values = cache.read_values(demo)
    group = _group(demo)
    assert (group.id, group.year) == ("G36579", 2024)
    table = comparison.standing(values, COMP, CFG.catalogue, cache.read_titles(demo), group)
    overview = [k.id for k in COMP.kpis.values() if k.overview]
    assert [n.split()[0] for n in table["Nyckeltal"]] == overview
    assert table[["Luleå", "Riket", "Region Norrbotten",
                  "Liknande kommuner (ovägt medel)"]].notna().all().all()
    assert table["Plats bland kommunerna"].str.fullmatch(r"\d+ av 290").all()
    assert set(table["Källa"]) == {"demo"} and set(table["År"]) == {2024}
    # Our own protected rate in Kolada's unit, where the catalogue has a recipe; else empty.
    counts = {c: source.counts(demo, CFG, CFG.catalogue.measure(c)) for c in CFG.catalogue.measures}
    own = comparison.standing_own(values, COMP, CFG, counts, store.read_population(demo))
    assert set(own) == {"U30750", "U00958", "U00915"}
    mine = comparison.standing(values, COMP, CFG.catalogue, None, group, own).set_index(
        table["Nyckeltal"].str.split().str[0])[comparison.OWN]
    measure = CFG.catalogue.measure("vrakningar")
    selected, _ = aggregate.apply_filters(counts["vrakningar"], measure, aggregate.Filters(
        categories=(("skede", ("verkstalld",)),)))
    expected = bd.rate(selected, store.read_population(demo), measure,
                       aggregate.Period.year(2024), "berorda_barn", CFG.threshold)
    assert mine["U00915"] == pytest.approx(expected * 100)
    assert mine[["U30750", "U00958"]].notna().all() and mine[["N33818", "N31816"]].isna().all()
    view = comparison.kpi_view(values, COMP.kpis["N31816"], COMP, CFG.catalogue, group=group)
    assert "SYNTETISKA" in view.source and "2026-12-07" in view.source
    lacking = comparison.without_kolada(COMP, CFG.catalogue)
    assert any(line.startswith("Hot och våld mot personal: Kolada har inga") for line in lacking)


def test_the_snapshot_is_marked_and_holds_the_published_values():
    snapshot = json.loads((ROOT / "data" / "kolada_demo.json").read_text(encoding="utf-8"))
    assert "SYNTETISKA" in snapshot["about"] and snapshot["date"] == "2026-12-07"
    published = [r for r in snapshot["values"] if r[-1] == 1]
    assert sorted((r[0], r[1], r[2], r[4]) for r in published) == [
        ("U00915", "2580", 2023, 10.1), ("U00915", "2580", 2024, 6.3)]
    assert set(snapshot["kpis"]) == set(COMP.kpis)


# --- the command line ----------------------------------------------------------------------

def test_cli_fetch_show_and_import(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAGESBILD_DB_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("LAGESBILD_DEMO", "0")
    url = f"http://127.0.0.1:{server.server_port}/v3"
    assert cli.main(["kolada", "hamta", "--ar", "2022-2023", "--url", url]) == 0
    out = capsys.readouterr()
    assert "Hämtade 16 värden för 24 nyckeltal (2022–2023)" in out.out
    assert "Liknande kommuner: Liknande kommuner IFO, Luleå, 2024 (G36579)." in out.out
    assert cli.main(["kolada", "visa", "N31816"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "nyckeltal;omrade_id;omrade;ar;kon;varde;status;kalla;hamtad"
    assert "N31816;2580;Luleå;2023;T;1,9;;api;" in "\n".join(lines)
    path = tmp_path / "kolada.xlsx"
    path.write_bytes(_xlsx_long())
    assert cli.main(["kolada", "las-in", str(path)]) == 0
    assert "Läste in 16 värden för N31816 från kolada.xlsx" in capsys.readouterr().out


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
