"""The classifier's feature schema and the step from raw-named columns to model inputs.

The raw columns are those of `intermediate.int_classifier__features` (built in SQL from months
<= the decision month only). `prepare` adds what is pure arithmetic on one row: the partition key,
signed logs of money and day counts, cyclic terms of the calendar month, a placeholder for a
missing tracker, and the categories as integer codes (a hash of the text: scikit-learn's encoders
take numbers through vectorised paths but text through Python sets, minutes apart at 2,000
partitions, and an artifact then stores arrays rather than lists of strings). No feature measures
calendar time itself (such as months since a state's launch): it would act as a trend and
extrapolate beyond the training cohorts. It lives in the package, not in the saved model, so an
artifact holds only scikit-learn objects.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple, cast

import numpy as np
import pandas as pd

# Raw feature columns and their types: what an artifact expects in the frame it scores.
FEATURE_SCHEMA: dict[str, str] = {
    "partner_id": "category",
    "geo": "category",
    "product": "category",
    "ben_login_id": "category",
    "tracker_id": "category",
    "ftd_calendar_month": "integer",
    "reg_to_ftd_days": "integer",
    "days_to_decision": "integer",
    "has_first_bet": "boolean",
    "ftd_to_first_bet_days": "integer",
    "decision_deposit": "float",
    "decision_handle": "float",
    "decision_ngr": "float",
    "decision_active_months": "integer",
    "handle_per_deposit": "float",
    "ngr_per_handle": "float",
    "ngr_per_deposit": "float",
}

# Model inputs after `prepare`, by how the estimators treat them.
NUMERIC_INPUTS = [
    "log_decision_deposit",
    "log_decision_handle",
    "log_decision_ngr",
    "handle_per_deposit",
    "ngr_per_handle",
    "ngr_per_deposit",
    "log_reg_to_ftd_days",
    "days_to_decision",
    "has_first_bet",
    "log_ftd_to_first_bet_days",
    "decision_active_months",
    "season_sin",
    "season_cos",
]
# Few levels: one-hot for the logistic model, native categories for the boosted one.
LOW_CARDINALITY_INPUTS = ["geo", "product", "ben_login_id"]
# Many levels (about 1,500 trackers, 2,000 partitions in production): cross-fitted target encoding.
HIGH_CARDINALITY_INPUTS = ["tracker_id", "partition_key", "partner_id"]
MODEL_INPUTS = NUMERIC_INPUTS + LOW_CARDINALITY_INPUTS + HIGH_CARDINALITY_INPUTS

MISSING_LEVEL = "_missing"
# How `prepare` hands categories to the estimators: as integer codes of their text (what this
# version fits), or as the text itself (what artifacts fitted before the codes expect; a model
# records its coding and is always fed the inputs it was fitted on).
CATEGORY_CODING = "blake2b-52"
TEXT_CODING = "text"
CATEGORY_CODINGS = (CATEGORY_CODING, TEXT_CODING)
LOGGED = {
    "log_decision_deposit": "decision_deposit",
    "log_decision_handle": "decision_handle",
    "log_decision_ngr": "decision_ngr",
    "log_reg_to_ftd_days": "reg_to_ftd_days",
    "log_ftd_to_first_bet_days": "ftd_to_first_bet_days",
}
PASSED = [
    "handle_per_deposit",
    "ngr_per_handle",
    "ngr_per_deposit",
    "days_to_decision",
    "decision_active_months",
]


class FeatureSchemaError(ValueError):
    """The frame to score does not have the columns or types the model was trained on."""


def signed_log(values: pd.Series) -> pd.Series:
    """sign(x) log(1 + |x|): money is heavy-tailed and NGR can be negative."""
    numbers = values.astype("float64")
    # numpy's ufuncs keep a Series a Series; the stubs type them as arrays.
    return cast(pd.Series, np.sign(numbers) * np.log1p(numbers.abs()))


def check_schema(frame: pd.DataFrame, schema: dict[str, str] = FEATURE_SCHEMA) -> None:
    """Raises FeatureSchemaError naming every missing column and every column of the wrong type."""
    missing = [column for column in schema if column not in frame.columns]
    if missing:
        raise FeatureSchemaError(f"missing feature columns: {', '.join(missing)}")
    wrong = []
    for column, kind in schema.items():
        values = frame[column]
        if kind in ("integer", "float", "boolean") and not (
            pd.api.types.is_numeric_dtype(values)
            or pd.api.types.is_bool_dtype(values)
            or values.isna().all()
        ):
            wrong.append(f"{column} (expected {kind}, got {values.dtype})")
    if wrong:
        raise FeatureSchemaError(f"feature columns of the wrong type: {', '.join(wrong)}")


class PreparedFrame(NamedTuple):
    """What a model needs of a frame: its inputs, and the text keys its sub-models are chosen by
    (`partner_id`, `partner|geo`)."""

    inputs: pd.DataFrame
    partner_key: pd.Series
    partition_key: pd.Series


def prepare(frame: pd.DataFrame, coding: str = CATEGORY_CODING) -> pd.DataFrame:
    """Model inputs from raw-named feature columns (checked first), in MODEL_INPUTS order; the
    categories as `category_code`s of their text, or as the text with coding TEXT_CODING."""
    return prepare_for_model(frame, coding).inputs


def prepare_for_model(frame: pd.DataFrame, coding: str = CATEGORY_CODING) -> PreparedFrame:
    """`prepare`'s inputs and the sub-model keys, each category's text cleaned once."""
    if coding not in CATEGORY_CODINGS:
        raise ValueError(f"unknown category coding {coding!r}; expected one of {CATEGORY_CODINGS}")
    encode = _coded if coding == CATEGORY_CODING else _as_text
    check_schema(frame)
    out = pd.DataFrame(index=frame.index)
    for name, source in LOGGED.items():
        out[name] = signed_log(frame[source])
    for name in PASSED:
        out[name] = frame[name].astype("float64")
    out["has_first_bet"] = frame["has_first_bet"].astype("float64")
    text = {}  # the cleaned text of the two columns the sub-model keys are made of
    for name in ["geo", "product", "ben_login_id", "tracker_id", "partner_id"]:
        positions, levels = _levels(frame[name])
        out[name] = encode(positions, levels)
        if name in ("partner_id", "geo"):
            text[name] = pd.Series(_as_text(positions, levels), index=frame.index, dtype=object)
    # Seasonality as a point on the year's circle: a calendar month missing from training still
    # gets a value between its neighbours (a one-hot level would be silently ignored).
    angle = 2 * np.pi * (frame["ftd_calendar_month"].astype("float64") - 1) / 12
    out["season_sin"], out["season_cos"] = np.sin(angle), np.cos(angle)
    partition_key = text["partner_id"] + "|" + text["geo"]
    out["partition_key"] = encode(*_levels(partition_key))
    inputs = out[MODEL_INPUTS].replace([np.inf, -np.inf], np.nan)
    return PreparedFrame(inputs, text["partner_id"], partition_key)


def category_text(values: pd.Series) -> pd.Series:
    """Category values as plain text, missing (or blank) as one explicit level."""
    return pd.Series(_as_text(*_levels(values)), index=values.index, dtype=object)


def category_code(text: str) -> int:
    """A category's integer code: the first 52 bits of its text's BLAKE2b digest, the same in
    every process and version, and exact as a float64 (the encoders may cast)."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 12


