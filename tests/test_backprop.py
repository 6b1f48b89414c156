"""The backprop walkthrough: every gradient it shows against torch.autograd and gradcheck (float64)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.lessons import backprop as bp

ACT_TORCH = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def torch_reference(net: bp.Network, ex: bp.Example) -> tuple[dict[str, float], dict[str, float], float]:
    """The same network in torch float64: node values, ∂L/∂(node and parameter) by autograd, loss."""
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.params().items()}
    x1, x2, y = (torch.tensor(v, dtype=torch.float64) for v in (ex.x1, ex.x2, ex.y))
    g = ACT_TORCH[net.activation]
    nodes: dict[str, torch.Tensor] = {}
    nodes["z1"] = p["w11"] * x1 + p["w21"] * x2 + p["b1"]
    nodes["z2"] = p["w12"] * x1 + p["w22"] * x2 + p["b2"]
    nodes["h1"], nodes["h2"] = g(nodes["z1"]), g(nodes["z2"])
    nodes["z"] = p["v1"] * nodes["h1"] + p["v2"] * nodes["h2"] + p["c"]
    nodes["y_hat"] = torch.sigmoid(nodes["z"])
    if net.loss == "squared":
        loss = 0.5 * (nodes["y_hat"] - y) ** 2
    else:
        loss = torch.nn.functional.binary_cross_entropy(nodes["y_hat"], y)
    for t in nodes.values():
        t.retain_grad()
    loss.backward()
    grads = {k: float(t.grad) for k, t in {**nodes, **p}.items()}  # type: ignore[arg-type]
    values = {k: float(t.detach()) for k, t in nodes.items()}
    return values, grads, float(loss.detach())


def check_against_torch(net: bp.Network, ex: bp.Example, lr: float = 0.5) -> None:
    w = bp.walkthrough(net, ex, lr)
    values, grads, loss = torch_reference(net, ex)
    assert w.fwd.loss == pytest.approx(loss, rel=1e-9, abs=1e-14)
    for step in w.steps:
        if step.phase == "forward" and step.key != "loss":
            assert step.value == pytest.approx(values[step.key], rel=1e-9, abs=1e-14), step.key
        if step.phase == "backward":  # every gradient shown, node or parameter
            key = step.key.removeprefix("d_")
            assert step.value == pytest.approx(grads[key], rel=1e-7, abs=1e-12), step.key
    # the update is w − η·∂L/∂w with autograd's gradient; the loss after is the new network's
    for name, value in w.updated.params().items():
        assert value == pytest.approx(net.params()[name] - lr * grads[name], rel=1e-9, abs=1e-12)
    _, _, loss_after = torch_reference(w.updated, ex)
    assert w.loss_after == pytest.approx(loss_after, rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("activation", bp.ACTIVATIONS)
@pytest.mark.parametrize("loss", bp.LOSSES)
def test_every_shown_gradient_equals_autograd(activation: str, loss: str) -> None:
    """Default weights and a few seeds, every activation and loss: each number shown equals autograd's."""
    check_against_torch(bp.Network(activation=activation, loss=loss), bp.Example())
    for seed in range(4):
        check_against_torch(bp.random_network(seed, activation, loss), bp.Example(0.3, 0.8, 0.0))


weights = st.floats(min_value=-bp.WEIGHT_LIMIT, max_value=bp.WEIGHT_LIMIT, allow_nan=False)


@given(st.lists(weights, min_size=9, max_size=9), weights, weights, st.sampled_from([0.0, 1.0]),
       st.sampled_from(bp.ACTIVATIONS), st.sampled_from(bp.LOSSES))  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_any_bounded_weights_match_autograd(values, x1, x2, y, activation, loss) -> None:  # type: ignore[no-untyped-def]
    net = bp.Network(activation=activation, loss=loss, **dict(zip(bp.PARAMS, values, strict=True)))
    ex = bp.Example(x1, x2, y)
    if activation == "relu" and (abs(bp.forward(net, ex).z1) < 1e-9 or abs(bp.forward(net, ex).z2) < 1e-9):
        return  # ReLU's kink: derivative conventions may differ exactly at 0
    w = bp.walkthrough(net, ex, 0.1)
    assert all(math.isfinite(s.value) for s in w.steps)
    after = bp.forward(w.updated, ex).y_hat
    yh = bp.forward(net, ex).y_hat
    if loss == "bce" and min(yh, 1 - yh, after, 1 - after) < 1e-6:
        return  # saturated sigmoid: torch clamps log at −100 differently
    check_against_torch(net, ex, 0.1)


class HandLoss(torch.autograd.Function):
    """The network's loss as a function of its nine parameters, with the walkthrough's gradients as backward."""

    @staticmethod
    def forward(ctx, params: torch.Tensor, activation: str, loss: str) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(params)
        ctx.cfg = (activation, loss)
        net = bp.Network(activation=activation, loss=loss, **dict(zip(bp.PARAMS, params.tolist(), strict=True)))
        return torch.tensor(bp.forward(net, bp.Example()).loss, dtype=params.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):  # type: ignore[override]
        (params,) = ctx.saved_tensors
        activation, loss = ctx.cfg
        net = bp.Network(activation=activation, loss=loss, **dict(zip(bp.PARAMS, params.tolist(), strict=True)))
        d = bp.gradients(net, bp.Example())
        return grad_out * torch.tensor([d[k] for k in bp.PARAMS], dtype=params.dtype), None, None


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", bp.LOSSES)
def test_hand_gradients_pass_gradcheck(activation: str, loss: str) -> None:
    """gradcheck (float64, finite differences) on the hand-computed gradients of all nine parameters."""
    for seed in range(3):
        net = bp.random_network(seed + 10, activation, loss)
        params = torch.tensor([net.params()[k] for k in bp.PARAMS], dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda p: HandLoss.apply(p, activation, loss), (params,), eps=1e-6, atol=1e-6)


def test_walkthrough_order_and_lecture_numbers() -> None:
    """Forward node by node, then backward from the output to the first layer, then the update."""
    w = bp.walkthrough(bp.Network(), bp.Example(), 0.5)
    keys = [s.key for s in w.steps]
    assert keys[:7] == ["z1", "h1", "z2", "h2", "z", "y_hat", "loss"]
    assert keys[7:9] == ["d_y_hat", "d_z"]
    assert keys.index("d_v1") < keys.index("d_h1") < keys.index("d_z1") < keys.index("d_w11")
    assert keys[-1] == "loss_after" and len(keys) == 23
    assert {s.phase for s in w.steps} == {"forward", "backward", "update"}
    assert w.fwd.z1 == pytest.approx(0.15 * 0.5 + 0.20 * -1.0 + 0.35)
    assert w.loss_after < w.fwd.loss  # one step downhill
    d_z = next(s for s in w.steps if s.key == "d_z")
    assert "0.744" in d_z.numbers and r"\cdot" in d_z.numbers  # the chain-rule product with its numbers


def test_large_learning_rate_can_overshoot_but_stays_finite() -> None:
    w = bp.walkthrough(bp.Network(), bp.Example(), 10.0)
    assert math.isfinite(w.loss_after)
    with pytest.raises(ValueError):
        bp.walkthrough(bp.Network(), bp.Example(), 0.0)
    with pytest.raises(ValueError):
        bp.Network(activation="gelu")
    with pytest.raises(ValueError):
        bp.Network(w11=float("inf"))
