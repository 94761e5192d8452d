"""environment_set: variables hold the given values inside the block and their earlier state after
it, an error in the block included."""

from __future__ import annotations

import os

import pytest
from churn.environment import environment_set


def test_variables_are_set_inside_and_restored_or_unset_after(monkeypatch):
    monkeypatch.setenv("CHURN_TEST_KEPT", "before")
    monkeypatch.delenv("CHURN_TEST_NEW", raising=False)
    with (
        pytest.raises(RuntimeError),
        environment_set({"CHURN_TEST_KEPT": "1", "CHURN_TEST_NEW": "2"}),
    ):
        assert (os.environ["CHURN_TEST_KEPT"], os.environ["CHURN_TEST_NEW"]) == ("1", "2")
        raise RuntimeError("the block fails")
    assert os.environ["CHURN_TEST_KEPT"] == "before"
    assert "CHURN_TEST_NEW" not in os.environ
