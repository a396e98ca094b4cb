"""A trigram index over model names, so that a search (a substring of the name) reads the matching
rows only instead of every row: SQLite's FTS5 trigram tokenizer (an external-content table kept in
step by triggers), PostgreSQL's pg_trgm GIN index on lower(model).

Measured with bench/web_load.py at 100,000 results: a search for a rare name took two full scans.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE requests_model_fts USING fts5("
    "model, content='requests', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER requests_model_fts_insert AFTER INSERT ON requests BEGIN "
    "INSERT INTO requests_model_fts(rowid, model) VALUES (new.id, new.model); END",
    "CREATE TRIGGER requests_model_fts_delete AFTER DELETE ON requests BEGIN "
    "INSERT INTO requests_model_fts(requests_model_fts, rowid, model) "
    "VALUES ('delete', old.id, old.model); END",
    "CREATE TRIGGER requests_model_fts_update AFTER UPDATE OF model ON requests BEGIN "
    "INSERT INTO requests_model_fts(requests_model_fts, rowid, model) "
    "VALUES ('delete', old.id, old.model); "
    "INSERT INTO requests_model_fts(rowid, model) VALUES (new.id, new.model); END",
    "INSERT INTO requests_model_fts(requests_model_fts) VALUES ('rebuild')",
)
_SQLITE_DOWN = (
    "DROP TRIGGER requests_model_fts_update",
    "DROP TRIGGER requests_model_fts_delete",
    "DROP TRIGGER requests_model_fts_insert",
    "DROP TABLE requests_model_fts",
)
# pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
_POSTGRES_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_requests_model_trgm ON requests USING gin (lower(model) gin_trgm_ops)",
)
_POSTGRES_DOWN = ("DROP INDEX ix_requests_model_trgm",)


def upgrade() -> None:
    for statement in _SQLITE_UP if op.get_context().dialect.name == "sqlite" else _POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _SQLITE_DOWN if op.get_context().dialect.name == "sqlite" else _POSTGRES_DOWN:
        op.execute(statement)
