"""Every model and every column the warehouse holds is described in the dbt docs."""

from __future__ import annotations

import json

import pytest
from dbt_harness import copy_build, run_dbt


@pytest.fixture(scope="module")
def docs(sample_build, tmp_path_factory):
    workdir = copy_build(sample_build, tmp_path_factory.mktemp("docs")).database.parent
    run = run_dbt(["docs", "generate"], workdir)
    assert run.returncode == 0, run.output[-3000:]
    manifest = json.loads((workdir / "target" / "manifest.json").read_text())
    catalog = json.loads((workdir / "target" / "catalog.json").read_text())
    return manifest, catalog


def test_every_model_has_a_description(docs):
    manifest, _ = docs
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert models
    undescribed = [m["name"] for m in models if not m["description"].strip()]
    assert not undescribed, undescribed


def test_every_built_column_is_described(docs):
    manifest, catalog = docs
    missing = []
    for unique_id, entry in catalog["nodes"].items():
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("model", "seed"):
            continue
        described = {
            name.lower()
            for name, column in node["columns"].items()
            if column["description"].strip()
        }
        missing += [
            f"{node['name']}.{name}" for name in entry["columns"] if name.lower() not in described
        ]
    assert not missing, "undescribed columns:\n" + "\n".join(missing)
