"""Settings and the catalogue of measures, declared once.

Long because every setting is declared here, in one table with its default and help text
(as datasette does), and the catalogue's reader checks every field of katalog.yaml.

``SETTINGS`` lists every setting with its environment variable, default and help text;
README documents each of them (a test checks). ``Config`` is the frozen result that ``webapp.data``
and the command line build once and pass down explicitly. Nothing deeper reads files or the
environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from lagesbild.errors import ConfigError, UnknownError

if TYPE_CHECKING:  # pandas only where a month is read: settings alone (--help) need none
    import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: object
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("db_url", "LAGESBILD_DB_URL", f"sqlite:///{ROOT / 'data' / 'lagesbild.sqlite'}",
            "SQLAlchemy URL of the store. Default: an SQLite file under data/."),
    Setting("demo", "LAGESBILD_DEMO", True,
            "Load the bundled synthetic demo data when the store is empty. Set 0 in production."),
    Setting("demo_dir", "LAGESBILD_DEMO_DIR", ROOT / "data" / "demo",
            "Folder with the demo source files."),
    Setting("katalog", "LAGESBILD_KATALOG", PACKAGE_DIR / "katalog.yaml",
            "YAML catalogue of measures, categories and age groups."),
    Setting("shapes", "LAGESBILD_SHAPES", ROOT / "shapes" / "lulea_postnummer_demo.gpkg",
            "Postnummer polygons (GeoPackage, Shapefile or GeoJSON, any CRS)."),
    Setting("omraden", "LAGESBILD_OMRADEN", ROOT / "shapes" / "lulea_omraden_demo.yaml",
            "YAML grouping of postnummer into larger areas (stadsdelar) for the map."),
    Setting("threshold", "LAGESBILD_TROSKEL", 5,
            "Disclosure control: counts from 1 up to this value minus one are shown as '<N'."),
    Setting("profiles", "LAGESBILD_PROFILER", ROOT / "profiler",
            "Folder of source profiles (YAML) that map export columns and codes onto the "
            "catalogue; mappings made on the page Data are saved here."),
    Setting("noise_scales", "LAGESBILD_BRUSNIVAER", "",
            "Disclosure control: the noise scale (standard deviation of the discrete Gaussian) "
            "of each level a month is measured at when it is published, e.g. "
            "'postnummer=2.5,kategori=3'; empty: the defaults (see Om data). Recorded with "
            "every release; a new scale applies to months published after the change."),
    Setting("log", "LAGESBILD_LOGG", ROOT / "data" / "lagesbild.log",
            "Log file of the command line: the details (tracebacks) of errors whose short "
            "Swedish message the user sees."),
    Setting("busy_timeout", "LAGESBILD_SQLITE_VANTETID", 30.0,
            "SQLite: seconds a write waits for another write to finish before giving up with a "
            "Swedish message (reads never wait: the store runs in WAL mode)."),
    Setting("connect_timeout", "LAGESBILD_PG_ANSLUTNINGSTID", 10.0,
            "PostgreSQL: seconds to wait for a connection before giving up."),
    Setting("statement_timeout", "LAGESBILD_PG_FRAGETID", 120.0,
            "PostgreSQL: seconds one statement may run before the server cancels it."),
    # Limits on imported files: a file over one is refused with a Swedish message before it
    # is parsed, and a workbook is parsed in a child process that cannot take the server down.
    Setting("max_file_mb", "LAGESBILD_MAX_FIL_MB", 25,
            "Largest file (MB) an import reads; keep Streamlit's server.maxUploadSize the same."),
    Setting("max_unpacked_mb", "LAGESBILD_MAX_UPPACKAT_MB", 400,
            "Largest total unpacked size (MB) of an .xlsx/.ods file (a zip of XML)."),
    Setting("max_rows", "LAGESBILD_MAX_RADER", 500_000,
            "Most rows per sheet, as the sheet declares or holds them."),
    Setting("max_cells", "LAGESBILD_MAX_CELLER", 5_000_000,
            "Most cells (rows times columns) per sheet."),
    Setting("parse_memory_mb", "LAGESBILD_LASMINNE_MB", 2048,
            "Memory (MB of address space) the child process reading a workbook may use."),
    Setting("parse_seconds", "LAGESBILD_LASTID_S", 120,
            "Seconds the child process reading a workbook may take."),
    Setting("roles", "LAGESBILD_ROLLER", ROOT / "roller.yaml",
            "YAML file that maps the identity provider's groups and e-mail addresses onto "
            "the roles lasare, analytiker and forvaltare (used when login is on)."),
    Setting("require_login", "LAGESBILD_KRAV_INLOGGNING", False,
            "Production: refuse to show anything unless login ([auth] in "
            ".streamlit/secrets.toml) is configured."),
    Setting("session_hours", "LAGESBILD_SESSION_TIMMAR", 8,
            "Hours of inactivity after which a logged-in user is logged out."),
    Setting("audit_days", "LAGESBILD_LOGG_DAGAR", 730,
            "Days the audit log keeps an entry; older entries are deleted on the next write."),
    # Comparisons with riket, länet and similar municipalities (Kolada), fetched on request.
    Setting("jamforelse", "LAGESBILD_JAMFORELSE", PACKAGE_DIR / "jamforelse.yaml",
            "YAML catalogue of Kolada comparison indicators (KPI ids per measure page) and "
            "the comparison groups."),
    Setting("kolada_url", "LAGESBILD_KOLADA_URL", "https://api.kolada.se/v3",
            "Base URL of Kolada's open API (v3)."),
    Setting("kolada_timeout", "LAGESBILD_KOLADA_TIDSGRANS", 20.0,
            "Seconds to wait for each answer from Kolada before giving up with a Swedish "
            "message."),
    Setting("report_template", "LAGESBILD_RAPPORTMALL", "",
            "The municipality's PowerPoint template (.potx or .pptx) for the report decks; "
            "empty: a plain 16:9 deck."),
    Setting("app_url", "LAGESBILD_APPADRESS", "",
            "The app's address as colleagues reach it (https://…), for the links in the "
            "newsletter; empty: the newsletter names the app without a link."),
)
_DEFAULTS = {s.name: s.default for s in SETTINGS}

_TRUE = {"1", "true", "ja", "yes", "on"}
_FALSE = {"0", "false", "nej", "no", "off", ""}


def _coerce(setting: Setting, raw: str) -> object:
    default = setting.default
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{setting.env} ska vara 1 eller 0, inte ”{raw}”.")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{setting.env} ska vara ett heltal, inte ”{raw}”.") from None
    if isinstance(default, float):
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            value = -1.0
        if not 0 < value < 86_400:
            raise ConfigError(f"{setting.env} ska vara ett antal sekunder (större än 0), inte "
                              f"”{raw}”.")
        return value
    if isinstance(default, Path):
        return Path(raw)
    return raw


@dataclass(frozen=True)
class AgeGroup:
    code: str
    low: int
    high: int | None  # None: "and older"

    @property
    def label(self) -> str:
        return f"{self.low}+ år" if self.high is None else f"{self.low}–{self.high} år"

    def contains(self, age: int) -> bool:
        return age >= self.low and (self.high is None or age <= self.high)


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    categories: dict[str, str]  # code -> label
    aliases: tuple[str, ...] = ()
    stock: tuple[str, ...] = ()  # categories that are levels at month end, not flows


@dataclass(frozen=True)
class Variable:
    code: str
    label: str
    aggregation: str = "summa"  # summa | medel
    without_sex: bool = False
    stock: bool = False  # a level (nights occupied, open cases), not independent events


@dataclass(frozen=True)
class SeriesBreak:
    """A known break in a measure's series, from the month it takes effect."""

    month: pd.Timestamp
    text: str


