"""The store's tables: monthly counts, population and import batches in SQL (SQLAlchemy).

SQLite by default; any SQLAlchemy URL works (LAGESBILD_DB_URL). One table holds the counts of
every measure in one canonical shape. A row's categories are stored by name (``kategorier``,
JSON such as ``{"anmalare": "skola", "orsak": "ovrigt"}``) and its age in single years
(``alder``) where the source has them, so reordering the catalogue's dimensions or changing
its age groups never changes what a stored row means; each batch records the catalogue it was
imported with (``katalog``). Every write is one transaction and belongs to a batch, so a failed
import leaves earlier data intact. The schema has a version and migrations (Alembic,
``store/migrations/``) that upgrade an existing store in place when it is opened.

A batch replaces the months it holds (years, for population) without deleting anything: for
each measure, month and variable (storhet) the newest batch that holds it is the one read.
Undoing a batch deletes its rows and keeps the batch row as a tombstone (``undone_at``,
``undone_by``), so a batch id is never used twice; the months it had replaced show the earlier
batch's numbers again. Opening the store and its connections: ``connection``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import contextmanager

import sqlalchemy as sa

Progress = Callable[[float, str], None]  # fraction done (0–1), Swedish text

metadata = sa.MetaData()

batches = sa.Table(
    "batches", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("measure", sa.String(64), nullable=False),  # measure code or "befolkning"
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("source_system", sa.String(64)),
    sa.Column("extracted", sa.Date),
    sa.Column("rows_read", sa.Integer),
    sa.Column("rows_stored", sa.Integer),
    sa.Column("created_by", sa.String(128)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # A tombstone: set when the batch is undone (its rows are deleted, the row stays).
    sa.Column("undone_at", sa.DateTime(timezone=True)),
    sa.Column("undone_by", sa.String(128)),
    # The measure's catalogue entry at import (dimensions, categories, age groups), as JSON.
    sa.Column("katalog", sa.Text),
    # The first and last month ("ÅÅÅÅ-MM") or year it holds, written with its rows.
    sa.Column("first_period", sa.String(10)),
    sa.Column("last_period", sa.String(10)),
    sqlite_autoincrement=True,  # ids are never reused, even after the newest row is gone
)

counts = sa.Table(
    "counts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("measure", sa.String(64), nullable=False),
    sa.Column("storhet", sa.String(64), nullable=False),
    sa.Column("month", sa.Date, nullable=False),
    sa.Column("postnummer", sa.String(5)),
    sa.Column("kon", sa.String(1)),
    sa.Column("aldersgrupp", sa.String(16)),
    sa.Column("alder", sa.Integer),  # single years, where the source has them
    sa.Column("kategorier", sa.Text, nullable=False, server_default="{}"),  # by name, JSON
    sa.Column("antal", sa.Integer, nullable=False),
    sa.Index("ix_counts_measure_month", "measure", "month", "batch_id"),
    # One batch's rows (read after an import, deleted by an undo) and its months.
    sa.Index("ix_counts_batch", "batch_id", "month"),
)

# Each batch's rows once more, as one compressed Arrow stream (lagesbild.store.columnar):
# read in a tenth of the time. Written and deleted in the same transaction as the rows.
batch_arrow = sa.Table(
    "batch_arrow", metadata,
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), primary_key=True,
              autoincrement=False),
    sa.Column("rows", sa.LargeBinary, nullable=False),
)

# What a newly started app process would otherwise work out again (views/source.py, the
# page layer's map cache), so it reads it in a tenth of the time: kind "data" holds each
# measure's current counts with their cell keys and the population as of one store version
# (key: store version, catalogue, hashed seed, code); kind "karta" the simplified polygons
# (key: the shapes file and the code). One version of each kind is kept.
snapshots = sa.Table(
    "snapshots", metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("rows", sa.LargeBinary, nullable=False),
)

# Published months (lagesbild.release.publish): each a fixed, protected table per measure,
# never changed; a corrected delivery for a published month gives a new version beside it.
# ``budget`` holds the noise scales and the privacy loss (zCDP ρ) spent per measure; ``status``
# what each measure delivered for the month (JSON; numbers of rows, never counts).
releases = sa.Table(
    "releases", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("month", sa.String(7), nullable=False),  # ÅÅÅÅ-MM
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("budget", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.UniqueConstraint("month", "version", name="uq_releases_month_version"),
    sqlite_autoincrement=True,
)

# A release's protected rows, one compressed Arrow stream per measure (canonical columns).
release_rows = sa.Table(
    "release_rows", metadata,
    sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id"), primary_key=True,
              autoincrement=False),
    sa.Column("measure", sa.String(64), primary_key=True),
    sa.Column("rows", sa.LargeBinary, nullable=False),
)

population = sa.Table(
    "population", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("ar", sa.Integer, nullable=False),
    sa.Column("postnummer", sa.String(5), nullable=False),
    sa.Column("kon", sa.String(1), nullable=False),
    sa.Column("alder", sa.Integer, nullable=False),
    sa.Column("antal", sa.Integer, nullable=False),
    sa.Index("ix_population_ar", "ar", "batch_id"),
    sa.Index("ix_population_postnummer", "postnummer"),
    sa.Index("ix_population_batch", "batch_id", "ar"),
)

# Who did what and when (lagesbild.store.audit): sign-ins, imports, undos, profile changes,
# exports. Details are JSON and never hold numbers from the data.
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(255), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Index("ix_audit_log_at", "at"),
)

# Sign-ins (lagesbild.store.sessions): one row per login (the provider's subject and time of
# issue, hashed), so that logging out or idling ends it on every server and a copied cookie
# opens nothing. No name, e-mail or token is kept here; the audit log says who.
sessioner = sa.Table(
    "sessioner", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("skapad", sa.DateTime(timezone=True), nullable=False),
    sa.Column("senast", sa.DateTime(timezone=True), nullable=False),
    sa.Column("avslutad", sa.DateTime(timezone=True)),
    sa.Column("orsak", sa.String(32)),
    sa.Index("ix_sessioner_senast", "senast"),
)

# Comparison figures from Kolada (lagesbild.store.kolada): public statistics, one row per KPI,
# area (kommun, county 00xx, riket 0000), year and sex (T, K, M); a new fetch or export of the
# same cell replaces it. ``source`` says where it came from: "api" or the export's file name.
kolada_values = sa.Table(
    "kolada_values", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kpi", sa.String(16), nullable=False),
    sa.Column("kommun", sa.String(16), nullable=False),
    sa.Column("ar", sa.Integer, nullable=False),
    sa.Column("kon", sa.String(1), nullable=False),
    sa.Column("varde", sa.Float),  # None: Kolada has the cell but no value
    sa.Column("status", sa.String(64)),
    sa.Column("underlag", sa.Integer),  # Kolada's "count"
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("kpi", "kommun", "ar", "kon", name="uq_kolada_values_cell"),
)

# --- the lägesbild process (lagesbild.store.process): actions, meetings and notes ----------
# Text the room typed; never numbers from the data. Lists (postnummer, indicators) are JSON.

# Åtgärder: one row per action as it stands now; every change also lands in atgard_historik.
atgarder = sa.Table(
    "atgarder", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("titel", sa.String(200), nullable=False),
    sa.Column("beskrivning", sa.Text, nullable=False, default=""),
    sa.Column("typ", sa.String(16), nullable=False),  # punktinsats / kortsiktig / langsiktig
    sa.Column("niva", sa.String(16), nullable=False),  # universell / selektiv / indikerad
    sa.Column("postnummer", sa.Text, nullable=False, default="[]"),  # JSON; [] = hela kommunen
    sa.Column("omrade", sa.String(200), nullable=False, default=""),  # the area's name as given
    sa.Column("kon", sa.String(1)),  # target group: K / M, or all
    sa.Column("aldersgrupp", sa.String(16)),  # a catalogue age group, or all
    # JSON list of {"matt": code, "kategorier": {dim: [codes]}}: the indicators to move.
    sa.Column("indikatorer", sa.Text, nullable=False, default="[]"),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("slut", sa.Date),
    sa.Column("ansvarig", sa.String(200), nullable=False, default=""),
    sa.Column("samverkan", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(16), nullable=False),  # planerad / pagar / avslutad
    sa.Column("mote_id", sa.Integer, sa.ForeignKey("moten.id")),  # the meeting that decided it
    sa.Column("skapad_av", sa.String(255), nullable=False),
    sa.Column("skapad", sa.DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

# Who changed what in an action, and when: the fields' old and new values as JSON.
atgard_historik = sa.Table(
    "atgard_historik", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("atgard_id", sa.Integer, sa.ForeignKey("atgarder.id"), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(255), nullable=False),
    sa.Column("handelse", sa.String(16), nullable=False),  # registrerad / andrad / avslutad
    sa.Column("andringar", sa.Text, nullable=False),  # {field: [old, new]}
    sa.Index("ix_atgard_historik_atgard", "atgard_id"),
)

# Möten: avstämning (monthly) and analys och åtgärd (quarterly); open until closed.
moten = sa.Table(
    "moten", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("typ", sa.String(16), nullable=False),  # avstamning / analys
    sa.Column("datum", sa.Date, nullable=False),
    sa.Column("period_slut", sa.Date),  # the latest month of data the agenda was built on
    sa.Column("oppnat_av", sa.String(255), nullable=False),
    sa.Column("oppnat", sa.DateTime(timezone=True), nullable=False),
    sa.Column("stangt_av", sa.String(255)),
    sa.Column("stangt", sa.DateTime(timezone=True)),
    # The written summary of the meeting's report as the strategist edited it (Rapporter).
    sa.Column("rapporttext", sa.Text),
    sa.Column("rapporttext_av", sa.String(255)),
    sa.Column("rapporttext_andrad", sa.DateTime(timezone=True)),
    # The period the meeting is about, chosen when it is opened (not the sidebar's month):
    # "2026-10" (avstämning) or "2026-Q3" (analys); period_slut above is its last month.
    sa.Column("period_kod", sa.String(8)),
    sa.Column("deltagare", sa.Text),  # who took part, as the note-taker wrote it
    # The published release the meeting's numbers came from (issue 21 fills it in).
    sa.Column("release_version", sa.String(64)),
    sqlite_autoincrement=True,
)

# The room's input, one row per item: observations, decisions, samverkansbehov and what to
# pass on (typ). An item is open until a meeting closes it; the next meeting shows it again.
motesposter = sa.Table(
    "motesposter", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mote_id", sa.Integer, sa.ForeignKey("moten.id"), nullable=False),
    # observation / orsak (cause analysis) / beslut / samverkan / vidare
    sa.Column("typ", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("matt", sa.String(64)),  # a catalogue measure, when tied to one
    sa.Column("omrade", sa.String(200)),  # a postnummer or area, when tied to one
    sa.Column("aktor", sa.String(200)),  # samverkan / vidare: which department or actor
    sa.Column("atgard_id", sa.Integer, sa.ForeignKey("atgarder.id")),  # beslut: the action
    sa.Column("oppen", sa.Boolean, nullable=False),
    sa.Column("stangd_mote_id", sa.Integer, sa.ForeignKey("moten.id")),
    sa.Column("skapad_av", sa.String(255), nullable=False),
    sa.Column("skapad", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ansvarig", sa.String(200)),  # who follows the item up
    sa.Column("uppfoljning", sa.Date),  # when it is followed up
    # A deleted item stays as a row, so its history still reads; it is shown nowhere else.
    sa.Column("borttagen", sa.DateTime(timezone=True)),
    sa.Index("ix_motesposter_mote", "mote_id"),
)

# Who changed or deleted a meeting's item, and when: the fields' old and new values as JSON.
motespost_historik = sa.Table(
    "motespost_historik", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("post_id", sa.Integer, sa.ForeignKey("motesposter.id"), nullable=False),
    sa.Column("mote_id", sa.Integer, sa.ForeignKey("moten.id"), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(255), nullable=False),
    sa.Column("handelse", sa.String(16), nullable=False),  # skapad / andrad / borttagen / klar
    sa.Column("andringar", sa.Text, nullable=False),  # {field: [old, new]}
    sa.Index("ix_motespost_historik_mote", "mote_id"),
)

# The protocol of a closed meeting, as the files the secretary sends (pdf, docx).
motesprotokoll = sa.Table(
    "motesprotokoll", metadata,
    sa.Column("mote_id", sa.Integer, sa.ForeignKey("moten.id"), primary_key=True),
    sa.Column("format", sa.String(8), primary_key=True),
    sa.Column("innehall", sa.LargeBinary, nullable=False),
    sa.Column("skapad", sa.DateTime(timezone=True), nullable=False),
    sa.Column("skapad_av", sa.String(255), nullable=False),
)

# Omvärldsbevakning: dated notes with source, link and tags.
omvarld = sa.Table(
    "omvarld", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("datum", sa.Date, nullable=False),
    sa.Column("rubrik", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False, default=""),
    sa.Column("kalla", sa.String(200), nullable=False, default=""),
    sa.Column("lank", sa.String(500), nullable=False, default=""),
    sa.Column("matt", sa.String(64)),
    sa.Column("omrade", sa.String(200)),
    sa.Column("skapad_av", sa.String(255), nullable=False),
    sa.Column("skapad", sa.DateTime(timezone=True), nullable=False),
)

_DIM_SLOTS = ("dim1", "dim2", "dim3")

# Kolada's own title and definition of each KPI, as last fetched.
kolada_kpis = sa.Table(
    "kolada_kpis", metadata,
    sa.Column("kpi", sa.String(16), primary_key=True),
    sa.Column("title", sa.String(512), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("by_sex", sa.Boolean),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
)

# Names of the areas in kolada_values that the comparison catalogue does not name (the members
# of a Kolada municipality group), as Kolada gives them.
kolada_areas = sa.Table(
    "kolada_areas", metadata,
    sa.Column("kommun", sa.String(16), primary_key=True),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
)

# The similar municipalities a fetch used: Kolada's "Liknande kommuner …" group (its id, title,
# year) with its members as JSON [[id, name], …], so the pages say which group and year they
# show. ``kind`` is the catalogue's choice (IFO, socioekonomi …) or "id" for a fixed group.
kolada_groups = sa.Table(
    "kolada_groups", metadata,
    sa.Column("grupp", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("ar", sa.Integer),
    sa.Column("members", sa.Text, nullable=False),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
)


def _connection(bind: sa.Engine | sa.Connection):
    """Use *bind* if it is a connection already, else a new one from the engine."""
    if isinstance(bind, sa.Connection):
        @contextmanager
        def same():
            yield bind
        return same()
    return bind.connect()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(bind: sa.Engine | sa.Connection) -> tuple:
    """A cheap value that changes whenever data are written or undone (cache keys, plans).

    One query on the small batches table: every write adds a batch and every undo stamps
    one, so the rows themselves need not be counted (at a million rows that cost more than
    the rest of a rerun).
    """
    with _connection(bind) as conn:
        n, last, when, undone, undone_when = conn.execute(sa.select(
            sa.func.count(), sa.func.max(batches.c.id), sa.func.max(batches.c.created_at),
            sa.func.count(batches.c.undone_at), sa.func.max(batches.c.undone_at))).one()
        published = conn.execute(sa.select(sa.func.max(releases.c.id))).scalar()
    return int(n), int(last or 0), int(undone), str(when), str(undone_when), int(published or 0)


def is_empty(bind: sa.Engine | sa.Connection) -> bool:
    """No batch was ever stored (an undone batch counts: its tombstone is there)."""
    with _connection(bind) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(batches)).scalar_one() == 0
