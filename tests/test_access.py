"""Roles from an identity provider's claims (lagesbild.access), and the audit log in the store
(lagesbild.store.audit), including what the command line writes to it."""

import getpass
from datetime import date, datetime, timedelta, timezone

import pytest
from conftest import AREAS, small_store

from lagesbild import access, cli, store
from lagesbild.errors import ConfigError
from lagesbild.store import audit

ROLES_YAML = """
gruppclaim: groups
roller:
  forvaltare:
    epost: [Chef@Kommun.se]
  analytiker:
    grupper: [g-analys]
  lasare:
    epost: ["*@kommun.se"]
    grupper: [g-alla]
"""


@pytest.fixture
def roles(tmp_path):
    path = tmp_path / "roller.yaml"
    path.write_text(ROLES_YAML, encoding="utf-8")
    return access.load_roles(path)


@pytest.mark.parametrize("claims, role", [
    ({"email": "chef@kommun.se", "groups": ["g-alla"]}, "forvaltare"),  # highest rule wins
    ({"email": "CHEF@kommun.se"}, "forvaltare"),  # addresses compare case-insensitively
    ({"email": "ann@kommun.se", "groups": ["g-analys"]}, "analytiker"),
    ({"email": "ann@kommun.se"}, "lasare"),  # the pattern *@kommun.se
    ({"preferred_username": "ann@kommun.se"}, "lasare"),  # Entra ID's UPN when no email
    ({"email": "x@annan.se", "groups": "g-alla"}, "lasare"),  # a single group as a string
    ({"email": "x@annan.se"}, None),
    ({"email": "chef@kommun.se", "email_verified": False}, None),  # unverified proves nothing
    ({}, None),
])
def test_claims_map_onto_the_highest_role(roles, claims, role):
    assert roles.role_for(claims) == role


def test_roles_include_the_ones_before_them():
    assert access.allows("forvaltare", "analytiker") and access.allows("analytiker", "lasare")
    assert not access.allows("lasare", "analytiker") and not access.allows(None, "lasare")


def test_another_group_claim_can_be_named(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("gruppclaim: roles\nroller:\n  analytiker:\n    grupper: [Analys]\n",
                    encoding="utf-8")
    assert access.load_roles(path).role_for({"roles": ["Analys"]}) == "analytiker"


@pytest.mark.parametrize("text, message", [
    ("roller:\n  chef:\n    epost: [a@b.se]\n", "okänd roll ”chef”"),
    ("roller:\n  lasare:\n    namn: [Anna]\n", "bara ha ”epost” och ”grupper”"),
    ("roller:\n  lasare:\n    epost: {a: b}\n", "lasare.epost ska vara en lista"),
    ("roller: [\n", "inte giltig YAML"),
])
def test_a_broken_role_file_gets_a_swedish_message(tmp_path, text, message):
    path = tmp_path / "roller.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        access.load_roles(path)


def test_a_missing_role_file_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="LAGESBILD_ROLLER"):
        access.load_roles(tmp_path / "saknas.yaml")


def test_the_shipped_example_role_file_is_valid(root):
    example = access.load_roles(root / "roller.exempel.yaml")
    assert {r.role for r in example.rules} == set(access.ROLES)


# The audit log


