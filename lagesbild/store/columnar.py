"""A columnar copy of each batch's rows (Arrow IPC, zstd-compressed) beside the rows.

Reading a million rows out of SQL costs seconds in Python (a tuple per row, an object per
value); reading the same rows from Arrow costs a tenth of a second. So each batch's rows are
also stored as one Arrow stream in ``batch_arrow``, written in the same transaction as the
rows and deleted with them by an undo. The rows stay the truth (imports compare against them,
and any SQL tool reads them); a batch without a copy (a store from before the copies) is read
from its rows, with the same result.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from lagesbild.store.connection import writing
from lagesbild.store.schema import snapshots

_TEXT = pa.dictionary(pa.int32(), pa.string())

COUNTS = pa.schema([("batch_id", pa.int64()), ("measure", _TEXT), ("month", pa.date32()),
                    ("postnummer", _TEXT), ("kon", _TEXT), ("aldersgrupp", _TEXT),
                    ("alder", pa.int64()), ("kategorier", _TEXT), ("storhet", _TEXT),
                    ("antal", pa.int64())])
POPULATION = pa.schema([("batch_id", pa.int64()), ("ar", pa.int64()), ("postnummer", _TEXT),
                        ("kon", _TEXT), ("alder", pa.int64()), ("antal", pa.int64())])


def table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """*frame*'s columns of *schema* as an Arrow table of exactly that schema."""
    columns = {}
    for field in schema:
        values = frame[field.name]
        if field.type == pa.date32():
            values = pd.to_datetime(values)
        elif pa.types.is_dictionary(field.type):
            values = values.astype(object).where(values.notna(), None)
        elif pa.types.is_integer(field.type):
            values = pd.to_numeric(values).astype("Int64")
        columns[field.name] = pa.array(values, from_pandas=True).cast(field.type) \
            if not pa.types.is_dictionary(field.type) else \
            pa.array(values, type=pa.string(), from_pandas=True).dictionary_encode()
    return pa.table(columns, schema=schema)


def encode(frame: pd.DataFrame, schema: pa.Schema) -> bytes:
    """One batch's rows as a compressed Arrow stream."""
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, schema, options=options) as writer:
        writer.write_table(table(frame, schema))
    return sink.getvalue().to_pybytes()


def decode(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def to_frame(tables: list[pa.Table], schema: pa.Schema) -> pd.DataFrame:
    """The tables as one frame: text as categoricals, dates as datetime64[s], integers with
    missing values as floats (as pandas reads them from SQL)."""
    joined = pa.concat_tables(tables) if tables else schema.empty_table()
    frame = joined.to_pandas(date_as_object=False)
    for field in schema:
        if field.type == pa.date32():
            frame[field.name] = frame[field.name].astype("datetime64[s]")
    return frame


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """A frame (its dtypes too: categories, datetimes) as a compressed Arrow stream."""
    sink = pa.BufferOutputStream()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pa.ipc.new_stream(sink, table.schema,
                           options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def bytes_frame(data: bytes) -> pd.DataFrame:
    return decode(data).to_pandas()


def save_snapshot(engine: sa.Engine, kind: str, key: str, parts: dict[str, bytes]) -> None:
    """Keep *parts* as the snapshot of *kind* named *key*, in place of any older one of
    that kind (one transaction)."""
    rows = [{"kind": kind, "key": key, "name": name, "rows": data}
            for name, data in parts.items()]
    with writing(engine) as conn:
        conn.execute(snapshots.delete().where(snapshots.c.kind == kind))
        conn.execute(snapshots.insert(), rows)


def load_snapshot(engine: sa.Engine, kind: str, key: str) -> dict[str, bytes] | None:
    """The parts of the snapshot of *kind* named *key*, or None if the store has none."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(snapshots.c.name, snapshots.c.rows)
                             .where(snapshots.c.kind == kind, snapshots.c.key == key)).all()
    return {name: data for name, data in found} or None
