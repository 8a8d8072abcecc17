"""The page Import och datakvalitet as calls: plan an import (read, check, say what changes)
and commit it, map unknown codes into a source profile, undo a batch, publish a month, and
the data-quality table. Writes go through ``store.ingest``, ``store.write`` and
``release.publish``; the page only draws and asks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import pandas as pd
import sqlalchemy as sa

from lagesbild import fmt, store
from lagesbild.analysis import quality as _quality
from lagesbild.config import Catalogue, Config
from lagesbild.intake import dates, personnummer, profiles
from lagesbild.intake.profiles import Profile
from lagesbild.present import tables
from lagesbild.release import publish
from lagesbild.store import audit, ingest
from lagesbild.store.ingest import POPULATION, STALE, Imported, Plan

__all__ = ["EARLIEST", "POPULATION", "STALE", "Imported", "Plan", "Profile", "batches",
           "category_options", "changes", "commit", "delivery", "details", "guess_profile",
           "mappable", "months_to_publish", "plan", "plan_key", "publish_month", "quality",
           "save_mapping", "scan_profiles", "undo", "undo_choices"]

EARLIEST = dt.date(dates.EARLIEST_YEAR, 1, 1)  # the earliest extraction date accepted
Progress = Callable[[float, str], None]


# Planning and committing an import


def plan_key(engine: sa.Engine, content: bytes, name: str, measure: str,
             profile: Profile | None, extracted: dt.date | None) -> tuple:
    """What a plan depends on: the file's content and name, the measure, the profile and its
    file's age, the extraction date and the store's version. A new key needs a new plan."""
    mtime = profile.path.stat().st_mtime if profile and profile.path.exists() else None
    return (store.sha256(content), name, measure, profile and profile.name, mtime, extracted,
            store.fingerprint(engine))


def plan(engine: sa.Engine, cfg: Config, content: bytes, name: str, measure: str,
         profile: Profile | None, extracted: dt.date | None,
         progress: Progress | None = None) -> Plan:
    """Read and check a file and say what storing it would change; nothing is written."""
    return ingest.plan(engine, cfg, content, name, measure, profile=profile,
                       extracted=extracted, progress=progress)


def commit(engine: sa.Engine, cfg: Config, result: Plan, who: str,
           progress: Progress | None = None) -> Imported:
    """Store a clean plan as one batch in the name of *who* (refused if the store changed
    since the plan was made)."""
    return ingest.commit(engine, cfg, result, created_by=ingest.who(who), progress=progress)


def details(result: Plan, batch_id: int) -> dict:
    """What the audit log keeps of an import (never its numbers)."""
    return audit.import_details(result, batch_id)


def changes(result: Plan) -> pd.DataFrame:
    """What an import would change: one row per month (or year), before and after."""
    return tables.changes(result)


# Source profiles


def scan_profiles(cfg: Config) -> tuple[list[Profile], list[str]]:
    """The source profiles that can be read, and a Swedish warning for each that cannot."""
    return profiles.scan(cfg.profiles, cfg.catalogue)


def guess_profile(found: list[Profile], file_name: str) -> Profile | None:
    """The profile whose file pattern matches *file_name*, if one does."""
    return profiles.match(found, file_name)


def category_options(catalogue: Catalogue, measure: str, column: str) -> dict[str, str]:
    """The catalogue's categories an unknown value of *column* may be mapped to (code ->
    label)."""
    return profiles.categories(catalogue, measure, column)


def mappable(values: Iterable[str]) -> list[str]:
    """The unknown values that may be offered for mapping: never one that could be a
    personnummer or that would not read the same once cleaned (normalize leaves such values
    out too), so none is ever written into a profile."""
    return [v for v in values if not personnummer.contains(v)
            and v == fmt.clean(v, newlines=False)]


def save_mapping(cfg: Config, profile: Profile | None, name: str | None, system: str | None,
                 measure: str, chosen: dict[str, dict[str, str]]) -> Profile:
    """Save the values mapped per column into *profile*, or into a new profile *name* of
    *system* when there is none; the profile as saved.

    A profile's name and system end up in file names and in every batch: one holding a
    personnummer is refused (``profiles.new``), control characters go.
    """
    target = profile or profiles.new(cfg.profiles, fmt.clean(name, newlines=False),
                                     fmt.clean(system, newlines=False), measure, cfg.catalogue)
    for column, mapping in chosen.items():
        target = profiles.save_values(target, column, mapping, cfg.catalogue)
    return target


# Batches


def batches(frame: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The stored batches with Swedish headers, newest first; undone ones marked."""
    return tables.batches(frame, catalogue)


def undo_choices(table: pd.DataFrame) -> dict[int, str]:
    """The batches that can still be undone (an undone one is a tombstone), by id, labelled
    measure, file and period on one line."""
    return {int(r["Batch"]): fmt.clean(f"{r['Batch']}: {r['Mått']}, {r['Fil']} ({r['Period']})",
                                       newlines=False)
            for _, r in table.iterrows() if r["Status"] == "aktiv"}


def undo(engine: sa.Engine, batch: int, who: str) -> dict:
    """Undo a batch in the name of *who*; the measure and file it held."""
    return store.undo(engine, batch, undone_by=ingest.who(who))


# Publishing


def months_to_publish(frame: pd.DataFrame, catalogue: Catalogue) -> list[str]:
    """Every month (ÅÅÅÅ-MM) some measure delivered, newest first."""
    return sorted({m for code in catalogue.measures
                   for m in publish.delivered_months(frame, code)}, reverse=True)


def delivery(engine: sa.Engine, cfg: Config, month: str) -> pd.DataFrame:
    """Per measure: whether it delivered *month*, its rows, and whether a new delivery came
    after the month was published."""
    rows = publish.status(engine, cfg, month)
    return pd.DataFrame({
        "Mått": [s.label for s in rows],
        "Levererat": ["ja" if s.delivered else "inga uppgifter" for s in rows],
        "Rader": [s.rows if s.delivered else None for s in rows],
        "Anmärkning": ["ny leverans sedan publiceringen" if s.changed_since else ""
                       for s in rows]})


def publish_month(engine: sa.Engine, cfg: Config, month: str, who: str):
    """Publish *month* (a new version if it was published before); the release."""
    return publish.publish_month(engine, cfg, month, ingest.who(who))


# Quality


def quality(counts: dict[str, pd.DataFrame], population: pd.DataFrame,
            catalogue: Catalogue) -> pd.DataFrame:
    """Months without published figures between each measure's first and latest month."""
    return _quality.data_quality(counts, population, catalogue)
