"""The session's sample build is the one run of the project's dbt tests: `make test` runs no
second `dbt build`, so this build must run every data test and unit test once and pass each
(a test of severity warn, a monitoring alert, may warn)."""

from __future__ import annotations

import json


def test_the_sample_build_runs_every_dbt_data_and_unit_test_once(sample_build):
    manifest = json.loads((sample_build.target_path / "manifest.json").read_text())
    passing = {
        uid: {"pass", "warn"} if node["config"]["severity"].lower() == "warn" else {"pass"}
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "test"
    }
    passing |= {uid: {"pass"} for uid in manifest["unit_tests"]}
    assert len(passing) > 200
    statuses: dict[str, list[str]] = {uid: [] for uid in passing}
    for result in sample_build.run_results()["results"]:
        statuses.setdefault(result["unique_id"], []).append(result["status"])
    not_passed = {
        uid: statuses[uid]
        for uid, allowed in passing.items()
        if len(statuses[uid]) != 1 or statuses[uid][0] not in allowed
    }
    assert not_passed == {}
