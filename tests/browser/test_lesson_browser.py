"""Real-browser tests of the loss, gradient-descent and backpropagation pages."""

from __future__ import annotations

import time

from tests.browser.conftest import SCREENSHOTS, assert_no_exception, shot, wait_ready

RACE_PATHS_JS = """() => {
  const gd = document.querySelectorAll('.js-plotly-plot')[0];
  return (gd._fullData || []).filter(t => t.type === 'scatter' && t.mode === 'lines').map(t => [t.name, t.x.length]);
}"""

WATCH_FRAMES_JS = """() => {
  const gd = document.querySelectorAll('.js-plotly-plot')[0];
  window.__frames = []; window.__done = false;
  gd.on('plotly_animatingframe', () => window.__frames.push(performance.now()));
  gd.on('plotly_animated', () => { window.__done = true; });
  return (gd._transitionData && gd._transitionData._frames || []).length;
}"""


def scrolled_shots(page, name: str, charts: int = 0) -> None:  # type: ignore[no-untyped-def]
    """Screenshots of the whole page, one viewport at a time (Streamlit scrolls its main block, not the page)."""
    if charts:
        page.locator(".js-plotly-plot").nth(charts - 1).wait_for()
    for i in range(8):
        done = page.evaluate(
            """(i) => { const m = document.querySelector('[data-testid="stMain"]');
                 m.scrollTop = i * (m.clientHeight - 80); return m.scrollTop + m.clientHeight >= m.scrollHeight - 2; }""",
            i,
        )
        page.wait_for_timeout(400)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{i + 1}.png"))
        if done:
            break
    page.evaluate("""() => { document.querySelector('[data-testid="stMain"]').scrollTop = 0; }""")


def test_five_optimizers_race_on_rosenbrock(server, page):  # type: ignore[no-untyped-def]
    """The preset link draws five paths on Rosenbrock's function; Play animates them at >= 10 frames a second."""
    page.goto(server.url + "/optimizers?surface=rosenbrock&optimizers=sgd,momentum,rmsprop,adagrad,adam")
    wait_ready(page)
    page.locator(".js-plotly-plot").first.wait_for()
    page.wait_for_timeout(500)
    paths = page.evaluate(RACE_PATHS_JS)
    assert [name for name, _ in paths] == ["SGD", "SGD + momentum", "RMSprop", "AdaGrad", "Adam"], paths
    assert all(n == 201 for _, n in paths), paths  # no walk diverged at the tuned rates: 200 steps each
    assert_no_exception(page)
    shot(page, "optimizers-rosenbrock-race")
    n_frames = page.evaluate(WATCH_FRAMES_JS)
    assert n_frames >= 50
    chart = page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    chart.locator(".updatemenu-button").filter(has_text="Play").click()
    page.wait_for_timeout(1200)
    chart.screenshot(path=str(SCREENSHOTS / "optimizers-race-mid-animation.png"))
    page.wait_for_function("() => window.__done", timeout=60_000)
    stamps = page.evaluate("() => window.__frames")
    fps = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000.0)
    print(f"\nanimation: {len(stamps)} frames at {fps:.1f} frames/s (target >= 10)")
    assert len(stamps) >= n_frames - 1
    assert fps >= 10, fps
    assert page.evaluate(RACE_PATHS_JS) == paths  # back at the full paths after the last frame
    chart.screenshot(path=str(SCREENSHOTS / "optimizers-race-after-animation.png"))
    page.locator('[data-testid="stCheckbox"]').filter(has_text="Show the 3-D surface").locator("label").click()
    wait_ready(page)
    scrolled_shots(page, "optimizers-page", charts=5)
    assert_no_exception(page)


def test_divergence_and_learning_rate_lesson(server, page):  # type: ignore[no-untyped-def]
    """The lesson link shows the three rates; too large says where it diverged; nothing breaks."""
    page.goto(server.url + "/optimizers?lesson=learning_rate&surface=bowl&lr=10")
    wait_ready(page)
    page.get_by_text("diverged at step").first.wait_for()
    # The alerts arrive as the script runs: wait for each rather than count at once.
    page.locator('[data-testid="stAlert"]').filter(has_text="too large").first.wait_for()
    page.locator('[data-testid="stAlert"]').filter(has_text="SGD diverged at step").first.wait_for()
    assert_no_exception(page)
    scrolled_shots(page, "optimizers-lesson-and-divergence", charts=7)


def click_button(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator('[data-testid="stButton"]').filter(has_text=text).filter(visible=True).first.locator("button").click()


def test_backprop_walkthrough_to_the_end(server, page):  # type: ignore[no-untyped-def]
    """Next step through the forward and backward passes to the update; the loss goes down."""
    page.goto(server.url + "/backprop")
    wait_ready(page)
    page.get_by_text("Press Next step").wait_for()
    step_text = page.locator('[data-testid="stSlider"]').filter(has_text="Step")
    seen_backward = False
    for k in range(1, 24):
        click_button(page, "Next step")
        deadline = time.time() + 15
        while time.time() < deadline and f"Step {k} of 23" not in page.locator('[data-testid="stMain"]').inner_text():
            page.wait_for_timeout(100)
        assert f"Step {k} of 23" in page.locator('[data-testid="stMain"]').inner_text(), k
        if k == 12:
            seen_backward = "Backward pass" in page.locator('[data-testid="stMain"]').inner_text()
            wait_ready(page)
            scrolled_shots(page, "backprop-step-12", charts=1)
    assert seen_backward and step_text.count() >= 1
    page.get_by_text("Walkthrough complete").wait_for()
    before = (
        page.locator('[data-testid="stMetric"]').filter(has_text="Loss before").locator('[data-testid="stMetricValue"]')
    )
    after = (
        page.locator('[data-testid="stMetric"]').filter(has_text="Loss after").locator('[data-testid="stMetricValue"]')
    )
    assert float(after.inner_text()) < float(before.inner_text())
    assert_no_exception(page)
    scrolled_shots(page, "backprop-end", charts=1)


def test_losses_page(server, page):  # type: ignore[no-untyped-def]
    """Three loss curves with their formulas and the empirical-risk table and bars."""
    page.goto(server.url + "/losses?target=1")
    wait_ready(page)
    page.get_by_text("The empirical risk of a small dataset").wait_for()
    page.locator(".js-plotly-plot").nth(3).wait_for()
    assert page.locator(".js-plotly-plot").count() == 4
    assert page.locator('[data-testid="stMetric"]').count() == 3
    assert_no_exception(page)
    scrolled_shots(page, "losses", charts=4)
