"""Unit tests of the MNIST page's engine: recipe, results, digit preprocessing, model files.

No real MNIST needed: a tiny random data set stands in (the real-data training
test is in test_mnist_training.py).
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import mnist
from playground.datasets import Dataset
from playground.lessons import mnist as mt
from playground.lessons import mnist_model_file as mf
from playground.model import build_model
from playground.spec import Spec, SpecError
from playground.trainer import Trainer


def tiny_data(n: int = 240, seed: int = 0) -> Dataset:
    """Random 'images' whose class is decided by which tenth of the pixels is bright."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=gen)
    x = torch.rand(n, 784, generator=gen) * 0.2
    for i in range(n):
        k = int(y[i])
        x[i, k * 78 : (k + 1) * 78] += 0.8
    return Dataset("mnist", x[:160], y[:160], x[160:200], y[160:200], 10, x[200:], y[200:], image_side=28)


@pytest.fixture(scope="module")
def small_spec() -> Spec:
    return mt.default_spec().replace(hidden=[16, 8], epochs=3, batch_size=32)


@pytest.fixture(scope="module")
def trained(small_spec: Spec) -> Trainer:
    tr = Trainer(small_spec, data=tiny_data(), device="cpu")
    tr.train(3)
    return tr


@pytest.fixture(scope="module")
def saved(trained: Trainer) -> bytes:
    return mf.save_model(trained.model, trained.spec)


# -- the recipe -------------------------------------------------------------------------------------


def test_default_spec_is_the_lectures_recipe() -> None:
    """784 -> 128 relu -> 64 relu -> 10 softmax, dropout 0.3, Adam 1e-3, batch 128, the callbacks."""
    s = mt.default_spec()
    assert (s.data.dataset, s.data.validation_split) == ("mnist", 0.2)
    assert s.model.hidden == (128, 64) and s.model.activation == ("relu", "relu")
    assert (s.model.problem, s.model.loss, s.model.dropout) == ("multiclass", "categorical_crossentropy", 0.3)
    t = s.train
    assert (t.optimizer, t.lr, t.batch_size, t.epochs) == ("adam", 0.001, 128, 100)
    assert (t.early_stopping, t.early_stopping_patience) == (True, 5)
    assert (t.reduce_lr, t.reduce_lr_factor, t.reduce_lr_patience) == (True, 0.5, 3)
    assert mt.default_spec("fashion_mnist").data.dataset == "fashion_mnist"


def test_bounded_caps_a_spec_from_a_link() -> None:
    wild = mt.default_spec().replace(hidden=[1024] * 6, activation=["relu"], epochs=5000, batch_size=100)
    spec, notices = mt.fit_to_page(wild)
    assert spec.model.hidden == (mt.MAX_WIDTH,) * mt.MAX_LAYERS
    assert spec.train.epochs == mt.MAX_EPOCHS and spec.train.batch_size == 128
    assert len(notices) == 3
    circle, notices = mt.fit_to_page(Spec())
    assert circle.data.dataset == "mnist" and circle.model.problem == "multiclass" and notices
    same, none = mt.fit_to_page(mt.default_spec())
    assert same == mt.default_spec() and none == []


def test_parse_hidden_accepts_widths_and_rejects_the_rest() -> None:
    assert mt.parse_hidden("128, 64") == (128, 64)
    assert mt.parse_hidden("") == ()
    for bad in ("128,x", "0", "1,2,3,4,5", "513", "-3"):
        with pytest.raises(SpecError):
            mt.parse_hidden(bad)


def test_spec_from_controls_keeps_the_good_values_when_one_is_bad() -> None:
    s = mt.default_spec()
    assert mt.spec_from_controls(s, mt.control_values(s)) == (s, [])
    new, errors = mt.spec_from_controls(s, {**mt.control_values(s), "hidden": "32, lots", "lr": 0.01})
    assert new.train.lr == 0.01 and new.model.hidden == (128, 64)
    assert len(errors) == 1 and errors[0].startswith("Hidden layers")
    new, errors = mt.spec_from_controls(s, {"hidden": "16", "activation": "tanh"})
    assert new.model.hidden == (16,) and new.model.activation == ("tanh",) and not errors
    new, errors = mt.spec_from_controls(s, {"hidden": ""})
    assert new.model.hidden == () and not errors  # no hidden layer: softmax regression


