"""Where the dbt project is: the one place that knows the project folder and its seeds, docs and
analyses.

The package also works installed without the repository next to it: point it at a project folder
with `churn --project-dir DIR ...` or the environment variable CHURN_PROJECT_DIR. Without either,
the checkout this package was loaded from is used, then the working folder or one of its parents.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PROJECT_DIR_VARIABLE = "CHURN_PROJECT_DIR"
PROJECT_NAME = "churn"
# python/churn/project.py -> the checkout's root, when the package is used from the repository.
_CHECKOUT = Path(__file__).resolve().parents[2]
_NAME_LINE = re.compile(r"^name:\s*['\"]?(\w+)", re.MULTILINE)


class ProjectNotFoundError(Exception):
    """No churn dbt project where one was looked for; the message says where and what to do."""


def is_project_dir(path: Path) -> bool:
    """Whether `path` holds this dbt project (a dbt_project.yml whose name is churn)."""
    project_file = Path(path) / "dbt_project.yml"
    if not project_file.is_file():
        return False
    match = _NAME_LINE.search(project_file.read_text(encoding="utf-8"))
    return match is not None and match.group(1) == PROJECT_NAME


def project_dir(explicit: Path | str | None = None) -> Path:
    """The dbt project folder: `explicit`, else $CHURN_PROJECT_DIR, else the checkout beside the
    package, else the working folder or its nearest parent holding the project."""
    for origin, candidate in (
        ("--project-dir", explicit),
        (PROJECT_DIR_VARIABLE, os.environ.get(PROJECT_DIR_VARIABLE)),
    ):
        if candidate:
            path = Path(candidate).expanduser().resolve()
            if not is_project_dir(path):
                raise ProjectNotFoundError(
                    f"{origin} points at {path}, which holds no churn dbt project "
                    "(no dbt_project.yml with name: churn)"
                )
            return path
    if is_project_dir(_CHECKOUT):
        return _CHECKOUT
    working = Path.cwd().resolve()
    for folder in (working, *working.parents):
        if is_project_dir(folder):
            return folder
    raise ProjectNotFoundError(
        "no churn dbt project found beside the package or in the working folder: pass "
        f"--project-dir DIR or set {PROJECT_DIR_VARIABLE}"
    )


def use_project_dir(path: Path | str) -> Path:
    """Makes `path` the project for this process and the dbt processes it starts."""
    resolved = project_dir(path)
    os.environ[PROJECT_DIR_VARIABLE] = str(resolved)
    return resolved


def seeds_dir(project: Path | str | None = None) -> Path:
    """The project's seeds/ folder (the lookups the simulator also reads)."""
    return project_dir(project) / "seeds"


def docs_dir(project: Path | str | None = None) -> Path:
    """The project's docs/ folder (markdown with generated blocks)."""
    return project_dir(project) / "docs"


def analyses_dir(project: Path | str | None = None) -> Path:
    """The project's analyses/ folder (the SQL behind the reports)."""
    return project_dir(project) / "analyses"
