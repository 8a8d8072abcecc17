"""Kolada (RKA): a client for its open API (v3); the catalogue is in ``kolada_catalogue``.

Kolada publishes yearly key figures (KPIs) per municipality, county and riket. The client
asks ``{base}/data/kpi/{kpis}/municipality/{ids}/year/{years}`` (or without the municipality
segment: every area, for the rank among all municipalities), with at most 25 ids in each path
segment (Kolada refuses more), follows ``next_url`` (v3's paging; v2 called it ``next_page``),
drops rows Kolada marks ``isdeleted`` and turns every value into one row of :data:`COLUMNS`.
Municipality groups come back as ``members: [{"member_id", "member_title"}]``; the similar
municipalities are Kolada's own "Liknande kommuner <typ>, <kommun>, <år>" group, found by
title (newest year). It waits at most the configured timeout for each answer and says in
Swedish when Kolada cannot be reached. Nothing here runs when a page opens: the command line
(``kolada hamta``) and the analyst's button call it.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request

import pandas as pd

from lagesbild import fmt
from lagesbild.errors import LagesbildError
# The catalogue (jamforelse.yaml) lives in its own module; its names are used from here too.
from lagesbild.intake.kolada_catalogue import (GROUP_KINDS, Comparison, Group, Kpi,  # noqa: F401
                                               OwnRate, group_year, load_comparison)

# One row per KPI, area, year and sex. kon: T (totalt), K (kvinnor), M (män), as in Kolada.
COLUMNS = ["kpi", "kommun", "ar", "kon", "varde", "status", "underlag"]
GENDERS = ("T", "K", "M")
PER_SEGMENT = 25  # Kolada refuses longer id lists in one path segment (kpi, municipality, year)
MAX_PAGES = 200
PER_PAGE = 5000  # v3's largest page; fewer requests (Kolada may still page by less)
MUNICIPALITY = re.compile(r"^(?!00)\d{4}$")  # a kommun; 00xx are riket and the regions


def chunks(ids: list, size: int = PER_SEGMENT) -> list[list]:
    """*ids* in runs of at most *size* (one path segment each)."""
    ids = list(ids)
    return [ids[i:i + size] for i in range(0, len(ids), size)] or [[]]


def is_municipality(area: str) -> bool:
    """True for a kommun's id (not riket 0000, a region 00xx or a group G…)."""
    return bool(MUNICIPALITY.match(str(area)))


class KoladaError(LagesbildError):
    """Kolada could not be reached, or answered with something we cannot use."""


def parse_values(answer: dict) -> pd.DataFrame:
    """Rows of :data:`COLUMNS` from one answer of ``/data/...`` in Kolada's v3 format."""
    rows = []
    try:
        for item in answer.get("values") or []:
            if item.get("isdeleted"):  # withdrawn by Kolada: never shown
                continue
            for value in item.get("values") or []:
                if value.get("isdeleted"):
                    continue
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
            # v3 names the next page next_url; v2's next_page is still read.
            following = answer.get("next_url") or answer.get("next_page")
            if following and urllib.parse.urlsplit(following).netloc not in ("", self.host):
                raise KoladaError("Kolada hänvisade nästa sida till en annan adress "
                                  f"({urllib.parse.urlsplit(following).netloc}); hämtningen "
                                  "avbröts.")
            url = urllib.parse.urljoin(url, following) if following else None
        if url and url not in seen:  # stopping here would store a silently cut answer
            raise KoladaError(f"Kolada svarade med fler än {MAX_PAGES} sidor; hämtningen "
                              "avbröts och inget sparades. Hämta färre år eller nyckeltal.")

    @staticmethod
    def _segment(ids) -> str:
        return ",".join(urllib.parse.quote(str(i)) for i in ids)

    def data(self, kpis: str | list[str], areas: list[str] | None, years: list[int],
             progress=None) -> pd.DataFrame:
        """Every value of *kpis* for *areas* (None: every area Kolada has) and *years*, all
        pages, as :data:`COLUMNS`. Each id list is split into runs of 25.

        *progress*, if given, is called with (done, total) requests."""
        kpis = [kpis] if isinstance(kpis, str) else list(kpis)
        if not kpis or not years or areas == []:
            return frame([])
        plan = [(k, a, y) for k in chunks(kpis) for a in (chunks(areas) if areas else [None])
                for y in chunks(years)]
        parts = []
        for done, (k, a, y) in enumerate(plan, 1):
            where = f"/municipality/{self._segment(a)}" if a else ""
            url = (f"{self.base_url}/data/kpi/{self._segment(k)}{where}"
                   f"/year/{self._segment(y)}?per_page={PER_PAGE}")
            parts += [parse_values(answer) for answer in self._pages(url)]
            if progress:
                progress(done, len(plan))
        return frame([]) if not parts else pd.concat(parts, ignore_index=True)

    def kpi_titles(self, kpis: list[str]) -> dict[str, dict]:
        """Kolada's metadata per KPI id: title, description, whether it is split by sex."""
        found = {}
        for part in chunks(kpis):
            for answer in self._pages(f"{self.base_url}/kpi/{self._segment(part)}"):
                for item in answer.get("values") or []:
                    found[str(item.get("id"))] = {
                        "title": str(item.get("title") or ""),
                        "description": str(item.get("description") or ""),
                        "by_sex": bool(item.get("is_divided_by_gender")),
                    }
        return found

    @staticmethod
    def _members(item: dict) -> dict[str, str]:
        # v3: [{"member_id": "0163", "member_title": "Sollentuna"}, ...]
        members = {}
        for member in item.get("members") or []:
            if isinstance(member, dict) and member.get("member_id"):
                members[str(member["member_id"])] = str(member.get("member_title") or "")
        return members

    def _groups(self, url: str) -> list[dict]:
        return [item for answer in self._pages(url) for item in answer.get("values") or []
                if isinstance(item, dict)]

    def group(self, group: str) -> Group:
        """One Kolada municipality group by id: its title and members."""
        for item in self._groups(f"{self.base_url}/municipality_groups/"
                                 f"{urllib.parse.quote(group)}"):
            members = self._members(item)
            if str(item.get("id")) == group and members:
                title = str(item.get("title") or group)
                year = re.search(r"(\d{4})\s*$", title)
                return Group(group, title, int(year.group(1)) if year else None, members)
        raise KoladaError(f"Kolada känner inte till kommungruppen {group}, eller så har den "
                          "inga medlemmar. Kontrollera ”kommungrupp” i jämförelsekatalogen.")

    def group_members(self, group: str) -> dict[str, str]:
        """The municipalities of a Kolada municipality group: id -> name."""
        return self.group(group).members

    def similar_group(self, kind: str, name: str) -> Group:
        """The newest "Liknande kommuner <kind>, <name>, <år>" group, found by title."""
        query = urllib.parse.urlencode({"title": name})
        found = []
        for item in self._groups(f"{self.base_url}/municipality_groups?{query}"):
            year = group_year(str(item.get("title") or ""), kind, name)
            members = self._members(item)
            if year and members:
                found.append(Group(str(item.get("id")), str(item["title"]).strip(), year,
                                   members))
        if not found:
            raise KoladaError(f"Kolada har ingen grupp ”Liknande kommuner {kind}, {name}, "
                              "<år>”. Välj en annan typ under liknande i "
                              "jämförelsekatalogen, eller skriv in kommunerna själv.")
        return max(found, key=lambda g: (g.year, g.id))


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
