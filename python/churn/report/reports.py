"""The two reports, `eda.html` and `models.html`: which figures and tables, in which sections,
drawn from which analyses, with which text. `build_reports` runs the analyses once and renders
both pages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from churn.report import figures, text
from churn.report.facts import SENTENCES, Facts, compute_facts
from churn.report.queries import QueryResult, run_analyses
from churn.report.render import FigureBlock, Section, TableBlock, page


@dataclass(frozen=True)
class FigureSpec:
    """A figure: its id, title, caption template, the analyses it draws and how."""

    figure_id: str
    title: str
    analyses: tuple[str, ...]
    draw: figures.DrawFunction
    optional: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        return text.CAPTIONS[self.figure_id]


@dataclass(frozen=True)
class TableSpec:
    """A table: its id, caption and a formatter from one analysis's frame to display text."""

    table_id: str
    caption: str
    analysis: str
    format: Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class SectionSpec:
    """A report section: title, bullet templates, then figures and tables in order."""

    section_id: str
    title: str
    bullets: list[str]
    blocks: tuple[FigureSpec | TableSpec, ...]


def _pct(value: float, digits: int = 1) -> str:
    return "" if pd.isna(value) else f"{value:.{digits}%}"


def _num(value: float, digits: int = 3) -> str:
    return "" if pd.isna(value) else f"{value:.{digits}f}"


def _interval(value: float, lower: float, upper: float, digits: int = 3, sign: str = "") -> str:
    if pd.isna(value):
        return ""
    if pd.isna(lower):
        return f"{value:{sign}.{digits}f}"
    return f"{value:{sign}.{digits}f} [{lower:{sign}.{digits}f}, {upper:{sign}.{digits}f}]"


def problems_table(frame: pd.DataFrame) -> pd.DataFrame:
    """eda_data_problems for reading."""
    return pd.DataFrame(
        {
            "problem": [f"`{p}`" for p in frame["problem"]],
            "what happens": frame["action"],
            "rows": [f"{int(n):,}" for n in frame["n_rows"]],
            "share of raw rows": [_pct(s, 2) for s in frame["share_of_raw_rows"]],
            "accounts": [f"{int(n):,}" for n in frame["n_accounts"]],
            "meaning": frame["description"].fillna(""),
        }
    )


def survival_table(frame: pd.DataFrame) -> pd.DataFrame:
    """models_survival_summary for reading."""
    return pd.DataFrame(
        {
            "curve": frame["curve"],
            "players": [f"{int(n):,}" for n in frame["n_players"]],
            "observed months": frame["last_observed_month"].astype(int),
            "S(12)": [_pct(v) for v in frame["survival_12"]],
            "S(24)": [_pct(v) for v in frame["survival_24"]],
            "S(60)": [_pct(v) for v in frame["survival_60"]],
            "active months of first 12": [_num(v, 2) for v in frame["restricted_mean_months_12"]],
            "active months of first 60": [_num(v, 2) for v in frame["restricted_mean_months_60"]],
            "tail": frame["tail_method"].fillna("none needed"),
            "own-data weight, year 1": [
                _pct(v, 0) for v in frame["mean_pooling_weight_first_year"]
            ],
        }
    )


def tails_table(frame: pd.DataFrame) -> pd.DataFrame:
    """models_tail_fits for reading."""
    return pd.DataFrame(
        {
            "level": frame["pooling_level"],
            "model": frame["model"],
            "groups": frame["n_groups"].astype(int),
            "fitted": frame["n_fitted"].astype(int),
            "chosen": frame["n_chosen"].astype(int),
            "median backtest MAE": [_num(v, 4) for v in frame["median_backtest_mae"]],
        }
    )


