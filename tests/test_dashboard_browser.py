"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright, against a real
``agentarch ui`` process over a store filled by a real scripted search. A user opens the page,
sees the runs, clicks a run (both plots draw their data), a design (tree, lineage, results) and an
example (its full trace). Screenshots are kept under tmp_path and copied to $TEST_ARTIFACTS when
that variable names a folder. A second test watches a live search finish without reloading."""

import os
import shutil
from pathlib import Path

import httpx
import pytest

import dashboard_helpers as helpers

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed ('make test' installs it with apt-get when run as root)"),
]

# Pixels of the charts' blue (#2563eb): the best-so-far line and the Pareto front are drawn in it.
BLUE_PIXELS = """(id) => {
  const c = document.getElementById(id);
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i] < 90 && px[i + 1] < 140 && px[i + 2] > 200 && px[i + 3] > 200) n++;
  return n;
}"""


@pytest.fixture
def browser_page():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
        yield page, problems
        browser.close()


def keep(shot: Path) -> None:
    """Copy a screenshot to $TEST_ARTIFACTS (when set) so a person can look at it after the run."""
    folder = os.environ.get("TEST_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


def test_runs_plots_design_and_trace_render(tmp_path, browser_page):
    page, problems = browser_page
    db, run_id = helpers.filled_store(tmp_path / "store")
    with helpers.running_ui(db) as url:
        api = httpx.get(f"{url}/api/runs/{run_id}", timeout=30).json()
        page.goto(f"{url}/")
        row = page.locator(f'#runs-table tbody tr[data-run="{run_id}"]')
        row.wait_for()
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == run_id[:10] and cells[1:3] == ["evolve", "toy"] and cells[4].startswith("done")
        assert cells[5] == f"{api['run']['spent_calls']:,}"
        assert page.locator("#run-section").is_hidden()
        page.screenshot(path=tmp_path / "dashboard-first-view.png")
        keep(tmp_path / "dashboard-first-view.png")

        row.click()
        page.locator("#designs-table tbody tr").first.wait_for()
        assert page.locator("#run-title").inner_text().startswith(f"Run {run_id}")
        drawn = page.evaluate("""() => ['anytime-chart', 'pareto-chart'].map(
            (id) => Chart.getChart(id).data.datasets.map((d) => d.data.length))""")
        assert drawn[0][0] == len([p for p in api["curve"] if p["best"] is not None]) >= 3
        assert drawn[1][0] == len(api["pareto"]["points"]) and drawn[1][1] == len(api["pareto"]["front"])
        assert page.evaluate(BLUE_PIXELS, "anytime-chart") > 100
        assert page.evaluate(BLUE_PIXELS, "pareto-chart") > 100
        assert page.locator("#designs-table tbody tr").count() == len(api["designs"])

        child = next(x["design"] for x in api["designs"] if x.get("parent"))  # derived from another design
        page.locator(f'#designs-table tbody tr[data-design="{child}"]').click()
        page.locator("#results-table tbody tr").first.wait_for()
        design = httpx.get(f"{url}/api/runs/{run_id}/designs/{child}", timeout=30).json()
        assert page.locator("#design-tree .block").first.inner_text() == design["tree"]["block"]
        assert page.locator("#design-lineage li").count() == len(design["lineage"]) >= 2
        assert design["lineage"][-1]["note"] in page.locator("#design-lineage").inner_text()
        assert page.locator("#results-table tbody tr").count() == len(design["results"])

        first = design["results"][0]
        page.locator(f'#results-table tbody tr[data-key="{first["key"]}"]').click()
        page.locator("#trace .call").first.wait_for()
        trace = httpx.get(f"{url}/api/results/{first['key']}", timeout=30).json()
        assert page.locator("#trace .call").count() == len(trace["calls"]) >= 1
        assert page.locator("#trace .call pre").first.inner_text() == trace["calls"][0]["messages"][0]["content"]
        assert page.locator("#trace pre.reply").first.inner_text() == trace["calls"][0]["reply"]
        assert page.locator("#blocks-table tbody tr").count() == len(trace["blocks"])
        page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
        keep(tmp_path / "dashboard.png")

        page.go_back()  # the views follow the URL, so the back button leaves the trace
        page.locator("#trace-section").wait_for(state="hidden")
    assert (tmp_path / "dashboard.png").stat().st_size > 20_000
    assert problems == []


def test_the_runs_table_follows_a_live_search(tmp_path, browser_page):
    """Open the dashboard on an empty store, then start a search: without reloading, the page shows
    the run as running and then done, with the spend the store recorded."""
    from agentarch.store.db import Store

    page, problems = browser_page
    db = tmp_path / "t.db"
    Store(db).close()  # an empty store, as a first 'agentarch search' would leave it
    with helpers.running_ui(db) as url:
        page.goto(f"{url}/?poll=1")
        page.locator("#runs-empty").wait_for()
        proc = helpers.start_search(tmp_path, delay=0.1)
        try:
            cell = "document.querySelector('#runs-table tbody tr td:nth-child(5)')"
            page.wait_for_function(f"() => {cell} && {cell}.innerText.startsWith('running')", timeout=120_000)
            page.wait_for_function(f"() => {cell}.innerText.startsWith('done')", timeout=180_000)
            proc.wait(120)
        finally:
            if proc.poll() is None:
                proc.kill()
        spent = page.locator("#runs-table tbody tr td:nth-child(6)").first.inner_text()
        api = httpx.get(f"{url}/api/runs", timeout=30).json()[0]
        assert spent == f"{api['spent_calls']:,}" and api["status"] == "done"
        assert page.locator("#runs-empty").is_hidden()
    assert proc.returncode == 0
    assert problems == []
