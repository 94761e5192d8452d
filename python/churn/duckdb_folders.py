"""A dbt-duckdb plugin (profiles.yml `plugins:`) that creates the warehouse file's folder and the
exports folder before DuckDB opens the database, so a plain `dbt build` works on a fresh clone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from churn.export_paths import export_root


class Plugin(BasePlugin):
    """Creates the folders a build writes to; reads nothing, changes no setting."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        path = getattr(self.creds, "path", None) or ""
        if path and path != ":memory:" and ":" not in path.split("/")[0]:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        export_root().mkdir(parents=True, exist_ok=True)