def candidates_table(frame: pd.DataFrame) -> pd.DataFrame:
    """models_classifier_candidates for reading (95% bootstrap intervals in brackets)."""
    return pd.DataFrame(
        {
            "candidate": [f"`{m}`" for m in frame["model_name"]],
            "default": ["yes" if d else "" for d in frame["is_default"]],
            "sub-models": frame["n_submodels"].astype(int),
            "ROC-AUC [95%]": [
                _interval(v, lo, hi)
                for v, lo, hi in zip(
                    frame["roc_auc"], frame["roc_auc_lower"], frame["roc_auc_upper"], strict=True
                )
            ],
            "PR-AUC": [_num(v) for v in frame["pr_auc"]],
            "Brier": [_num(v) for v in frame["brier_score"]],
            "ECE": [_num(v) for v in frame["expected_calibration_error"]],
            "top-decile lift": [_num(v, 2) for v in frame["top_decile_lift"]],
            "AUC gain vs logistic [95%]": [
                _interval(v, lo, hi, 4, "+")
                for v, lo, hi in zip(
                    frame["roc_auc_gain_vs_logistic"],
                    frame["roc_auc_gain_vs_logistic_lower"],
                    frame["roc_auc_gain_vs_logistic_upper"],
                    strict=True,
                )
            ],
            "AUC gain vs global [95%]": [
                _interval(v, lo, hi, 4, "+")
                for v, lo, hi in zip(
                    frame["roc_auc_gain_vs_global"],
                    frame["roc_auc_gain_vs_global_lower"],
                    frame["roc_auc_gain_vs_global_upper"],
                    strict=True,
                )
            ],
        }
    )


def outputs_table(frame: pd.DataFrame) -> pd.DataFrame:
    """production_outputs for reading."""
    return pd.DataFrame(
        {
            "table": [f"`{t}`" for t in frame["output"]],
            "rows": [f"{int(n):,}" for n in frame["n_rows"]],
        }
    )


F = FigureSpec
EDA_SECTIONS = [
    SectionSpec(
        "sec-overview",
        "The export at a glance",
        text.EDA_OVERVIEW,
        (
            F(
                "fig-monthly-volumes",
                "Monthly actives and FTDs {by_partner}",
                ("eda_monthly_volumes",),
                figures.monthly_volumes,
            ),
            F(
                "fig-state-volumes",
                "Players by state {and_partner}",
                ("eda_state_volumes",),
                figures.state_volumes,
            ),
        ),
    ),
    SectionSpec(
        "sec-cohorts",
        "FTD cohorts and how long players stay",
        text.EDA_COHORTS,
        (
            F(
                "fig-cohort-retention",
                "Cohort retention heatmap",
                ("eda_ftd_cohorts",),
                figures.cohort_retention,
            ),
            F(
                "fig-months-active",
                "Active months and survival time per player",
                ("eda_months_active_distribution",),
                figures.months_active,
            ),
        ),
    ),
    SectionSpec(
        "sec-gaps",
        "Activity gaps, reactivation and the sports calendar",
        text.EDA_GAPS,
        (
            F(
                "fig-activity-gaps",
                "Inactive gaps by length",
                ("eda_activity_gaps",),
                figures.activity_gaps,
            ),
            F(
                "fig-seasonality",
                "Seasonality of activity and of reactivation",
                ("eda_seasonality",),
                figures.seasonality,
            ),
        ),
    ),
    SectionSpec(
        "sec-money",
        "Money: deposits, handle and NGR, their tails and the whales",
        text.EDA_MONEY,
        (
            F(
                "fig-money-distributions",
                "Deposit, handle and NGR distributions",
                ("eda_money_histogram", "eda_money_distributions"),
                figures.money_distributions,
            ),
            F(
                "fig-whales",
                "Concentration of value in the top players",
                ("eda_money_concentration",),
                figures.money_concentration,
            ),
            F(
                "fig-negative-ngr",
                "Negative NGR by product",
                ("eda_negative_ngr",),
                figures.negative_ngr,
            ),
        ),
    ),
    SectionSpec(
        "sec-journey",
        "Player journey: lags, products and channels",
        text.EDA_JOURNEY,
        (
            F(
                "fig-lags",
                "Registration-to-FTD and FTD-to-first-bet lags",
                ("eda_lags",),
                figures.lags,
            ),
            F(
                "fig-product-channel",
                "Product and channel mix",
                ("eda_product_channel_mix",),
                figures.product_channel,
            ),
        ),
    ),
    SectionSpec(
        "sec-problems",
        "Data problems",
        text.EDA_PROBLEMS,
        (
            F(
                "fig-data-problems",
                "Data problems by reason",
                ("eda_data_problems",),
                figures.data_problems,
            ),
            TableSpec(
                "table-data-problems",
                "Every data problem with its count",
                "eda_data_problems",
                problems_table,
            ),
        ),
    ),
    SectionSpec(
        "sec-challenges",
        "What will hurt modelling",
        text.EDA_CHALLENGES,
        (),
    ),
]

