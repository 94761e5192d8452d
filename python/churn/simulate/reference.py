"""Reference data: the repo seeds (state launch months, product labels) plus market assumptions.

Launch months and label synonyms come from seeds/ so the simulator and dbt agree; market sizes
and which states allow online casino / poker are simulator assumptions kept here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from churn.project import seeds_dir
from churn.simulate.calendar import parse_month

# Relative size of each state's online betting market (roughly adult population, millions).
MARKET_WEIGHT: dict[str, float] = {
    "NY": 19.5,
    "PA": 13.0,
    "IL": 12.6,
    "OH": 11.8,
    "NC": 10.7,
    "MI": 10.0,
    "NJ": 9.3,
    "VA": 8.6,
    "AZ": 7.4,
    "MA": 7.0,
    "TN": 7.0,
    "IN": 6.8,
    "MD": 6.2,
    "CO": 5.8,
    "LA": 4.6,
    "KY": 4.5,
    "OR": 4.2,
    "CT": 3.6,
    "IA": 3.2,
    "NV": 3.2,
    "AR": 3.0,
    "KS": 2.9,
    "WV": 1.8,
    "NH": 1.4,
    "ME": 1.4,
    "RI": 1.1,
    "DE": 1.0,
    "DC": 0.7,
    "VT": 0.65,
    "WY": 0.58,
}
# States with legal online casino / online poker (simulator assumption).
CASINO_STATES = frozenset({"NJ", "PA", "MI", "WV", "DE", "CT", "RI"})
POKER_STATES = frozenset({"NJ", "PA", "MI", "NV", "DE", "WV"})


def default_seeds_dir() -> Path:
    """The dbt project's seeds/ folder (see churn.project)."""
    return seeds_dir()


def normalise_label(text: str) -> str:
    """The staging rule for product labels: lower, trim, '-'/'_' -> space, collapse spaces."""
    return re.sub(r"\s+", " ", re.sub(r"[-_]", " ", str(text).lower())).strip()


@dataclass(frozen=True)
class Reference:
    """State launch months (absolute month index) and product label synonyms."""

    launch_month: dict[str, int]
    state_name: dict[str, str]
    product_labels: dict[str, str]  # normalised raw label -> canonical product

    def labels_for(self, product: str) -> list[str]:
        """Raw labels of the seed that map to `product`, sorted."""
        return sorted(raw for raw, canon in self.product_labels.items() if canon == product)


def load_reference(seeds_dir: str | Path | None = None) -> Reference:
    """Reads state_launch_months.csv and product_label_map.csv from the seeds folder."""
    folder = Path(seeds_dir) if seeds_dir else default_seeds_dir()
    states = pd.read_csv(folder / "state_launch_months.csv", dtype=str)
    labels = pd.read_csv(folder / "product_label_map.csv", dtype=str)
    codes = states["state_code"]
    return Reference(
        launch_month={
            c: parse_month(m) for c, m in zip(codes, states["launch_month"], strict=True)
        },
        state_name=dict(zip(codes, states["state_name"], strict=True)),
        product_labels={
            normalise_label(raw): product
            for raw, product in zip(labels["raw_label"], labels["product"], strict=True)
        },
    )
