from dataclasses import dataclass, field

from openboard.domain import Precision


@dataclass(frozen=True, slots=True)
class ValidationPolicy:
    """The public leaderboard's limits as defaults; an operator changes them through settings."""

    max_params_high_precision: float = 100e9
    max_params_quantized_base: float = 140e9
    quantized_factors: dict[Precision, int] = field(
        default_factory=lambda: {Precision.INT8: 2, Precision.INT4: 4}
    )
    gptq_factors: dict[int, int] = field(default_factory=lambda: {2: 8, 3: 6, 4: 4, 8: 2})
    min_card_chars: int = 200
    allow_private: bool = False
    allow_gated: bool = False
    rate_limit_count: int = 5
    rate_limit_days: float = 7.0
    official_providers: frozenset[str] = frozenset()

    def is_official(self, org: str) -> bool:
        return org.lower() in {p.lower() for p in self.official_providers}
