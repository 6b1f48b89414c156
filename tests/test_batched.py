"""The engine's one epoch (playground.batched): against torch's references, and the same alone or in a group.

* Each optimizer's update rule, written out on stacked buffers, against ``torch.optim`` itself
  (float rounding apart: the fused kernels order their arithmetic differently).
* A network trained in a group of 30 (with other seeds, rates, regularization, dropout) has
  bitwise the history and weights it has alone, and on the command line.
* Padding the batch and the parameters changes nothing but rounding: one epoch's loss equals
  ``torch.nn.functional``'s on the same batch.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from playground import batched
from playground.model import loss_fn
from playground.spec import Spec
from playground.trainer import Trainer, make_optimizer

#: Specs that exercise every path of the epoch: activations, losses, problems, optimizers,
#: dropout, L1/L2, batch sizes (1, a remainder, full batch) and a width-1 output layer.
SPECS = {
    "default": "",
    "relu-8-8-adam-spiral": "dataset=spiral&hidden=8,8&activation=relu&optimizer=adam&lr=0.03",
    "dropout-l2-rmsprop": "dropout=0.2&l2=0.001&optimizer=rmsprop&lr=0.01",
    "sigmoid-momentum-mse-batch-1": "activation=sigmoid&optimizer=momentum&loss=mse&lr=0.1&batch-size=1&samples=60",
    "adagrad-l1-batch-30": "dataset=circle&optimizer=adagrad&lr=0.1&l1=0.001&batch-size=30",
    "three-classes": "dataset=three_class&problem=multiclass&loss=categorical_crossentropy&hidden=6&optimizer=adam",
    "regression": "dataset=plane&problem=regression&loss=mse&hidden=3&lr=0.01",
    "no-hidden-layer": "hidden=&lr=0.1",
}


def spec_of(name: str, **changes: object) -> Spec:
    return Spec.from_query(SPECS[name]).replace(**{"epochs": 40, **changes})


def history(trainer: Trainer) -> list[dict[str, object]]:
    return [r.to_dict() for r in trainer.history]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_network_in_a_group_of_30_has_bitwise_its_history_alone(name: str) -> None:
    spec = spec_of(name)
    alone = Trainer(spec)
    alone.train(40)
    # Others with other seeds, rates, regularization and dropout: same shape, same group.
    others = [
        Trainer(spec.replace(seed=k, lr=spec.train.lr * (1 + k % 3), l2=0.001 * (k % 2), dropout=0.1 * (k % 3)))
        for k in range(1, 30)
    ]
    mine = Trainer(spec)
    group = [*others[:13], mine, *others[13:]]
    assert len({batched.group_key(t) for t in group}) == 1
    batched.train_together(group, 40)
    assert history(mine) == history(alone)
    for a, b in zip(mine.model.state_dict().values(), alone.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    for key, buffer in alone.optimizer_state.buffers.items():
        assert torch.equal(mine.optimizer_state.buffers[key], buffer)


def test_a_network_that_stops_leaves_the_group_and_the_others_go_on() -> None:
    spec = spec_of("default")
    short = Trainer(spec.replace(epochs=5))
    long = Trainer(spec.replace(seed=3))
    batched.train_together([short, long], 20)
    assert short.epoch == 5 and short.stop_reason == "max_epochs"
    assert long.epoch == 20 and not long.done
    ref = Trainer(spec.replace(seed=3))
    ref.train(20)
    assert history(ref) == history(long)


def test_the_command_line_gives_the_same_history_as_the_engine(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = spec_of("relu-8-8-adam-spiral", epochs=15)
    t = Trainer(spec)
    t.train(15)
    config = tmp_path / "spec.json"
    config.write_text(spec.to_json())
    out = subprocess.run(
        [sys.executable, "-m", "playground", "train", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    epochs = [line for line in lines if "event" not in line]
    assert [(e["train_loss"], e["val_loss"]) for e in epochs] == [(r.train_loss, r.val_loss) for r in t.history]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adagrad", "adam"])
def test_each_update_rule_matches_torch_optim(optimizer: str) -> None:
    """Ten full-batch steps of the engine against torch.optim's own class on the same network and data."""
    spec = Spec.from_query(f"optimizer={optimizer}&lr=0.05&batch-size=1000&samples=100&hidden=5,3").replace(epochs=10)
    t = Trainer(spec)
    model = type(t.model)(t.in_features, spec.model.hidden, spec.model.activation, 1)
    model.load_state_dict(t.model.state_dict())
    opt = make_optimizer(model.parameters(), spec.train, spec.train.lr)
    for _ in range(10):
        opt.zero_grad()
        loss_fn(model(t.x_train), t.data.y_train, "binary", spec.model.loss).backward()
        opt.step()
    t.train(10)
    for ours, theirs in zip(t.model.parameters(), model.parameters(), strict=True):
        # Float rounding apart (the fused kernels order the arithmetic differently), after ten steps.
        assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-5), (optimizer, (ours - theirs).abs().max())


