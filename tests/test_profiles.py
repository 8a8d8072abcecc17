"""Source profiles: each checked on its own, a broken one named and skipped in Swedish, names
that are plain file names, and a new profile that can never overwrite another file."""

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, no_internals, small_store
from streamlit.testing.v1 import AppTest
from test_import import GOOD_ROWS, cli, events

from lagesbild.config import Config
from lagesbild.errors import ConfigError, UnknownError
from lagesbild.intake import profiles

CAT = Config().catalogue
ENGLISH = ("could not", "constructor", "expected", "mapping", "found", "Traceback", "yaml.",
           "validation error", "Input should", "Field required")

BROKEN = [
    ("!!python/object:os.system {}", r"inte giltig YAML \(rad 1\).*taggar som !!python är "
                                     "inte tillåtna"),
    ("matt: !!python/object/apply:os.system ['echo hej']", "inte giltig YAML"),
    ("- matt\n- kia\n", "ska vara nycklar med värden .*inte en lista"),
    ("", "ska vara nycklar med värden"),
    ("matt: kia\nfarg: blå\n", "har en okänd nyckel ”farg”. Tillåtna: matt, system"),
    ("matt: kia\nkolumner: [a, b]\n", "”kolumner” ska vara nycklar med värden"),
    ("matt: kia\nvarden:\n  typ: [1, 2]\n", "”varden → typ” ska vara nycklar med värden"),
    ("matt: kia\nfilnamn: {a: 1}\n", "”filnamn” ska vara en text eller en lista av texter"),
    ("matt: kia\nsystem: {a: b}\n", "”system” ska vara en text"),
    ("system: KIA\n", "saknar nyckeln ”matt”"),
    ("matt: skostorlek\n", "Okänt mått ”skostorlek”"),
    ("matt: kia\nkolumner:\n  Händelse: skostorlek\n", "pekar på ”skostorlek”, som måttet "
                                                         "inte har"),
    ("matt: kia\n  fel: indrag\n", r"inte giltig YAML \(rad 2\)"),
]


@pytest.fixture
def folder(tmp_path):
    """A copy of the shipped profiles."""
    target = tmp_path / "profiler"
    shutil.copytree(ROOT / "profiler", target)
    return target


@pytest.mark.parametrize("text, message", BROKEN)
def test_a_broken_profile_is_named_and_skipped_in_swedish(folder, text, message):
    (folder / "trasig.yaml").write_text(text, encoding="utf-8")
    found, broken = profiles.scan(folder, CAT)
    assert "trasig" not in [p.name for p in found]
    assert len(found) == len(list((ROOT / "profiler").glob("*.yaml")))  # the others all work
    assert len(broken) == 1
    assert broken[0].startswith("Profilen trasig.yaml")
    assert broken[0].endswith("Profilen används inte förrän den är rättad.")
    import re
    assert re.search(message, broken[0]), broken[0]
    for word in ENGLISH:
        assert word not in broken[0]
    with pytest.raises(ConfigError, match=message):  # chosen by name: refused in Swedish
        profiles.find(folder, "trasig", CAT)


def test_numbers_and_empty_sections_in_a_profile_are_read_as_text(folder):
    (folder / "siffror.yaml").write_text(
        "matt: kia\nsystem: 2024\nfilnamn: kia_2024*\nkolumner:\nvarden:\n  typ:\n    1: hot\n",
        encoding="utf-8")
    profile = profiles.find(folder, "siffror", CAT)
    assert (profile.system, profile.files, profile.columns) == ("2024", ("kia_2024*",), {})
    assert profile.values == {"typ": {"1": "hot"}}


def test_a_broken_profile_does_not_block_an_import_on_the_command_line(folder, tmp_path):
    (folder / "aaa_trasig.yaml").write_text("!!python/object:os.system {}", encoding="utf-8")
    cfg, _ = small_store(f"sqlite:///{tmp_path / 'p.sqlite'}")
    cfg = Config(db_url=cfg.db_url, demo=False, profiles=folder)
    path = tmp_path / "oros.csv"
    path.write_bytes(events(*GOOD_ROWS))
    old = os.environ.get("LAGESBILD_PROFILER")
    os.environ["LAGESBILD_PROFILER"] = str(folder)
    try:
        code, out, err = cli(cfg, "import", str(path), "--matt", "orosanmalningar")
        assert code == 0, err
        assert "Sparade batch" in out
        assert "varning: Profilen aaa_trasig.yaml är inte giltig YAML" in err
        no_internals(out, err)
        code, out, err = cli(cfg, "import", str(path), "--matt", "kia", "--profil",
                             "aaa_trasig")
        assert code == 1 and "Profilen aaa_trasig.yaml är inte giltig YAML" in err
        no_internals(out, err)
    finally:
        os.environ["LAGESBILD_PROFILER"] = old


