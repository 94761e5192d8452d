"""One console script: `churn <command> --help` prints that command's own help."""

from __future__ import annotations

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
