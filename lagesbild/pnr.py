"""The personnummer detector: does a text hold a personnummer or samordningsnummer?

The dashboard needs counts, not people. One detector serves every text that enters or leaves
the app: every cell of a file (free text too), headers, the rows above and below a table,
sheet and file names, cell comments, document properties, defined names, hidden sheets, and
every field a user types (observations, actions, notes, report text, profile names, meeting
items; :func:`refuse_typed`).

Text is normalised first (:func:`normalise`): Unicode NFKC (full-width, superscript, circled
and mathematical digits become 0-9), every format character (category Cf: zero-width spaces
and joiners, the soft hyphen, invisible times, the byte-order mark, every bidi control) and
every combining mark is removed, digits of any script become 0-9, every dash becomes "-" and
every space a plain space. Text written right-to-left under a bidi override is read backwards too.

A candidate is a date part (YYMMDD or YYYYMMDD; a samordningsnummer adds 60 to the day; the
century of 8 digits is 18, 19 or 20), then the last four digits, with no digit directly
before or after. How it is written decides what else it needs:

* ``811218-9876``, ``811218+9876``, ``811218 9876`` (a dash, a plus or up to three spaces
  between an unbroken date and the last four): the valid date is enough. That is how a
  personnummer is written, and a false alarm costs a re-export while a miss costs a
  person's privacy.
* 10 or 12 digits in a row, or any other separator anywhere (``1981-12-18-9876``,
  ``19811218    9876``, ``19811218/9876``, ``81.12.18_9876``, ``19 81 12 18 98 76``): also a correct check digit
  (Luhn). A real personnummer always has one; ordinary long numbers and date ranges mostly
  do not. A date written with "-", "." or "/" and then only spaces or a comma before four
  digits (``Uttag 2025-03-12, 1234 rader``) is a date and a number, not a personnummer:
  one in ten such texts would pass the check digit by chance, and refusing an export whose
  title row says so would leave its user no way to import it.

Plain Python (no pandas), so the log formatter uses it too. Where it is applied to files and
typed fields, and what is said then: :mod:`lagesbild.intake.personnummer`.
"""

from __future__ import annotations

import calendar
import re
import unicodedata

# Bidi controls that make text read right to left: what follows them may be digits stored
# backwards so that they show forwards.
_RTL = re.compile(r"[\u200f\u061c\u202b\u202e\u2067]")
_DASHES = ("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2796\ufe58\ufe63\uff0d"
           "\u02d7\u2e3a\u2e3b\u30fc")
_SLASHES = "\u2044\u2215\u29f8\uff0f"
_DOTS = "\u00b7\u2022\u2024\u2027\u2219\u22c5\u30fb\uff0e"
_SEP = r"[ \-./_:,]"  # after normalisation: what may stand between parts of a candidate
_DATE = (rf"(?P<yy>[0-9]{{2}})(?P<s1>{_SEP}{{0,3}})(?P<mm>[0-9]{{2}})(?P<s2>{_SEP}{{0,3}})"
         rf"(?P<dd>[0-9]{{2}})(?P<s3>[ \-./_:,+]{{0,5}})"
         rf"(?P<last>[0-9]{{2}}(?P<s4>[ \-.]?)[0-9]{{2}})"
         r"(?![0-9])(?![\-./][0-9])")
# Overlapping search (a lookahead at every start) with and without the century.
_WITH_CENTURY = re.compile(rf"(?<![0-9])(?<![0-9][\-./])(?=(?P<cc>18|19|20)"
                           rf"(?P<s0>{_SEP}{{0,3}}){_DATE})")
_WITHOUT = re.compile(rf"(?<![0-9])(?<![0-9][\-./])(?=(?P<cc>)(?P<s0>){_DATE})")
_STRONG_SEPARATOR = re.compile(r"-|\+| {1,3}")
_MANY_DIGITS = re.compile(r"(?:[0-9][^0-9]{0,12}){10}")  # a candidate holds ten digits
REDACTED = "[personnummer borttaget]"