@dataclass(frozen=True)
class TargetPopulation:
    low: int
    high: int | None
    label: str


@dataclass(frozen=True)
class Measure:
    """One measure (mått) of the catalogue."""

    code: str
    label: str
    short: str
    counted: str
    has_postnummer: bool
    has_sex: bool
    age_grouping: str | None
    age_groups: tuple[AgeGroup, ...]
    target: TargetPopulation | None
    dimensions: dict[str, Dimension]
    variables: dict[str, Variable]
    headline_label: str | None = None  # what the overview counts, if not everything
    headline_filter: tuple[tuple[str, tuple[str, ...]], ...] = ()
    source: str = "socialförvaltningens verksamhetssystem"
    breaks: tuple[SeriesBreak, ...] = ()

    @property
    def primary(self) -> Variable:
        return next(iter(self.variables.values()))

    @property
    def dimension_columns(self) -> list[str]:
        """Columns of the canonical frame besides month, storhet and antal, in order."""
        cols = ["postnummer"] if self.has_postnummer else []
        if self.has_sex:
            cols.append("kon")
        if self.age_groups:
            cols.append("aldersgrupp")
        return cols + list(self.dimensions)

    def is_stock(self, storhet: str | None = None) -> bool:
        """Whether the headline (or *storhet*) counts a stock: a variable marked ``bestand``,
        or a headline that selects only stock categories (``pagaende``)."""
        variable = self.variables[storhet or self.primary.code]
        if variable.stock or variable.aggregation == "medel":
            return True
        chosen = [(self.dimensions[d], values) for d, values in self.headline_filter
                  if d in self.dimensions]
        return bool(chosen) and all(set(values) <= set(dim.stock) for dim, values in chosen)

    def dimension_label(self, code: str) -> str:
        fixed = {"postnummer": "Postnummer", "kon": "Kön", "aldersgrupp": "Åldersgrupp"}
        if code in fixed:
            return fixed[code]
        return self.dimensions[code].label

    def check_dimension(self, code: str) -> str:
        if code not in self.dimension_columns:
            allowed = ", ".join(self.dimension_columns) or "(inga)"
            raise UnknownError(
                f"Måttet {self.code} har ingen dimension ”{code}”. Möjliga: {allowed}.")
        return code


