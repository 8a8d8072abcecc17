"""Editing the catalogue never changes a stored number silently: categories are stored by
name and ages in single years, so reordering dimensions and regrouping ages keep every number
right; a change that contradicts stored rows is refused with a Swedish message."""

from pathlib import Path

import pytest
import yaml
from conftest import small_store

from lagesbild import store
from lagesbild.config import Config, load_catalogue
from lagesbild.errors import ConfigError
from lagesbild.store import ingest

KATALOG = Path(__file__).resolve().parents[1] / "lagesbild" / "katalog.yaml"
EVENTS = ("Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare\n"
          "2023-01-05;97231;Flicka;4;Våld mot barnet;Polis\n"
          "2023-01-20;97231;Flicka;13;Våld mot barnet;Skola\n"
          "2023-01-21;97231;Pojke;13;Skolfrånvaro;Skola\n"
          "2023-02-02;97333;Pojke;19;Skolfrånvaro;Skola\n").encode()
GROUPS_ONLY = ("Inkomstdatum;Postnummer;Kön;Åldersgrupp;Aktualiseringsorsak;Anmälare\n"
               "2023-03-05;97231;Flicka;0-5;Övrigt;Polis\n").encode()


@pytest.fixture
def stored(tmp_path):
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'katalog.sqlite'}")
    ingest.import_bytes(engine, cfg, EVENTS, "oros.csv", "orosanmalningar")
    return cfg, engine


def _edited(tmp_path, edit):
    raw = yaml.safe_load(KATALOG.read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "katalog.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_catalogue(path).measure("orosanmalningar")


def _by(frame, *columns):
    return frame.groupby(list(columns), observed=True)["antal"].sum().to_dict()


def test_reordering_dimensions_keeps_reasons_and_reporters(stored, tmp_path):
    cfg, engine = stored
    before = store.read_counts(engine, cfg.catalogue.measure("orosanmalningar"))

    def swap(raw):
        dims = raw["matt"]["orosanmalningar"]["dimensioner"]
        raw["matt"]["orosanmalningar"]["dimensioner"] = dict(reversed(list(dims.items())))

    after = store.read_counts(engine, _edited(tmp_path, swap))
    assert _by(after, "orsak", "anmalare") == _by(before, "orsak", "anmalare")
    assert _by(after, "orsak") == {"vald_mot_barnet": 2, "skolfranvaro": 2}


def test_new_age_groups_are_derived_from_the_stored_single_years(stored, tmp_path):
    cfg, engine = stored

    def norrtalje(raw):
        raw["aldersindelningar"]["barn"] = [{"kod": "0-12", "fran": 0, "till": 12},
                                            {"kod": "13-20", "fran": 13, "till": 20}]

    after = store.read_counts(engine, _edited(tmp_path, norrtalje))
    assert _by(after, "aldersgrupp") == {"0-12": 1, "13-20": 3}
    assert after["antal"].sum() == 4


def test_adding_a_category_changes_nothing_stored(stored, tmp_path):
    cfg, engine = stored

    def add(raw):
        raw["matt"]["orosanmalningar"]["dimensioner"]["orsak"]["kategorier"]["natvald"] = \
            "Nätrelaterat våld"

    after = store.read_counts(engine, _edited(tmp_path, add))
    assert _by(after, "orsak") == {"vald_mot_barnet": 2, "skolfranvaro": 2}


@pytest.mark.parametrize("edit, message", [
    (lambda raw: raw["matt"]["orosanmalningar"]["dimensioner"]["orsak"]["kategorier"]
     .pop("skolfranvaro"),
     r"Kategorin ”skolfranvaro” under ”Aktualiseringsorsak” finns i lagrade data för "
     r"Orosanmälningar \(2 anmälningar, batch 2 \(oros.csv\)\) men inte i katalogen"),
    (lambda raw: raw["matt"]["orosanmalningar"]["dimensioner"].update(
        {"skola_typ": {"namn": "Skolform", "kategorier": {"grund": "Grundskola"}}}),
     r"Katalogen anger dimensionen ”Skolform” för Orosanmälningar, men 4 lagrade rader "
     r"saknar den"),
    (lambda raw: raw["aldersindelningar"].update(
        {"barn": [{"kod": "0-17", "fran": 0, "till": 17}]}),
     r"Åldrarna 19 år finns i lagrade data för Orosanmälningar men i ingen av katalogens "
     r"åldersgrupper"),
])
def test_an_edit_that_contradicts_stored_rows_is_refused_in_swedish(stored, tmp_path, edit,
                                                                     message):
    cfg, engine = stored
    with pytest.raises(ConfigError, match=message):
        store.read_counts(engine, _edited(tmp_path, edit))


def test_age_groups_cannot_change_under_rows_that_only_had_groups(tmp_path):
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'grupper.sqlite'}")
    ingest.import_bytes(engine, cfg, GROUPS_ONLY, "grupper.csv", "orosanmalningar")

    def norrtalje(raw):
        raw["aldersindelningar"]["barn"] = [{"kod": "0-12", "fran": 0, "till": 12},
                                            {"kod": "13-20", "fran": 13, "till": 20}]

    with pytest.raises(ConfigError, match=r"Åldersgruppen ”0-5” finns i lagrade data .* "
                                          r"kan inte delas in på nytt"):
        store.read_counts(engine, _edited(tmp_path, norrtalje))


