import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from openboard.domain import DEFAULT_SEARCH_DEADLINE_S


class Settings(BaseSettings):
    """Every knob of openboard, read once and passed down (never read from the environment deep in the code)."""

    model_config = SettingsConfigDict(env_prefix="OPENBOARD_", extra="forbid")

    home: Path = Field(default=Path("openboard-data"), description="where openboard keeps its data")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; default: SQLite file openboard.db in the home"
    )
    models: Path | None = Field(
        default=None, description="local model source root; default: <home>/models"
    )
    suite: str = Field(default="starter", description="evaluation suite run by workers")
    eval_limit: int | None = Field(
        default=None, description="evaluate at most this many documents per task (None: all)"
    )
    eval_batch_size: str | None = Field(
        default=None, description="lm-eval batch size; default: auto on a GPU, 8 on the CPU"
    )
    eval_device: str = Field(default="cpu", description="torch device for evaluation")
    eval_backend: Literal["hf", "openboard", "vllm", "auto"] = Field(
        default="hf",
        description="lm-eval model backend: hf (transformers), openboard (lm-eval's hf scoring "
        "each shared context once; the same log-likelihoods), vllm (fails requests vLLM cannot "
        "run here), or auto (vllm on a GPU worker that has it, for float16, bfloat16 and GPTQ "
        "Original or Adapter weights; openboard otherwise)",
    )
    vllm_tensor_parallel_size: int = Field(
        default=1, ge=1, description="vLLM: GPUs one model is split over"
    )
    vllm_gpu_memory_utilization: float = Field(
        default=0.9, gt=0, le=1, description="vLLM: share of each GPU's memory it may take"
    )
    seed: int = Field(
        default=1234, description="seed for Python, NumPy, torch and few-shot sampling"
    )
    contamination_suites: list[str] = Field(
        default=[],
        description="suites whose evaluations also run the contamination test (Oren et al.'s "
        "sharded exchangeability test), as a stage after the evaluation; empty: off",
    )
    contamination_examples: int = Field(
        default=250,
        ge=15,
        description="contamination test: at most this many examples per benchmark",
    )
    contamination_shard_size: int = Field(
        default=5, ge=3, description="contamination test: consecutive examples per shard"
    )
    contamination_permutations: int = Field(
        default=4, ge=1, description="contamination test: shuffled orders scored per shard"
    )
    contamination_budget: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="contamination test: the most it may cost, as a share of the benchmark's "
        "evaluation (characters scored, a shared context once); fewer shards are tested to stay "
        "within it",
    )
    offline: bool = Field(
        default=True,
        description="evaluate without the Hugging Face Hub (set false to let lm-eval fetch Hub datasets)",
    )
    co2_power_kw: float | None = Field(
        default=None,
        description="power drawn while evaluating, kW; default: co2_gpu_power_kw per GPU used on "
        "a GPU worker, co2_cpu_power_kw on a CPU one (the public site charged 8 GPUs at 0.7 kW)",
    )
    co2_gpu_power_kw: float = Field(default=0.7, gt=0, description="power of one GPU, kW")
    co2_cpu_power_kw: float = Field(
        default=0.15, gt=0, description="power of a CPU worker machine while evaluating, kW"
    )
    co2_grid_g_per_kwh: float = Field(
        default=269.8, description="carbon intensity of the electricity, g CO2 per kWh"
    )

    source: Literal["local", "hf-cache", "hub"] = Field(
        default="local",
        description="where models come from: local folders and git repositories, a Hugging Face "
        "cache folder, or the Hugging Face Hub",
    )
    hf_cache: Path | None = Field(
        default=None,
        description="Hugging Face cache folder (models--org--name/snapshots/<sha>); default: "
        "$HF_HUB_CACHE or ~/.cache/huggingface/hub",
    )
    hub_token: SecretStr | None = Field(
        default=None, description="Hugging Face token for the hub source (never logged)"
    )
    max_params_billions: float = Field(
        default=100, description="size limit in float16/bfloat16, billions of parameters"
    )
    max_params_quantized_billions: float = Field(
        default=140, description="size limit for quantized precisions before the factor, billions"
    )
    size_factor_8bit: int = Field(default=2, description="8bit limit = quantized limit x this")
    size_factor_4bit: int = Field(default=4, description="4bit limit = quantized limit x this")
    gptq_size_factors: dict[int, int] = Field(
        default={2: 8, 3: 6, 4: 4, 8: 2},
        description="GPTQ limit factor by quantization_config.bits",
    )
    min_card_chars: int = Field(default=200, description="shortest model card text accepted")
    allow_private: bool = Field(default=False, description="accept private models (hub source)")
    allow_gated: bool = Field(default=False, description="accept gated models (hub source)")
    rate_limit_count: int = Field(
        default=5, description="submissions per namespace (org) within the rate-limit window"
    )
    rate_limit_days: float = Field(default=7, description="the rate-limit window, days")
    official_providers: list[str] = Field(
        default_factory=list, description="namespaces exempt from the rate limit"
    )
    board_origin: Literal["all", "local", "archive"] = Field(
        default="all",
        description="the board's origin filter when the URL gives none: every row, local "
        "evaluations only, or the public leaderboard's archive only",
    )
    board_prefer: Literal["local", "archive", "both"] = Field(
        default="local",
        description="which row the board shows (with every origin) when the same model, commit, "
        "precision and suite was evaluated here and is in the public archive: the local one (the "
        "archive's is linked from its model page), the archive's, or both",
    )

    lease_seconds: float = Field(
        default=60, description="a running request's lease; its worker renews it every third"
    )
    database_busy_timeout_seconds: float = Field(
        default=30,
        gt=0,
        description="how long a statement waits for a lock another process holds (SQLite's busy "
        "timeout, PostgreSQL's lock_timeout) before it fails and is retried",
    )
    search_deadline_seconds: float = Field(
        default=DEFAULT_SEARCH_DEADLINE_S,
        gt=0,
        description="how long one board search may run before it is stopped and the reader is "
        "asked for a narrower one (one request never holds a server process for longer)",
    )
    max_attempts: int = Field(
        default=3, description="attempts before a request whose worker keeps getting lost FAILS"
    )
    eval_timeout_minutes: float = Field(
        default=24 * 60, description="wall-time limit per evaluation (0: none)"
    )

    slurm_partition: str | None = Field(
        default=None, description="SLURM partition (default: the cluster's)"
    )
    slurm_gpus: int = Field(default=0, description="GPUs per SLURM job (--gres=gpu:N)")
    slurm_time_minutes: int = Field(default=24 * 60, description="SLURM job time limit, minutes")
    slurm_max_jobs: int = Field(default=8, description="SLURM jobs in flight at once")
    slurm_extra_args: list[str] = Field(
        default_factory=list,
        description='extra sbatch options, e.g. ["--account=lab", "--qos=high"]',
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="signs session cookies; default: a random key kept in <home>/secret_key",
    )
    cookie_secure: bool = Field(
        default=False, description="send the session cookie over HTTPS only (set behind TLS)"
    )
    session_days: float = Field(default=14, description="how long a web login lasts")
    max_body_kib: int = Field(default=64, description="largest request body the server reads")
    api_requests_per_minute: int = Field(
        default=120, description="API requests per token (or per address without one) per minute"
    )
    login_attempts_per_minute: int = Field(
        default=10, description="sign-in attempts per address per minute"
    )
    board_read_model: bool = Field(
        default=True,
        description="each server process holds the board in memory (its arrays about 0.7 GiB, "
        "the process about 2.3 GiB at 1,000,000 results) and answers every view from there; "
        "off: every view is a database query",
    )
    hidden_sample_tasks: list[str] = Field(
        default_factory=lambda: ["*gpqa*"],
        description="lm-eval tasks (patterns) whose sample text the web never shows (GPQA's "
        "authors ask that its questions stay out of plain text)",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="OpenID Connect issuer for sign-in (e.g. https://huggingface.co); off when unset",
    )
    oidc_client_id: str | None = Field(default=None, description="the OpenID Connect client id")
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="the OpenID Connect client secret"
    )
    oidc_label: str = Field(default="Hugging Face", description="the provider's name on /login")
    prune_checkout_days: float | None = Field(
        default=1, description="openboard prune: days an exported commit no request needs is kept"
    )
    prune_model_cache_days: float | None = Field(
        default=7, description="openboard prune: days a Hub download no request needs is kept"
    )
    prune_samples_days: float | None = Field(
        default=30,
        description="openboard prune: days the per-sample outputs of hidden or deleted results are kept",
    )
    metrics_enabled: bool = Field(
        default=False, description="serve /metrics (Prometheus); it shows what is in the queue"
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="when set, /metrics answers only `Authorization: Bearer <token>` (and is on)",
    )
    eval_memory_gib: float = Field(
        default=0, description="address-space limit of a CPU evaluation process (0: none)"
    )
    votes_per_hour: int = Field(default=20, ge=1, description="votes one account may cast per hour")
    webhook_urls: list[str] = Field(
        default_factory=list,
        description="the board's own webhooks: every event (queued, started, finished, failed, "
        "cancelled, flagged) is POSTed to each, signed with webhook_secret",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key signing deliveries to webhook_urls"
    )
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, description="how long one delivery attempt waits for the receiver"
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, description="attempts before a webhook delivery is given up (re-send it)"
    )
    webhook_backoff_seconds: float = Field(
        default=30, gt=0, description="wait before the first retry; it doubles on each, up to 6 h"
    )
    webhook_poll_seconds: float = Field(
        default=2, gt=0, description="how often the delivery loop looks for new events"
    )
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="let users' webhooks reach loopback and private addresses (the board's own "
        "webhook_urls always may)",
    )
    webhook_deliver_in_server: bool = Field(
        default=True,
        description="openboard serve runs the webhook delivery loop (off: run openboard notify)",
    )

    @model_validator(mode="after")
    def _derive_paths(self) -> "Settings":
        self.home = self.home.expanduser().resolve()
        if self.models is None:
            self.models = self.home / "models"
        self.models = self.models.expanduser().resolve()
        if self.hf_cache is None:
            self.hf_cache = Path(
                os.environ.get("HF_HUB_CACHE")
                or Path(os.environ.get("HF_HOME", "~/.cache/huggingface")) / "hub"
            )
        self.hf_cache = self.hf_cache.expanduser()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'openboard.db'}"
        return self

    def split_secrets(self) -> tuple[dict[str, Any], dict[str, str]]:
        """These settings for another process: the plain ones as JSON (they may be written to a
        file), and the secrets (database URL, tokens, keys) as environment variables, which are
        never written to disk."""
        plain = self.model_dump(mode="json", exclude=set(_SECRET_ENV))
        env = {}
        for name, variable in _SECRET_ENV.items():
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if value:
                env[variable] = str(value)
        return plain, env

    @property
    def model_root(self) -> Path:
        assert self.models is not None  # set by _derive_paths
        return self.models

    def evaluation_power_kw(self, gpus: int) -> float:
        """The power an evaluation on this worker draws: the setting, or the device's own."""
        if self.co2_power_kw is not None:
            return self.co2_power_kw
        on_gpu = self.eval_device.startswith("cuda")
        return self.co2_gpu_power_kw * gpus if on_gpu else self.co2_cpu_power_kw

    @property
    def batch_size(self) -> str:
        # lm-eval's automatic batch-size search costs minutes on a CPU and gains little there.
        if self.eval_batch_size:
            return self.eval_batch_size
        return "8" if self.eval_device == "cpu" else "auto"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "artifacts"

    @property
    def datasets_dir(self) -> Path:
        return self.home / "datasets"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def nltk_data(self) -> Path:
        return self.home / "nltk_data"

    @property
    def suites_dir(self) -> Path:
        return self.home / "suites"

    @property
    def tasks_dir(self) -> Path:
        return self.home / "tasks"

    @property
    def checkouts_dir(self) -> Path:
        return self.home / "checkouts"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = os.environ.get("OPENBOARD_CONFIG")
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_file)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `$OPENBOARD_CONFIG` (a TOML file), with explicit overrides on top."""
    config_file = os.environ.get("OPENBOARD_CONFIG")
    if config_file and not Path(config_file).is_file():
        from openboard.domain import OpenboardError

        raise OpenboardError(
            f"OPENBOARD_CONFIG points at {config_file}, which is not a file",
            "create the TOML file or unset OPENBOARD_CONFIG",
        )
    return Settings(**overrides)


# Settings that hold secrets, and the environment variable that carries each to a child process.
_SECRET_ENV = {
    "database_url": "OPENBOARD_DATABASE_URL",
    "hub_token": "OPENBOARD_HUB_TOKEN",
    "secret_key": "OPENBOARD_SECRET_KEY",
    "oidc_client_secret": "OPENBOARD_OIDC_CLIENT_SECRET",
    "webhook_secret": "OPENBOARD_WEBHOOK_SECRET",
}