def test_needs_new_trainer_only_for_data_architecture_or_seed() -> None:
    s = mt.default_spec()
    assert not mt.needs_new_trainer(s, s.replace(lr=0.01, dropout=0.5, batch_size=64, reduce_lr=False))
    for change in (
        {"hidden": [32], "activation": ["relu"]},
        {"seed": 3},
        {"validation_split": 0.3},
        {"activation": ["tanh"]},
    ):
        assert mt.needs_new_trainer(s, s.replace(**change))


def test_with_validation_split_matches_the_loader_and_shares_memory() -> None:
    rng = np.random.default_rng(0)
    images = mnist.ImageData(
        rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 50, dtype=np.uint8),
        rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 20, dtype=np.uint8),
        tuple("0123456789"),
        "test",
    )
    full = mnist.to_dataset(images, "mnist", 0.0)
    for split in (0.1, 0.2, 0.5):
        mine, ref = mt.with_validation_split(full, split), mnist.to_dataset(images, "mnist", split)
        for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
            torch.testing.assert_close(getattr(mine, name), getattr(ref, name))
        assert mine.x_train.data_ptr() == full.x_train.data_ptr()  # a view, not a copy


# -- results ----------------------------------------------------------------------------------------


def test_confusion_matrix_counts_every_example_once() -> None:
    rng = np.random.default_rng(0)
    labels, predicted = rng.integers(0, 10, 1000), rng.integers(0, 10, 1000)
    cm = mt.confusion_matrix(labels, predicted, 10)
    assert cm.sum() == 1000
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(labels, minlength=10))
    np.testing.assert_array_equal(cm.sum(axis=0), np.bincount(predicted, minlength=10))
    assert np.trace(cm) == int((labels == predicted).sum())
    acc = mt.per_class_accuracy(cm)
    np.testing.assert_allclose(acc[3], ((labels == 3) & (predicted == 3)).sum() / (labels == 3).sum())


def test_per_class_accuracy_of_an_empty_class_is_zero() -> None:
    cm = mt.confusion_matrix(np.array([0, 0, 1]), np.array([0, 1, 1]), 3)
    np.testing.assert_allclose(mt.per_class_accuracy(cm), [0.5, 1.0, 0.0])


def test_evaluate_matches_the_trainer(trained: Trainer) -> None:
    r = mt.evaluate(trained)
    loss, acc = trained.evaluate("test")
    assert r.test_acc == pytest.approx(acc) and r.test_loss == pytest.approx(loss)
    assert acc is not None
    assert r.confusion.sum() == 40 and np.trace(r.confusion) == round(acc * 40)
    assert r.probs.shape == (40, 10) and np.allclose(r.probs.sum(axis=1), 1, atol=1e-5)
    assert r.first_layer.shape == (16, 28, 28)
    np.testing.assert_allclose(r.first_layer[5].reshape(-1), trained.weights()[0][0][5])
    assert r.epoch == 3
    wrong = mt.misclassified(r, 5)
    assert all(r.predicted[i] != r.labels[i] for i in wrong)
    conf = r.probs[wrong, r.predicted[wrong]]
    assert list(conf) == sorted(conf, reverse=True)


# -- preprocessing a drawn digit ----------------------------------------------------------------------


def synthetic_canvas(top: int, left: int, h: int, w: int, size: int = 280) -> np.ndarray:
    """An RGBA canvas (alpha 255 everywhere) with a white bar of h x w pixels at (top, left)."""
    img = np.zeros((size, size, 4), dtype=np.uint8)
    img[..., 3] = 255
    img[top : top + h, left : left + w, :3] = 255
    return img


def center_of_mass(img: np.ndarray) -> tuple[float, float]:
    yy, xx = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    return float((yy * img).sum() / img.sum()), float((xx * img).sum() / img.sum())


def test_preprocess_digit_crops_scales_to_20_and_centres_the_mass() -> None:
    """A tall bar in a corner becomes a 20-pixel-high bar centred in 28x28, aspect kept."""
    out = mt.preprocess_digit(synthetic_canvas(top=10, left=200, h=160, w=40))
    assert out is not None and out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
    rows, cols = np.flatnonzero(out.max(axis=1) > 0.05), np.flatnonzero(out.max(axis=0) > 0.05)
    assert rows[-1] - rows[0] + 1 == 20  # the longer side is 20 pixels
    assert 4 <= cols[-1] - cols[0] + 1 <= 6  # 40/160 of 20 = 5: aspect ratio kept
    cy, cx = center_of_mass(out)
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5


