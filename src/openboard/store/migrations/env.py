"""Alembic environment: openboard passes the connection in; there is no alembic.ini to edit."""

from alembic import context

from openboard.store._tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
