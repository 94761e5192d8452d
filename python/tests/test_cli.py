"""One console script: `churn <command> --help` prints that command's own help."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from churn.cli import available_commands, main

CHURN = Path(sys.executable).parent / "churn"


@pytest.mark.parametrize(
    "command, option",
    [
        ("score", "--model"),
        ("report", "--database"),
        ("validate", "survival"),
        ("simulate", "--players"),
        ("bench", "--quick"),
    ],
)
def test_each_command_prints_its_own_help(command, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert option in capsys.readouterr().out


def test_the_console_script_is_installed_and_lists_the_commands():
    completed = subprocess.run([str(CHURN), "--help"], capture_output=True, text=True)
    assert completed.returncode == 0
    for command in ("score", "report", "validate", "simulate", "bench"):
        assert command in available_commands()
        assert f"  {command}" in completed.stdout


def test_a_wrong_project_folder_is_a_sentence_and_exit_code_2(tmp_path, capsys):
    assert main(["--project-dir", str(tmp_path), "simulate", "--help"]) == 2
    assert "holds no churn dbt project" in capsys.readouterr().err


def test_score_checks_partner_ids_with_the_pattern_dbt_uses():
    # `churn score --partner-id` refuses early with its own sentence; it must accept exactly
    # what the dbt var check (macro partner_id_pattern) accepts.
    from churn.classifier.scoring import PARTNER_ID_PATTERN
    from churn.project import project_dir

    macros = (project_dir() / "macros" / "churn_vars.sql").read_text()
    found = re.search(r"macro partner_id_pattern\(\).*?return\('([^']+)'\)", macros, re.S)
    assert found is not None
    assert PARTNER_ID_PATTERN.pattern == found.group(1)