MODEL_SECTIONS = [
    SectionSpec(
        "sec-survival",
        "Model 1: survival curves by partition, months 0-60",
        text.SURVIVAL_RESULTS,
        (
            F(
                "fig-km-by-state",
                "Survival by state, with bands and the extrapolated tail",
                ("models_survival_by_state",),
                figures.survival_by_state,
            ),
            F(
                "fig-km-by-product",
                "Survival by product, with bands",
                ("models_survival_by_product",),
                figures.survival_by_product,
            ),
            F("fig-hazard", "Hazard by month since FTD", ("models_hazard",), figures.hazard),
            TableSpec(
                "table-survival-summary",
                "Survival summary over all partners and per partner",
                "models_survival_summary",
                survival_table,
            ),
        ),
    ),
    SectionSpec(
        "sec-pooling",
        "Pooling: small partitions borrow from their partner",
        text.SURVIVAL_POOLING,
        (
            F(
                "fig-pooled-vs-raw",
                "Pooled vs raw curve for a small partition",
                ("models_pooled_vs_raw",),
                figures.pooled_vs_raw,
            ),
        ),
    ),
    SectionSpec(
        "sec-tails",
        "The tail: chosen by an out-of-time backtest",
        text.SURVIVAL_TAILS,
        (
            F(
                "fig-backtest",
                "Survival backtest over all partners",
                ("models_survival_backtest_curve", "models_survival_backtest_error"),
                figures.survival_backtest,
            ),
            TableSpec(
                "table-tail-fits",
                "Tail candidates per level: fitted, chosen, backtest error",
                "models_tail_fits",
                tails_table,
            ),
        ),
    ),
    SectionSpec(
        "sec-classifier",
        "Model 2: the quick-churn classifier",
        text.CLASSIFIER_DATA + text.CLASSIFIER_RESULTS,
        (
            TableSpec(
                "table-candidates",
                "Candidates on the test cohorts (95% bootstrap intervals)",
                "models_classifier_candidates",
                candidates_table,
            ),
            F(
                "fig-roc",
                "ROC curve",
                ("models_classifier_roc_pr",),
                figures.roc_curve,
                optional=("models_classifier_candidates",),
            ),
            F(
                "fig-pr",
                "Precision-recall curve",
                ("models_classifier_roc_pr",),
                figures.precision_recall,
                optional=("models_classifier_candidates",),
            ),
            F(
                "fig-calibration",
                "Calibration plot",
                ("models_classifier_calibration",),
                figures.calibration,
                optional=("models_classifier_candidates",),
            ),
            F("fig-lift", "Lift by decile", ("models_classifier_lift",), figures.lift),
        ),
    ),
    SectionSpec(
        "sec-scores",
        "Scores by partition",
        text.CLASSIFIER_SCORES,
        (
            F(
                "fig-score-distribution",
                "Score distribution by partition",
                ("models_score_distribution",),
                figures.score_distribution,
            ),
        ),
    ),
]

REPORTS = {"eda.html": EDA_SECTIONS, "models.html": MODEL_SECTIONS}
TITLES = {
    "eda.html": "Churn warehouse: what the data says and what is wrong with it",
    "models.html": "Churn warehouse: how the models behave",
}


