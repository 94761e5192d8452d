"""The numeric parts of docs/eda.md, models.md, classifier.md and production.md, generated from
the warehouse by the same analyses and templates as the HTML reports.

A generated block sits between `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`;
everything else in the files is written by hand and holds no number that comes from data.
`write_docs` rewrites the blocks, `check_docs` lists the files whose blocks are stale (a test runs
it on the sample build).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from churn.docblocks import update_file
from churn.project import docs_dir
from churn.report import reports, text
from churn.report.facts import Facts, compute_facts
from churn.report.queries import AnalysisError, QueryResult, run_analyses

DOCS_DIR = docs_dir()
Renderer = Callable[[Mapping[str, QueryResult], Facts], str]


def markdown_table(frame: pd.DataFrame) -> str:
    """A display frame as a GitHub markdown table."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(c) for c in frame.columns) + " |",
        "|" + "|".join("---" for _ in frame.columns) + "|",
    ]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


def _list(templates: list[str]) -> Renderer:
    return lambda results, facts: text.markdown_bullets(templates, facts)


def _table(analysis: str, formatter: Callable[[pd.DataFrame], pd.DataFrame]) -> Renderer:
    def render(results: Mapping[str, QueryResult], facts: Facts) -> str:
        result = results.get(analysis)
        frame = None if result is None else result.rows
        if frame is None:
            reason = "not run" if result is None else (result.error or "no rows")
            return f"(not available: analysis `{analysis}`: {reason})\n"
        return markdown_table(formatter(frame))

    return render


BLOCKS: dict[str, dict[str, Renderer]] = {
    "eda.md": {
        "eda-volumes": _list(text.EDA_OVERVIEW),
        "eda-cohorts": _list(text.EDA_COHORTS),
        "eda-gaps": _list(text.EDA_GAPS),
        "eda-money": _list(text.EDA_MONEY),
        "eda-journey": _list(text.EDA_JOURNEY),
        "eda-problems": _list(text.EDA_PROBLEMS),
        "eda-problems-table": _table("eda_data_problems", reports.problems_table),
        "eda-challenges": _list(text.EDA_CHALLENGES),
    },
    "models.md": {
        "survival-results": _list(text.SURVIVAL_RESULTS + text.SURVIVAL_POOLING),
        "survival-summary-table": _table(
            "models_survival_summary",
            lambda frame: reports.survival_table(frame).drop(columns=["tail"]),
        ),
        "survival-tails": _list(text.SURVIVAL_TAILS_DOCS),
        "classifier-data": _list(text.CLASSIFIER_DATA),
        "classifier-results": _list(text.CLASSIFIER_RESULTS + text.CLASSIFIER_SCORES),
        "classifier-candidates-table": _table(
            "models_classifier_candidates", reports.candidates_table
        ),
    },
    "classifier.md": {"classifier-sample": _list(text.CLASSIFIER_SAMPLE)},
    "production.md": {
        "production-partitions": _list(text.PRODUCTION_PARTITIONS),
        "production-outputs-table": _table("production_outputs", reports.outputs_table),
    },
}


def render_blocks(database: Path | str, complete: bool = False) -> dict[str, dict[str, str]]:
    """Every generated block's current text, by doc file and block name. With `complete`, an
    analysis that cannot run (a warehouse older than the analyses, say) is an error instead of a
    "not available" line, so a stale warehouse never overwrites the docs with notes."""
    results = run_analyses(database)
    failed = sorted({result.error for result in results.values() if result.error})
    if complete and failed:
        reasons = "; ".join(failed)
        raise AnalysisError(f"the docs were left unchanged because {reasons}: rebuild first")
    facts = compute_facts(results)
    return {
        doc: {name: render(results, facts) for name, render in blocks.items()}
        for doc, blocks in BLOCKS.items()
    }


def _changed(database: Path | str, docs_dir: Path, write: bool) -> list[Path]:
    """The doc files whose generated blocks this warehouse changes (rewritten when `write`)."""
    return [
        docs_dir / doc
        for doc, blocks in render_blocks(database, complete=write).items()
        if update_file(docs_dir / doc, blocks, write=write)
    ]


def write_docs(database: Path | str, docs_dir: Path = DOCS_DIR) -> list[Path]:
    """Rewrites the generated blocks; returns the files that changed."""
    return _changed(database, docs_dir, write=True)


def check_docs(database: Path | str, docs_dir: Path = DOCS_DIR) -> list[Path]:
    """The doc files whose generated blocks differ from what this warehouse gives."""
    return _changed(database, docs_dir, write=False)
