"""The schema as SQLAlchemy Core tables. Migrations under migrations/ create it; keep both in step."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
)

metadata = MetaData()

ACTIVE_STATUSES = ("PENDING", "RUNNING", "FINISHED")

requests = Table(
    "requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(200), nullable=False),
    Column("base_model", String(200)),
    Column("base_revision", String(64)),
    Column("requested_revision", String(255), nullable=False),
    Column("revision", String(64), nullable=False),
    Column("pin", String(16), nullable=False),
    Column("precision", String(16), nullable=False),
    Column("weight_type", String(16), nullable=False),
    Column("model_type", String(32), nullable=False),
    Column("use_chat_template", Boolean, nullable=False),
    Column("params", BigInteger),
    Column("architectures", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("sender", String(100), nullable=False),
    Column("submitted_time", DateTime(timezone=True), nullable=False),
    Column("job_id", String(64)),
    Column("job_start_time", DateTime(timezone=True)),
    Column("finished_time", DateTime(timezone=True)),
    # Every claim adds one and nothing takes it back: the token that fences superseded workers.
    Column("attempts", Integer, nullable=False, default=0),
    # Claims that do not count against max_attempts (handed back; spent before a requeue).
    Column("uncounted_attempts", Integer, nullable=False, server_default="0"),
    Column("worker", String(200)),
    Column("progress_done", Integer),
    Column("progress_total", Integer),
    Column("failure_reason", Text),
    Column("suite", String(64), nullable=False),
    Column("average", Float),
    Column("failure_kind", String(32)),
    Column("log_tail", Text),
    Column("eval_seconds", Float),
    Column("co2_kg", Float),
    # What the evaluation cost (0021); wall time is eval_seconds. The whole record is in the
    # run's reproducibility.json.
    Column("eval_backend", String(16)),
    Column("eval_tokens", BigInteger),  # prompt + generated; NULL: not counted (vLLM)
    Column("tokens_per_second", Float),
    Column("device_hours", Float),
    Column("gpu_hours", Float),  # NULL on a CPU
    Column("namespace", String(100), nullable=False),
    Column("license", String(200)),
    Column("merged", Boolean, nullable=False, default=False),
    Column("moe", Boolean, nullable=False, default=False),
    Column("lease_expires_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("priority", Integer, nullable=False, default=0),
    Column("hidden", Boolean, nullable=False, default=False),  # by a moderator: off the board
    # Whether the evaluated commit can still be read from its source; NULL: never checked.
    Column("available", Boolean),
    Column("unavailable_reason", Text),
    Column("availability_checked_at", DateTime(timezone=True)),
    # The suite's `scorer` (name/version) the current scores were computed with; NULL: not recorded.
    Column("scorer", String(64)),
    # What a finished run saw: its per-task sample limit (NULL: all) and modified benchmark data.
    Column("eval_limit", Integer),
    Column("data_modified", Boolean, nullable=False, default=False, server_default=false()),
    # "local": evaluated here (or imported by hand); "archive": the public leaderboard's archive.
    Column("origin", String(16), nullable=False, default="local", server_default="local"),
    # An admin's switch for the contamination test (0023); NULL: the suite's setting decides.
    Column("contamination_check", Boolean),
    Index("ix_requests_status_submitted", "status", "submitted_time"),
    Index("ix_requests_status_lease", "status", "lease_expires_at"),
    Index("ix_requests_status_average", "status", "average"),
    Index("ix_requests_status_params", "status", "params"),
    Index("ix_requests_status_model", "status", "model"),
    Index("ix_requests_namespace_submitted", "namespace", "submitted_time"),
    Index("ix_requests_board", "status", "suite", "hidden", "average", "id", "model"),
    Index("ix_requests_model_submitted", "model", "submitted_time"),
    Index("ix_requests_origin_model", "origin", "model"),
)

# One active evaluation per (model, sha, precision): the database refuses duplicates even when
# two submissions race. Archive rows never count: a local run of the same commit is allowed.
_LOCAL_ACTIVE = and_(requests.c.status.in_(ACTIVE_STATUSES), requests.c.origin == "local")
Index(
    "ux_requests_active_key",
    requests.c.model,
    requests.c.revision,
    requests.c.precision,
    unique=True,
    sqlite_where=_LOCAL_ACTIVE,
    postgresql_where=_LOCAL_ACTIVE,
)

# Model ids (`org/name`) or whole namespaces (`org/*`) whose authors asked not to be evaluated.
blocklist = Table(
    "blocklist",
    metadata,
    Column("pattern", String(200), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE")),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("message", Text, nullable=False, default=""),
    Column("attempt", Integer),  # the claim it is about (`requests.attempts`), for the history
    Index("ix_events_request", "request_id"),
)

task_results = Table(
    "task_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE"), nullable=False),
    Column("benchmark", String(64), nullable=False),
    Column("task", String(128), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("raw", Float, nullable=False),
    Column("stderr", Float),
    Column("num_choices", Integer),
    Column("normalized", Float, nullable=False),
    Column("samples", Integer, nullable=False),
    # Secondary metrics kept beside the headline one (MATH: lm-eval's own exact match).
    Column("metrics", JSON),
    UniqueConstraint("request_id", "task", name="uq_task_results_request_task"),
)

benchmark_scores = Table(
    "benchmark_scores",
    metadata,
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    Column("benchmark", String(64), primary_key=True),
    Column("raw", Float, nullable=False),
    Column("normalized", Float, nullable=False),
    Index("ix_benchmark_scores_benchmark_normalized", "benchmark", "normalized"),
    Index("ix_benchmark_scores_board", "benchmark", "normalized", "request_id"),
)

# Every time a request's scores were replaced (migration, rescore, re-run): the numbers before and
# after, so that the model page can show what changed, when and why.
score_history = Table(
    "score_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # migration, rescore, rerun
    Column("reason", Text, nullable=False),
    Column("old_scorer", String(64)),
    Column("new_scorer", String(64)),
    Column("old_average", Float),
    Column("new_average", Float),
    # {benchmark: {"raw": r, "normalized": n}}; a re-run's new side is filled in when it finishes.
    Column("old_scores", JSON, nullable=False),
    Column("new_scores", JSON),
    Column("details", JSON, nullable=False),
    Index("ix_score_history_request", "request_id", "id"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", String(255)),  # argon2; None: signs in only through OpenID Connect
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("external_id", String(255), unique=True),  # issuer + subject of an OpenID Connect login
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256: the token is random
    Column("prefix", String(16), nullable=False),  # shown in listings to tell tokens apart
    Column("label", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),  # None: until revoked
)

# Web sign-ins held on the server: the cookie carries a random id whose sha256 is kept here, so that
# logging out, a password or role change, or "sign out everywhere" ends a session at once.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Index("ix_web_sessions_user", "user_id"),
)

flags = Table(
    "flags",
    metadata,
    Column("model", String(200), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("link", String(500)),
    Column("flagged_by", String(200), nullable=False),
    Column("flagged_at", DateTime(timezone=True), nullable=False),
)

official_providers = Table(
    "official_providers",
    metadata,
    Column("namespace", String(100), primary_key=True),
    Column("added_by", String(200), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

# Append-only: triggers (migration 0009) refuse UPDATE and DELETE.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(300), nullable=False),
    Column("reason", Text, nullable=False),
    Column("details", JSON, nullable=False),
)

MAX_CARD_CHARS = 100_000

# The model card at submission, kept apart from `requests` so that board queries never read it.
model_cards = Table(
    "model_cards",
    metadata,
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    Column("text", Text, nullable=False),
)

# Every file read from the public leaderboard's archive (`openboard archive import`): its checksum
# (an unchanged file is not read again), its run's time and the scores it gave; the newest run of a
# model is `current` (its request shows its scores), older ones stay as its history.
archive_results = Table(
    "archive_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(300), nullable=False),  # a folder, or hub:<dataset>
    Column("path", String(500), nullable=False),  # the file inside the source
    Column("sha256", String(64), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Column("dataset_commit", String(64)),  # the Hub dataset's commit; None: a local folder
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("current", Boolean, nullable=False),
    Column("average", Float, nullable=False),
    Column("scores", JSON, nullable=False),  # {benchmark: {"raw": r, "normalized": n}}
    Column("contents", JSON),  # the public table's row for this model, as published
    UniqueConstraint("source", "path", name="uq_archive_results_source_path"),
    Index("ix_archive_results_request", "request_id", "run_at"),
)

# Webhooks: a user's (their requests' events) or the board's (user_id NULL: every event).
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),
    Column("url", String(2000), nullable=False),
    Column("secret", String(128), nullable=False),  # HMAC key: kept, since signing needs it
    Column("events", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Index("ix_webhooks_user", "user_id"),
)

# Events waiting to be fanned out to webhooks, written in the transaction that made them.
webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", String(32), nullable=False),
    Column("request_id", Integer),
    Column("model", String(200)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("message", Text, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery_id", String(36), nullable=False, unique=True
    ),  # the receiver's idempotency key
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="SET NULL")),
    Column("url", String(2000), nullable=False),
    Column("owner", String(64)),  # the subscribing user; NULL: the board's own
    Column("event", String(32), nullable=False),
    Column("request_id", Integer),
    Column("body", Text, nullable=False),  # exactly the bytes signed and sent
    Column("state", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("locked_until", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    Index("ix_webhook_deliveries_owner", "owner", "id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery", Integer, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False
    ),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("seconds", Float, nullable=False),
    Index("ix_webhook_attempts_delivery", "delivery"),
)

request_votes = Table(
    "request_votes",
    metadata,
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

# 95% confidence intervals of a result's normalized scores: one row per benchmark and one for the
# average (benchmark "average"). low/high NULL: no interval, and `reason` says why.
score_intervals = Table(
    "score_intervals",
    metadata,
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    Column("benchmark", String(64), primary_key=True),
    Column("estimate", Float, nullable=False),
    Column("low", Float),
    Column("high", Float),
    Column("method", String(16), nullable=False),  # bootstrap, normal
    Column("resamples", Integer),
    Column("documents", Integer, nullable=False),
    Column("reason", Text),
)

# The contamination test's evidence (Oren et al.'s sharded exchangeability test), one row per
# benchmark of a request; `p_value` is NULL where the test could not run (`note` says why).
contamination_evidence = Table(
    "contamination_evidence",
    metadata,
    Column("request_id", Integer, ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    Column("benchmark", String(100), primary_key=True),
    Column("schema_version", Integer, nullable=False),
    Column("method", String(100), nullable=False),
    Column("p_value", Float),
    Column("statistic", Float),
    Column("mean_difference", Float),
    Column("shards", Integer, nullable=False),
    Column("shard_size", Integer, nullable=False),
    Column("permutations", Integer, nullable=False),
    Column("examples", Integer, nullable=False),
    Column("truncated", Integer, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("cost_share", Float, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("versions", JSON, nullable=False),
    Column("note", Text),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
