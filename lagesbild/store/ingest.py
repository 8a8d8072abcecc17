"""The import flow: file bytes -> read -> guard -> normalise -> validate -> plan -> store.

:func:`plan` reads and checks a file and says what storing it would change, without writing;
:func:`commit` stores a clean plan as one batch. The command line, the page "Data" and the
demo loader all go through these two.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from lagesbild import fmt, store
from lagesbild.config import Config
from lagesbild.errors import DataError
from lagesbild.intake import dates, load, normalize, personnummer, profiles
from lagesbild.intake.profiles import Profile
from lagesbild.store import process
from lagesbild.store.opening import connect, open_store  # noqa: F401

log = logging.getLogger(__name__)

POPULATION = profiles.POPULATION
# Columns an import reads; every other column is dropped before anything is written.
_KEPT = {"month", "date", "postnummer", "kon", "alder", "aldersgrupp", "id", "_rad"}


@dataclass(frozen=True)
class Imported:
    batch_id: int
    measure: str
    source: str
    rows_read: int
    rows_stored: int


@dataclass(frozen=True)
class Change:
    """One month (or year, for population) that an import touches."""

    period: str  # "2025-03", or "2023" for population
    before: int | None  # None: nothing stored yet, the period is added
    after: int

    @property
    def replaces(self) -> bool:
        return self.before is not None


@dataclass(frozen=True)
class Plan:
    """What importing a file would do: its problems, or the rows and the months they change."""

    measure: str
    source: str
    digest: str
    rows_read: int
    problems: tuple[str, ...] = ()
    unknown: dict[str, list[str]] = field(default_factory=dict)  # column -> unmapped values
    frame: pd.DataFrame | None = None  # validated rows to store; None when there are problems
    changes: tuple[Change, ...] = ()
    counted: str = ""  # what before/after count, e.g. "Antal anmälningar"
    dropped_columns: tuple[str, ...] = ()  # headers in the file that are not stored
    profile: str | None = None
    source_system: str | None = None
    extracted: dt.date | None = None
    fingerprint: tuple = ()  # the store version the comparison was made against

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows_kept(self) -> int:
        return 0 if self.frame is None else len(self.frame)

    @property
    def added(self) -> list[Change]:
        return [c for c in self.changes if not c.replaces]

    @property
    def replaced(self) -> list[Change]:
        return [c for c in self.changes if c.replaces]


def _shape_postnummer(path: Path) -> set[str] | None:
    """Postnummer in the shapes layer (attributes only: no geometry is read)."""
    if not Path(path).exists():
        return None
    import pyogrio

    from lagesbild.geo import layers

    frame = pyogrio.read_dataframe(path, read_geometry=False)
    column = layers.find_postnummer_column(frame, Path(path).name)
    return set(normalize.postnummer_series(frame[column]).dropna())


def municipality_postnummer(engine: sa.Engine, cfg: Config,
                            measure: str) -> set[str] | None:
    """The postnummer a file may use: the stored population's, else the shapes layer's.

    A population file is checked against the shapes layer only. None: nothing to check with.
    """
    codes = store.postnummer_codes(engine) if measure != POPULATION else set()
    return codes or _shape_postnummer(cfg.shapes)


def _dropped(sheets: list[load.Sheet], kept: set[str]) -> tuple[str, ...]:
    year = re.compile(r"(19|20)\d{2}")
    names: dict[str, None] = {}
    for sheet in sheets:
        for column in sheet.frame.columns:
            header = sheet.headers.get(column, column)
            if column not in kept and not year.search(str(header)):
                names.setdefault(normalize.shown(header), None)
    return tuple(names)


def _changes(engine: sa.Engine | sa.Connection, cfg: Config, measure: str,
             frame: pd.DataFrame) -> tuple[tuple[Change, ...], str]:
    if measure == POPULATION:
        after = frame.groupby("ar")["antal"].sum()
        before = store.year_totals(engine)
        return tuple(Change(str(y), before.get(int(y)), int(n)) for y, n in after.items()), \
            "Folkmängd"
    m = cfg.catalogue.measure(measure)
    present = list(frame["storhet"].unique())
    shown = m.primary.code if m.primary.code in present else present[0]
    after = frame[frame["storhet"] == shown].groupby("month")["antal"].sum()
    months = pd.DatetimeIndex(frame["month"].unique()).sort_values()
    before = store.month_totals(engine, m, shown, [d.date() for d in months])
    return tuple(Change(f"{month:%Y-%m}", before.get(month.date()), int(after.get(month, 0)))
                 for month in months), m.variables[shown].label


def plan(engine: sa.Engine, cfg: Config, data: bytes, name: str, measure: str, *,
         profile: Profile | None = None, extracted: dt.date | None = None,
         progress: store.Progress | None = None) -> Plan:
    """Read and check a file and say what storing it would change; nothing is written.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store, to compare with.
    cfg : Config
        Settings and catalogue.
    data : bytes
        The file's content.
    name : str
        The file name (format and messages).
    measure : str
        A measure code of the catalogue, or ``befolkning``.
    profile : Profile, optional
        The source profile: header and value mappings, source system.
    extracted : datetime.date, optional
        The extraction date; without it, a date in the file's title rows is used.
    progress : callable, optional
        Called with (fraction done, Swedish text) as the work goes on.

    Returns
    -------
    Plan
        With ``problems`` (every one found, in Swedish) or the validated rows and the
        months or years they add or replace.
    """
    from lagesbild.intake import (
        validate,  # pandera is slow to import; the app's start needs none
    )

    cat = cfg.catalogue
    m = None if measure == POPULATION else cat.measure(measure)
    if profile is not None and profile.measure != measure:
        raise DataError(f"Profilen {profile.name} gäller {profile.measure}, inte {measure}.")
    report = progress or (lambda fraction, text: None)
    # A personnummer in the file name is never stored, shown or logged: the plan carries
    # the redacted name, and the file is refused.
    name_problem = personnummer.check_name(name)
    name = fmt.clean(personnummer.redact(name), newlines=False)
    base = dict(measure=measure, source=name, digest=store.sha256(data),
                profile=profile.name if profile else None,
                source_system=profile.system if profile else None)
    if name_problem:
        return Plan(rows_read=0, problems=(name_problem,), **base)
    report(0.0, f"Läser {name} …")
    try:
        sheets = load.read_export(data, name, m, profile.columns if profile else None,
                                  load.Limits.of(cfg))
    except DataError as err:
        return Plan(rows_read=0, problems=tuple(err.problems), **base)
    rows_read = sum(len(s.frame) for s in sheets)
    base |= dict(rows_read=rows_read, extracted=extracted or load.extraction_date(sheets))
    if late := dates.extraction_problem(base["extracted"]):
        return Plan(problems=(late,), **base)
    report(0.4, "Letar efter personnummer …")
    try:
        for sheet in sheets:
            personnummer.check(sheet)
    except DataError as err:
        return Plan(problems=tuple(err.problems), **base)
    kept = _KEPT | (set(m.dimensions) | set(m.variables) if m else {"ar", "antal"})
    base["dropped_columns"] = _dropped(sheets, kept)
    report(0.5, "Kontrollerar värdena …")
    known = municipality_postnummer(engine, cfg, measure)
    values = profile.values if profile else {}
    try:
        if m is None:
            frame, _ = normalize.population(sheets, cat, known_postnummer=known)
        else:
            frame, _ = normalize.counts(sheets, m, cat, values=values, known_postnummer=known,
                                        date_format=profile.date_format if profile else "")
        if frame.empty:
            raise DataError(f"{name} har rubriker men inga rader med data (eller bara nollor).")
        frame = validate.population(frame) if m is None else validate.counts(frame, m, cat)
    except DataError as err:
        return Plan(problems=tuple(err.problems), unknown=err.unknown, **base)
    report(0.8, "Jämför med det som redan finns …")
    changes, counted = _changes(engine, cfg, measure, frame)
    result = Plan(frame=frame, changes=changes, counted=counted,
                  fingerprint=store.fingerprint(engine), **base)
    report(1.0, "Klart")
    return result


STALE = ("Databasen har ändrats sedan förhandsgranskningen (någon annan har läst in eller "
         "ångrat något). Gör förhandsgranskningen igen och kontrollera ändringarna innan du "
         "sparar. Inget har sparats.")


def commit(engine: sa.Engine, cfg: Config, result: Plan, *, created_by: str | None = None,
           progress: store.Progress | None = None) -> Imported:
    """Store a clean plan as one batch (one transaction).

    Refuses a plan with problems, and one made before the store last changed (someone else
    imported or undid meanwhile: the preview would no longer be true). That check runs inside
    the write transaction, which holds the store's write lock from its first statement, so
    two imports cannot both pass it with the same preview.
    """
    if not result.ok:
        raise DataError("Filen har problem och kan inte sparas:\n" +
                        "\n".join(result.problems[:normalize.MAX_LISTED]),
                        problems=list(result.problems), unknown=result.unknown)
    stale = DataError(STALE)
    info = store.BatchInfo(result.source, result.digest, result.rows_read,
                           result.source_system, result.extracted, created_by)
    with store.writing(engine) as conn:
        if store.fingerprint(conn) != result.fingerprint:
            raise stale
        now, _ = _changes(conn, cfg, result.measure, result.frame)
        if [(c.period, c.before) for c in now] != [(c.period, c.before) for c in result.changes]:
            raise stale
        if result.measure == POPULATION:
            batch = store.write_population(conn, result.frame, info, progress=progress)
        else:
            batch = store.write_counts(conn, cfg.catalogue.measure(result.measure),
                                       result.frame, info, progress=progress)
    log.info("import %s: batch %s, %s rows", result.source, batch, result.rows_kept)
    return Imported(batch, result.measure, result.source, result.rows_read, result.rows_kept)


def import_bytes(engine: sa.Engine, cfg: Config, data: bytes, name: str, measure: str,
                 *, created_by: str | None = None, profile: Profile | None = None,
                 extracted: dt.date | None = None,
                 progress: store.Progress | None = None) -> Imported:
    """Plan and commit in one go; raise DataError listing the problems if there are any."""
    result = plan(engine, cfg, data, name, measure, profile=profile, extracted=extracted,
                  progress=progress)
    return commit(engine, cfg, result, created_by=created_by, progress=progress)


def who(text: str | None) -> str:
    """The name typed as "Vem läser in?" / ``--vem``, as stored with a batch: on one line, no
    control characters, no personnummer (someone may type their own), at most 100 characters."""
    return fmt.clean(personnummer.redact((text or "").strip()), newlines=False)[:100]


def measure_for_file(path: Path, cfg: Config) -> str | None:
    """Guess the measure from a demo file name such as ``orosanmalningar_combine.csv``."""
    stem = path.stem.lower()
    for code in [POPULATION, *cfg.catalogue.measures]:
        if stem == code or stem.startswith(code + "_"):
            return code
    return None


DEMO_ACTIONS = "insatser.csv"
DEMO_ACTION_MEASURE = "orosanmalningar"  # what tools/demo.py lowers after the action starts


KOLADA_DEMO = "kolada_demo.json"  # beside the demo folder, not in it (the generator owns it)


def load_demo(engine: sa.Engine, cfg: Config) -> list[Imported]:
    """Import every demo file in ``cfg.demo_dir`` (population first), each with its profile."""
    found = profiles.list_profiles(cfg.profiles, cfg.catalogue)
    jobs = []
    for path in sorted(Path(cfg.demo_dir).iterdir()):
        if path.suffix.lower() not in (".csv", ".xlsx"):
            continue
        profile = profiles.match(found, path.name)
        measure = profile.measure if profile else measure_for_file(path, cfg)
        if measure:
            jobs.append((measure != POPULATION, path, measure, profile))
    if not jobs:
        raise DataError(f"Hittar inga demofiler i {cfg.demo_dir}. "
                        "Kör python -m lagesbild demo för att skapa dem.")
    done = []
    for _, path, measure, profile in sorted(jobs, key=lambda j: (j[0], j[1].name)):
        done.append(import_bytes(engine, cfg, path.read_bytes(), path.name, measure,
                                 created_by="demo", profile=profile))
        log.info("demo: %s -> %s rows", path.name, done[-1].rows_stored)
    actions = Path(cfg.demo_dir) / DEMO_ACTIONS
    if actions.exists():  # the demo's preventive action, so its effect can be followed
        process.load_demo_actions(engine, actions, DEMO_ACTION_MEASURE)
    # The demo's Kolada snapshot (synthetic, dated): comparisons without network.
    from lagesbild.store import kolada as kolada_cache
    kolada_cache.load_snapshot(engine, Path(cfg.demo_dir).parent / KOLADA_DEMO)
    return done