@pytest.fixture
def engine(tmp_path):
    _, engine = small_store(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    return engine


def test_entries_are_read_back_newest_first_and_filtered(engine):
    t0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
    audit.record(engine, "anna@kommun.se", "inloggning", {"roll": "lasare"}, now=t0)
    audit.record(engine, "bo@kommun.se", "import", {"batch": 7, "fil": "okt.csv"},
                 now=t0 + timedelta(days=1))
    audit.record(engine, "anna@kommun.se", "export", {"format": "png"},
                 now=t0 + timedelta(days=2))
    every = audit.read(engine)
    assert every["action"].tolist() == ["export", "import", "inloggning"]
    assert every["details"][1] == {"batch": 7, "fil": "okt.csv"}
    assert str(every["at"].dt.tz) == "Europe/Stockholm"
    assert every["at"][2].hour == 11  # 10:00 UTC is 11:00 in Sweden in March
    assert audit.read(engine, who=["anna@kommun.se"])["action"].tolist() == \
        ["export", "inloggning"]
    assert audit.read(engine, actions=["import"])["who"].tolist() == ["bo@kommun.se"]
    assert audit.read(engine, start=date(2026, 3, 2), end=date(2026, 3, 2))[
        "action"].tolist() == ["import"]
    assert audit.people(engine) == ["anna@kommun.se", "bo@kommun.se"]


def test_a_day_is_a_swedish_day(engine):
    # 23:30 UTC on 1 March is already 2 March in Sweden.
    audit.record(engine, "a", "inloggning", now=datetime(2026, 3, 1, 23, 30,
                                                          tzinfo=timezone.utc))
    assert len(audit.read(engine, start=date(2026, 3, 2), end=date(2026, 3, 2))) == 1
    assert len(audit.read(engine, start=date(2026, 3, 1), end=date(2026, 3, 1))) == 0


def test_old_entries_are_deleted_on_the_next_write(engine):
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    audit.record(engine, "a", "inloggning", now=now - timedelta(days=40))
    audit.record(engine, "b", "inloggning", now=now - timedelta(days=10))
    audit.record(engine, "c", "inloggning", keep_days=30, now=now)
    assert sorted(audit.read(engine)["who"]) == ["b", "c"]
    assert audit.prune(engine, 5, now=now) == 1


def test_details_hold_names_not_data(engine):
    import pandas as pd

    with pytest.raises(TypeError, match="only names, codes and periods"):
        audit.record(engine, "a", "export", {"tabell": pd.DataFrame({"antal": [3]})})
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(engine, "a", "titta")


def test_the_csv_is_swedish_and_neutralises_formulas(engine):
    audit.record(engine, "=cmd|' /C calc'!A0", "profil", {"profil": "+sum", "ny": True})
    shown = audit.table(audit.read(engine))
    assert shown.columns.tolist() == ["Tid", "Vem", "Vad", "Detaljer"]
    assert shown["Vad"][0] == "Ändrad källprofil"
    audit.record(engine, "b", "inloggning", {"namn": "B", "roll": "forvaltare"})
    audit.record(engine, "c", "inloggning", {"namn": "C", "roll": None})
    assert audit.table(audit.read(engine, who=["b", "c"]))["Detaljer"].tolist() == \
        ["namn: C; roll: ingen", "namn: B; roll: förvaltare"]
    text = audit.to_csv(shown).decode("utf-8-sig")
    assert text.splitlines()[0] == "Tid;Vem;Vad;Detaljer"
    assert ";'=cmd|' /C calc'!A0;" in text
    assert "profil: +sum" in text


def _csv(rows: list[str]) -> str:
    header = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"
    return "\n".join([header, *rows]) + "\n"


def test_the_command_line_logs_imports_and_undos_as_the_os_user(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    small_store(url)
    monkeypatch.setenv("LAGESBILD_DB_URL", url)
    monkeypatch.setenv("LAGESBILD_DEMO", "0")
    path = tmp_path / "oros.csv"
    path.write_text(_csv([f"2023-05-0{d};{AREAS[0]};Flicka;4;Övrigt;Polis" for d in (1, 2, 3)]),
                    encoding="utf-8")
    assert cli.main(["import", str(path), "--matt", "orosanmalningar", "--vem", "strateg"]) == 0
    engine = store.connect(url)
    entry = audit.read(engine).iloc[0]
    assert (entry["who"], entry["action"]) == (getpass.getuser(), "import")
    details = entry["details"]
    assert details["fil"] == "oros.csv" and details["nya_perioder"] == ["2023-05"]
    assert details["vem"] == "strateg" and details["via"] == "kommandoraden"
    # Names, the file and periods; no row counts (for a file of events that is the data).
    assert set(details) == {"batch", "matt", "fil", "sha256", "kallsystem", "profil",
                            "nya_perioder", "ersatta_perioder", "via", "vem"}
    batch = details["batch"]
    assert cli.main(["undo", str(batch), "--ja"]) == 0
    entry = audit.read(engine).iloc[0]
    assert (entry["who"], entry["action"]) == (getpass.getuser(), "angra")
    assert entry["details"] == {"batch": batch, "matt": "orosanmalningar", "fil": "oros.csv",
                                "via": "kommandoraden"}
