"""Selection, evaluation and refit of the quick-churn classifier (what `churn_classifier_evaluation`
calls).

The labelled FTD cohorts, oldest to latest, are cut into windows sized to the data:

    train cohorts | gap | test cohorts

The gap is the label-maturation time G = H - 1 + K months: a cohort's label is known G months after
its FTD month, so a model trained on cohorts up to c could only be used from c + G on. Candidates
are chosen by rolling-origin cross-validation inside the train cohorts (every fold keeps the same
gap between the cohorts it fits on and those it is scored on), never on the test cohorts. The
chosen procedure, fitted on the train cohorts, is evaluated once on the test cohorts; then it is
refitted on every labelled cohort, and that refit is the artifact that scores players.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from churn.artifact import package_versions, save_artifact, set_current
from churn.classifier import estimators
from churn.classifier.features import CATEGORY_CODING, FEATURE_SCHEMA, MODEL_INPUTS
from churn.classifier.metrics import (
    SliceMetrics,
    evaluate_slices_on,
    paired_differences,
    stable_seed,
)
from churn.classifier.model import (
    ARTIFACT_KIND,
    DEFAULT_CALIBRATION_FOLDS,
    DEFAULT_MIN_SUBMODEL_PLAYERS,
    DEFAULT_RISK_BAND_EDGES,
    DEFAULT_SEED,
    QuickChurnClassifier,
)
from churn.frames import conform
from churn.processes import IN_THIS_PROCESS, Workers, process_pool

logger = logging.getLogger(__name__)

ALL = "_all"
DEFAULT_CANDIDATES = ("logistic_global", "logistic_partner", "logistic_partition", "boosted_global")
# Subfolder of the artifact folder with the fits the test cohorts evaluated (never served).
HOLDOUT_FOLDER = "holdout"
DEFAULT_ALGORITHM, DEFAULT_GRAIN = "logistic", "global"
SELECTION_RULE = (
    "rolling-origin cross-validation on the train cohorts (the test cohorts are never used): the "
    "boosted model only if the paired bootstrap 95% interval of its pooled out-of-fold AUC gain "
    "over the logistic model (global grain) lies above zero, else logistic; then, for that "
    "algorithm, the finer grain with the best out-of-fold AUC among those whose gain over global "
    "lies above zero the same way, else global"
)
METRIC_COLUMNS = list(SliceMetrics.__dataclass_fields__)
GAIN_COLUMNS = [
    "roc_auc_gain_vs_logistic",
    "roc_auc_gain_vs_logistic_lower",
    "roc_auc_gain_vs_logistic_upper",
    "roc_auc_gain_vs_global",
    "roc_auc_gain_vs_global_lower",
    "roc_auc_gain_vs_global_upper",
]
EVALUATION_SCHEMA: list[tuple[str, str]] = [
    ("model_version", "object"),
    ("model_name", "object"),
    ("algorithm", "object"),
    ("grain", "object"),
    ("is_default", "bool"),
    ("data_split", "object"),
    ("slice_type", "object"),
    ("partner_id", "object"),
    ("geo", "object"),
    ("served_by", "object"),
    *[(column, "int64" if column.startswith("n_") else "float64") for column in METRIC_COLUMNS],
    *[(column, "float64") for column in GAIN_COLUMNS],
    ("n_submodels", "int64"),
    ("first_cohort", "date"),
    ("last_cohort", "date"),
    ("artifact_path", "object"),
    ("holdout_artifact_path", "object"),
    ("data_cutoff", "date"),
    ("status", "object"),
]
SCORES_SCHEMA: list[tuple[str, str]] = [
    ("player_id", "object"),
    ("partner_id", "object"),
    ("geo", "object"),
    ("ftd_month", "date"),
    ("product", "object"),
    ("ben_login_id", "object"),
    ("quick_churn_probability", "float64"),
    ("holdout_probability", "float64"),
    ("risk_band", "object"),
    ("is_label_known", "bool"),
    ("is_quick_churn", "boolean"),
    ("data_split", "object"),
    ("served_by", "object"),
    ("model_version", "object"),
    ("decision_month", "int64"),
]


class InsufficientHistoryError(ValueError):
    """The export has too few labelled FTD cohorts to train and test a model."""


@dataclass(frozen=True)
class TrainingSettings:
    """Settings of one training run. The label definition (H, K, d) comes from the dbt vars every
    model shares; the rest default here (the one place) and dbt vars override them."""

    quick_churn_months: int
    churn_inactive_months: int
    decision_month: int
    seed: int = DEFAULT_SEED
    min_submodel_players: int = DEFAULT_MIN_SUBMODEL_PLAYERS
    calibration_folds: int = DEFAULT_CALIBRATION_FOLDS
    risk_band_edges: tuple[float, ...] = DEFAULT_RISK_BAND_EDGES
    # At most this many latest labelled cohorts are the test slice (fewer on a short export).
    max_test_cohorts: int = 12
    # Rolling-origin folds inside the train cohorts (fewer when the history is short).
    cv_folds: int = 3
    bootstrap_samples: int = 500
    artifact_dir: str = "artifacts"
    # Cores to use: processes for the independent work (the test cohorts' fit, the
    # cross-validation folds, the bootstrap over slices), each fitting and predicting a
    # sub-model's pipelines on its share of them as threads (all of them for the refit); the
    # results do not depend on it. dbt builds pass CHURN_THREADS.
    jobs: int = 1
    # What a too-short export does: "error" stops the build with the reason; "skip" builds the
    # classifier tables without a model (a status row, no scores).
    short_history: str = "error"
    # algorithm_grain. The boosted model is tried at the global grain only: its partner and
    # partition variants lost AUC to it on the sample and in every validation run, and cost the
    # most to fit.
    candidates: tuple[str, ...] = field(default=DEFAULT_CANDIDATES)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> TrainingSettings:
        """Reads settings rendered by dbt (numbers, lists, possibly as text); missing or empty
        values keep their defaults; the label definition is required."""
        values: dict[str, Any] = {}
        for name, spec in cls.__dataclass_fields__.items():
            raw = meta.get(name)
            if raw is None or raw == "":
                continue
            kind = spec.type
            if "tuple" in str(kind):
                parsed = json.loads(raw.replace("'", '"')) if isinstance(raw, str) else raw
                values[name] = tuple(parsed)
            elif str(kind) == "int":
                values[name] = int(raw)
            else:
                values[name] = str(raw)
        missing = [
            name
            for name in ("quick_churn_months", "churn_inactive_months", "decision_month")
            if name not in values
        ]
        if missing:
            raise ValueError(f"training settings lack {', '.join(missing)}")
        if values.get("short_history", "error") not in ("error", "skip"):
            raise ValueError(
                "classifier_short_history must be 'error' or 'skip', got "
                f"{values['short_history']!r}"
            )
        return cls(**values)

    @property
    def gap_cohorts(self) -> int:
        """G = H - 1 + K: months until a cohort's label is known."""
        return self.quick_churn_months - 1 + self.churn_inactive_months

    def estimator(self, algorithm: str, grain: str) -> QuickChurnClassifier:
        return QuickChurnClassifier(
            algorithm=algorithm,
            grain=grain,
            seed=self.seed,
            min_submodel_players=self.min_submodel_players,
            calibration_folds=self.calibration_folds,
            risk_band_edges=tuple(self.risk_band_edges),
            n_jobs=self.jobs,
        )