def test_padding_changes_nothing_but_rounding() -> None:
    """The padded, masked batch loss equals torch.nn.functional's loss on the real rows."""
    for name in ("default", "three-classes", "regression"):
        t = Trainer(spec_of(name))
        group = batched.Group([t])
        x, y = group.x_train[:, :7], group.y_train[:, :7]
        out = group.forward(group._views(group.theta), batched._pad_rows(x, group.padded_batch))
        ours = group.losses(out, batched._pad_rows(y, group.padded_batch), 7)
        theirs = loss_fn(t.model(t.x_train[:7]), t.data.y_train[:7], t.spec.model.problem, t.spec.model.loss)
        assert torch.allclose(ours[0], theirs, rtol=1e-6, atol=1e-7), name


def test_different_shapes_cannot_share_a_group() -> None:
    a, b = Trainer(spec_of("default")), Trainer(spec_of("default", hidden=(3,)))
    assert batched.group_key(a) != batched.group_key(b)
    with pytest.raises(ValueError, match="group_key"):
        batched.train_together([a, b], 1)


def test_an_epoch_sliced_into_batches_gives_bitwise_the_straight_run() -> None:
    """A large data set trains a slice of an epoch per round (``max_batches``) and goes on from there."""
    spec = spec_of("dropout-l2-rmsprop", epochs=6)
    straight = Trainer(spec)
    straight.train(6)
    sliced = Trainer(spec)
    calls = 0
    while not sliced.done:
        batched.train_together([sliced], 100, max_batches=3)
        calls += 1
        assert calls < 1000
    assert calls > 6 and history(sliced) == history(straight)
    for a, b in zip(sliced.model.state_dict().values(), straight.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_containers_hold_every_playground_network_and_its_weights_come_back_exactly() -> None:
    for query in ("", "hidden=3", "hidden=16,1", "hidden=5,7,2&activation=relu", "hidden=16,16,16,16,16,16",
                  "hidden=&lr=0.1", "dataset=three_class&problem=multiclass&loss=categorical_crossentropy&hidden=6"):  # fmt: skip
        t = Trainer(Spec.from_query(query))
        layout = t.layout
        weights = [(layer.weight.detach(), layer.bias.detach()) for layer in t.model.linears()]
        back = layout.extract(layout.embed(weights))
        assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(weights, back, strict=True))
        own = sum(w.numel() + b.numel() for w, b in weights)
        assert int(t.trainable.sum()) == own and layout.numel >= own
    deep = Trainer(Spec.from_query("hidden=3,3,3"))
    assert deep.layout.shapes == ((8, 16),) + ((16, 16),) * 5 + ((16, 1),)
    assert Trainer(Spec()).layout.shapes == ((2, 8), (8, 8), (8, 1))


