"""The personnummer guard: what looks like a personnummer, and that it stops an import."""

import pandas as pd
import pytest

from lagesbild.errors import DataError
from lagesbild.intake import load, personnummer


def with_check_digit(first9: str) -> str:
    """Append the Luhn check digit to nine digits (YYMMDDNNN)."""
    total = 0
    for i, ch in enumerate(first9):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return first9 + str((10 - total % 10) % 10)


VALID = with_check_digit("811218987")  # 8112189876, Skatteverket's example
SAMORDNING = with_check_digit("811278987")  # day 18 + 60


@pytest.mark.parametrize("value, expected", [
    (VALID, True),
    (f"{VALID[:6]}-{VALID[6:]}", True),
    (f"19{VALID}", True),
    (f"19{VALID[:6]}-{VALID[6:]}", True),
    (f"{VALID[:6]}+{VALID[6:]}", True),  # 100 years or older
    (SAMORDNING, True),
    (f"{SAMORDNING[:6]}-{SAMORDNING[6:]}", True),
    (VALID[:-1] + str((int(VALID[-1]) + 1) % 10), False),  # wrong check digit
    (with_check_digit("811318987"), False),  # month 13
    (with_check_digit("810230987"), False),  # 30 February
    (with_check_digit("810292987"), False),  # samordningsnummer for 32 February
    (f"17{VALID}", False),  # no such century
    ("2019-01-05", False),
    ("97231", False),
    ("972 31", False),
    ("070-1234567", False),
    ("12345", False),
    ("", False),
])
def test_what_looks_like_a_personnummer(value, expected):
    assert personnummer.is_personnummer(value) is expected


def test_suspicious_rows_marks_only_the_personnummer():
    values = pd.Series(["2023-01-05", VALID, "97231", SAMORDNING, None], dtype="string")
    assert personnummer.suspicious_rows(values).tolist() == [False, True, False, True, False]


def _sheet(text: str):
    [sheet] = load.read_export(text.encode(), "export.csv", None)
    return sheet


def test_a_column_of_personnummer_stops_the_file_naming_the_column_not_the_value():
    sheet = _sheet("År;Postnummer;Kön;Ålder;Antal;Klient\n"
                   f"2023;97231;män;5;3;{VALID[:6]}-{VALID[6:]}\n"
                   "2023;97231;män;6;3;\n"
                   f"2023;97231;män;7;3;{SAMORDNING}\n")
    with pytest.raises(DataError) as info:
        personnummer.check(sheet)
    message = str(info.value)
    assert "kolumnen ”Klient” (till exempel rad 2, 4)" in message
    assert "Inget från filen har sparats" in message
    assert VALID[:6] not in message and SAMORDNING[:6] not in message


def test_a_personnummer_header_stops_the_file_even_when_values_are_masked():
    sheet = _sheet("År;Postnummer;Kön;Ålder;Antal;Personnr\n2023;97231;män;5;3;811218-XXXX\n")
    with pytest.raises(DataError, match="kolumnen ”Personnr”"):
        personnummer.check(sheet)


def test_a_column_without_header_is_checked_too():
    sheet = _sheet(f"År;Postnummer;Kön;Ålder;Antal;\n2023;97231;män;5;3;{VALID}\n")
    with pytest.raises(DataError, match="kolumnen ”kolumn F”"):
        personnummer.check(sheet)


def test_ordinary_exports_pass():
    personnummer.check(_sheet("År;Postnummer;Kön;Ålder;Antal\n2023;97231;män;5;3\n"))
