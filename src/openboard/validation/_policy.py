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
