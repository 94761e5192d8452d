"""churn.project finds the dbt project: explicit folder, then CHURN_PROJECT_DIR, then the checkout,
then the working folder; a wrong folder is a sentence, not a trace."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from churn import project
from churn.project import ProjectNotFoundError, project_dir

CHECKOUT = Path(project.__file__).resolve().parents[2]


def copy_project(destination: Path) -> Path:
    destination.mkdir(parents=True)
    shutil.copy(CHECKOUT / "dbt_project.yml", destination / "dbt_project.yml")
    (destination / "seeds").mkdir()
    return destination


def test_the_checkout_is_found_from_the_package():
    assert project_dir() == CHECKOUT
    assert project.seeds_dir() == CHECKOUT / "seeds"
    assert (project.docs_dir() / "survival.md").is_file()
    assert (project.analyses_dir() / "_analyses.yml").is_file()


def test_an_explicit_folder_wins_over_the_environment(tmp_path, monkeypatch):
    first, second = copy_project(tmp_path / "a"), copy_project(tmp_path / "b")
    monkeypatch.setenv(project.PROJECT_DIR_VARIABLE, str(first))
    assert project_dir() == first.resolve()
    assert project_dir(second) == second.resolve()
    assert project.seeds_dir() == first.resolve() / "seeds"


def test_a_folder_without_the_project_is_refused_with_a_sentence(tmp_path, monkeypatch):
    with pytest.raises(ProjectNotFoundError, match="holds no churn dbt project"):
        project_dir(tmp_path)
    monkeypatch.setenv(project.PROJECT_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(ProjectNotFoundError, match="CHURN_PROJECT_DIR"):
        project_dir()


def test_without_the_checkout_the_working_folder_is_searched(tmp_path, monkeypatch):
    found = copy_project(tmp_path / "proj")
    (found / "sub").mkdir()
    monkeypatch.delenv(project.PROJECT_DIR_VARIABLE, raising=False)
    monkeypatch.setattr(project, "_CHECKOUT", tmp_path / "site-packages")
    monkeypatch.chdir(found / "sub")
    assert project_dir() == found.resolve()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectNotFoundError, match="--project-dir"):
        project_dir()


def test_an_installed_copy_of_the_package_works_from_a_project_given_by_the_environment(tmp_path):
    """The package copied away from the repository (as pip would install it) finds the project
    only through CHURN_PROJECT_DIR."""
    site = tmp_path / "site"
    shutil.copytree(
        CHECKOUT / "python" / "churn", site / "churn", ignore=shutil.ignore_patterns("__pycache__")
    )
    code = "from churn.project import seeds_dir; print(seeds_dir())"
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    missing = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert missing.returncode != 0 and "pass --project-dir DIR" in missing.stderr
    found = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**env, "CHURN_PROJECT_DIR": str(CHECKOUT)},
    )
    assert found.stdout.strip() == str(CHECKOUT / "seeds")
