"""Named regimes: the shapes of data partners actually send, as simulator settings.

A regime is a set of `SimulationConfig` overrides (window, who is in the export, how the type
mix moves, an injected change) plus the size validation runs it at, chosen so that each size
band of partitions the targets speak of holds at least ten partitions. `--regime NAME` of the
simulator applies the settings; `python -m churn.validate survival|classifier --regime NAME`
runs the models on it against the truth.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from churn.simulate.config import (
    DEFAULT_PRODUCTS,
    DEFAULT_TYPES,
    PlayerTypeSpec,
    ProductSpec,
    SimulationConfig,
)

# A type outside the sBG / beta-discrete-Weibull family: it plays through a welcome bonus, so
# its lapse hazard is low at first, peaks around month 6 and only then falls to a floor.
BONUS_HUNTER = PlayerTypeSpec(
    "bonus_hunter",
    -0.3,
    0.45,
    0.04,
    4.0,
    0.85,
    0.05,
    0.70,
    0.20,
    0.07,
    0.80,
    0.12,
    0.03,
    80.0,
    0.8,
    60.0,
    0.8,
    0.85,
    0.1,
    0.50,
    hazard_rise_months=6.0,
)


def with_type(
    config_types: tuple[PlayerTypeSpec, ...],
    products: tuple[ProductSpec, ...],
    extra: PlayerTypeSpec,
    product_shift: float = 0.0,
) -> tuple[tuple[PlayerTypeSpec, ...], tuple[ProductSpec, ...]]:
    """Types and products with one more type (each product's type shift extended)."""
    widened = tuple(
        dataclasses.replace(p, type_shift=(*p.type_shift, product_shift)) for p in products
    )
    return (*config_types, extra), widened


RISING_TYPES, RISING_PRODUCTS = with_type(DEFAULT_TYPES, DEFAULT_PRODUCTS, BONUS_HUNTER)


@dataclass(frozen=True)
class Regime:
    """A named data regime: simulator overrides and the validation size."""

    name: str
    description: str
    settings: dict[str, Any]
    players: int = 120_000  # simulated players for validation (before the window cut)
    partners: int = 10
    states: int = 20
    validated: bool = True  # part of `--all`

    def config(self, **overrides: Any) -> SimulationConfig:
        """The regime's config at its validation size, with overrides."""
        values = {
            "n_players": self.players,
            "n_partners": self.partners,
            "states": self.states,
            **self.settings,
            **overrides,
        }
        return SimulationConfig(**values)


def _window(months: int, end: str = "2024-12") -> dict[str, str]:
    year, month = int(end[:4]), int(end[5:7])
    first = year * 12 + month - 1 - (months - 1)
    return {"start": f"{first // 12:04d}-{first % 12 + 1:02d}", "end": end}


REGIMES: dict[str, Regime] = {
    r.name: r
    for r in (
        Regime(
            "baseline",
            "36 months of data, players of every FTD cohort (the reference case)",
            _window(36),
        ),
        Regime(
            "six_years",
            "72 months of data (2019-2024), like the bundled sample",
            _window(72),
            players=90_000,
            validated=False,
        ),
        Regime("window_30", "a short window: 30 months of data", _window(30)),
        Regime("window_24", "a short window: 24 months of data", _window(24), players=130_000),
        Regime("window_18", "a short window: 18 months of data", _window(18), players=170_000),
        Regime(
            "new_players_24",
            "24 months of newly referred players only: no FTD before the window",
            {**_window(24), "new_players_only": True},
            players=90_000,
        ),
        Regime(
            "mix_drift",
            "36 months; the type mix drifts towards one-and-done players with every "
            "FTD cohort (+0.3 logit a year) and away from loyal and VIP players",
            {**_window(36), "mix_drift_per_year": (0.3, 0.0, -0.2, -0.2)},
        ),
        Regime(
            "rising_hazard",
            "36 months; a fifth type (bonus_hunter) whose lapse hazard rises for "
            "six months before it falls, outside the sBG / BdW family",
            {**_window(36), "types": RISING_TYPES, "products": RISING_PRODUCTS},
        ),
        Regime(
            "mix_shift",
            "72 months; from 2024-01 partner P01 refers far more one-and-done players "
            "(for monitoring and replay: drift alerts)",
            {
                **_window(72),
                "mix_shift_month": "2024-01",
                "mix_shift_partner": "P01",
                "mix_shift_logits": (1.2, 0.3, -0.6, -0.6),
            },
            players=90_000,
            validated=False,
        ),
        Regime(
            "format_change",
            "72 months; from activity month 2024-07 partner P02 renames its "
            "products, writes dates day first and amounts in cents (for monitoring and replay: "
            "quarantine alerts)",
            {
                **_window(72),
                "format_change_month": "2024-07",
                "format_change_partner": "P02",
                "format_changes": ("product_label", "date_day_first", "amount_cents"),
            },
            players=90_000,
            validated=False,
        ),
    )
}


def regime(name: str) -> Regime:
    """The named regime; an unknown name raises with the list of valid ones."""
    if name not in REGIMES:
        raise ValueError(f"unknown regime {name!r}; valid: {', '.join(REGIMES)}")
    return REGIMES[name]


def validated_regimes() -> list[str]:
    """The regimes `--all` runs, in order."""
    return [name for name, r in REGIMES.items() if r.validated]