@dataclass(frozen=True)
class Windows:
    """The labelled cohorts cut into train | gap | test, and the rolling-origin folds inside the
    train cohorts as (cohorts fitted on, cohorts scored)."""

    train: list[pd.Timestamp]
    gap: list[pd.Timestamp]
    test: list[pd.Timestamp]
    folds: list[tuple[list[pd.Timestamp], list[pd.Timestamp]]]

    def split_of(self, cohorts: pd.Series) -> pd.Series:
        """`train`, `gap`, `test` or `unlabelled` per FTD month."""
        months = pd.to_datetime(cohorts)
        split = pd.Series("unlabelled", index=cohorts.index, dtype=object)
        for name in ("train", "gap", "test"):
            split[months.isin(getattr(self, name))] = name
        return split


def minimum_cohorts(gap: int) -> int:
    """One cohort to train on, the gap, one cohort to test on."""
    return gap + 2


def plan_windows(
    cohorts: list[pd.Timestamp], gap: int, max_test_cohorts: int, cv_folds: int
) -> Windows:
    """Windows sized to the data: about a third of the cohorts past the gap test (at most
    `max_test_cohorts`), the rest train; folds of the test's size walk back from the end of the
    train cohorts while at least one cohort is left to fit on before each fold's gap."""
    cohorts = sorted(pd.Timestamp(cohort) for cohort in cohorts)
    n = len(cohorts)
    needed = minimum_cohorts(gap)
    if n < needed:
        span = f" ({cohorts[0]:%Y-%m}..{cohorts[-1]:%Y-%m})" if cohorts else ""
        raise InsufficientHistoryError(
            f"the quick-churn classifier needs at least {needed} labelled FTD cohorts (one to "
            f"train on, a {gap}-month label-maturation gap, one to test on: about {needed + gap} "
            f"months of data) and this export has {n}{span}; send a longer export, or set var "
            "classifier_short_history: skip to build without the classifier"
        )
    n_test = min(max_test_cohorts, max(1, (n - gap) // 3))
    n_train = n - gap - n_test
    train = cohorts[:n_train]
    block = max(1, min(n_test, n_train - gap - 1))
    folds = []
    for k in range(cv_folds):
        scored_end = n_train - k * block
        scored_start = scored_end - block
        fit_end = scored_start - gap
        if fit_end < 1:
            break
        folds.append((train[:fit_end], train[scored_start:scored_end]))
    return Windows(train, cohorts[n_train : n_train + gap], cohorts[n_train + gap :], folds)


# Progress -------------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def log(self, message: str, *args: object) -> None:
        logger.info("%s (%.1f s)", message % args if args else message, self.elapsed)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


# Frames ---------------------------------------------------------------------------------------


def training_frame(features: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Features with the label, sorted by player_id so row order (and with it every seeded fold
    and resample) does not depend on how the warehouse returned the rows."""
    label_columns = ["player_id", "is_label_known", "is_quick_churn", "export_month"]
    frame = features.merge(
        labels[label_columns], on="player_id", how="inner", validate="one_to_one"
    )
    frame["ftd_month"] = pd.to_datetime(frame["ftd_month"])
    return frame.sort_values("player_id", kind="mergesort").reset_index(drop=True)


def model_version(frame: pd.DataFrame, settings: TrainingSettings) -> tuple[str, str]:
    """(version, data cutoff): the export month and a hash of the labelled data, settings and
    package versions, so the same inputs always give the same version."""
    cutoff = pd.Timestamp(frame["export_month"].max()).strftime("%Y-%m-%d")
    labelled = frame[frame["is_label_known"].astype(bool)]
    columns = ["player_id", *FEATURE_SCHEMA, "is_quick_churn"]
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(labelled[columns], index=False).to_numpy().tobytes())
    # Where the artifact is written, or on how many processes, does not change what it is.
    fingerprint = {
        key: value for key, value in asdict(settings).items() if key not in ("artifact_dir", "jobs")
    }
    # The category coding too: a model fitted on other codes is another model.
    inputs = {"category_coding": CATEGORY_CODING}
    digest.update(json.dumps([fingerprint, package_versions(), inputs], sort_keys=True).encode())
    return f"quick-churn-{cutoff[:7].replace('-', '')}-{digest.hexdigest()[:10]}", cutoff


# Fitting --------------------------------------------------------------------------------------


def _fit_candidates(
    settings: TrainingSettings, rows: pd.DataFrame
) -> dict[str, QuickChurnClassifier]:
    """Every candidate on `rows`: one fit per algorithm at its finest candidate grain, the coarser
    grains served from it (nothing is fitted twice)."""
    labels = rows["is_quick_churn"].astype(int).to_numpy()
    grains: dict[str, list[str]] = {}
    for name in settings.candidates:
        algorithm, grain = name.split("_", 1)
        grains.setdefault(algorithm, []).append(grain)
    out = {}
    for algorithm, wanted in grains.items():
        finest = max(wanted, key=estimators.GRAINS.index)
        fitted = settings.estimator(algorithm, finest).fit(rows, labels)
        for grain in wanted:
            out[f"{algorithm}_{grain}"] = fitted.coarsened(grain)
    return out


def _slices(frame: pd.DataFrame, split: str, by_partition: bool) -> list[tuple]:
    """(data_split, slice_type, partner_id, geo, row positions): overall, then (for the test
    split) each partner and partition, from one group-by each."""
    out: list[tuple] = [(split, "overall", ALL, ALL, np.arange(len(frame)))]
    if by_partition:
        for partner, rows in sorted(frame.groupby("partner_id", observed=True).indices.items()):
            out.append((split, "partner", str(partner), ALL, rows))
        groups = frame.groupby(["partner_id", "geo"], observed=True).indices
        for key, rows in sorted(groups.items()):
            partner, geo = cast(tuple, key)
            out.append((split, "partition", str(partner), str(geo), rows))
    return out


def evaluation_rows(
    frame: pd.DataFrame,
    scored: dict[str, pd.DataFrame],
    candidates: dict[str, QuickChurnClassifier],
    split: str,
    settings: TrainingSettings,
    by_partition: bool,
    pool: Workers = IN_THIS_PROCESS,
) -> list[dict[str, Any]]:
    """One row per candidate and slice, with bootstrap intervals. Every slice of every candidate
    is evaluated in one batched pass; a slice's Poisson resample weights are drawn from its own
    seed and shared by every candidate, so AUC gains over the logistic model (same grain) and the
    global model (same algorithm) are paired."""
    labels = frame["is_quick_churn"].astype(int).to_numpy()
    first, last = frame["ftd_month"].min(), frame["ftd_month"].max()
    slices = _slices(frame, split, by_partition)
    batches = evaluate_slices_on(
        pool,
        labels,
        {name: scored[name]["quick_churn_probability"].to_numpy() for name in candidates},
        [positions for *_, positions in slices],
        [stable_seed(settings.seed, *names) for *names, _ in slices],
        settings.bootstrap_samples,
    )
    gains: dict[str, list[tuple[str, tuple[np.ndarray, ...]]]] = {name: [] for name in candidates}
    for name, model in candidates.items():
        references = {
            "logistic": f"logistic_{model.grain}" if model.algorithm != "logistic" else None,
            "global": f"{model.algorithm}_global" if model.grain != "global" else None,
        }
        for suffix, reference in references.items():
            if reference in batches:
                gains[name].append((suffix, paired_differences(batches[name], batches[reference])))
    statuses = {
        name: _candidate_status(model, candidates, frame) for name, model in candidates.items()
    }
    rows = []
    for index, (data_split, slice_type, partner, geo, positions) in enumerate(slices):
        for name, model in candidates.items():
            metrics = batches[name].metrics
            row: dict[str, Any] = {
                "model_name": name,
                "algorithm": model.algorithm,
                "grain": model.grain,
                "data_split": data_split,
                "slice_type": slice_type,
                "partner_id": partner,
                "geo": geo,
                "served_by": (
                    scored[name]["served_by"].iloc[positions[0]]
                    if slice_type == "partition"
                    else None
                ),
                "n_submodels": len(model.submodels_),
                "first_cohort": first,
                "last_cohort": last,
                "status": statuses[name],
                **{field: values[index].item() for field, values in metrics.items()},
            }
            for suffix, columns in gains[name]:
                names = [f"roc_auc_gain_vs_{suffix}{end}" for end in ("", "_lower", "_upper")]
                row.update(zip(names, (column[index].item() for column in columns), strict=True))
            rows.append(row)
    return rows


def _candidate_status(
    model: QuickChurnClassifier, candidates: dict[str, QuickChurnClassifier], frame: pd.DataFrame
) -> str:
    """`ok`, and for a finer grain without a sub-model of its own (one partner, or none with
    enough labelled players) that it is its global model, so its zero gain is no finding."""
    reference = candidates.get(f"{model.algorithm}_global")
    if model.grain == "global" or reference is None:
        return "ok"
    if set(model.submodels_) != set(reference.submodels_):
        return "ok"
    levels = "partner or partition" if model.grain == "partition" else "partner"
    why = (
        "the export has one partner"
        if model.grain == "partner" and frame["partner_id"].nunique() == 1
        else f"no {levels} has the labelled players for one"
    )
    return f"ok; the same model as {model.algorithm}_global: no sub-model of its own ({why})"


def choose_algorithm(cv_overall: pd.DataFrame) -> str:
    """Boosted only if its out-of-fold AUC gain over logistic (global grain) has a paired
    bootstrap interval above zero."""
    overall = cv_overall.set_index("model_name")
    if (
        "boosted_global" in overall.index
        and overall["roc_auc_gain_vs_logistic_lower"]["boosted_global"] > 0
    ):
        return "boosted"
    return DEFAULT_ALGORITHM


def choose_grain(cv_overall: pd.DataFrame, algorithm: str) -> str:
    """The finer grain with the best out-of-fold AUC among those whose gain over the global model
    has a paired bootstrap interval above zero, else global."""
    overall = cv_overall.set_index("model_name")
    finer = overall[
        (overall["algorithm"] == algorithm)
        & (overall["grain"] != "global")
        & (overall["roc_auc_gain_vs_global_lower"] > 0)
    ]
    return str(finer.loc[finer["roc_auc"].idxmax(), "grain"]) if len(finer) else DEFAULT_GRAIN


FitOutcome = tuple[dict[str, QuickChurnClassifier], dict[str, pd.DataFrame]] | str


def _fit_and_score(
    settings: TrainingSettings, fit_rows: pd.DataFrame, scored_rows: pd.DataFrame
) -> FitOutcome:
    """Every candidate fitted on `fit_rows` and its scores of `scored_rows`; the reason instead
    when `fit_rows` cannot train one."""
    try:
        candidates = _fit_candidates(settings, fit_rows)
    except ValueError as error:
        return str(error)
    return candidates, {name: model.score_frame(scored_rows) for name, model in candidates.items()}


def _fit_and_score_task(task: tuple) -> FitOutcome:
    return _fit_and_score(*task)


def _fit_and_score_all(
    pool: Workers, settings: TrainingSettings, tasks: list[tuple[pd.DataFrame, pd.DataFrame]]
) -> list[FitOutcome]:
    """`_fit_and_score` of each (fit rows, scored rows): the first in this process (its models
    are saved, and so must be made here), the others on `pool`. The fits are independent and
    each is seeded on its own, so the outcomes do not depend on where they ran."""
    return pool.map_here_first(_fit_and_score_task, [(settings, *task) for task in tasks])


def _out_of_fold(
    folds: list[tuple[pd.DataFrame, FitOutcome]], windows: Windows, clock: _Clock
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, QuickChurnClassifier]]:
    """Pooled out-of-fold scores of each candidate over the rolling-origin folds, from each
    fold's (scored rows, outcome)."""
    scored_parts: dict[str, list[pd.DataFrame]] = {}
    rows_parts = []
    candidates: dict[str, QuickChurnClassifier] = {}
    for number, ((fit_cohorts, _), (scored_rows, outcome)) in enumerate(
        zip(windows.folds, folds, strict=True), start=1
    ):
        if isinstance(outcome, str):
            clock.log("fold %d skipped: %s", number, outcome)
            continue
        fold, scores = outcome
        for name, frame in scores.items():
            scored_parts.setdefault(name, []).append(frame)
        rows_parts.append(scored_rows)
        candidates = candidates or fold  # the largest fold (the first) describes the rows
        clock.log(
            "cross-validation fold %d of %d: %s candidates fitted on %d cohorts, scored %d players",
            number,
            len(windows.folds),
            len(fold),
            len(fit_cohorts),
            len(scored_rows),
        )
    if not rows_parts:
        return pd.DataFrame(), {}, {}
    pooled = pd.concat(rows_parts).reset_index(drop=True)
    scored = {name: pd.concat(parts).reset_index(drop=True) for name, parts in scored_parts.items()}
    return pooled, scored, candidates


def select_candidate(
    folds: list[tuple[pd.DataFrame, FitOutcome]],
    windows: Windows,
    settings: TrainingSettings,
    clock: _Clock,
    pool: Workers = IN_THIS_PROCESS,
) -> tuple[str, list[dict[str, Any]], str]:
    """(chosen candidate, cv evaluation rows, how it was chosen): every candidate scored out of
    fold on the rolling-origin folds, then the algorithm at the global grain and the grain for
    that algorithm chosen by their paired out-of-fold AUC gains."""
    pooled, scored, candidates = _out_of_fold(folds, windows, clock)
    if not candidates or pooled["is_quick_churn"].nunique() < 2:
        note = (
            f"no cross-validation fold fits in the {len(windows.train)} train cohorts (each needs "
            f"a cohort to fit on, the {settings.gap_cohorts}-month gap and a cohort to score): "
            f"the default procedure {DEFAULT_ALGORITHM}_{DEFAULT_GRAIN} is used"
        )
        return f"{DEFAULT_ALGORITHM}_{DEFAULT_GRAIN}", [], note
    rows = evaluation_rows(
        pooled, scored, candidates, "cv", settings, by_partition=False, pool=pool
    )
    cv_overall = pd.DataFrame(rows)
    algorithm = choose_algorithm(cv_overall)
    grain = choose_grain(cv_overall, algorithm)
    note = f"{len(windows.folds)} rolling-origin folds; {SELECTION_RULE}"
    return f"{algorithm}_{grain}", rows, note


# The entry point ------------------------------------------------------------------------------


def _status_frame(message: str, cutoff: Any = None) -> pd.DataFrame:
    row = {
        "model_name": "none",
        "is_default": False,
        "data_split": "test",
        "slice_type": "overall",
        "partner_id": ALL,
        "geo": ALL,
        "n_players": 0,
        "n_quick_churners": 0,
        "n_submodels": 0,
        "data_cutoff": cutoff,
        "status": message,
    }
    return conform(pd.DataFrame([row]), EVALUATION_SCHEMA)


def train_and_evaluate(
    features: pd.DataFrame, labels: pd.DataFrame, settings: TrainingSettings
) -> pd.DataFrame:
    """Selects, evaluates and refits the classifier; saves the refit as a signed artifact under
    `settings.artifact_dir`, points CURRENT at it, and returns the evaluation table. Raises
    InsufficientHistoryError on a too-short export (unless settings.short_history is "skip")."""
    clock = _Clock()
    frame = training_frame(features, labels)
    if frame.empty:
        return _status_frame("not trained: the export has no scoreable players")
    labelled = frame[frame["is_label_known"].astype(bool)].reset_index(drop=True)
    cohorts = sorted(labelled["ftd_month"].unique())
    try:
        windows = plan_windows(
            cohorts, settings.gap_cohorts, settings.max_test_cohorts, settings.cv_folds
        )
    except InsufficientHistoryError as error:
        if settings.short_history == "skip":
            return _status_frame(f"not trained: {error}", frame["export_month"].max())
        raise
    clock.log(
        "%d labelled players in %d cohorts: %d train, %d gap, %d test cohorts, %d folds",
        len(labelled),
        len(cohorts),
        len(windows.train),
        len(windows.gap),
        len(windows.test),
        len(windows.folds),
    )
    version, cutoff = model_version(frame, settings)
    train = labelled[labelled["ftd_month"].isin(windows.train)].reset_index(drop=True)
    test = labelled[labelled["ftd_month"].isin(windows.test)].reset_index(drop=True)

    # The fit the test cohorts evaluate first (the largest), then the cross-validation folds.
    fold_rows = [
        (train[train["ftd_month"].isin(fit)], train[train["ftd_month"].isin(scored)])
        for fit, scored in windows.folds
    ]
    processes = max(1, min(settings.jobs, 1 + len(fold_rows)))
    # This process and processes - 1 workers, which exit at the end of the block (before the
    # refit).
    with process_pool(processes - 1) as pool:
        # Each process's fits share out its part of the cores as threads.
        per_process = replace(settings, jobs=max(1, settings.jobs // processes))
        outcomes = _fit_and_score_all(pool, per_process, [(train, test), *fold_rows])
        clock.log("%d fits on %d processes", len(outcomes), processes)
        scored_folds = [
            (scored_rows, outcome)
            for (_, scored_rows), outcome in zip(fold_rows, outcomes[1:], strict=True)
        ]
        chosen, rows, selection_note = select_candidate(
            scored_folds, windows, settings, clock, pool
        )
        test_outcome = outcomes[0]
        del outcomes, scored_folds  # the folds' models are not needed any more
        if isinstance(test_outcome, str):
            raise InsufficientHistoryError(
                f"the train cohorts ({windows.train[0]:%Y-%m}..{windows.train[-1]:%Y-%m}, "
                f"{len(train)} labelled players) cannot train a model: {test_outcome}"
            )
        candidates, scored = test_outcome
        rows += evaluation_rows(
            test, scored, candidates, "test", settings, by_partition=True, pool=pool
        )
    clock.log("test cohorts: %d candidates scored on %d players", len(candidates), len(test))

    algorithm, grain = chosen.split("_", 1)
    served = settings.estimator(algorithm, grain).fit(
        labelled, labelled["is_quick_churn"].astype(int).to_numpy()
    )
    clock.log("refit of %s on all %d labelled players", chosen, len(labelled))

    evaluation = pd.DataFrame(rows)
    evaluation["is_default"] = evaluation["model_name"] == chosen
    evaluation["model_version"] = version
    evaluation["data_cutoff"] = cutoff
    card = model_card(served, version, cutoff, settings, windows, evaluation, chosen)
    card["selection"]["how"] = selection_note
    folder = Path(settings.artifact_dir).resolve()
    # Absolute, so the table says where the artifact is whatever folder it is read from.
    path = save_artifact(folder / version, served.to_state(), card, ARTIFACT_KIND)
    set_current(folder, version)
    # The fit the test rows measure is kept too (never served), so the out-of-sample test
    # probabilities can be reproduced and joined to players.
    holdout = candidates[chosen]
    holdout_card = {
        **card,
        "role": "holdout: the chosen procedure fitted on the train cohorts only, evaluated on the "
        "test cohorts; not for scoring",
        "submodels": holdout.submodel_summary(),
    }
    holdout_path = save_artifact(
        folder / HOLDOUT_FOLDER / version, holdout.to_state(), holdout_card, ARTIFACT_KIND
    )
    evaluation["artifact_path"] = [str(path) if d else None for d in evaluation["is_default"]]
    evaluation["holdout_artifact_path"] = [
        str(holdout_path) if d else None for d in evaluation["is_default"]
    ]
    clock.log("saved %s and pointed %s/CURRENT at it", path, folder)
    return conform(evaluation, EVALUATION_SCHEMA)


def _months(cohorts: list[pd.Timestamp]) -> dict[str, Any]:
    if not cohorts:
        return {"first": None, "last": None, "n_cohorts": 0}
    return {
        "first": f"{cohorts[0]:%Y-%m-%d}",
        "last": f"{cohorts[-1]:%Y-%m-%d}",
        "n_cohorts": len(cohorts),
    }


def model_card(
    served: QuickChurnClassifier,
    version: str,
    cutoff: str,
    settings: TrainingSettings,
    windows: Windows,
    evaluation: pd.DataFrame,
    chosen: str,
) -> dict[str, Any]:
    """What the artifact is: label, features, cohorts behind each step, metrics, selection."""
    overall = evaluation[evaluation["slice_type"] == "overall"]
    chosen_rows = overall[overall["model_name"] == chosen]
    metrics = {
        row["data_split"]: {column: _plain(row[column]) for column in METRIC_COLUMNS}
        for _, row in chosen_rows.iterrows()
    }
    candidates = overall[overall["data_split"] == "cv"]
    return {
        "version": version,
        "data_cutoff": cutoff,
        "label": {
            "definition": "quick churn: survival time T <= H months under the churn rule (K "
            "consecutive inactive months after the last active month L; T = L + 1)",
            "quick_churn_months": settings.quick_churn_months,
            "churn_inactive_months": settings.churn_inactive_months,
            "decision_month": settings.decision_month,
            "label_maturation_months": settings.gap_cohorts,
        },
        "cohorts": {
            "served_model_fitted_on": _months(windows.train + windows.gap + windows.test),
            "train": _months(windows.train),
            "gap": _months(windows.gap),
            "test": _months(windows.test),
            "cv_folds": [
                {"fitted_on": _months(fit), "scored": _months(scored)}
                for fit, scored in windows.folds
            ],
        },
        "model": chosen,
        "params": served.saved_params(),
        "feature_schema": dict(FEATURE_SCHEMA),
        "model_inputs": list(MODEL_INPUTS),
        "category_coding": served.category_coding_,
        "submodels": served.submodel_summary(),
        "metrics": metrics,
        "metrics_note": "cv: pooled out-of-fold; test: the chosen procedure fitted on the train "
        "cohorts; the served model is that procedure refitted on every labelled cohort",
        "selection": {
            "chosen": chosen,
            "rule": SELECTION_RULE,
            "cv_auc": {
                row["model_name"]: _plain(row["roc_auc"]) for _, row in candidates.iterrows()
            },
        },
        "risk_band_edges": [float(edge) for edge in served.risk_band_edges],
        "package_versions": package_versions(),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def default_artifact_path(evaluation: pd.DataFrame, column: str = "artifact_path") -> str | None:
    """The folder of the artifact the evaluation saved (None when nothing was trained); with
    column="holdout_artifact_path", the fit the test rows evaluated."""
    if column not in evaluation:
        return None
    paths = evaluation.loc[evaluation["is_default"].astype(bool), column].dropna().unique()
    return str(paths[0]) if len(paths) else None
