"""AppTest tests of the MNIST page: every control, a short live run, results, try-it, model files, missing data."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.lessons import mnist as mt
from playground.lessons import mnist_model_file as mf
from playground.trainer import Trainer
from playground.ui.mnist_views import MnistState

ROOT = Path(__file__).resolve().parent.parent
PAGE = "app_pages/mnist.py"


def open_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def trainer_of(at: AppTest) -> Any:
    """This session's trainer (or None)."""
    return page(at).trainer


def page(at: AppTest) -> MnistState:
    """This session's page state (the trainer, the running flag, the results)."""
    value: MnistState = at.session_state[f"state:{mt.PAGE}"]
    return value


def chart(at: AppTest, title: str) -> dict:  # type: ignore[type-arg]
    """The Plotly figure whose title text is ``title`` (decoded JSON)."""
    for el in at.get("plotly_chart"):
        fig = json.loads(el.proto.spec)
        if fig.get("layout", {}).get("title", {}).get("text", "").startswith(title):
            return fig  # type: ignore[no-any-return]
    raise AssertionError(f"no chart titled {title!r}")


def decode(values: object) -> np.ndarray:
    """Plotly >= 6 sends arrays as {"dtype", "bdata", "shape"}."""
    if isinstance(values, dict) and "bdata" in values:
        arr = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = values.get("shape")
        if shape:
            arr = arr.reshape([int(s) for s in str(shape).split(",")])
        return arr
    return np.asarray(values)


