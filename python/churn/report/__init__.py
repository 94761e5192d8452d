"""Reports and written answers generated from the built warehouse.

`python -m churn.report --database warehouse/churn.duckdb --out reports` runs the SQL in
`analyses/` on the warehouse and writes `eda.html` and `models.html` (self-contained: figures
embedded, no network); `--docs` rewrites the generated blocks of docs/eda.md, models.md,
classifier.md and production.md from the same queries, and `--check-docs` says whether they are
current. The SQL computes every number; this package formats and draws.
"""

from churn.report.reports import build_reports, write_reports

__all__ = ["build_reports", "write_reports"]
