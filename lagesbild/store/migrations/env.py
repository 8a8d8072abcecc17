"""Alembic's environment: migrations run on the connection :func:`upgrade` passes in; the
schema's tables (``store.schema.metadata``) are the target a new revision is written against
(``alembic revision --autogenerate``, see README)."""

from alembic import context

from lagesbild.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
