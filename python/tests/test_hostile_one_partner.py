"""A one-partner export: the reports and the build summary count in the singular where there is
one, compare no partners, and the partner-grain classifier, which has no sub-model of its own,
is the global model and says so."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from churn.classifier import estimators
from churn.classifier.model import QuickChurnClassifier
from churn.report.facts import Facts
from churn.report.reports import build_reports
from churn.simulate import preset, simulate, write_result
from classifier_synthetic import synthetic_features, synthetic_labels
from dbt_harness import DbtRun, run_dbt


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 partner has 1 sub-model"),
        (0, "0 partners have 0 sub-models"),
        (1234, "1,234 partners have 1,234 sub-models"),
    ],
)
def test_counts_take_the_number_of_their_noun(n, expected):
    facts = Facts(values={"n": n})
    assert facts.fill("{n:#partner} {n:?has|have} {n:#sub-model}") == expected


def test_an_irregular_plural_is_given_after_a_bar():
    assert Facts(values={"n": 2}).fill("{n:#child|children}") == "2 children"
    assert Facts(values={"n": 1}).fill("{n:#child|children}") == "1 child"


def test_a_group_holding_all_of_its_parents_rows_gets_no_sub_model():
    partner = pd.Series(["P1", "P1", "P2", "P1"])
    partition = pd.Series(["P1|NJ", "P1|PA", "P2|NJ", "P1|NJ"])
    everyone = pd.Series(estimators.GLOBAL_KEY, index=partner.index)
    by_partition = estimators.distinct_groups(partition, partner)
    # P2 has one state: its partition is its partner.
    assert [(key, rows.tolist()) for key, rows in by_partition] == [
        ("P1|NJ", [0, 3]),
        ("P1|PA", [1]),
    ]
    assert [key for key, _ in estimators.distinct_groups(partner, everyone)] == ["P1", "P2"]
    one_partner = pd.Series("P1", index=partner.index)
    assert estimators.distinct_groups(one_partner, everyone) == []


def test_one_partner_fits_no_partner_sub_model_and_its_grain_is_the_global_model():
    features = synthetic_features(3000, seed=2).assign(partner_id="P01")
    labels = synthetic_labels(features, seed=2)
    known = labels["is_label_known"].to_numpy()
    model = QuickChurnClassifier(min_submodel_players=400, grain="partition").fit(
        features[known], labels["is_quick_churn"][known].astype(int)
    )
    assert not [key for key in model.submodels_ if key.startswith("partner=")]
    assert [key for key in model.submodels_ if key.startswith("partition=")]
    np.testing.assert_array_equal(
        model.coarsened("partner").predict_proba(features),
        model.coarsened("global").predict_proba(features),
    )


@pytest.fixture(scope="module")
def one_partner_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    workdir = tmp_path_factory.mktemp("one-partner")
    export = workdir / "one_partner.csv.gz"
    write_result(simulate(preset("tiny", n_partners=1, n_players=500)), export, with_truth=False)
    run = run_dbt(["build"], workdir, {"raw_activity_path": str(export)})
    assert run.returncode == 0, run.output[-4000:]
    return run


@pytest.fixture(scope="module")
def one_partner_text(one_partner_build: DbtRun) -> str:
    """The visible bullets of both reports, one per line."""
    pages = build_reports(one_partner_build.database)
    items = [item for page in pages.values() for item in re.findall(r"<li>(.*?)</li>", page, re.S)]
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items)


def test_the_reports_count_one_partner_in_the_singular(one_partner_text: str):
    assert "of 1 partner in 5 states: 5 partitions (partner x state) from" in one_partner_text
    assert not re.search(
        r"\b1 (partners|partitions|states|accounts|rows|players)\b", one_partner_text
    )


def test_the_reports_compare_no_partners_when_there_is_one(one_partner_text: str):
    assert "Partners differ" not in one_partner_text
    assert "The largest partner" not in one_partner_text
    assert "Over P01's players S(12) = " in one_partner_text
    assert "By product S(12) goes from" in one_partner_text
    assert "for the partner (absolute survival" in one_partner_text


def test_the_partner_grain_says_it_is_the_global_model(one_partner_build: DbtRun):
    rows = one_partner_build.query(
        "select distinct model_name, n_submodels, status, is_default "
        "from marts.churn_classifier_evaluation where slice_type = 'overall' "
        "and model_name = 'logistic_partner'"
    )
    assert rows == [
        (
            "logistic_partner",
            1,
            "ok; the same model as logistic_global: no sub-model of its own "
            "(the export has one partner)",
            False,
        )
    ]
    ((gain,),) = one_partner_build.query(
        "select max(abs(roc_auc_gain_vs_global)) from marts.churn_classifier_evaluation "
        "where model_name = 'logistic_partner'"
    )
    assert gain == 0


def test_the_build_summary_says_how_dates_were_read_and_counts_partitions(one_partner_build):
    summary = one_partner_build.output[one_partner_build.output.index("Build summary") :]
    assert "partners   1: P01" in summary
    assert re.search(r"players +[\d,]+ in 5 partitions", summary)
    assert "dates      slash dates read mdy: month first (assumed" in summary
