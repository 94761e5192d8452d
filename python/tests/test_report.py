"""The HTML reports and the generated docs, rendered from the sample build."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import yaml
from churn.report import docs, queries
from churn.report.__main__ import main
from churn.report.reports import REPORTS, figure_specs
from dbt_harness import PROJECT_DIR, copy_build, run_dbt

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
EXTERNAL_TAGS = {"script", "link", "iframe", "object", "embed", "video", "audio", "source"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ReportParser(HTMLParser):
    """Collects what the tests check: nesting errors, ids, figures, external references."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.external: list[str] = []
        self.figures: dict[str, dict] = {}
        self.figure: str | None = None
        self.in_caption = False
        self.in_style = False
        self.has_doctype = False

    def handle_decl(self, decl: str) -> None:
        self.has_doctype = self.has_doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if "id" in values:
            self.ids.append(values["id"] or "")
        if tag in EXTERNAL_TAGS:
            self.external.append(f"<{tag}>")
        for name in ("src", "href", "srcset", "data", "action", "poster"):
            value = values.get(name)
            if value is not None and not value.startswith(("data:", "#")):
                self.external.append(f"{tag} {name}={value[:60]}")
        if "style" in values and "url(" in (values["style"] or ""):
            self.external.append(f"{tag} style url()")
        if tag == "figure":
            self.figure = values.get("id")
            self.figures[self.figure] = {
                "images": [],
                "caption": "",
                "missing": "missing" in (values.get("class") or ""),
            }
        if tag == "img" and self.figure is not None:
            self.figures[self.figure]["images"].append(values.get("src") or "")
        if tag == "figcaption":
            self.in_caption = True
        if tag == "style":
            self.in_style = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()
        if tag == "figure":
            self.figure = None
        if tag == "figcaption":
            self.in_caption = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_caption and self.figure is not None:
            self.figures[self.figure]["caption"] += data
        if self.in_style and re.search(r"url\(|@import", data):
            self.external.append("style sheet url() or @import")