class _Folding(dict):
    """``str.translate`` table, filled as characters are met: what each character becomes."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        category = unicodedata.category(ch)
        if category in ("Cf", "Mn", "Me") or code in (0x115F, 0x1160, 0x3164, 0xFFA0):
            value = None  # invisible: format characters, combining marks, Hangul fillers
        elif category == "Nd":
            value = str(unicodedata.decimal(ch))
        elif category == "Pd" or ch in _DASHES:
            value = "-"
        elif ch in _SLASHES:
            value = "/"
        elif ch in _DOTS:
            value = "."
        elif ch.isspace() or category == "Zs":
            value = " "
        else:
            value = ch
        self[code] = value
        return value


_FOLD = _Folding()


def normalise(text: object) -> str:
    """*text* as the guard reads it: NFKC, no invisible characters, 0-9, "-" and " "."""
    text = str(text)
    if text.isascii():
        return text.translate(_FOLD)  # tabs and newlines become spaces
    return unicodedata.normalize("NFKC", text.translate(_FOLD)).translate(_FOLD)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _valid_date(date: str) -> bool:
    """True if *date* (YYMMDD or YYYYMMDD, day + 60 for samordningsnummer) is a real day."""
    if len(date) == 8:
        if date[:2] not in ("18", "19", "20"):
            return False
        year = int(date[:4])
    else:
        year = 2000 + int(date[:2])  # leap years repeat every century well enough here
    month, day = int(date[-4:-2]), int(date[-2:])
    if day > 60:  # samordningsnummer
        day -= 60
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _is_one(match: re.Match) -> bool:
    g = match.groupdict()
    short = g["yy"] + g["mm"] + g["dd"]
    if not _valid_date(g["cc"] + short):
        return False
    last = g["last"].replace(g["s4"], "") if g["s4"] else g["last"]
    inner = g["s0"] or g["s1"] or g["s2"] or g["s4"]
    dated = any(c in "-./" for c in g["s0"] + g["s1"] + g["s2"])
    if dated and g["s3"] and (not g["s3"].strip() or "," in g["s3"]):
        return False  # "Uttag 2025-03-12, 1234 rader": a date, then a number
    plain = not inner and _STRONG_SEPARATOR.fullmatch(g["s3"])
    return bool(plain) or _luhn_ok(short + last)


def _spans(text: str) -> list[tuple[int, int]]:
    """Where in normalised *text* a personnummer stands (start, end)."""
    if not _MANY_DIGITS.search(text):
        return []
    found = []
    for pattern in (_WITH_CENTURY, _WITHOUT):
        for m in pattern.finditer(text):
            if _is_one(m):
                found.append((m.start("cc") if m.group("cc") else m.start("yy"), m.end("last")))
    return found


def contains(text: object) -> bool:
    """True if *text* holds anything that looks like a personnummer (see the module docstring),
    however it is written: digits of any script, invisible characters between them, any
    dash or separator, right-to-left overrides."""
    raw = str(text)
    clean = normalise(raw)
    if _spans(clean):
        return True
    return bool(_RTL.search(raw)) and bool(_spans(clean[::-1]))


def redact(text: str) -> str:
    """*text*, normalised (see :func:`normalise`), with everything that looks like a
    personnummer replaced by a placeholder."""
    raw = str(text)
    clean = normalise(raw)
    if _RTL.search(raw) and _spans(clean[::-1]):
        return re.sub(r"[0-9][0-9 \-./_:,+]*[0-9]", REDACTED, clean)
    parts, at = [], 0
    for start, end in sorted(_spans(clean)):
        if end <= at:
            continue  # inside the one before
        parts += [clean[at:max(start, at)], REDACTED]
        at = end
    return "".join(parts) + clean[at:]


def is_personnummer(value: object) -> bool:
    """True if *value* is exactly a valid personnummer or samordningsnummer (check digit too)."""
    found = re.fullmatch(r"((?:\d{2})?\d{6})([-+])?(\d{4})", normalise(value).strip())
    if not found or not _valid_date(found.group(1)):
        return False
    return _luhn_ok(found.group(1)[-6:] + found.group(3))


