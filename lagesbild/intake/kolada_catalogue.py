"""The comparison catalogue (``jamforelse.yaml``): which Kolada KPIs each measure page shows,
how our own rate is made comparable, which similar municipalities, and what Kolada lacks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lagesbild.config import Catalogue
from lagesbild.errors import ConfigError

# The kinds of Kolada's "Liknande kommuner" groups the catalogue may choose (``liknande.typ``).
GROUP_KINDS = ("IFO", "ekonomiskt bistånd", "socioekonomi", "övergripande")


@dataclass(frozen=True)
class OwnRate:
    """How our own yearly rate is made comparable with a KPI (``egen`` in the catalogue)."""

    storhet: str | None = None  # the measure's variable; None: its primary one
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()  # e.g. (("skede", ("verkstalld",)),)
    age_groups: tuple[str, ...] = ()  # e.g. the adult groups, for "per 10 000 vuxna"
    per: int = 1000  # per 1 000, 10 000 or 100 000 of the target group, as Kolada states it


@dataclass(frozen=True)
class Kpi:
    """One comparison indicator of the catalogue."""

    id: str
    label: str
    measure: str
    unit: str = ""
    source_note: str = ""
    own: OwnRate | None = None
    definition: str = ""
    by_sex: bool = False  # Kolada divides it by gender (checked in Kolada's metadata)
    overview: bool = False  # one of the figures Översikt shows
    rank: bool = True  # a rate: ranking all municipalities means something
    related: bool = False  # close to the measure, not the same thing: said on the page

    @property
    def own_rate(self) -> bool:
        return self.own is not None


@dataclass(frozen=True)
class Group:
    """A set of similar municipalities: Kolada's group (id, title, year) or our own list."""

    id: str | None
    title: str
    year: int | None
    members: dict[str, str]  # kommunkod -> name

    @property
    def label(self) -> str:
        return self.title


@dataclass(frozen=True)
class Comparison:
    """The comparison catalogue: areas and indicators (``jamforelse.yaml``)."""

    kommun: str
    kommun_name: str
    riket: tuple[str, str]
    lan: tuple[str, str]
    similar_kind: str | None  # Kolada's "Liknande kommuner <kind>" group, newest year
    similar_group: str | None  # or a fixed Kolada group id
    similar: dict[str, str]  # or our own list: kommunkod -> name (wins over both)
    similar_name: str = "Liknande kommuner"
    kpis: dict[str, Kpi] = field(default_factory=dict)
    without: dict[str, str] = field(default_factory=dict)  # measure -> what Kolada lacks
    areas_named: dict[str, str] = field(default_factory=dict)  # names Kolada gave (groups)
    kolada_areas: dict[str, str] = field(default_factory=dict)  # every area Kolada knows

    def for_measure(self, code: str) -> list[Kpi]:
        return [k for k in self.kpis.values() if k.measure == code]

    def custom_group(self) -> Group | None:
        """Our own list of similar municipalities, when the catalogue gives one."""
        if not self.similar:
            return None
        return Group(None, self.similar_name, None, dict(self.similar))

    def names(self) -> dict[str, str]:
        """Area id -> name, for every area we compare with."""
        return {**self.kolada_areas, **self.areas_named, self.kommun: self.kommun_name,
                self.riket[0]: self.riket[1],
                self.lan[0]: self.lan[1], **self.similar}

    def areas(self, similar: dict[str, str] | None = None) -> list[str]:
        """The ids to fetch: the municipality, the county, riket and the similar ones."""
        return list(dict.fromkeys([self.kommun, self.lan[0], self.riket[0],
                                   *(similar if similar is not None else self.similar)]))


def _own(spec, kpi_id: str, name: str) -> OwnRate | None:
    if not spec:
        return None
    if spec is True:
        return OwnRate()
    if not isinstance(spec, dict):
        raise ConfigError(f"{name}: ”egen” för {kpi_id} ska vara true eller en tabell med "
                          "storhet, filter, aldersgrupper och per.")
    per = int(spec.get("per", 1000))
    if per not in (1000, 10_000, 100_000):
        raise ConfigError(f"{name}: ”per” för {kpi_id} ska vara 1000, 10000 eller 100000.")
    return OwnRate(spec.get("storhet"),
                   tuple((str(d), tuple(str(v) for v in vs))
                         for d, vs in (spec.get("filter") or {}).items()),
                   tuple(str(a) for a in spec.get("aldersgrupper") or ()), per)