def figure_specs() -> dict[str, list[FigureSpec]]:
    """Every figure of every report, by report file name."""
    return {
        name: [b for section in sections for b in section.blocks if isinstance(b, FigureSpec)]
        for name, sections in REPORTS.items()
    }


def _frames(results: Mapping[str, QueryResult], names: tuple[str, ...]) -> tuple[dict, str | None]:
    """The named analyses' frames, or why one of them cannot be used."""
    frames = {}
    for name in names:
        result = results.get(name)
        if result is None:
            return {}, f"analysis `{name}` was not run"
        if not result.ok:
            return {}, f"analysis `{name}` failed: {result.error}"
        if result.rows is None:
            return {}, f"analysis `{name}` returned no rows (model not built or not trained?)"
        frames[name] = result.rows
    return frames, None


def figure_title(spec: FigureSpec, facts: Facts) -> str:
    """The title with its fields filled (`by_partner` and the like); without those facts, the
    title as on an export of several partners."""
    if "{" not in spec.title:
        return spec.title
    one_partner = facts.values.get("has_several_partners") is False
    if one_partner and facts.values.get("largest_partner") is not None:
        return facts.fill(spec.title)
    return spec.title.format(**{sentence.name: sentence.if_true for sentence in SENTENCES})


def render_figure(
    spec: FigureSpec, results: Mapping[str, QueryResult], facts: Facts
) -> FigureBlock:
    """The figure drawn from its analyses, or a block saying why it cannot be."""
    caption = facts.fill(spec.caption)
    title = figure_title(spec, facts)
    frames, reason = _frames(results, spec.analyses)
    if reason:
        return FigureBlock(spec.figure_id, title, caption, missing_reason=reason)
    for name in spec.optional:
        result = results.get(name)
        if result is not None and result.ok:
            frames[name] = result.frame
    try:
        image = figures.png_base64(spec.draw(frames))
    except Exception as error:  # noqa: BLE001 - one bad figure must not sink the report
        figures.plt.close("all")
        reason = f"could not be drawn ({type(error).__name__}: {error})"
        return FigureBlock(spec.figure_id, title, caption, missing_reason=reason)
    return FigureBlock(spec.figure_id, title, caption, png_base64=image)


def render_table(spec: TableSpec, results: Mapping[str, QueryResult]) -> TableBlock:
    """The table, or a block saying why it cannot be shown."""
    frames, reason = _frames(results, (spec.analysis,))
    if reason:
        return TableBlock(spec.table_id, spec.caption, None, reason)
    return TableBlock(spec.table_id, spec.caption, spec.format(frames[spec.analysis]))


def render_report(name: str, results: Mapping[str, QueryResult], facts: Facts, source: str) -> str:
    """One report page as HTML."""
    sections = []
    for spec in REPORTS[name]:
        blocks: list[FigureBlock | TableBlock] = [
            render_figure(b, results, facts)
            if isinstance(b, FigureSpec)
            else render_table(b, results)
            for b in spec.blocks
        ]
        sections.append(
            Section(spec.section_id, spec.title, text.bullets(spec.bullets, facts), blocks)
        )
    subtitle = facts.fill(
        "Warehouse "
        + source.replace("{", "{{").replace("}", "}}")
        + ": data {data_start} to {export_month}, {n_players:,} players. Every number and figure "
        "comes from the SQL in `analyses/` (`python -m churn.report`)."
    )
    return page(TITLES[name], subtitle, sections)


def build_reports(database: Path | str) -> dict[str, str]:
    """Runs every analysis on the warehouse once and renders both reports: file name -> HTML."""
    results = run_analyses(database)
    facts = compute_facts(results)
    source = Path(database).name
    return {name: render_report(name, results, facts, source) for name in REPORTS}


def write_reports(database: Path | str, out: Path | str) -> list[Path]:
    """Writes eda.html and models.html into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in build_reports(database).items():
        path = out / name
        path.write_text(document, encoding="utf-8")
        written.append(path)
    return written