def test_preprocess_digit_is_translation_invariant_and_blank_is_none() -> None:
    a = mt.preprocess_digit(synthetic_canvas(20, 30, 100, 60))
    b = mt.preprocess_digit(synthetic_canvas(150, 180, 100, 60))
    assert a is not None and b is not None
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert mt.preprocess_digit(synthetic_canvas(0, 0, 0, 0)) is None
    gray = np.zeros((50, 50))
    gray[10:40, 20:25] = 1.0
    assert mt.preprocess_digit(gray) is not None


def test_preprocessed_mnist_digit_is_close_to_itself(trained: Trainer) -> None:
    """An already-centred 28x28 digit survives preprocessing nearly unchanged."""
    digit = np.zeros((28, 28), dtype=np.float32)
    digit[4:24, 12:16] = 1.0
    out = mt.preprocess_digit(digit)
    assert out is not None
    assert np.abs(out - digit).mean() < 0.05
    probs = mt.predict_images(trained, out)
    assert probs.shape == (1, 10) and np.isfinite(probs).all()


# -- model files ------------------------------------------------------------------------------------


def test_model_round_trip_keeps_spec_and_weights(trained: Trainer, saved: bytes) -> None:
    spec, state = mf.load_model(saved)
    assert spec == trained.spec
    for name, value in trained.model.state_dict().items():
        torch.testing.assert_close(state[name], value, rtol=0, atol=0)
    spec2, model = mf.model_from_file(saved)
    assert spec2 == trained.spec
    x = trained.x_test
    trained.model.eval()
    model.eval()
    torch.testing.assert_close(model(x), trained.model(x))


def test_saved_file_is_standard_safetensors(saved: bytes) -> None:
    from safetensors.numpy import load

    arrays = load(saved)
    assert sorted(arrays) == sorted(mf.expected_shapes(mf.load_model(saved)[0]))


def test_install_weights_gives_a_trainer_that_predicts_the_same(trained: Trainer, saved: bytes) -> None:
    spec, state = mf.load_model(saved)
    fresh = Trainer(spec, data=tiny_data(), device="cpu")
    mf.install_weights(fresh, state)
    np.testing.assert_allclose(mt.evaluate(fresh).probs, mt.evaluate(trained).probs, atol=1e-6)
    assert fresh.epoch == 0


def test_load_for_page_refuses_networks_beyond_the_caps(trained: Trainer, saved: bytes) -> None:
    spec, _state = mf.load_for_page(saved)
    assert spec == trained.spec
    big = mt.default_spec().replace(hidden=[600], activation=["relu"])
    model = build_model(big, 784, 10)
    with pytest.raises(mf.ModelFileError, match="larger than this page allows"):
        mf.load_for_page(mf.save_model(model, big))
    long_run = trained.spec.replace(epochs=1000)
    spec, _state = mf.load_for_page(mf.save_model(trained.model, long_run))
    assert spec.train.epochs == mt.MAX_EPOCHS  # only a training setting: capped, not refused


def _rewrite(saved: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """Change the header JSON with ``edit(header)`` and rebuild a consistent file."""
    (size,) = struct.unpack("<Q", saved[:8])
    header = json.loads(saved[8 : 8 + size])
    edit(header)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + saved[8 + size :]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda h: h["__metadata__"].update(format="other"), "not saved by the playground"),
        (lambda h: h["__metadata__"].update(version="9"), "version"),
        (lambda h: h["__metadata__"].update(spec='{"lr": -1}'), "spec stored in the file is invalid"),
        (lambda h: h["__metadata__"].update(spec=h["__metadata__"]["spec"].replace("[16, 8]", "[16, 9]")), "shape"),
        (lambda h: h["__metadata__"].update(spec='{"hidden": [16, 8]}'), "not an MNIST"),
        (lambda h: h["__metadata__"].update(sha256="0" * 64), "checksum"),
        (lambda h: h["layers.0.bias"].update(dtype="F64"), "32-bit"),
        (lambda h: h.pop("layers.0.bias"), "extra or missing|do not match"),
        (lambda h: h["__metadata__"].pop("spec"), "invalid"),
    ],
)
def test_tampered_headers_give_clear_errors(saved: bytes, edit, words: str) -> None:  # type: ignore[no-untyped-def]
    import re

    with pytest.raises(mf.ModelFileError, match=re.compile(words)):
        mf.load_model(_rewrite(saved, edit))