def load_comparison(path: Path, catalogue: Catalogue) -> Comparison:
    """Read and check the comparison catalogue against the catalogue of measures."""
    name = Path(path).name
    try:
        # libyaml's safe loader where installed, as for the catalogue (read at every start).
        raw = yaml.load(Path(path).read_text(encoding="utf-8"),
                        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except FileNotFoundError:
        raise ConfigError(f"Jämförelsekatalogen {path} finns inte.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Jämförelsekatalogen {name} är inte giltig YAML: {exc}") from None
    kommun = catalogue.kommunkod
    riket = raw.get("riket") or {}
    lan = raw.get("lan") or {}
    similar = raw.get("liknande") or {}
    kind = similar.get("typ")
    if kind is not None and str(kind) not in GROUP_KINDS:
        raise ConfigError(f"{name}: liknande.typ ”{kind}” är ingen av Koladas grupper "
                          f"({', '.join(GROUP_KINDS)}).")
    kpis = {}
    for kpi_id, spec in (raw.get("nyckeltal") or {}).items():
        kpi_id = str(kpi_id)
        spec = spec or {}
        measure = str(spec.get("matt", ""))
        if measure not in catalogue.measures:
            raise ConfigError(f"{name}: nyckeltalet {kpi_id} hör till måttet ”{measure}”, som "
                              "inte finns i katalogen.")
        own = _own(spec.get("egen"), kpi_id, name)
        if own and not spec.get("definition"):
            raise ConfigError(f"{name}: nyckeltalet {kpi_id} visar vår egen siffra bredvid "
                              "Koladas och behöver då ”definition” (hur måtten skiljer sig).")
        if own and own.storhet and own.storhet not in catalogue.measure(measure).variables:
            raise ConfigError(f"{name}: {kpi_id}: måttet ”{measure}” har ingen storhet "
                              f"”{own.storhet}”.")
        kpis[kpi_id] = Kpi(kpi_id, str(spec.get("namn") or kpi_id), measure,
                           str(spec.get("enhet") or ""), str(spec.get("kalla") or ""),
                           own, str(spec.get("definition") or ""),
                           bool(spec.get("kon", False)), bool(spec.get("oversikt", False)),
                           bool(spec.get("rang", True)), bool(spec.get("narliggande", False)))
    without = {str(k): str(v) for k, v in (raw.get("saknas") or {}).items()}
    for code in without:
        if code not in catalogue.measures:
            raise ConfigError(f"{name}: saknas: måttet ”{code}” finns inte i katalogen.")
    return Comparison(
        kommun=kommun, kommun_name=catalogue.kommun or kommun,
        riket=(str(riket.get("kod", "0000")), str(riket.get("namn", "Riket"))),
        # Kolada's county ids are 00 and the two-digit län code: Norrbotten (25) is 0025.
        lan=(str(lan.get("kod") or f"00{kommun[:2]}"), str(lan.get("namn") or "Länet")),
        similar_kind=None if kind is None else str(kind),
        similar_group=similar.get("kommungrupp"),
        similar={str(k): str(v) for k, v in (similar.get("kommuner") or {}).items()},
        similar_name=str(similar.get("namn") or "Liknande kommuner"),
        kpis=kpis, without=without, kolada_areas=kolada_area_names(),
    )


AREAS = Path(__file__).resolve().parent.parent / "kolada_omraden.csv"


def kolada_area_names() -> dict[str, str]:
    """Kolada's 312 areas (290 kommuner, riket, 21 regions): id -> name, as Kolada writes them
    (``lagesbild/kolada_omraden.csv``, from Kolada's v3 metadata)."""
    names = {}
    for line in AREAS.read_text(encoding="utf-8").splitlines():
        parts = line.split(";")
        if len(parts) == 3 and parts[0] != "id" and not line.startswith("#"):
            names[parts[0]] = parts[1]
    return names


GROUP_TITLE = "Liknande kommuner{sep} {kind}, {name}, {year}"


def group_year(title: str, kind: str, name: str) -> int | None:
    """The year of a "Liknande kommuner <kind>, <name>, <year>" title, or None if it is not
    one. Kolada writes "Liknande kommuner IFO, Luleå, 2024" but "Liknande kommuner,
    övergripande, Luleå, 2025"."""
    found = re.fullmatch(rf"Liknande kommuner,?\s+{re.escape(kind)},\s*{re.escape(name)},"
                         r"\s*(\d{4})", str(title).strip(), flags=re.IGNORECASE)
    return int(found.group(1)) if found else None
