"""Swedish formats, settings and the catalogue."""

from pathlib import Path

import pandas as pd
import pytest

from lagesbild import fmt
from lagesbild.config import SETTINGS, Config, load_catalogue
from lagesbild.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value, decimals, text", [
    (3707, 0, "3\u00a0707"), (6.3, 1, "6,3"), (1234567.25, 2, "1\u00a0234\u00a0567,25"),
    (-12, 0, "−12"), (None, 0, "–"), (float("nan"), 1, "–"),
])
def test_numbers(value, decimals, text):
    assert fmt.number(value, decimals) == text


def test_months_and_periods():
    assert fmt.month(pd.Timestamp("2026-10-01")) == "oktober 2026"
    assert fmt.period("2025-11-01", "2026-10-01") == "nov 2025 – okt 2026"
    assert fmt.percent(5.25) == "+5,2\u00a0%" or fmt.percent(5.25) == "+5,3\u00a0%"
    assert fmt.postnummer("97231") == "972 31"


def test_every_setting_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert setting.env in readme, f"{setting.env} is missing from README"


def test_settings_come_from_the_environment(tmp_path):
    cfg = Config.from_env({"LAGESBILD_DEMO": "0", "LAGESBILD_TROSKEL": "10",
                           "LAGESBILD_DB_URL": "sqlite:///x.db"})
    assert (cfg.demo, cfg.threshold, cfg.db_url) == (False, 10, "sqlite:///x.db")
    with pytest.raises(ConfigError, match="LAGESBILD_DEMO ska vara 1 eller 0"):
        Config.from_env({"LAGESBILD_DEMO": "kanske"})


def test_catalogue_has_the_seven_measures():
    cat = Config().catalogue
    assert list(cat.measures) == ["orosanmalningar", "vald_i_nara_relation", "skadligt_bruk",
                                  "vrakningar", "skuldradgivning", "akutboende", "kia"]
    oros = cat.measure("orosanmalningar")
    assert [g.code for g in oros.age_groups] == ["0-5", "6-11", "12-17", "18-20"]
    assert oros.target.low == 0 and oros.target.high == 20
    assert len(oros.dimensions["orsak"].categories) == 12


def test_age_groups_are_configuration(tmp_path):
    text = (ROOT / "lagesbild" / "katalog.yaml").read_text(encoding="utf-8")
    text = text.replace('    - {kod: "0-5", fran: 0, till: 5}\n    - {kod: "6-11", fran: 6, '
                        'till: 11}\n    - {kod: "12-17", fran: 12, till: 17}\n'
                        '    - {kod: "18-20", fran: 18, till: 20}',
                        '    - {kod: "0-12", fran: 0, till: 12}\n'
                        '    - {kod: "13-18", fran: 13, till: 18}')
    path = tmp_path / "katalog.yaml"
    path.write_text(text, encoding="utf-8")
    groups = load_catalogue(path).measure("orosanmalningar").age_groups
    assert [g.code for g in groups] == ["0-12", "13-18"]


def test_overlapping_age_groups_are_refused(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text("aldersindelningar:\n  x:\n    - {kod: a, fran: 0, till: 10}\n"
                    "    - {kod: b, fran: 5, till: 20}\nmatt: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="överlappar"):
        load_catalogue(path)


@pytest.mark.parametrize("text, cleaned", [
    ("röd\x1b[31m text\x1b[0m", "röd text"),  # colour
    ("\x1b]8;;https://evil.example\x07Logga in\x1b]8;;\x07", "Logga in"),  # OSC hyperlink
    ("\x1b]0;fönstertitel\x07kvar", "kvar"),  # window title
    ("faktura\u202egpj.exe", "fakturagpj.exe"),  # right-to-left override
    ("a\u2066b\u2069c\u200fd", "abcd"),  # isolates and marks
    ("rad1\rrad2\x07\x00", "rad1\ufffdrad2\ufffd\ufffd"),  # carriage return, bell, NUL
    ("rad1\nrad2\tx", "rad1\nrad2 x"),
    ("Våld mot barnet", "Våld mot barnet"),
])
def test_clean_removes_what_steers_a_terminal(text, cleaned):
    assert fmt.clean(text) == cleaned


def test_clean_can_keep_text_on_one_line():
    assert fmt.clean("a\nb", newlines=False) == "a b"
