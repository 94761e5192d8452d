"""The reports on a small export (about 3,000 rows, 8 partitions) and on one whose every row is
quarantined: every figure is drawn or says in words why not, and no number in the text is `nan`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from churn.report.__main__ import main
from churn.report.reports import REPORTS, figure_specs
from churn.simulate import preset, simulate, write_result
from dbt_harness import DbtRun, run_dbt


class TextAndFigures(HTMLParser):
    """The visible text of a page (no style, no image data) and each figure's state."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.figures: dict[str, dict] = {}
        self.figure: str | None = None
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "style":
            self.in_style = True
        if tag == "figure":
            self.figure = values.get("id") or ""
            self.figures[self.figure] = {
                "images": 0,
                "missing": "missing" in (values.get("class") or ""),
                "text": "",
            }
        if tag == "img" and self.figure is not None:
            self.figures[self.figure]["images"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False
        if tag == "figure":
            self.figure = None

    def handle_data(self, data: str) -> None:
        if self.in_style:
            return
        self.text.append(data)
        if self.figure is not None:
            self.figures[self.figure]["text"] += data


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """A warehouse built on a small simulated export."""
    workdir = tmp_path_factory.mktemp("small")
    export = workdir / "small.csv"
    write_result(simulate(preset("tiny", n_players=490)), export, with_truth=False)
    run = run_dbt(["build"], workdir, {"raw_activity_path": str(export)})
    assert run.returncode == 0, run.output[-4000:]
    return run


def _pages(build: DbtRun, out: Path) -> dict[str, TextAndFigures]:
    assert main(["--database", str(build.database), "--out", str(out)]) == 0
    pages = {}
    for name in REPORTS:
        parser = TextAndFigures()
        parser.feed((out / name).read_text(encoding="utf-8"))
        pages[name] = parser
    return pages


@pytest.fixture(scope="module", params=["small", "all-bad"])
def small_reports(request, tmp_path_factory: pytest.TempPathFactory) -> dict:
    # all_bad_build (conftest.py) is shared with the thin-export tests: it asserts no exit code.
    build = request.getfixturevalue("small_build" if request.param == "small" else "all_bad_build")
    assert build.returncode == 0, build.output[-4000:]
    return _pages(build, tmp_path_factory.mktemp(f"{request.param}-reports"))


def test_the_export_is_small(small_build: DbtRun) -> None:
    (n_rows,) = small_build.query("select count(*) from staging.stg_partner__activity")[0]
    assert 1_000 < n_rows < 6_000


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_figure_is_drawn_or_says_why(small_reports: dict, name: str) -> None:
    figures = small_reports[name].figures
    assert list(figures) == [spec.figure_id for spec in figure_specs()[name]]
    for figure_id, figure in figures.items():
        assert "could not be drawn" not in figure["text"], (figure_id, figure["text"][:300])
        if figure["missing"]:
            assert figure["images"] == 0
            assert re.search(r"Figure not available: \w+", figure["text"]), figure_id
        else:
            assert figure["images"] == 1, figure_id


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_no_number_in_the_text_is_nan(small_reports: dict, name: str) -> None:
    text = " ".join(small_reports[name].text)
    assert not re.search(r"\bnan\b|nan%|\binf\b", text, re.IGNORECASE), re.findall(
        r".{60}(?:nan|inf).{20}", text, re.IGNORECASE
    )[:5]


def test_the_build_summary_describes_the_small_export(small_build: DbtRun) -> None:
    """The on-run-end summary names the export and balances its rows, and the run is recorded."""
    summary = small_build.output[small_build.output.index("Build summary") :]
    export = small_build.query("select raw_activity_path, partners from meta.build_runs")
    assert len(export) == 1 and export[0][0].endswith("small.csv")
    assert "small.csv, export month " in summary
    (raw,), (clean,), (quarantined,) = (
        small_build.query("select count(*) from staging.stg_partner__activity")[0],
        small_build.query("select count(*) from intermediate.int_activity__clean")[0],
        small_build.query("select count(*) from marts.dq_quarantine")[0],
    )
    assert f"{raw:,} raw = {clean:,} clean" in summary
    assert f"+ {quarantined:,} quarantined" in summary
    assert re.search(r"players +\d[\d,]* in \d+ partitions", summary)
    assert re.search(r"classifier +(trained|not trained: \w+)", summary)
    assert f"partners   {len(export[0][1].split(', '))}: {export[0][1]}" in summary


def test_the_summary_never_fails_a_partial_build(tmp_path: Path) -> None:
    """A --select build of the export window: the summary says what it cannot read and the
    build passes."""
    run = run_dbt(
        ["build", "--select", "+int_export_window", "--indirect-selection", "cautious"], tmp_path
    )
    assert run.returncode == 0, run.output[-3000:]
    summary = run.output[run.output.index("Build summary") :]
    assert "fct_player_lifetimes is not built" in summary
    assert "churn_classifier_evaluation is not built" in summary