def _levels(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """(position of each row's level, the levels as cleaned text): the text is cleaned once per
    distinct value, not once per row. Values become text before they are told apart, so 7 and
    7.0 stay two levels whatever order they come in."""
    raw = values.astype(object)
    present = raw.notna().to_numpy()
    text_values = np.full(len(raw), None, dtype=object)
    text_values[present] = raw[present].astype(str).to_numpy()
    codes, uniques = pd.factorize(text_values, use_na_sentinel=True)
    text = pd.Index(uniques, dtype=object).str.strip()
    levels = pd.Index(np.where(text == "", MISSING_LEVEL, text), dtype=object).append(
        pd.Index([MISSING_LEVEL], dtype=object)
    )
    # A missing value (code -1) reads the appended MISSING_LEVEL.
    return np.where(codes < 0, len(levels) - 1, codes), levels


def _coded(positions: np.ndarray, levels: pd.Index) -> np.ndarray:
    codes = np.array([category_code(level) for level in levels], dtype=np.int64)
    # Two texts with one code (odds about 1e-9 at 4,000 levels) would silently merge two levels.
    if len(np.unique(codes)) != len(pd.unique(levels.to_numpy())):
        raise ValueError("two category levels share one code; rename one of them")
    return codes[positions]


def _as_text(positions: np.ndarray, levels: pd.Index) -> np.ndarray:
    return levels.to_numpy(dtype=object)[positions]
