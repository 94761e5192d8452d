"""The survival pipeline's pieces on hand-made groups: fits and choice, parent fallback, curve
assembly (continuous, monotone, bands around the curve), restricted means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from churn.survival.discrete_models import (
    ShiftedBetaGeometric,
    life_table_from_durations,
    simulate_durations,
)
from churn.survival.pipeline import (
    assemble_curve,
    assemble_curves,
    effective_life_table,
    fit_group,
)


def life_table_rows(
    n_players: int, seed: int, censor_at: int, offset: int, role: str = "train"
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    durations = simulate_durations(
        ShiftedBetaGeometric(), {"alpha": 0.8, "beta": 2.0}, n_players, rng, censor_at=censor_at
    )
    table = life_table_from_durations(durations)
    return pd.DataFrame(
        {
            "pooling_level": "partition",
            "partner_id": "P1",
            "geo": "NJ",
            "role": role,
            "cutoff_offset_months": offset,
            "month_number": table["month"],
            "n_at_risk": table["n_at_risk"],
            "n_events": table["n_events"],
            "pooled_hazard": table["n_events"] / table["n_at_risk"],
            "prior_strength_months": 0.0,
            "survival": np.nan,
        }
    )


def group_frame(n_players: int) -> pd.DataFrame:
    current = life_table_rows(n_players, 1, 36, 0)
    at_cutoff = life_table_rows(n_players, 1, 24, 12)
    realised = life_table_rows(n_players, 1, 36, 12, role="holdout")
    realised["survival"] = np.cumprod(1 - realised["n_events"] / realised["n_at_risk"])
    return pd.concat([current, at_cutoff, realised], ignore_index=True)


def test_effective_life_table_adds_the_prior_as_pseudo_players():
    rows = pd.DataFrame(
        {
            "month_number": [1, 2],
            "n_at_risk": [10, 5],
            "n_events": [5, 1],
            "pooled_hazard": [0.4, 0.25],
            "prior_strength_months": [90.0, 15.0],
        }
    )
    table = effective_life_table(rows)
    assert table["n_at_risk"].tolist() == [100.0, 20.0]
    assert table["n_events"].tolist() == pytest.approx([40.0, 5.0])


def test_fit_group_chooses_exactly_one_model_by_backtest():
    fits = fit_group(group_frame(5000))
    assert set(fits["model"]) == {"sbg", "bdw", "weibull", "loglogistic"}
    assert fits["is_chosen"].sum() == 1
    chosen = fits[fits["is_chosen"]].iloc[0]
    assert "backtest" in chosen["choice_reason"]
    assert chosen["backtest_mae"] == fits["backtest_mae"].min()


def test_fit_group_with_few_events_falls_back_to_the_parent():
    fits = fit_group(group_frame(20))
    chosen = fits[fits["is_chosen"]]
    assert chosen["model"].tolist() == ["parent"]
    assert "too few events" in chosen["choice_reason"].iloc[0]


def curve_rows(n_months: int) -> pd.DataFrame:
    months = np.arange(1, n_months + 1)
    at_risk = np.linspace(1000, 300, n_months).round()
    events = np.full(n_months, 30.0)
    return pd.DataFrame(
        {
            "month_number": months,
            "n_at_risk": at_risk,
            "n_events": events,
            "n_censored": 0,
            "pooled_hazard": 0.03,
            "prior_strength_months": 0.0,
            "relative_risk_log_variance": 0.0,
            "raw_survival": np.cumprod(1 - events / at_risk),
            "raw_greenwood_sum": np.cumsum(events / (at_risk * (at_risk - events))),
            "pooling_weight": 1.0,
        }
    )


def test_assembled_curve_is_continuous_monotone_and_inside_its_bands():
    model = ShiftedBetaGeometric.with_params({"alpha": 1.0, "beta": 30.0})
    curve = assemble_curve(curve_rows(24), model, "sbg")
    assert len(curve) == 61 and curve["survival"].iloc[0] == 1.0
    assert (np.diff(curve["survival"]) <= 1e-12).all()
    assert curve["is_extrapolated"].tolist() == [False] * 25 + [True] * 36
    s24, s25 = curve["survival"].iloc[24], curve["survival"].iloc[25]
    assert s25 == pytest.approx(
        s24 * float(model.survival(np.array([25.0]))[0] / model.survival(np.array([24.0]))[0])
    )
    assert (curve["survival_lower"] <= curve["survival"] + 1e-12).all()
    assert (curve["survival"] <= curve["survival_upper"] + 1e-12).all()
    assert curve.loc[curve["is_extrapolated"], "method"].eq("sbg").all()


def test_a_group_without_a_model_uses_its_parents_tail():
    rows = curve_rows(12)
    hazards = pd.concat(
        [
            rows.assign(
                pooling_level="partition",
                partner_id="P1",
                geo="NJ",
                segment_type="all",
                segment_value="_all",
                n_players=50,
            ),
            rows.assign(
                pooling_level="partner",
                partner_id="P1",
                geo="_all",
                segment_type="all",
                segment_value="_all",
                n_players=500,
            ),
        ]
    )
    fits = pd.DataFrame(
        [
            {
                "pooling_level": "partition",
                "partner_id": "P1",
                "geo": "NJ",
                "model": "parent",
                "status": "ok",
                "params": None,
                "is_chosen": True,
            },
            {
                "pooling_level": "partner",
                "partner_id": "P1",
                "geo": "_all",
                "model": "sbg",
                "status": "ok",
                "params": '{"alpha": 1.0, "beta": 30.0}',
                "is_chosen": True,
            },
        ]
    )
    curves = assemble_curves(hazards, fits)
    partition_tail = curves[(curves["pooling_level"] == "partition") & curves["is_extrapolated"]]
    assert partition_tail["method"].eq("sbg (parent tail)").all()
    assert partition_tail["survival"].notna().all()
