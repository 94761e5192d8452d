"""Small synthetic feature and label frames in the warehouse's schema, for the classifier tests:
the classifier can be fitted in seconds without building the warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd
from churn.classifier.features import FEATURE_SCHEMA
from scipy.special import expit


def synthetic_features(n_players: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Features like `int_classifier__features` (plus player_id and ftd_month) whose quick-churn
    signal is in the deposit, the first bet, the bonus (NGR / deposit), the partner and the
    tracker."""
    rng = np.random.Generator(np.random.PCG64(seed))
    deposit = np.round(10 + rng.lognormal(3.5, 1.0, n_players), 2)
    has_bet = rng.random(n_players) < 0.8
    handle = np.where(has_bet, np.round(deposit * rng.lognormal(1.0, 0.6, n_players), 2), 0.0)
    ngr = np.round(
        handle * rng.normal(0.07, 0.2, n_players) - deposit * rng.uniform(0, 0.4, n_players), 2
    )
    ftd_month = pd.to_datetime("2021-01-01") + pd.to_timedelta(
        rng.integers(0, 36, n_players) * 31, unit="D"
    )
    frame = pd.DataFrame(
        {
            "player_id": [f"p{i:06d}" for i in range(n_players)],
            "ftd_month": ftd_month.to_period("M").to_timestamp(),
            "partner_id": rng.choice(["P01", "P02", "P03"], n_players, p=[0.6, 0.3, 0.1]),
            "geo": rng.choice(["NJ", "PA", "MI"], n_players),
            "product": rng.choice(["sportsbook", "casino", "dfs"], n_players, p=[0.7, 0.2, 0.1]),
            "ben_login_id": rng.choice(["BEN01", "BEN02", "BEN03"], n_players),
            "tracker_id": np.where(
                rng.random(n_players) < 0.02,
                None,
                [f"trk_{t:03d}" for t in rng.zipf(1.5, n_players) % 200],
            ),
            "reg_to_ftd_days": rng.geometric(0.5, n_players) - 1,
            "days_to_decision": rng.integers(1, 32, n_players),
            "has_first_bet": has_bet,
            "ftd_to_first_bet_days": np.where(has_bet, rng.geometric(0.6, n_players) - 1, np.nan),
            "decision_deposit": deposit,
            "decision_handle": handle,
            "decision_ngr": ngr,
            "decision_active_months": 1,
        }
    )
    frame["ftd_calendar_month"] = frame["ftd_month"].dt.month
    frame["handle_per_deposit"] = frame["decision_handle"] / frame["decision_deposit"]
    frame["ngr_per_handle"] = frame["decision_ngr"] / frame["decision_handle"].where(handle > 0)
    frame["ngr_per_deposit"] = frame["decision_ngr"] / frame["decision_deposit"]
    frame["decision_month"] = 0
    return frame[["player_id", "ftd_month", *FEATURE_SCHEMA, "decision_month"]]


def synthetic_labels(
    features: pd.DataFrame, seed: int = 0, unlabelled_cohorts: int = 5
) -> pd.DataFrame:
    """Labels for `synthetic_features` like `int_classifier__labels`: the latest cohorts not yet
    labelled, the export month one month after the latest cohort plus the unlabelled span."""
    rng = np.random.Generator(np.random.PCG64(seed + 1))
    score = (
        1.0
        - 0.5 * np.log(features["decision_deposit"] / 30)
        - 1.2 * features["has_first_bet"]
        - 1.5 * features["ngr_per_deposit"].clip(-1, 1)
        + features["partner_id"].map({"P01": 0.0, "P02": 0.5, "P03": -0.5})
        + 0.4 * (features["tracker_id"].fillna("").str[-1:] == "7")
    )
    churned = rng.random(len(features)) < expit(score)
    cohorts = sorted(features["ftd_month"].unique())
    known = features["ftd_month"] < cohorts[len(cohorts) - unlabelled_cohorts]
    return pd.DataFrame(
        {
            "player_id": features["player_id"],
            "is_label_known": known,
            "is_quick_churn": pd.array(np.where(known, churned, None), dtype="boolean"),
            "export_month": max(cohorts),
        }
    )
