"""The naive loop a take-home solution would write: pandas, then per partition lifelines'
KaplanMeierFitter and WeibullFitter and a scikit-learn LogisticRegression. Where the loop would
take too long, a random subset of partitions is timed and scaled by the partition count."""

from __future__ import annotations

import random
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

INACTIVE_MONTHS = 3
QUICK_CHURN_MONTHS = 3
COLUMNS = [
    "partner_id",
    "brand_id",
    "account_id",
    "activity_month",
    "ftd_date",
    "total_deposit",
    "total_handle",
    "total_ngr",
]


@dataclass(frozen=True)
class NaiveTiming:
    """Seconds of the naive approach, and how they were obtained."""

    prepare_seconds: float
    loop_seconds: float
    n_partitions: int
    n_timed: int

    @property
    def seconds(self) -> float:
        return self.prepare_seconds + self.loop_seconds

    @property
    def is_scaled(self) -> bool:
        return self.n_timed < self.n_partitions

    def describe(self) -> str:
        if not self.is_scaled:
            return f"all {self.n_partitions:,} partitions timed"
        return (
            f"{self.n_timed:,} of {self.n_partitions:,} random partitions timed, the loop "
            "scaled by the partition count"
        )


def player_table(path: Path) -> pd.DataFrame:
    """One row per player: survival time, churn event, quick-churn label, first-month money."""
    if path.suffix == ".parquet":
        raw = pd.read_parquet(path, columns=COLUMNS)
    else:
        raw = pd.read_csv(path, dtype=str, usecols=COLUMNS)
    month = pd.to_datetime(raw["activity_month"], errors="coerce").dt.to_period("M")
    ftd = pd.to_datetime(raw["ftd_date"], errors="coerce").dt.to_period("M")
    money = raw[["total_deposit", "total_handle", "total_ngr"]].apply(
        pd.to_numeric, errors="coerce"
    )
    # The least a loop would do to the brand: trim and upper-case (full state names stay apart).
    geo = raw["brand_id"].str.strip().str.upper()
    frame = pd.DataFrame(
        {"partner_id": raw["partner_id"], "geo": geo, "account_id": raw["account_id"]}
    ).join(money)
    frame["months_active"] = (month - ftd).map(lambda offset: getattr(offset, "n", np.nan))
    frame = frame[frame["months_active"] >= 0]
    frame["is_active"] = (frame["total_deposit"] > 0) | (frame["total_handle"] > 0)
    export_month = month.max()
    frame["followup"] = (export_month - ftd.loc[frame.index]).map(lambda offset: offset.n)
    keys = ["partner_id", "geo", "account_id"]
    last_active = frame[frame["is_active"]].groupby(keys)["months_active"].max()
    first = (
        frame[frame["months_active"] == 0]
        .groupby(keys)[["total_deposit", "total_handle", "total_ngr"]]
        .sum()
    )
    players = frame.groupby(keys)["followup"].max().to_frame().join(last_active).join(first)
    players = players.fillna(
        {"months_active": 0, "total_deposit": 0, "total_handle": 0, "total_ngr": 0}
    )
    players["event"] = players["followup"] - players["months_active"] >= INACTIVE_MONTHS
    players["duration"] = np.where(
        players["event"],
        players["months_active"] + 1,
        np.maximum(players["followup"] - INACTIVE_MONTHS + 1, 1),
    )
    players["is_mature"] = players["followup"] >= QUICK_CHURN_MONTHS - 1 + INACTIVE_MONTHS
    players["is_quick_churn"] = players["event"] & (players["duration"] <= QUICK_CHURN_MONTHS)
    return players.reset_index()


def fit_partition(players: pd.DataFrame) -> None:
    """The per-partition fits of the naive approach."""
    from lifelines import KaplanMeierFitter, WeibullFitter
    from sklearn.linear_model import LogisticRegression

    durations, events = players["duration"].astype(float), players["event"].astype(bool)
    KaplanMeierFitter().fit(durations, events)
    if events.any() and len(players) > 2:
        try:
            WeibullFitter().fit(durations, events)
        except Exception:  # noqa: BLE001 - a failed fit is part of the naive loop's cost
            pass
    mature = players[players["is_mature"]]
    if mature["is_quick_churn"].nunique() == 2:
        features = np.log1p(mature[["total_deposit", "total_handle"]].clip(lower=0))
        features["ngr"] = mature["total_ngr"]
        LogisticRegression(max_iter=200).fit(features, mature["is_quick_churn"])


def time_naive(path: Path, budget_seconds: float, seed: int = 0) -> NaiveTiming:
    """Times the naive approach on the export; partitions are timed until `budget_seconds` of
    loop time is spent (in a random order), and the loop time is scaled by the count."""
    started = time.perf_counter()
    players = player_table(path)
    prepare = time.perf_counter() - started
    partitions = [group for _, group in players.groupby(["partner_id", "geo"], sort=True)]
    random.Random(seed).shuffle(partitions)
    timed, loop = 0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for partition in partitions:
            if loop >= budget_seconds and timed >= min(20, len(partitions)):
                break
            begun = time.perf_counter()
            fit_partition(partition)
            loop += time.perf_counter() - begun
            timed += 1
    scaled = loop * len(partitions) / timed if timed else 0.0
    return NaiveTiming(prepare, scaled, len(partitions), timed)