@pytest.fixture
def data_env(mnist_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("PLAYGROUND_NO_DOWNLOAD", "1")
    return mnist_dir


def test_a_fresh_machine_opens_on_the_shipped_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No data folder, an empty cache and no network: the page opens on the MNIST copy shipped in the package."""
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PLAYGROUND_NO_DOWNLOAD", "1")
    at = open_page()
    assert not at.error and not at.exception, [e.value for e in at.error]
    assert [b for b in at.button if b.key == "train"]


def test_train_live_results_try_it_and_download(data_env: Path) -> None:
    """One epoch via the fragment, then results, a test-image prediction and a model file."""
    at = open_page()
    assert trainer_of(at) is None
    assert any("Not trained yet" in c.value for c in at.caption)
    at.slider(key="epochs").set_value(1).run()
    at.button(key="train").click().run()  # the service trains a slice of the epoch in each frame
    assert not at.exception, at.exception
    tr = trainer_of(at)
    for _ in range(500):
        if tr.done:
            break
        at.run()
        assert not at.exception, at.exception
    assert tr.epoch == 1 and tr.done
    at.run()  # the finished run: results and try-it are drawn
    assert not at.exception, at.exception
    assert page(at).running is False
    assert at.get("progress")
    results = page(at).results
    assert results.epoch == 1 and results.test_acc > 0.9
    cm = chart(at, "Confusion matrix")
    counts = decode(cm["data"][0]["customdata"])
    assert counts.sum() == 10_000 and counts.shape == (10, 10)
    loss = chart(at, "Loss")
    assert len(decode(loss["data"][0]["y"])) == 1
    assert loss["layout"]["xaxis"]["dtick"] == 1 and loss["layout"]["xaxis"]["tickformat"] == "d"  # no 0.5 epochs
    # The first-layer tab names the layer's true width: the lecture's 128 neurons, not the 64 of the next layer.
    assert "(128 neurons)" in chart(at, "What the first layer learned")["layout"]["title"]["text"]
    # Pick a test image: its probabilities are shown.
    at.number_input(key="test_index").set_value(7).run()
    assert not at.exception, at.exception
    probs = chart(at, "Prediction:")
    assert abs(decode(probs["data"][0]["y"]).sum() - 100) < 0.1
    # The download button offers the model file.
    assert at.get("download_button")
    # Train again after the end starts a fresh run from the same weights: the same epoch again.
    first = [r.to_dict() for r in tr.history]
    at.button(key="train").click().run()
    assert trainer_of(at) is tr and tr.epoch <= 1
    for _ in range(500):
        if tr.done:
            break
        at.run()
    assert [r.to_dict() for r in tr.history] == first
    at.button(key="reset").click().run()
    assert trainer_of(at) is None and not at.exception


def test_every_recipe_control(data_env: Path) -> None:
    """Each control changes the spec (and the URL); bad widths give a message, not an error."""
    at = open_page()
    at.selectbox(key="optimizer").set_value("sgd").run()
    at.select_slider(key="lr").set_value(0.01).run()
    at.select_slider(key="batch_size").set_value(256).run()
    at.slider(key="dropout").set_value(0.5).run()
    at.slider(key="epochs").set_value(7).run()
    at.slider(key="validation_split").set_value(0.25).run()
    at.slider(key="early_stopping_patience").set_value(3).run()
    at.checkbox(key="restore_best_weights").check().run()
    at.checkbox(key="early_stopping").uncheck().run()
    at.select_slider(key="reduce_lr_factor").set_value(0.2).run()
    at.slider(key="reduce_lr_patience").set_value(2).run()
    at.checkbox(key="reduce_lr").uncheck().run()
    # A callback's settings show only while it is on.
    assert not [w for w in at.slider if w.key in ("early_stopping_patience", "reduce_lr_patience")]
    at.number_input(key="seed").set_value(5).run()
    at.selectbox(key="activation").set_value("tanh").run()
    at.text_input(key="hidden").input("32, 16, 8").run()
    assert not at.exception, at.exception
    spec = at.session_state["spec:mnist"]
    assert spec.model.hidden == (32, 16, 8) and spec.model.activation == ("tanh",) * 3
    t = spec.train
    assert (t.optimizer, t.lr, t.batch_size, t.epochs) == ("sgd", 0.01, 256, 7)
    assert (t.early_stopping, t.early_stopping_patience, t.restore_best_weights) == (False, 3, True)
    assert (t.reduce_lr, t.reduce_lr_factor, t.reduce_lr_patience) == (False, 0.2, 2)
    assert (spec.model.dropout, spec.data.validation_split, spec.seed) == (0.5, 0.25, 5)
    assert at.query_params["hidden"] in ("32,16,8", ["32,16,8"])
    at.text_input(key="hidden").input("32, lots").run()
    assert not at.exception and any("Hidden layers" in e.value for e in at.sidebar.error)
    assert at.session_state["spec:mnist"].model.hidden == (32, 16, 8)
    at.text_input(key="hidden").input("4096").run()
    assert any("512" in e.value for e in at.sidebar.error)
    # A training setting changes a live trainer; the architecture makes a new one.
    at.slider(key="epochs").set_value(1).run()
    at.button(key="train").click().run()
    tr = trainer_of(at)
    at.select_slider(key="lr").set_value(0.003).run()
    assert trainer_of(at) is tr and tr.spec.train.lr == 0.003
    at.text_input(key="hidden").input("16").run()
    assert trainer_of(at) is None and not at.exception


def test_stop_keeps_what_was_learned(data_env: Path) -> None:
    at = open_page({"epochs": "5", "hidden": "16"})
    at.button(key="train").click().run()
    assert page(at).running is True
    for _ in range(500):  # frames, until the service has trained a whole epoch
        if trainer_of(at).epoch >= 1:
            break
        at.run()
    at.button(key="stop").click().run()
    assert page(at).running is False
    tr = trainer_of(at)
    assert tr.epoch >= 1 and not tr.done
    assert page(at).results.epoch == tr.epoch  # results of the weights it has
    assert any(b.label == "Continue" for b in at.button)
    before, first_epochs = tr.epoch, [r.to_dict() for r in tr.history]
    at.button(key="train").click().run()
    for _ in range(500):
        if tr.epoch > before:
            break
        at.run()
    assert trainer_of(at) is tr and tr.epoch == before + 1  # continues, not restarts
    assert [r.to_dict() for r in tr.history[:before]] == first_epochs
    assert not at.exception


def test_links_are_honoured_and_capped(data_env: Path) -> None:
    at = open_page({"hidden": "800,64", "epochs": "500", "lr": "-1", "early-stopping-patience": "50", "lr-factor": "x"})
    warnings = " ".join(w.value for w in at.warning)
    assert "hidden: at most 4 layers of 512 neurons on this page" in warnings and "lr" in warnings
    assert "epochs: got 500; this page allows 1 to 100 (using 100)" in warnings
    spec = at.session_state["spec:mnist"]
    assert spec.model.hidden == (512, 64) and spec.train.epochs == 100 and spec.train.lr == 0.001
    assert spec.train.early_stopping_patience == 20 and at.slider(key="early_stopping_patience").value == 20
    at = open_page({"lr": "0.0005", "reduce-lr-factor": "0.3", "seed": "123456"})
    assert not at.exception and at.select_slider(key="lr").value == 0.0005
    assert at.select_slider(key="reduce_lr_factor").value == 0.3 and at.number_input(key="seed").value == 9999
    at = open_page({"dataset": "fashion_mnist"})
    # Fashion-MNIST is not in the test data folder and downloads are off: a clear message, no traceback.
    assert at.session_state["spec:mnist"].data.dataset == "fashion_mnist"
    assert not at.exception
    # The message names the data set and where to put its files.
    assert any("Fashion-MNIST" in e.value and "PLAYGROUND_DATA_DIR" in e.value for e in at.error)


def test_upload_good_and_bad_model_files(data_env: Path, mnist_dir: Path) -> None:
    spec = mt.default_spec().replace(hidden=[24], activation=["relu"], epochs=1)
    from playground import mnist

    tr = Trainer(spec, data=mnist.load_dataset("mnist", 0.2, data_dir=str(mnist_dir)), device="cpu")
    good = mf.save_model(tr.model, tr.spec)
    at = open_page()
    at.file_uploader(key="upload").upload("bad.safetensors", b"not a model at all").run()
    assert not at.exception, at.exception
    assert any("bad.safetensors" in e.value for e in at.error)
    assert trainer_of(at) is None
    at.file_uploader(key="upload").set_value(("mine.safetensors", good, "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert any("Loaded mine.safetensors" in s.value for s in at.success)
    loaded = trainer_of(at)
    assert loaded.spec.model.hidden == (24,)
    assert at.text_input(key="hidden").value == "24" and at.slider(key="epochs").value == 1
    assert chart(at, "Prediction:")  # the loaded network answers at once
    assert page(at).results.epoch == 0
    damaged = bytearray(good)
    damaged[-10] ^= 0xFF
    at.file_uploader(key="upload").set_value(("changed.safetensors", bytes(damaged), "application/octet-stream")).run()
    assert any("checksum" in e.value for e in at.error)
    assert trainer_of(at) is loaded


def test_classroom_mode_hides_controls(data_env: Path) -> None:
    """?hide=... removes those controls; the page still works without them."""
    at = open_page({"hide": "lr,hidden,upload,reset"})
    keys = {w.key for w in at.select_slider} | {w.key for w in at.text_input} | {b.key for b in at.button}
    assert "lr" not in keys and "hidden" not in keys and "reset" not in keys and "train" in keys
    assert not at.get("file_uploader")
    at.slider(key="dropout").set_value(0.2).run()
    assert not at.exception and trainer_of(at) is None