def test_a_new_profile_cannot_take_another_measures_name(folder):
    kia = (folder / "kia.yaml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="Det finns redan en profil som heter kia "
                                          r"\(för kia\)\. Välj den i listan, eller ge den nya "
                                          "profilen ett annat namn; inget har sparats"):
        profiles.new(folder, "KIA", "Lifecare", "orosanmalningar", CAT)
    with pytest.raises(ConfigError, match="redan en profil som heter combine_orosanmalningar"):
        profiles.new(folder, "combine_orosanmalningar", "Combine", "orosanmalningar", CAT)
    assert (folder / "kia.yaml").read_text(encoding="utf-8") == kia


def test_a_file_made_meanwhile_is_not_overwritten(folder):
    new = profiles.new(folder, "lifecare oros", "Lifecare", "orosanmalningar", CAT)
    assert new.path == folder / "lifecare_oros.yaml" and not new.saved
    new.path.write_text("matt: kia\n", encoding="utf-8")  # someone else, a moment earlier
    with pytest.raises(ConfigError, match="redan en profil som heter lifecare_oros"):
        profiles.save_values(new, "orsak", {"Grannbråk": "ovrigt"}, CAT)
    assert new.path.read_text(encoding="utf-8") == "matt: kia\n"


def test_saving_into_a_profile_that_now_holds_another_measure_is_refused(folder):
    profile = profiles.find(folder, "combine_orosanmalningar", CAT)
    profile.path.write_text("matt: kia\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="gäller nu kia, inte orosanmalningar"):
        profiles.save_values(profile, "orsak", {"Grannbråk": "ovrigt"}, CAT)


@pytest.mark.parametrize("name", ["../kia", "a/b", ".dold", "-x", "a\\b", "x" * 65, "..",
                                  "kia.yaml", "ny\x00"])
def test_profile_names_are_plain_file_names(folder, name):
    before = sorted(p.name for p in folder.parent.rglob("*"))
    with pytest.raises(UnknownError, match="Profilens namn får bara innehålla bokstäver"):
        profiles.new(folder, name, "x", "orosanmalningar", CAT)
    with pytest.raises(UnknownError, match="Profilens namn får bara innehålla bokstäver"):
        profiles.find(folder, name, CAT)
    assert sorted(p.name for p in folder.parent.rglob("*")) == before


# --- the page ------------------------------------------------------------------------------

HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"
UNKNOWN = f"{HEADER}\n2026-10-03;972 31;Flicka;4;Grannbråk;Polis\n".encode()


def test_the_page_names_a_broken_profile_and_refuses_a_taken_name():
    folder = Path(os.environ["LAGESBILD_PROFILER"])
    broken = folder / "aaa_trasig.yaml"
    broken.write_text("- en lista\n", encoding="utf-8")
    kia = (folder / "kia.yaml").read_text(encoding="utf-8")
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.switch_page("app_pages/data.py").run()
        assert not at.exception
        assert any(w.value.startswith("Profilen aaa_trasig.yaml ska vara nycklar med värden")
                   for w in at.warning)
        at.file_uploader(key="fil_0").upload("lifecare.csv", UNKNOWN, "text/csv").run()
        at.selectbox(key="map_orsak_0").set_value("ovrigt").run()
        at.text_input(key="ny_profil").set_value("kia").run()
        at.button(key="spara_mappning").click().run()
        assert not at.exception
        assert any("Det finns redan en profil som heter kia (för kia)"
                   in re.sub(r"\\(.)", r"\1", e.value) for e in at.error)
        assert (folder / "kia.yaml").read_text(encoding="utf-8") == kia
        assert at.selectbox(key="angra_batch")  # the rest of the page is still there
    finally:
        broken.unlink()
