"""Bad input in links, across every page: a specific message, never a traceback, and the page works after.

Each case opens a page with one bad URL parameter (as a student's mistyped or
tampered link would), checks that no exception is shown and that a warning or
error names the parameter, and, on the training pages, trains one step after.
Bad CSVs, model files, flags and spec values have their own tests
(test_datasets, test_mnist_tools, test_cli, test_spec).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

CASES: list[tuple[str, str, str]] = [
    # network playground: the spec's settings
    ("playground", "lr", "0"),
    ("playground", "lr", "-1"),
    ("playground", "lr", "nan"),
    ("playground", "lr", "inf"),
    ("playground", "lr", "1e6"),
    ("playground", "hidden", "0"),
    ("playground", "hidden", "-1"),
    ("playground", "hidden", "2.5"),
    ("playground", "hidden", "1000000"),
    ("playground", "hidden", "1,1,1,1,1,1,1,1,1"),
    ("playground", "batch-size", "0"),
    ("playground", "noise", "abc"),
    ("playground", "dataset", "<script>alert(1)</script>"),
    ("playground", "features", "x9"),
    ("playground", "activation", "swish"),
    ("playground", "optimizer", "lbfgs"),
    ("playground", "seed", "-3"),
    ("playground", "validation-split", "2"),
    ("playground", "samples", "99999999"),
    ("playground", "l2", "%00"),
    ("playground", "dropout", "0.99"),
    ("playground", "epochs", "0"),
    # overfitting lab
    ("overfitting", "lr", "-1"),
    ("overfitting", "hidden", "0"),
    ("overfitting", "dropout", "2"),
    ("overfitting", "l2", "-1"),
    ("overfitting", "early-stopping-patience", "abc"),
    ("overfitting", "reduce-lr-factor", "1.5"),
    # MNIST
    ("mnist", "hidden", "0"),
    ("mnist", "lr", "nan"),
    ("mnist", "batch-size", "0"),
    ("mnist", "epochs", "-5"),
    ("mnist", "dropout", "1.5"),
    ("mnist", "dataset", "cifar10"),
    # perceptron and activations
    ("perceptron", "w1", "abc"),
    ("perceptron", "x1", "1e9"),
    ("perceptron", "g", "swish"),
    ("perceptron", "lr", "5"),  # valid elsewhere, above this page's largest rate
    ("activations", "depth", "0"),
    ("activations", "depth", "many"),
    # lesson pages
    ("losses", "target", "7"),
    ("optimizers", "surface", "moon"),
    ("optimizers", "lr", "-1"),
    ("optimizers", "optimizers", "foo,bar"),
]

TRAIN_BUTTON = {"playground": "pg_step"}


def open_with(page: str, key: str, value: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params[key] = value
    at.run()
    return at.switch_page(f"app_pages/{page}.py").run()


@pytest.mark.parametrize(("page", "key", "value"), CASES, ids=[f"{p}-{k}={v[:12]}" for p, k, v in CASES])
def test_bad_link_value_gets_a_message_not_a_traceback(page: str, key: str, value: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_NO_DOWNLOAD", "1")
    at = open_with(page, key, value)
    assert not at.exception, at.exception
    messages = " ".join(m.value for m in [*at.warning, *at.error]).lower()
    assert key.lower() in messages or key.replace("-", "_").lower() in messages, (key, messages[:300])
    if page in TRAIN_BUTTON:
        at.button(key=TRAIN_BUTTON[page]).click().run()
        assert not at.exception
        trainer = at.session_state["state:playground"].trainer
        assert trainer is not None and trainer.epoch == 1


def test_case_count() -> None:
    assert len(CASES) >= 40