def test_non_finite_weights_are_refused(trained: Trainer) -> None:
    model = trained.model
    bias = model.state_dict()["layers.1.bias"]  # shares storage with the parameter
    backup = bias.clone()
    bias[0] = float("nan")
    try:
        data = mf.save_model(model, trained.spec)
    finally:
        bias.copy_(backup)
    with pytest.raises(mf.ModelFileError, match="not finite"):
        mf.load_model(data)


def test_wrong_files_give_clear_errors() -> None:
    for data in (b"", b"abc", b"\x00" * 8, b"\xff" * 64, b"PK\x03\x04" + b"\x00" * 100, struct.pack("<Q", 2) + b"[]"):
        with pytest.raises(mf.ModelFileError):
            mf.load_model(data)
    with pytest.raises(mf.ModelFileError, match="larger"):
        mf.load_model(b"\x00" * (mf.MAX_FILE_BYTES + 1))


def _check_load(data: bytes, original: Spec) -> str:
    """Each damaged file: a ModelFileError, or a load that passed every check. Nothing else."""
    try:
        spec, state = mf.load_model(data)
    except mf.ModelFileError as exc:
        assert str(exc)
        return "error"
    shapes = mf.expected_shapes(spec)
    assert {k: tuple(v.shape) for k, v in state.items()} == shapes
    assert all(torch.isfinite(v).all() for v in state.values())
    return "loaded"


def test_every_truncation_and_many_byte_flips_are_handled(saved: bytes, small_spec: Spec) -> None:
    """Truncations at 150 points and 400 single-byte flips across header and weights."""
    outcomes: list[str] = []
    cuts = np.unique(np.linspace(0, len(saved) - 1, 150).astype(int))
    for cut in cuts:
        outcomes.append(_check_load(saved[:cut], small_spec))
    rng = np.random.default_rng(7)
    (size,) = struct.unpack("<Q", saved[:8])
    # Half of the flips in the first 8 + header bytes (where parsing happens), half anywhere.
    positions = np.concatenate([rng.integers(0, 8 + size, 200), rng.integers(0, len(saved), 200)])
    for pos in positions:
        damaged = bytearray(saved)
        damaged[pos] ^= int(rng.integers(1, 256))
        outcomes.append(_check_load(bytes(damaged), small_spec))
    assert len(outcomes) >= 100 and outcomes.count("error") >= 0.9 * len(outcomes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_damage_never_crashes(saved: bytes, small_spec: Spec, data: st.DataObject) -> None:
    """Hypothesis: flips, cuts, insertions and random bytes all end in a clear error or a validated load."""
    blob = bytearray(saved)
    action = data.draw(st.sampled_from(["flip", "cut", "insert", "random"]))
    if action == "flip":
        for pos in data.draw(st.lists(st.integers(0, len(blob) - 1), min_size=1, max_size=8)):
            blob[pos] ^= data.draw(st.integers(1, 255))
    elif action == "cut":
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    elif action == "insert":
        pos = data.draw(st.integers(0, len(blob)))
        blob[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
    else:
        blob = bytearray(data.draw(st.binary(max_size=512)))
    _check_load(bytes(blob), small_spec)


def test_two_users_training_leave_the_shared_cached_images_untouched(mnist_arrays) -> None:  # type: ignore[no-untyped-def]
    """The MNIST page caches one Dataset for every user (st.cache_resource): training must only read it.

    Two sessions' trainers take views of the same cached tensors (different validation splits),
    each trains; the cached tensors stay bit for bit what they were, and the two models share nothing.
    """
    full = mnist.to_dataset(mnist_arrays, "mnist", 0.0)
    before = {name: getattr(full, name).clone() for name in ("x_train", "y_train", "x_test", "y_test")}
    spec = mt.default_spec().replace(epochs=1, batch_size=512)
    first = Trainer(spec, data=mt.with_validation_split(full, 0.1))
    second = Trainer(spec.replace(seed=1), data=mt.with_validation_split(full, 0.2))
    first.train(1)
    second.train(1)
    for name, tensor in before.items():
        assert torch.equal(getattr(full, name), tensor), f"training wrote into the shared {name}"
    ours = {p.data_ptr() for p in first.model.parameters()}
    assert not ours & {p.data_ptr() for p in second.model.parameters()}
    assert first.history[-1].train_loss != second.history[-1].train_loss