def test_networks_of_different_shapes_activations_and_optimizers_share_a_container_bitwise() -> None:
    """The deep container holds 3 to 6 hidden layers of any width and activation, any optimizer."""
    spec = Spec.from_query("hidden=5,3,7&activation=tanh,relu,sigmoid&optimizer=adam&dropout=0.1&lr=0.01").replace(
        epochs=30
    )
    alone = Trainer(spec)
    alone.train(30)
    others = [
        Trainer(Spec.from_query(q).replace(seed=k, epochs=30))
        for k, q in enumerate(
            (
                "hidden=16,16,16,16,16,16&activation=relu&optimizer=sgd",
                "hidden=2,2,2,2&activation=sigmoid&optimizer=rmsprop&l2=0.001",
                "hidden=9,4,12&activation=linear&optimizer=momentum&features=x1,x2,x1_sq,sin_x2",
                "hidden=1,1,1,1,1&activation=tanh&optimizer=adagrad&l1=0.001",
            )
        )
    ]
    mine = Trainer(spec)
    group = [others[0], mine, *others[1:]]
    assert len({batched.group_key(t) for t in group}) == 1
    batched.train_together(group, 30)
    assert history(mine) == history(alone)
    for t in others:
        ref = Trainer(t.spec)
        ref.train(30)
        assert history(t) == history(ref)


def test_a_large_networks_adam_is_torch_optims_fused_adam() -> None:
    """MNIST-sized data take torch's fused Adam kernel (one pass): the same step as torch.optim.Adam(fused=True)."""
    from playground.datasets import Dataset

    gen = torch.Generator().manual_seed(0)
    n = 1300  # 1300 x 784 inputs: over GATHER_PER_BATCH_ABOVE, a large data set
    data = Dataset(
        "mnist", torch.rand(n, 784, generator=gen), torch.randint(0, 10, (n,), generator=gen),
        torch.rand(200, 784, generator=gen), torch.randint(0, 10, (200,), generator=gen), 10, image_side=28,
    )  # fmt: skip
    spec = Spec.from_query(
        f"dataset=mnist&problem=multiclass&loss=categorical_crossentropy&hidden=32&activation=relu"
        f"&optimizer=adam&lr=0.01&batch-size={n}&dropout=0"
    ).replace(epochs=3)
    t = Trainer(spec, data=data)
    assert t.is_large and t.layout.shapes == t.layout.real
    model = type(t.model)(784, (32,), ("relu",), 10)
    model.load_state_dict(t.model.state_dict())
    opt = make_optimizer(model.parameters(), spec.train, spec.train.lr)  # fused=True, as the registry says
    for _ in range(3):  # full batch: one step an epoch
        opt.zero_grad()
        loss_fn(model(t.x_train), t.data.y_train, "multiclass", "categorical_crossentropy").backward()
        opt.step()
    t.train(3)
    for ours, theirs in zip(t.model.parameters(), model.parameters(), strict=True):
        assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-6), (ours - theirs).abs().max()


