"""The one way from the store to a report: the publication as it stood when the period's last
month was published, and the actions of the period, so a report made again is the same."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from lagesbild import fmt
from lagesbild.config import Config
from lagesbild.store import process
from lagesbild.views import areas as area_views
from lagesbild.views import publication, report, report_files, source


def period_actions(engine: sa.Engine, period) -> list[process.Action]:
    """The actions of a period: started by its end and not ended before it began (nothing
    decided later appears, whenever the report is made)."""
    return [a for a in process.actions(engine) if a.start <= period.end.date()
            and (a.slut is None or a.slut >= period.start.date())]


def release_label(snap: source.Snapshot, period) -> str:
    """How a report names the publication it reads."""
    own = snap.release_of(period.end)
    if own is None:
        return f"{fmt.month(period.end)} är inte publicerad"
    return (f"publicering {fmt.month(period.end)}, version {own.version} "
            f"({pd.Timestamp(own.created_at):%Y-%m-%d})")


def inputs(cfg: Config, engine: sa.Engine, kind: str, code: str, typ: str,
           version: int | None = None, *, postorter: dict[str, str] | None = None,
           layer=None, outline=None, text: str | None = None):
    """The report of a period and the inputs of its files.

    The counts are the releases as they stood when the period's last month was published
    (in *version*, the newest by default); the strategist's saved text is the meeting's
    unless *text* is given. Returns (Report, report_files.Inputs).
    """
    period, _ = report.period_of(kind, code)
    snap = source.as_published(engine, cfg, f"{period.end:%Y-%m}", version)
    batches = snap.batches
    active = batches["undone_at"].isna() if "undone_at" in batches else True
    demo = bool(len(batches) and ((batches["created_by"] == "demo") & active).any())
    if postorter is None and Path(cfg.shapes).exists():
        from lagesbild.geo import layers

        polygons = layers.read_layer(cfg.shapes)
        postorter = dict(zip(polygons["postnummer"], polygons["postort"].fillna("")))
        layer = area_views.display_layer(polygons, "postnummer", None)
        outline = layers.outline_geojson(polygons)
    meeting = process.meeting_for(engine, kind, period.start.date(), period.end.date())
    saved = process.report_text(engine, meeting.id)[0] if meeting else None
    actions = period_actions(engine, period)
    built = report.build(cfg, snap.counts, snap.population, actions, typ, kind, code,
                         demo=demo, postorter=postorter or {}, text=text or saved,
                         noise_var=publication.noise_variance(snap.releases),
                         release=release_label(snap, period))
    items = process.items(engine, meeting.id) if meeting else None
    return built, report_files.Inputs(snap.counts, snap.population, actions, layer, outline,
                                      postorter or {}, meeting, items)