@dataclass(frozen=True)
class Catalogue:
    kommunkod: str
    kommun: str
    measures: dict[str, Measure]
    sex_labels: dict[str, dict[str, str]]  # code -> {"barn": ..., "vuxna": ...}
    sex_aliases: dict[str, str]  # lower-case alias -> code
    age_groupings: dict[str, tuple[AgeGroup, ...]]

    def measure(self, code: str) -> Measure:
        if code not in self.measures:
            known = ", ".join(self.measures)
            raise UnknownError(f"Okänt mått ”{code}”. Kända mått: {known}.")
        return self.measures[code]

    def sex_label(self, code: str, measure: Measure | None = None) -> str:
        audience = "barn" if measure is not None and measure.age_grouping == "barn" else "vuxna"
        return self.sex_labels.get(code, {}).get(audience, code)

    @cached_property
    def all_age_groups(self) -> list[str]:
        """Distinct age-group codes across measures, in catalogue order."""
        seen: dict[str, None] = {}
        for m in self.measures.values():
            for g in m.age_groups:
                seen.setdefault(g.code, None)
        return list(seen)


def _age_groups(raw: list[dict], name: str) -> tuple[AgeGroup, ...]:
    groups = []
    for item in raw:
        try:
            groups.append(AgeGroup(str(item["kod"]), int(item["fran"]),
                                   None if item.get("till") is None else int(item["till"])))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"Åldersindelningen ”{name}” i katalogen har en grupp utan giltiga kod/fran/till."
            ) from None
    ordered = sorted(groups, key=lambda g: g.low)
    for a, b in zip(ordered, ordered[1:]):
        if a.high is None or a.high >= b.low:
            raise ConfigError(f"Åldersgrupperna {a.code} och {b.code} i ”{name}” överlappar.")
    return tuple(ordered)


def _measure(code: str, raw: dict, groupings: dict[str, tuple[AgeGroup, ...]]) -> Measure:
    def need(key):
        if key not in raw:
            raise ConfigError(f"Måttet ”{code}” i katalogen saknar nyckeln ”{key}”.")
        return raw[key]

    grouping = raw.get("aldersindelning")
    if grouping is not None and grouping not in groupings:
        raise ConfigError(f"Måttet ”{code}” använder okänd åldersindelning ”{grouping}”.")
    target = raw.get("malgrupp")
    dims = {
        d: Dimension(d, str(spec["namn"]),
                     {str(k): str(v) for k, v in (spec.get("kategorier") or {}).items()},
                     tuple(str(a) for a in spec.get("alias", [])),
                     tuple(str(c) for c in spec.get("bestand", [])))
        for d, spec in (raw.get("dimensioner") or {}).items()
    }
    for d in dims.values():
        if not set(d.stock) <= set(d.categories):
            raise ConfigError(f"Måttet ”{code}”: ”bestand” under ”{d.code}” nämner okända "
                              "kategorier.")
    breaks = []
    for item in raw.get("serieavbrott") or []:
        import pandas as pd

        try:
            breaks.append(SeriesBreak(pd.Timestamp(str(item["manad"]) + "-01"),
                                      str(item["text"])))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"Måttet ”{code}”: varje serieavbrott behöver ”manad” (ÅÅÅÅ-MM) "
                              "och ”text”.") from None
    if len(dims) > 3:
        raise ConfigError(f"Måttet ”{code}” har fler än tre kategoridimensioner.")
    variables = {
        v: Variable(v, str(spec["namn"]), str(spec.get("aggregering", "summa")),
                    bool(spec.get("utan_kon", False)), bool(spec.get("bestand", False)))
        for v, spec in need("storheter").items()
    }
    headline = raw.get("huvudtal") or {}
    headline_filter = tuple((str(d), tuple(str(v) for v in values))
                            for d, values in (headline.get("filter") or {}).items())
    for d, values in headline_filter:
        if d not in dims or not set(values) <= set(dims[d].categories):
            raise ConfigError(f"Måttet ”{code}”: huvudtalets filter på ”{d}” nämner okända "
                              "kategorier.")
    return Measure(
        code=code,
        label=str(need("namn")),
        short=str(raw.get("kort", raw["namn"])),
        counted=str(raw.get("raknas", "antal")),
        has_postnummer=bool(raw.get("postnummer", False)),
        has_sex=bool(raw.get("kon", False)),
        age_grouping=grouping,
        age_groups=groupings.get(grouping, ()) if grouping else (),
        target=None if not target else TargetPopulation(
            int(target["fran"]), None if target.get("till") is None else int(target["till"]),
            str(target["namn"])),
        dimensions=dims,
        variables=variables,
        headline_label=headline.get("namn"),
        headline_filter=headline_filter,
        source=str(raw.get("kalla") or Measure.source),
        breaks=tuple(sorted(breaks, key=lambda b: b.month)),
    )


