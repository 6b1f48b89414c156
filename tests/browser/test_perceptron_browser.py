"""Real-browser tests of the Perceptron and Activation-functions pages."""

from __future__ import annotations

import re
import time

from tests.browser.conftest import assert_no_exception, shot, wait_ready

BOUNDARY_JS = """() => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    for (const t of (el._fullData || [])) {
      if (t.name === 'boundary z = 0') return [Array.from(t.x), Array.from(t.y)];
    }
  }
  return null;
}"""


def metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    """The value of the visible metric whose label is ``label``."""
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).filter(visible=True).first
    return str(box.locator('[data-testid="stMetricValue"]').inner_text().strip())


def wait_metric(page, label: str, expected: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if metric(page, label) == expected:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{label}: {metric(page, label)!r}, expected {expected!r}")


def choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick ``option`` in the selectbox labelled ``label`` (retrying while a rerun redraws it)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)
    box.scroll_into_view_if_needed()
    for _ in range(5):
        box.get_by_role("button", name="Open").click()
        opt = page.get_by_role("option", name=option)
        try:
            opt.wait_for(timeout=3000)
        except Exception:
            continue
        opt.click()
        return
    raise AssertionError(f"could not open the selectbox {label!r}")


def test_perceptron_lecture_example_slider_and_xor(server, page):  # type: ignore[no-untyped-def]
    """Opens on z = 9, ŷ = 0.9999; moving w1 moves the numbers and the line; xor stays at or below 0.75."""
    page.goto(server.url + "/perceptron?epochs=20")  # a short run keeps the test quick
    wait_ready(page)
    page.get_by_role("heading", name="Forward pass").wait_for()
    page.locator(".katex").first.wait_for()
    assert metric(page, "z (weighted sum + bias)") == "9"
    assert metric(page, "ŷ = g(z)") == "0.9999"
    tex = page.evaluate("() => Array.from(document.querySelectorAll('annotation')).map(a => a.textContent)")
    assert any("1 + 4 \\cdot 3 + 2 \\cdot (-2) = 9" in t for t in tex), tex
    page.wait_for_function(f"() => ({BOUNDARY_JS})() !== null")
    line_before = page.evaluate(BOUNDARY_JS)
    assert line_before is not None
    assert_no_exception(page)
    shot(page, "perceptron-lecture-example")

    # w1: 3 -> 3.5 with the keyboard (step 0.1): z = 1 + 4·3.5 - 4 = 11.
    slider = page.get_by_role("slider", name="w₁ · weight of x₁")
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
        page.wait_for_timeout(150)
    wait_metric(page, "z (weighted sum + bias)", "11")
    wait_ready(page)
    assert metric(page, "ŷ = g(z)") == "0.99998"
    page.get_by_text("1 + 3.5·x₁ + (-2)·x₂ = 0").wait_for()
    line_after = page.evaluate(BOUNDARY_JS)
    assert line_after is not None and line_after != line_before
    assert "w1=3.5" in page.url and "epochs=20" in page.url
    shot(page, "perceptron-w1-moved")

    # Train on xor: the accuracy never rises above 0.75.
    choose(page, "Data set", "xor")
    wait_ready(page)
    page.get_by_text("One line cannot separate xor.", exact=True).wait_for()
    link = page.get_by_role("link", name="Open the network playground that solves xor")
    assert link.get_attribute("href") == "/playground?dataset=xor&hidden=4&activation=tanh&lr=0.03"
    page.get_by_role("button", name="Play").click()
    started = time.time()
    page.get_by_role("heading", name="Train the perceptron").scroll_into_view_if_needed()
    seen: list[float] = []
    deadline = time.time() + 60
    while time.time() < deadline:
        page.wait_for_timeout(500)
        acc = metric(page, "training accuracy")
        if acc != "–":
            seen.append(float(acc))
        epoch = metric(page, "epoch")
        if epoch.startswith("20 /"):
            break
        if len(seen) == 6:
            shot(page, "perceptron-xor-training")
    print(f"xor: 20 live epochs (one per frame) in {time.time() - started:.1f} s")
    wait_ready(page)
    assert metric(page, "epoch").startswith("20 /"), metric(page, "epoch")
    final = float(metric(page, "training accuracy"))
    assert len(seen) >= 5, seen
    assert max([*seen, final]) <= 0.75, seen
    assert page.get_by_text(re.compile("Finished: reached the maximum of 20 epochs")).count() >= 1
    assert_no_exception(page)
    page.locator('[data-testid="stPlotlyChart"]').last.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    shot(page, "perceptron-xor-finished")
    page.get_by_text("Show the code").click()
    page.get_by_text("Dense(units=1, activation='sigmoid')").first.wait_for()
    page.get_by_role("tab", name="PyTorch").click()
    page.get_by_text("layer = nn.Linear(in_features=2, out_features=1)").wait_for()
    page.get_by_text("Show the code").scroll_into_view_if_needed()
    shot(page, "perceptron-code")


def test_activations_page_and_bad_link(server, page):  # type: ignore[no-untyped-def]
    """The activations page draws its charts; a bad depth in the link gives a notice, not a traceback."""
    page.goto(server.url + "/activations?depth=99")
    wait_ready(page)
    page.get_by_role("heading", name="Vanishing gradients").wait_for()
    page.get_by_text("Link setting ignored: depth").wait_for()
    page.locator(".js-plotly-plot").nth(1).wait_for()
    assert metric(page, "Sigmoid: first layer / last layer").endswith(("e-06", "e-07", "e-05"))
    assert_no_exception(page)
    shot(page, "activations")
    page.get_by_role("heading", name="Vanishing gradients").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    shot(page, "activations-vanishing")
