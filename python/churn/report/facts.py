"""Named numbers for the reports' and docs' text, each read as it is from an analysis result.

The SQL computes every number (the `*_facts` analyses return one row of them, the others return
the rows their figures draw); this module only reads values out of those rows by name, so the
prose quotes exactly what the analyses return. Text templates then use the names
(`{n_players:,}`), so no number in the prose is typed by hand.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from churn.report.queries import QueryResult


@dataclass(frozen=True)
class OneRow:
    """An analysis of one row: each column is a fact of the same name (or of its new name)."""

    analysis: str
    rename: Mapping[str, str] = field(default_factory=dict)

    def read(self, frame: pd.DataFrame) -> dict[str, Any]:
        row = frame.iloc[0]
        return {self.rename.get(column, column): row[column] for column in frame.columns}


@dataclass(frozen=True)
class Keyed:
    """Facts from the rows of an analysis picked by the value of a key column: each fact name
    (a template where `{key}` is the row's key, shaped by `key_name`) reads one column."""

    analysis: str
    key: str
    columns: Mapping[str, str]
    keys: tuple[Any, ...] | None = None
    key_name: Callable[[Any], str] = str

    def read(self, frame: pd.DataFrame) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for _, row in frame.drop_duplicates(self.key).iterrows():
            if self.keys is not None and row[self.key] not in self.keys:
                continue
            key = self.key_name(row[self.key])
            for name, column in self.columns.items():
                values[name.format(key=key)] = row[column]
        return values


@dataclass(frozen=True)
class Sentence:
    """A fact in words: one of two sentences, chosen by a boolean fact the SQL returns."""

    name: str
    condition: str
    if_true: str
    if_false: str


def _size_band(label: Any) -> str:
    """`0-299 players` -> `0_299`, `3000+ players` -> `3000_plus` (names for the templates)."""
    return str(label).split(" ")[0].replace("-", "_").replace("+", "_plus")


SOURCES: list[OneRow | Keyed] = [
    OneRow("eda_overview", {"data_start_month": "data_start", "churn_inactive_months": "k"}),
    OneRow("eda_partition_facts"),
    OneRow("eda_monthly_facts"),
    OneRow("eda_cohort_facts"),
    OneRow("eda_gap_facts"),
    OneRow("eda_money_facts"),
    OneRow("eda_journey_facts"),
    OneRow("eda_problem_facts"),
    OneRow("models_survival_facts"),
    OneRow("models_classifier_facts"),
    Keyed(
        "eda_money_distributions",
        "measure",
        {
            "{key}_p50": "p50",
            "{key}_p99": "p99",
            "{key}_mean_amount": "mean_amount",
            "{key}_max_amount": "max_amount",
            "{key}_share_zero": "share_zero",
            "{key}_n_negative": "n_negative",
        },
    ),
    Keyed(
        "eda_money_concentration",
        "measure",
        {
            "{key}_top_1pct": "share_top_1pct",
            "{key}_top_10pct": "share_top_10pct",
            "{key}_share_players_negative": "share_players_negative",
        },
    ),
    Keyed(
        "eda_data_problems",
        "problem",
        {"problem_{key}_rows": "n_rows", "problem_{key}_accounts": "n_accounts"},
    ),
    Keyed(
        "models_survival_summary",
        "curve",
        {
            "s12": "survival_12",
            "s24": "survival_24",
            "s60": "survival_60",
            "rmst12": "restricted_mean_months_12",
            "rmst60": "restricted_mean_months_60",
        },
        keys=("all partners",),
    ),
    Keyed(
        "models_pooled_vs_raw",
        "month_number",
        {
            "pooled_partition": "partition_label",
            "pooled_partition_players": "n_players",
            "pooled_partition_weight": "mean_pooling_weight_first_year",
            "pooled_month": "month_number",
            "pooled_s": "pooled_survival",
            "raw_s": "raw_survival",
            "pooled_band_width": "pooled_band_width",
            "raw_band_width": "raw_band_width",
        },
        keys=(12,),
    ),
    # The default model on the test cohorts; its size, base rate and AUC come with the splits.
    Keyed(
        "models_classifier_candidates",
        "is_default",
        {
            "default_model": "model_name",
            "model_version": "model_version",
            "test_auc_lower": "roc_auc_lower",
            "test_auc_upper": "roc_auc_upper",
            "test_pr_auc": "pr_auc",
            "test_brier": "brier_score",
            "test_log_loss": "log_loss",
            "test_ece": "expected_calibration_error",
            "test_calibration_slope": "calibration_slope",
            "test_top_decile_lift": "top_decile_lift",
            "test_mean_probability": "mean_probability",
        },
        keys=(True,),
    ),
    Keyed(
        "models_classifier_splits",
        "data_split",
        {
            "h": "quick_churn_months",
            "{key}_players": "n_players",
            "{key}_first_cohort": "first_ftd_month",
            "{key}_last_cohort": "last_ftd_month",
            "{key}_auc": "roc_auc",
            "{key}_base_rate": "base_rate",
        },
    ),
    Keyed("models_classifier_lift", "decile", {"top_decile_rate": "quick_churn_rate"}, keys=(1,)),
    Keyed(
        "models_classifier_lift", "decile", {"capture_top_3_deciles": "cumulative_capture"}, (3,)
    ),
    Keyed(
        "models_classifier_lift", "decile", {"bottom_decile_rate": "quick_churn_rate"}, keys=(10,)
    ),
    Keyed("production_outputs", "output", {"rows_{key}": "n_rows"}),
    Keyed(
        "production_partition_sizes",
        "size_band",
        {
            "partitions_{key}": "n_partitions",
            "pooling_weight_{key}": "mean_pooling_weight_first_year",
            "own_classifier_{key}": "n_with_own_classifier",
        },
        key_name=_size_band,
    ),
]

SENTENCES = [
    Sentence(
        "partner_shares_sentence",
        "has_several_partners",
        "The largest partner, {largest_partner}, holds {largest_partner_share:.0%} of the players; "
        "the smallest, {smallest_partner}, {smallest_partner_share:.1%}.",
        "The export has one partner, {largest_partner}: the comparisons below are between its "
        "states.",
    ),
    Sentence(
        "largest_partner_clause",
        "has_several_partners",
        "the largest partner, {largest_partner}, holds {largest_partner_share:.0%} of them",
        "all of them are {largest_partner}'s",
    ),
    # One partner (or one partition): no comparison between partners (or partitions).
    Sentence("all_partners", "has_several_partners", "all partners", "{largest_partner}'s players"),
    Sentence("partners_word", "has_several_partners", "partners", "the partner"),
    # Figure titles: "by partner" is no grouping on a one-partner export.
    Sentence("by_partner", "has_several_partners", "by partner", "of {largest_partner}"),
    Sentence("and_partner", "has_several_partners", "and partner", "of {largest_partner}"),
    Sentence(
        "partners_enter_states",
        "has_several_partners",
        "partners enter states",
        "{largest_partner} enters states",
    ),
    Sentence(
        "partner_s12_clause",
        "has_several_partners",
        "Partners differ: S(12) from {worst_partner_s12:.1%} ({worst_partner}) to "
        "{best_partner_s12:.1%} ({best_partner}); by product from",
        "By product S(12) goes from",
    ),
    Sentence(
        "partition_sizes_clause",
        "has_several_partitions",
        "from {smallest_partition_players:,} players ({smallest_partition}) to "
        "{largest_partition_players:,} ({largest_partition}), median "
        "{median_partition_players:,.0f}",
        "of {largest_partition_players:#player} ({largest_partition})",
    ),
    Sentence(
        "hazard_verdict",
        "is_hazard_falling",
        "The hazard falls with tenure, so a constant-churn (geometric) model is wrong; the tail "
        "candidates are mixtures and distributions with a falling hazard.",
        "The hazard does not fall steadily with tenure here; the tail candidates still include "
        "models with a flat or rising hazard.",
    ),
    Sentence(
        "boosted_verdict",
        "is_boosted_gain_above_zero",
        "its interval is above zero, so the boosted model is worth its complexity",
        "its interval includes zero, so the logistic baseline keeps the job",
    ),
    Sentence(
        "finer_verdict",
        "is_finer_gain_above_zero",
        "its interval is above zero, so a finer grain earns its own models",
        "its interval is not above zero, so one global model, with the partition as a feature, "
        "is enough",
    ),
    Sentence(
        "calibration_gap_sentence",
        "has_calibration_bins_of_100",
        "no probability bin with 100 players or more is off by more than "
        "{max_calibration_gap:.1%} (absolute)",
        "no probability bin holds 100 players or more, too few to read a bin's gap",
    ),
]


class ProseFormatter(string.Formatter):
    """str.format with two specs for counts, so a sentence reads right for one as for many:
    `{n:#partner}` gives "1 partner" or "1,234 partners" (`{n:#child|children}` for an irregular
    plural) and `{n:?has|have}` the word alone."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec[:1] in ("#", "?"):
            singular, _, plural = format_spec[1:].partition("|")
            word = singular if value == 1 else (plural or singular + "s")
            return f"{value:,} {word}" if format_spec[0] == "#" else word
        return super().format_field(value, format_spec)


PROSE = ProseFormatter()


@dataclass
class Facts:
    """Values by name, and why the analyses behind the missing ones did not run."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        """The template with its fields filled; a note in place of it when a value is missing or
        could not be computed on this export (a NaN never reaches the text as `nan%`)."""
        try:
            undefined = [
                name
                for _, name, _, _ in PROSE.parse(template)
                if name and _is_missing(self.values.get(name, 0))
            ]
            if undefined:
                return (
                    f"(not available: {', '.join(undefined)} cannot be computed on this "
                    "export: too few players or cohorts)"
                )
            return PROSE.vformat(template, (), self.values)
        except KeyError as missing:
            reason = "; ".join(f"{name}: {error}" for name, error in sorted(self.errors.items()))
            if not reason:
                return f"(not available: {missing.args[0]})"
            return f"(not available: {missing.args[0]} needs analyses that did not run: {reason})"


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any) -> Any:
    """A SQL value as the text shows it: months as YYYY-MM, whole numbers as int (DuckDB sums
    of integers arrive as floats), NULL as None."""
    if _is_missing(value) or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def compute_facts(results: Mapping[str, QueryResult], sources: list = SOURCES) -> Facts:
    """Every fact whose analysis returned rows; for the others, why not."""
    facts = Facts()
    for source in sources:
        result = results.get(source.analysis)
        frame = None if result is None else result.rows
        if frame is None:
            reason = "not run" if result is None else (result.error or "no rows")
            facts.errors[source.analysis] = reason
            continue
        facts.values.update({name: _plain(v) for name, v in source.read(frame).items()})
    if facts.values.get("n_partitions") is not None:
        facts.values["has_several_partitions"] = facts.values["n_partitions"] > 1
    for sentence in SENTENCES:
        if sentence.condition in facts.values and facts.values[sentence.condition] is not None:
            chosen = sentence.if_true if facts.values[sentence.condition] else sentence.if_false
            facts.values[sentence.name] = facts.fill(chosen)
    return facts