def test_each_batch_records_the_catalogue_it_was_imported_with(stored):
    cfg, engine = stored
    batches = store.read_batches(engine)
    entry = yaml.safe_load(batches.loc[batches["measure"] == "orosanmalningar",
                                       "katalog"].iloc[0])
    assert set(entry["dimensioner"]) == {"orsak", "anmalare"}
    assert entry["dimensioner"]["orsak"][0] == "vald_mot_barnet"  # in the catalogue's order
    assert entry["aldersgrupper"][0] == ["0-5", 0, 5]


def test_the_store_has_a_schema_version(stored):
    from lagesbild.store import migrations

    _, engine = stored
    with engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()


def test_the_cli_refuses_a_contradicting_catalogue_with_exit_code_1(stored, tmp_path,
                                                                    monkeypatch, capsys):
    from lagesbild.cli import main

    cfg, _ = stored
    raw = yaml.safe_load(KATALOG.read_text(encoding="utf-8"))
    raw["matt"]["orosanmalningar"]["dimensioner"]["orsak"]["kategorier"].pop("skolfranvaro")
    path = tmp_path / "katalog.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("LAGESBILD_DB_URL", cfg.db_url)
    monkeypatch.setenv("LAGESBILD_KATALOG", str(path))
    monkeypatch.setenv("LAGESBILD_DEMO", "0")
    monkeypatch.setenv("LAGESBILD_LOGG", str(tmp_path / "logg.log"))
    assert main(["summary", "orosanmalningar", "--ar", "2023"]) == 1
    err = capsys.readouterr().err
    assert "Kategorin ”skolfranvaro”" in err and "Traceback" not in err
    assert Config.from_env().katalog == path


def test_a_store_of_the_old_shape_upgrades_with_every_number_unchanged(tmp_path):
    """The store as main wrote it before this change (categories by position in dim1-dim3):
    upgraded in place, each count keeps its categories, measure by measure."""
    import sqlalchemy as sa
    from alembic import command

    from lagesbild.store import migrations

    url = f"sqlite:///{tmp_path / 'gammal.sqlite'}"
    cfg = Config(db_url=url, demo=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrations._config(conn, cfg.catalogue), "0001")
        conn.execute(sa.text("INSERT INTO batches (id, measure, source, sha256, created_at) "
                             "VALUES (1, 'kia', 'kia.xlsx', 'x', '2025-01-02 10:00:00'), "
                             "(2, 'orosanmalningar', 'oros.csv', 'y', '2025-01-02 10:00:00')"))
        rows = [(1, "kia", "antal", "2024-05-01", None, None, None, "akutboendet", "hot",
                 "allvarlig", 4),
                (1, "kia", "antal", "2024-05-01", None, None, None, "mottagning", "vald",
                 "lindrig", 9),
                (2, "orosanmalningar", "antal", "2024-05-01", "97231", "K", "0-5",
                 "skolfranvaro", "skola", None, 6)]
        conn.execute(sa.text(
            "INSERT INTO counts (batch_id, measure, storhet, month, postnummer, kon, "
            "aldersgrupp, dim1, dim2, dim3, antal) VALUES (:b, :m, :s, :mo, :p, :k, :a, :d1, "
            ":d2, :d3, :n)"),
            [dict(zip(["b", "m", "s", "mo", "p", "k", "a", "d1", "d2", "d3", "n"], r))
             for r in rows])
    engine.dispose()
    upgraded = ingest.connect(cfg)
    kia = store.read_counts(upgraded, cfg.catalogue.measure("kia"))
    assert _by(kia, "enhet", "typ", "allvarlighet") == {
        ("akutboendet", "hot", "allvarlig"): 4, ("mottagning", "vald", "lindrig"): 9}
    # dim1 was the catalogue's first dimension of orosanmälningar (orsak), dim2 anmalare.
    oros = store.read_counts(upgraded, cfg.catalogue.measure("orosanmalningar"))
    assert _by(oros, "orsak", "anmalare", "aldersgrupp") == {("skolfranvaro", "skola", "0-5"): 6}
    with upgraded.connect() as conn:
        assert migrations.current(conn) == migrations.head()
        assert "dim1" not in {c["name"] for c in sa.inspect(conn).get_columns("counts")}


def test_the_migrations_build_exactly_the_schema_the_code_declares(tmp_path):
    """A new store built by the migrations alone has every table, column and index of
    store.schema: a table added to the code without its migration fails here."""
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from lagesbild.store import migrations
    from lagesbild.store.schema import metadata

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ny.sqlite'}")
    with engine.begin() as conn:
        migrations.upgrade(conn, Config().catalogue)
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []
