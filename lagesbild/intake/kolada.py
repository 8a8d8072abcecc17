"""Kolada (RKA): the catalogue of comparison indicators and a client for its open API (v3).

Kolada publishes yearly key figures (KPIs) per municipality, county and riket. The client
asks ``{base}/data/kpi/{kpi}/municipality/{ids}/year/{years}``, follows the answer's next
page (``next_page``; some v3 answers call it ``next_url``) and turns every value into one row
of the frame :data:`COLUMNS`. It waits at most the configured timeout for each answer and says
in Swedish when Kolada cannot be reached. Nothing here runs when a page opens: the command
line (``kolada hamta``) and the analyst's button call it.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from lagesbild import fmt
from lagesbild.config import Catalogue
from lagesbild.errors import ConfigError, LagesbildError

# One row per KPI, area, year and sex. kon: T (totalt), K (kvinnor), M (män), as in Kolada.
COLUMNS = ["kpi", "kommun", "ar", "kon", "varde", "status", "underlag"]
GENDERS = ("T", "K", "M")
YEARS_PER_REQUEST = 25  # Kolada refuses longer year lists
MAX_PAGES = 200


class KoladaError(LagesbildError):
    """Kolada could not be reached, or answered with something we cannot use."""


@dataclass(frozen=True)
class Kpi:
    """One comparison indicator of the catalogue."""

    id: str
    label: str
    measure: str
    unit: str = ""
    source_note: str = ""
    own_rate: bool = False
    definition: str = ""
    group: str | None = None  # a Kolada municipality group of similar municipalities


@dataclass(frozen=True)
class Comparison:
    """The comparison catalogue: areas and indicators (``jamforelse.yaml``)."""

    kommun: str
    kommun_name: str
    riket: tuple[str, str]
    lan: tuple[str, str]
    similar_name: str
    similar: dict[str, str]  # kommunkod -> name, the configured list
    group: str | None  # Kolada municipality group id, when known
    kpis: dict[str, Kpi] = field(default_factory=dict)

    def for_measure(self, code: str) -> list[Kpi]:
        return [k for k in self.kpis.values() if k.measure == code]

    areas_named: dict[str, str] = field(default_factory=dict)  # names Kolada gave (groups)

    def names(self) -> dict[str, str]:
        """Area id -> name, for every area we compare with."""
        return {**self.areas_named, self.kommun: self.kommun_name, self.riket[0]: self.riket[1],
                self.lan[0]: self.lan[1], **self.similar}

    def areas(self, similar: dict[str, str] | None = None) -> list[str]:
        """The ids to fetch: the municipality, the county, riket and the similar ones."""
        return list(dict.fromkeys([self.kommun, self.lan[0], self.riket[0],
                                   *(similar if similar is not None else self.similar)]))


def load_comparison(path: Path, catalogue: Catalogue) -> Comparison:
    """Read and check the comparison catalogue against the catalogue of measures."""
    name = Path(path).name
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"Jämförelsekatalogen {path} finns inte.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Jämförelsekatalogen {name} är inte giltig YAML: {exc}") from None
    kommun = catalogue.kommunkod
    riket = raw.get("riket") or {}
    lan = raw.get("lan") or {}
    similar = raw.get("liknande") or {}
    kpis = {}
    for kpi_id, spec in (raw.get("nyckeltal") or {}).items():
        kpi_id = str(kpi_id)
        spec = spec or {}
        measure = str(spec.get("matt", ""))
        if measure not in catalogue.measures:
            raise ConfigError(f"{name}: nyckeltalet {kpi_id} hör till måttet ”{measure}”, som "
                              "inte finns i katalogen.")
        if spec.get("egen") and not spec.get("definition"):
            raise ConfigError(f"{name}: nyckeltalet {kpi_id} visar vår egen siffra bredvid "
                              "Koladas och behöver då ”definition” (hur måtten skiljer sig).")
        kpis[kpi_id] = Kpi(kpi_id, str(spec.get("namn") or kpi_id), measure,
                           str(spec.get("enhet") or ""), str(spec.get("kalla") or ""),
                           bool(spec.get("egen", False)), str(spec.get("definition") or ""),
                           spec.get("kommungrupp"))
    return Comparison(
        kommun=kommun, kommun_name=catalogue.kommun or kommun,
        riket=(str(riket.get("kod", "0000")), str(riket.get("namn", "Riket"))),
        # Kolada's county ids are 00 and the two-digit län code: Norrbotten (25) is 0025.
        lan=(str(lan.get("kod") or f"00{kommun[:2]}"), str(lan.get("namn") or "Länet")),
        similar_name=str(similar.get("namn") or "Liknande kommuner"),
        similar={str(k): str(v) for k, v in (similar.get("kommuner") or {}).items()},
        group=similar.get("kommungrupp"),
        kpis=kpis,
    )


def parse_values(answer: dict) -> pd.DataFrame:
    """Rows of :data:`COLUMNS` from one answer of ``/data/...`` in Kolada's v3 format."""
    rows = []
    try:
        for item in answer.get("values") or []:
            for value in item.get("values") or []:
                rows.append({
                    "kpi": str(item["kpi"]), "kommun": str(item["municipality"]),
                    "ar": int(item["period"]), "kon": str(value.get("gender") or "T"),
                    "varde": None if value.get("value") is None else float(value["value"]),
                    "status": str(value.get("status") or ""),
                    "underlag": None if value.get("count") is None else int(value["count"]),
                })
    except (AttributeError, KeyError, TypeError, ValueError):
        raise KoladaError("Svaret från Kolada har inte den form som Koladas API (v3) "
                          "beskriver; inget sparades. Försök igen senare.") from None
    return frame(rows)


def frame(rows) -> pd.DataFrame:
    """The canonical value frame, typed."""
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.astype({"kpi": "string", "kommun": "string", "ar": "int64", "kon": "string",
                       "varde": "float64", "status": "string", "underlag": "Int64"})


class Client:
    """Kolada's API v3: data per KPI for areas and years, groups and KPI titles.

    Parameters
    ----------
    base_url : str
        ``https://api.kolada.se/v3``, or a test server's address.
    timeout : float
        Seconds to wait for each answer.
    """

    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.host = urllib.parse.urlsplit(self.base_url).netloc

    @property
    def _seconds(self) -> str:
        """The timeout as users read it: "20", "0,5"."""
        return fmt.number(self.timeout, 0 if float(self.timeout).is_integer() else 1)

    def _get(self, url: str) -> dict:
        request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                       "User-Agent": "social-lagesbild"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise KoladaError(f"Kolada svarade med ett fel (HTTP {exc.code}) på {self.host}. "
                              "Försök igen senare; jämförelsetal som redan är hämtade finns "
                              "kvar.") from None
        except (TimeoutError, socket.timeout):
            raise KoladaError(
                f"Kolada ({self.host}) svarade inte inom {self._seconds} sekunder. Försök "
                "igen senare, eller läs in Koladas export på sidan Import. Jämförelsetal som "
                "redan är hämtade finns kvar.") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise KoladaError(
                    f"Kolada ({self.host}) svarade inte inom {self._seconds} sekunder. Försök "
                    "igen senare, eller läs in Koladas export på sidan Import. Jämförelsetal "
                    "som redan är hämtade finns kvar.") from None
            raise KoladaError(
                f"Kan inte nå Kolada ({self.host}): datorn verkar sakna förbindelse med "
                "internet. Hämta jämförelsetalen från en dator som når Kolada, eller ladda ner "
                "Koladas export på kolada.se och läs in den på sidan Import. Jämförelsetal som "
                "redan är hämtade finns kvar.") from None
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise KoladaError(f"Svaret från Kolada ({self.host}) gick inte att läsa som JSON. "
                              "Försök igen senare.") from None

    def _pages(self, url: str):
        """Every answer from *url* on, following the next page on the same host."""
        seen = set()
        while url and url not in seen and len(seen) < MAX_PAGES:
            seen.add(url)
            answer = self._get(url)
            yield answer
            following = answer.get("next_page") or answer.get("next_url")
            if following and urllib.parse.urlsplit(following).netloc not in ("", self.host):
                raise KoladaError("Kolada hänvisade nästa sida till en annan adress "
                                  f"({urllib.parse.urlsplit(following).netloc}); hämtningen "
                                  "avbröts.")
            url = urllib.parse.urljoin(url, following) if following else None

    def data(self, kpi: str, areas: list[str], years: list[int]) -> pd.DataFrame:
        """Every value of *kpi* for *areas* and *years*, all pages, as :data:`COLUMNS`."""
        parts = []
        ids = ",".join(urllib.parse.quote(a) for a in areas)
        for i in range(0, len(years), YEARS_PER_REQUEST):
            chunk = ",".join(str(y) for y in years[i:i + YEARS_PER_REQUEST])
            url = (f"{self.base_url}/data/kpi/{urllib.parse.quote(kpi)}/municipality/{ids}"
                   f"/year/{chunk}")
            parts += [parse_values(answer) for answer in self._pages(url)]
        return frame([]) if not parts else pd.concat(parts, ignore_index=True)

    def kpi_titles(self, kpis: list[str]) -> dict[str, dict]:
        """Kolada's metadata per KPI id: title, description, whether it is split by sex."""
        url = f"{self.base_url}/kpi/{','.join(urllib.parse.quote(k) for k in kpis)}"
        found = {}
        for answer in self._pages(url):
            for item in answer.get("values") or []:
                found[str(item.get("id"))] = {
                    "title": str(item.get("title") or ""),
                    "description": str(item.get("description") or ""),
                    "by_sex": bool(item.get("is_divided_by_gender")),
                }
        return found

    def group_members(self, group: str) -> dict[str, str]:
        """The municipalities of a Kolada municipality group: id -> name."""
        members = {}
        for answer in self._pages(f"{self.base_url}/municipality_groups/"
                                  f"{urllib.parse.quote(group)}"):
            for item in answer.get("values") or []:
                for member in item.get("members") or []:
                    if isinstance(member, dict):
                        members[str(member.get("id"))] = str(member.get("title") or "")
                    else:
                        members[str(member)] = str(member)
        if not members:
            raise KoladaError(f"Kolada känner inte till kommungruppen {group}, eller så har den "
                              "inga medlemmar. Kontrollera ”kommungrupp” i "
                              "jämförelsekatalogen.")
        return members


def parse_years(text: str) -> list[int]:
    """"2020-2025" or "2021,2023" or "2024" -> the years, checked."""
    years: list[int] = []
    try:
        for part in str(text).replace(" ", "").split(","):
            if "-" in part:
                first, last = (int(x) for x in part.split("-", 1))
                years += list(range(first, last + 1))
            elif part:
                years.append(int(part))
    except ValueError:
        years = []
    if not years or any(y < 1990 or y > 2100 for y in years):
        raise KoladaError(f"Åren ska skrivas som 2020-2025 eller 2021,2023, inte ”{text}”.")
    return sorted(set(years))