@pytest.fixture(scope="module")
def rendered(sample_build, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Both reports written by the command line on the sample build."""
    out = tmp_path_factory.mktemp("reports")
    assert main(["--database", str(sample_build.database), "--out", str(out)]) == 0
    return {name: (out / name).read_text(encoding="utf-8") for name in REPORTS}


@pytest.fixture(scope="module")
def parsed(rendered: dict[str, str]) -> dict[str, ReportParser]:
    result = {}
    for name, document in rendered.items():
        parser = ReportParser()
        parser.feed(document)
        parser.close()
        result[name] = parser
    return result


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_is_well_formed_html(parsed: dict[str, ReportParser], name: str) -> None:
    parser = parsed[name]
    assert parser.has_doctype
    assert parser.errors == []
    assert parser.stack == []
    assert [parser.tags.count(t) for t in ("html", "head", "body", "title")] == [1, 1, 1, 1]
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_figure_is_embedded_with_a_caption(parsed: dict[str, ReportParser], name: str):
    figures = parsed[name].figures
    expected = [spec.figure_id for spec in figure_specs()[name]]
    assert list(figures) == expected
    for figure_id, figure in figures.items():
        assert not figure["missing"], figure_id
        assert len(figure["images"]) == 1, figure_id
        source = figure["images"][0]
        assert source.startswith("data:image/png;base64,"), figure_id
        assert base64.b64decode(source.split(",", 1)[1])[:8] == PNG_SIGNATURE, figure_id
        assert len(figure["caption"].strip()) > 40, figure_id


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_loads_nothing_external(parsed, rendered, name: str) -> None:
    assert parsed[name].external == []
    assert "http://" not in rendered[name] and "https://" not in rendered[name]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_number_was_filled_on_the_sample(rendered: dict[str, str], name: str) -> None:
    assert "not available" not in rendered[name]
    assert not re.search(r"\{[a-z_0-9]+(:[^}]*)?\}", rendered[name]), "an unfilled template"


def test_report_sql_is_what_dbt_compiles(sample_build, tmp_path) -> None:
    """The report runs exactly the SQL `dbt compile` makes of analyses/ (dbt quotes the catalog,
    the report names schema.table in the same warehouse; dbt drops the final newline)."""
    workdir = copy_build(sample_build, tmp_path / "compile").database.parent
    run = run_dbt(["compile", "--select", "path:analyses"], workdir)
    assert run.returncode == 0, run.output[-3000:]
    compiled_dir = workdir / "target" / "compiled" / "churn" / "analyses"
    catalog = sample_build.database.stem
    with duckdb.connect(str(sample_build.database), read_only=True) as connection:
        tables = queries.relations(connection)
    names = queries.analysis_names()
    assert names
    for name in names:
        by_dbt = (compiled_dir / f"{name}.sql").read_text()
        by_dbt = re.sub(rf'"{catalog}"\."(\w+)"\."(\w+)"', r"\1.\2", by_dbt)
        by_report = queries.compile_sql(queries.read_analysis(name), tables, name)
        assert by_report.rstrip("\n") == by_dbt.rstrip("\n"), name


def test_compile_refuses_other_jinja_and_unknown_models() -> None:
    tables = {"fct_player_months": "marts.fct_player_months"}
    assert (
        queries.compile_sql("select * from {{ ref('fct_player_months') }}", tables)
        == "select * from marts.fct_player_months"
    )
    with pytest.raises(queries.AnalysisError, match="only"):
        queries.compile_sql("select {{ var('k') }}", tables)
    with pytest.raises(queries.AnalysisError, match="no table 'nope'"):
        queries.compile_sql('select * from {{ ref("nope") }}', tables)


def test_every_analysis_is_described_with_the_columns_it_returns(sample_build) -> None:
    spec = yaml.safe_load((PROJECT_DIR / "analyses" / "_analyses.yml").read_text())
    described = {a["name"]: a for a in spec["analyses"]}
    names = queries.analysis_names()
    assert sorted(described) == names
    results = queries.run_analyses(sample_build.database)
    for name in names:
        assert described[name]["description"].strip(), name
        assert results[name].ok, f"{name}: {results[name].error}"
        assert len(results[name].frame), f"{name} returned no rows on the sample"
        columns = [c["name"] for c in described[name]["columns"]]
        assert columns == list(results[name].frame.columns), name
        assert all(c["description"].strip() for c in described[name]["columns"]), name


def test_generated_doc_blocks_are_current(sample_build) -> None:
    """docs/eda.md, models.md and production.md hold what the sample build gives; rerun
    `python -m churn.report --database warehouse/churn.duckdb --docs` after `make build`."""
    assert docs.check_docs(sample_build.database) == []


def test_missing_tables_give_notes_not_a_crash(tmp_path: Path) -> None:
    """An empty warehouse: every figure becomes a note saying why, the text says what is
    missing, and the page is still complete."""
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    out = tmp_path / "reports"
    assert main(["--database", str(database), "--out", str(out)]) == 0
    for name, specs in figure_specs().items():
        parser = ReportParser()
        parser.feed((out / name).read_text(encoding="utf-8"))
        assert parser.errors == [] and parser.stack == []
        assert list(parser.figures) == [s.figure_id for s in specs]
        assert all(f["missing"] and not f["images"] for f in parser.figures.values())
        assert "not available" in (out / name).read_text(encoding="utf-8")


def test_a_missing_warehouse_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["--database", str(tmp_path / "none.duckdb"), "--out", str(tmp_path)]) == 2
    assert "make build" in capsys.readouterr().err


def test_a_stale_warehouse_leaves_the_docs_unchanged(tmp_path: Path) -> None:
    """`--docs` on a warehouse without the reporting tables says so instead of writing notes."""
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    docs_dir = tmp_path / "docs"
    docs_dir.mkdir()
    before = {}
    for name in docs.BLOCKS:
        before[name] = (docs.DOCS_DIR / name).read_text(encoding="utf-8")
        (docs_dir / name).write_text(before[name], encoding="utf-8")
    with pytest.raises(queries.AnalysisError, match="docs were left unchanged"):
        docs.write_docs(database, docs_dir)
    assert {name: (docs_dir / name).read_text(encoding="utf-8") for name in docs.BLOCKS} == before