def load_catalogue(path: Path) -> Catalogue:
    """Read and check the YAML catalogue of measures."""
    try:
        # libyaml's safe loader where installed: the same rules, ten times faster (every
        # command and every app start reads the catalogue).
        raw = yaml.load(Path(path).read_text(encoding="utf-8"),
                        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise ConfigError(f"Katalogen {path} finns inte.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Katalogen {Path(path).name} är inte giltig YAML: {exc}") from None
    groupings = {name: _age_groups(items, name)
                 for name, items in (raw.get("aldersindelningar") or {}).items()}
    sex_labels, sex_aliases = {}, {}
    for code, spec in (raw.get("kon") or {}).items():
        sex_labels[code] = {"barn": spec.get("barn", code), "vuxna": spec.get("vuxna", code)}
        for alias in [code, spec.get("barn"), spec.get("vuxna"), *spec.get("alias", [])]:
            if alias is not None:
                sex_aliases[str(alias).strip().lower()] = code
    measures = {code: _measure(code, spec, groupings) for code, spec in raw["matt"].items()}
    kommun = raw.get("kommun") or {}
    return Catalogue(str(kommun.get("kod", "")), str(kommun.get("namn", "")), measures,
                     sex_labels, sex_aliases, groupings)


@dataclass(frozen=True)
class Config:
    """Everything configurable, built once and passed down."""

    db_url: str = str(_DEFAULTS["db_url"])
    demo: bool = _DEFAULTS["demo"]
    demo_dir: Path = _DEFAULTS["demo_dir"]
    katalog: Path = _DEFAULTS["katalog"]
    shapes: Path = _DEFAULTS["shapes"]
    omraden: Path = _DEFAULTS["omraden"]
    threshold: int = _DEFAULTS["threshold"]
    profiles: Path = _DEFAULTS["profiles"]
    noise_scales: str = _DEFAULTS["noise_scales"]
    log: Path = _DEFAULTS["log"]
    busy_timeout: float = _DEFAULTS["busy_timeout"]
    connect_timeout: float = _DEFAULTS["connect_timeout"]
    statement_timeout: float = _DEFAULTS["statement_timeout"]
    max_file_mb: int = _DEFAULTS["max_file_mb"]
    max_unpacked_mb: int = _DEFAULTS["max_unpacked_mb"]
    max_rows: int = _DEFAULTS["max_rows"]
    max_cells: int = _DEFAULTS["max_cells"]
    parse_memory_mb: int = _DEFAULTS["parse_memory_mb"]
    parse_seconds: int = _DEFAULTS["parse_seconds"]
    roles: Path = _DEFAULTS["roles"]
    require_login: bool = _DEFAULTS["require_login"]
    session_hours: int = _DEFAULTS["session_hours"]
    audit_days: int = _DEFAULTS["audit_days"]
    jamforelse: Path = _DEFAULTS["jamforelse"]
    kolada_url: str = _DEFAULTS["kolada_url"]
    kolada_timeout: float = _DEFAULTS["kolada_timeout"]
    report_template: str = _DEFAULTS["report_template"]
    app_url: str = _DEFAULTS["app_url"]
    crs: int = 3006

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Config":
        """Build the config from environment variables, falling back on defaults."""
        env = os.environ if environ is None else environ
        values = {s.name: _coerce(s, env[s.env]) for s in SETTINGS if env.get(s.env) is not None}
        cfg = cls(**values)
        if cfg.threshold < 1:
            raise ConfigError("LAGESBILD_TROSKEL måste vara minst 1.")
        for s in SETTINGS:
            if s.name.startswith(("max_", "parse_")) and getattr(cfg, s.name) < 1:
                raise ConfigError(f"{s.env} måste vara minst 1.")
        if cfg.session_hours < 1 or cfg.audit_days < 1:
            raise ConfigError("LAGESBILD_SESSION_TIMMAR och LAGESBILD_LOGG_DAGAR måste vara "
                              "minst 1.")
        return cfg

    @property
    def store_options(self) -> dict[str, float]:
        """The timeouts ``store.connect`` takes."""
        return {"busy_timeout": self.busy_timeout, "connect_timeout": self.connect_timeout,
                "statement_timeout": self.statement_timeout}

    @cached_property
    def catalogue(self) -> Catalogue:
        return load_catalogue(self.katalog)
