"""Both reports opened in a real headless browser (Debian's Chromium, driven by Playwright): no
console error, every figure visible with a non-zero size and its image decoded. Screenshots of
each page and each figure are saved under the test's temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from churn.report.__main__ import main
from churn.report.reports import REPORTS, figure_specs

# Chromium as root in a closed network: no sandbox, no GPU, and none of the background
# connections (updates, sync, safe browsing) that this machine would refuse.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    """The system Chromium: CHURN_CHROMIUM, else chromium / chromium-browser on PATH."""
    configured = os.environ.get("CHURN_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium package)")
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_FLAGS, headless=True
            )
        except Exception as error:  # noqa: BLE001 - any launch failure means no browser here
            pytest.skip(f"Chromium at {executable} cannot start: {error}".splitlines()[0])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report_dir(sample_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser-reports")
    assert main(["--database", str(sample_build.database), "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_opens_cleanly_in_chromium(
    browser, report_dir: Path, tmp_path: Path, name: str
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.goto((report_dir / name).resolve().as_uri(), wait_until="load")
    page.screenshot(path=str(tmp_path / f"{Path(name).stem}.png"), full_page=True)

    expected = [spec.figure_id for spec in figure_specs()[name]]
    assert page.locator("figure").evaluate_all("nodes => nodes.map(n => n.id)") == expected
    for figure_id in expected:
        figure = page.locator(f"figure#{figure_id}")
        image = figure.locator("img")
        assert image.count() == 1, f"{figure_id} has no image"
        image.scroll_into_view_if_needed()
        assert image.is_visible(), figure_id
        box = image.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, (figure_id, box)
        natural = image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
        assert natural[0] and natural[1] > 0 and natural[2] > 0, (figure_id, natural)
        figure.screenshot(path=str(tmp_path / f"{Path(name).stem}-{figure_id}.png"))
    page.close()
    assert problems == []