def test_the_one_activation_formula_is_each_activation_and_its_derivative() -> None:
    """g and g' from ``LayerActivation`` against the registry's torch function and autograd (g exactly for
    tanh, ReLU and linear; the sigmoid, computed as (1 + tanh(z/2)) / 2, to rounding); and each
    network's row the same, bitwise, alone or beside networks with other activations."""
    from playground import activations

    z = torch.cat([torch.linspace(-30, 30, 2001), torch.tensor([0.0, -0.0, 1e-30, -1e-30, 88.0, -88.0])])
    z = z[: z.numel() // 32 * 32].view(1, -1, 32)  # whole rows of 32, as the engine pads them
    names = list(activations.NAMES)
    mixed = batched.LayerActivation(names, torch.device("cpu"))
    g_mixed, t, r = mixed(z.expand(len(names), -1, -1).contiguous())
    slope_mixed = mixed.slope(t, r)
    for row, name in enumerate(names):
        alone = batched.LayerActivation([name], torch.device("cpu"))
        g, t1, r1 = alone(z)
        slope = alone.slope(t1, r1)
        slope = torch.ones_like(z) if slope is None else slope
        assert slope_mixed is not None
        assert torch.equal(g[0], g_mixed[row]) and torch.equal(slope[0], slope_mixed[row]), name
        zz = z.clone().requires_grad_()
        reference = activations.REGISTRY[name].fn(zz)
        (grad,) = torch.autograd.grad(reference.sum(), zz)
        # to rounding: a unit in the last place near 1 is 1.2e-7 (and autograd computes tanh' in one fused pass)
        assert torch.allclose(g, reference, rtol=0, atol=2.5e-7) and torch.allclose(slope, grad, rtol=0, atol=2.5e-7)
        if name != "sigmoid":
            assert torch.equal(g, reference.detach()), name


def test_a_deep_mixed_group_steps_as_autograd_says() -> None:
    """One full-batch SGD step of four networks of every activation in the deep container, against autograd."""
    queries = ["hidden=5,3,7&activation=sigmoid", "hidden=9,4,2&activation=relu", "hidden=16,1,1,1&activation=tanh",
               "hidden=2,2,2&activation=linear"]  # fmt: skip
    trainers = [Trainer(Spec.from_query(f"{q}&batch-size=1000&samples=60&lr=0.3").replace(seed=k, epochs=1))
                for k, q in enumerate(queries)]  # fmt: skip
    expected = []
    for t in trainers:
        params = [p.detach().clone().requires_grad_() for p in t.model.parameters()]
        h = t.x_train
        for k in range(0, len(params) - 2, 2):
            h = activations_fn(t, k // 2)(h @ params[k].T + params[k + 1])
        z = h @ params[-2].T + params[-1]
        loss = loss_fn(z, t.data.y_train, "binary", t.spec.model.loss)
        grads = torch.autograd.grad(loss, params)
        expected.append([p - 0.3 * g for p, g in zip(params, grads, strict=True)])
    assert len({batched.group_key(t) for t in trainers}) == 1
    batched.train_together(trainers, 1)
    for t, want in zip(trainers, expected, strict=True):
        for got, w in zip(t.model.parameters(), want, strict=True):
            assert torch.allclose(got, w, atol=1e-6), t.spec.model.activation


def activations_fn(trainer: Trainer, layer: int):  # type: ignore[no-untyped-def]
    from playground import activations

    return activations.REGISTRY[trainer.spec.model.activation[layer]].fn


def test_weights_changed_between_calls_are_the_ones_the_next_call_trains() -> None:
    """The engine keeps each trainer's flat row between calls; a change to the model (a reset, loaded
    weights, a hand-edited weight) must win over it."""
    spec = spec_of("relu-8-8-adam-spiral", epochs=100)
    kept, fresh = Trainer(spec), Trainer(spec)
    kept.train(3)
    fresh.train(3)
    assert kept.container_row is not None
    for t in (kept, fresh):
        with torch.no_grad():
            next(iter(t.model.linears())).weight.mul_(0.5)  # a change in place, as load_state_dict makes
    fresh.container_row = None  # the other lays its weights out anew
    kept.train(2)
    fresh.train(2)
    assert history(kept) == history(fresh)
    kept.reset()
    assert kept.epoch == 0
    kept.train(3)
    again = Trainer(spec)
    again.train(3)
    assert history(kept) == history(again)


def test_networks_of_a_group_keep_nothing_in_common_and_an_unknown_optimizer_is_refused() -> None:
    """After a call, each trainer's weights, kept row and optimizer buffers are its own memory: no
    session holds a view into a tensor that also holds another session's network."""
    spec = spec_of("relu-8-8-adam-spiral", epochs=100)
    a, b = Trainer(spec), Trainer(spec.replace(seed=1))
    batched.train_together([a, b], 2)

    def storages(t: Trainer) -> set[int]:
        kept = t.container_row
        assert kept is not None
        tensors = [kept.row, *t.optimizer_state.buffers.values(), *t.model.parameters()]
        return {x.untyped_storage().data_ptr() for x in tensors}

    assert not storages(a) & storages(b)
    with pytest.raises(ValueError, match="no update rule"):
        batched.UpdateRule(["sgd", "lion"], [spec.train, spec.train], [0.1, 0.1], torch.device("cpu"))
