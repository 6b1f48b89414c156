"""Optimizer paths: torch.optim's own updates, hand gradients vs autograd, divergence, mini-batches, links."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.lessons import gradient_descent as op


class SurfaceLoss(torch.autograd.Function):
    """L(w) with the hand-written gradient as its backward: gradcheck tests that gradient."""

    @staticmethod
    def forward(ctx, w: torch.Tensor, name: str) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(w)
        ctx.name = name
        return torch.as_tensor(op.get_surface(name).value(w[0].item(), w[1].item()), dtype=w.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):  # type: ignore[override]
        (w,) = ctx.saved_tensors
        g = op.get_surface(ctx.name).grad(w[0].item(), w[1].item())
        return grad_out * torch.tensor(g, dtype=w.dtype), None


@pytest.mark.parametrize("name", op.SURFACES)
def test_hand_gradients_pass_gradcheck(name: str) -> None:
    """Each surface's closed-form gradient passes torch.autograd.gradcheck in float64 at several points."""
    gen = torch.Generator().manual_seed(0)
    x0, x1, y0, y1 = op.get_surface(name).domain
    for _ in range(5):
        w = torch.rand(2, generator=gen, dtype=torch.float64)
        w = torch.stack([x0 + w[0] * (x1 - x0), y0 + w[1] * (y1 - y0)]).requires_grad_()
        assert torch.autograd.gradcheck(lambda v: SurfaceLoss.apply(v, name), (w,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", op.SURFACES)
def test_hand_gradients_equal_autograd(name: str) -> None:
    """Full-batch and mini-batch gradients equal autograd's on the same formula (torch tensors)."""
    surface = op.get_surface(name)
    for x, y in [surface.start, (0.3, -0.7), (1.1, 0.9)]:
        w = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
        surface.value(w[0], w[1]).backward()
        assert w.grad is not None
        assert surface.grad(x, y) == pytest.approx(w.grad.tolist(), rel=1e-10, abs=1e-12)
    idx = np.arange(0, op.N_EXAMPLES, 3)
    if name == "network":  # the mini-batch loss is the MSE on those examples
        w = torch.tensor([0.4, -0.8], dtype=torch.float64, requires_grad=True)
        op.network_loss(w[0], w[1], torch, op.NET_X[idx], op.NET_Y[idx]).backward()
        assert w.grad is not None
        assert surface.batch_grad(0.4, -0.8, idx) == pytest.approx(w.grad.tolist(), rel=1e-10)
    else:  # L_i = f + a_i·w: the batch gradient is ∇f + mean a_i
        expected = np.array(surface.grad(0.4, -0.8)) + surface.offsets[idx].mean(0)
        assert surface.batch_grad(0.4, -0.8, idx) == pytest.approx(expected.tolist())
    # the full batch is exact: Σ a_i = 0
    assert surface.batch_grad(0.4, -0.8, np.arange(op.N_EXAMPLES)) == pytest.approx(surface.grad(0.4, -0.8))


@pytest.mark.parametrize("name", op.OPTIMIZERS)
@pytest.mark.parametrize("surface_name", ["rosenbrock", "network"])
def test_paths_are_torch_optims_own_steps(name: str, surface_name: str) -> None:
    """Every point of a walk is bit-identical to torch.optim's Optimizer class stepping the same gradient."""
    surface = op.get_surface(surface_name)
    cfg = op.OptimizerConfig(name, lr=surface.tuned_lr[name], momentum=0.8, rho=0.95, beta1=0.85, beta2=0.99)
    walk = op.run_path(surface, cfg, surface.start, 60)
    w = torch.nn.Parameter(torch.tensor(surface.start, dtype=torch.float64))
    opt = op.make_optimizer(cfg, [w])
    points = [list(surface.start)]
    for _ in range(60):
        w.grad = torch.tensor(surface.grad(*w.detach().tolist()), dtype=torch.float64)
        opt.step()
        points.append(w.detach().tolist())
    assert np.array_equal(np.array(points), walk.xy)
    assert np.allclose(walk.loss, surface.value(walk.xy[:, 0], walk.xy[:, 1]))


def test_lecture_defaults() -> None:
    """Adam's defaults as in the lecture: lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7."""
    adam = op.lecture_defaults("adam")
    assert (adam.lr, adam.beta1, adam.beta2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    opt = op.make_optimizer(adam, [torch.nn.Parameter(torch.zeros(2))])
    assert isinstance(opt, torch.optim.Adam)
    assert opt.defaults["betas"] == (0.9, 0.999) and opt.defaults["eps"] == 1e-7
    for name in op.OPTIMIZERS:
        assert op.lecture_defaults(name).lr == op.LECTURE_LR[name]


def test_all_converge_on_their_tuned_rates() -> None:
    """On the bowl every optimizer's tuned rate brings the loss down from the start."""
    surface = op.get_surface("bowl")
    walks = op.race(surface, [op.OptimizerConfig(n, lr=surface.tuned_lr[n]) for n in op.OPTIMIZERS], surface.start)
    assert [w.label for w in walks] == [op.OPTIMIZER_TITLES[n] for n in op.OPTIMIZERS]
    for w in walks:
        assert not w.diverged and len(w.xy) == 201 and w.loss[-1] < 0.5 * w.loss[0]


@pytest.mark.parametrize("name", op.SURFACES)
@pytest.mark.parametrize("opt_name", op.OPTIMIZERS)
def test_huge_learning_rate_diverges_cleanly(name: str, opt_name: str) -> None:
    """η = 10 may diverge: then the path stops before it, everything drawn is finite and on the map."""
    surface = op.get_surface(name)
    walk = op.run_path(surface, op.OptimizerConfig(opt_name, lr=10.0), surface.start, 200)
    assert np.all(np.isfinite(walk.xy)) and np.all(np.isfinite(walk.loss))
    assert all(surface.in_bounds(x, y) for x, y in walk.xy)
    if walk.diverged:
        assert walk.diverged_at is not None and len(walk.xy) == walk.diverged_at
    else:
        assert len(walk.xy) == 201
    if opt_name == "sgd" and name in ("bowl", "rosenbrock", "valley"):
        assert walk.diverged


def test_lr_lesson() -> None:
    """Too small crawls, about right converges, too large diverges (and says at which step)."""
    walks = op.lr_lesson()
    small, right, large = walks["too small"], walks["about right"], walks["too large"]
    assert not small.diverged and small.loss[-1] > 0.1
    assert not right.diverged and right.loss[-1] < 1e-6
    assert large.diverged and large.diverged_at is not None and 2 < large.diverged_at < 30
    assert small.label.startswith("too small: η = 0.02")


def test_minibatch_noise() -> None:
    """Full batch equals the plain walk; smaller batches wander more around it."""
    surface = op.get_surface("bowl")
    cfg = op.OptimizerConfig("sgd", lr=0.05)
    full = op.minibatch_path(surface, cfg, surface.start, 100, op.N_EXAMPLES)
    plain = op.run_path(surface, cfg, surface.start, 100)
    np.testing.assert_allclose(full.xy, plain.xy, atol=1e-12)
    assert full.label.endswith("full batch")
    spread = {b: np.abs(op.minibatch_path(surface, cfg, surface.start, 100, b).xy[50:]).mean() for b in (1, 8, 32)}
    assert spread[1] > spread[8] > spread[32]
    again = op.minibatch_path(surface, cfg, surface.start, 100, 8)
    np.testing.assert_array_equal(again.xy, op.minibatch_path(surface, cfg, surface.start, 100, 8).xy)  # seeded
    with pytest.raises(ValueError):
        op.minibatch_path(surface, cfg, surface.start, 10, 0)


def test_bad_configs_raise() -> None:
    with pytest.raises(ValueError):
        op.OptimizerConfig("lbfgs")
    with pytest.raises(ValueError):
        op.OptimizerConfig("adam", lr=float("nan"))
    with pytest.raises(ValueError):
        op.OptimizerConfig("adam", beta1=1.0)
    with pytest.raises(ValueError):
        op.get_surface("himmelblau")
    with pytest.raises(ValueError):
        op.run_path(op.get_surface("bowl"), op.OptimizerConfig("sgd"), (0, 0), op.MAX_STEPS + 1)


@given(st.text(max_size=30))
@settings(max_examples=80, deadline=None)
def test_link_parsers_never_raise(raw: str) -> None:
    """Any link text gives a valid surface, optimizer list and learning rate."""
    surface, _ = op.parse_surface(raw)
    assert surface in op.SURFACES
    names, _ = op.parse_optimizers(raw)
    assert names and set(names) <= set(op.OPTIMIZERS)
    lr, notice = op.parse_lr(raw, 0.05)
    assert lr in op.LR_OPTIONS or (lr == 0.05 and notice)


@given(st.floats(min_value=1e-4, max_value=10.0))
def test_parse_lr_snaps_to_the_slider(value: float) -> None:
    lr, notice = op.parse_lr(repr(value), 0.05)
    assert notice is None and lr in op.LR_OPTIONS
    assert abs(math.log(lr / value)) <= math.log(1.5) / 2 + 1e-9 or abs(math.log(lr / value)) < 0.36


@given(st.dictionaries(st.sampled_from(["surface", "optimizers", "lr", "lesson", "other"]), st.text(max_size=20)))
@settings(max_examples=100, deadline=None)
def test_parse_link_never_raises(params: dict[str, str]) -> None:
    """Any link gives a usable page setup; every notice names the parameter it ignored."""
    link, notices = op.parse_link(params)
    assert link.surface in op.SURFACES
    assert link.optimizers is None or (link.optimizers and set(link.optimizers) <= set(op.OPTIMIZERS))
    assert link.lr is None or link.lr in op.LR_OPTIONS
    assert link.lesson == (params.get("lesson") == "learning_rate")
    assert all(n.split(":")[0] in params for n in notices)


def test_parse_link_preset() -> None:
    link, notices = op.parse_link({"surface": "rosenbrock", "optimizers": "sgd,momentum,rmsprop,adagrad,adam"})
    assert link == op.PageLink("rosenbrock", op.OPTIMIZERS, None, False) and not notices


def test_parse_examples() -> None:
    assert op.parse_optimizers("adam, SGD,adam") == (("adam", "sgd"), None)
    assert op.parse_optimizers("adam,nope")[1] is not None
    assert op.parse_optimizers("")[0] == op.OPTIMIZERS
    assert op.parse_surface("Rosenbrock") == ("rosenbrock", None)
    assert op.parse_lr("-1", 0.05)[0] == 0.05
    assert op.parse_lr("inf", 0.05)[1] is not None


def test_a_registry_optimizer_without_a_fast_path_walks_with_its_own_torch_optim_class(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Adding an optimizer is one registry entry: the walk then uses its torch.optim class, never another's update."""
    from playground import optimizers

    entry = optimizers.Optimizer("nadam", "NAdam", "#8c564b", 0.002, "NAdam", "Nadam", (optimizers.EPSILON,))
    monkeypatch.setitem(optimizers.REGISTRY, "nadam", entry)
    surface = op.get_surface("bowl")
    cfg = op.OptimizerConfig("adam", lr=0.05)
    object.__setattr__(cfg, "name", "nadam")  # OptimizerConfig checks names against the import-time list
    walk = op.run_path(surface, cfg, surface.start, 20)
    w = torch.nn.Parameter(torch.tensor(surface.start, dtype=torch.float64))
    reference = torch.optim.NAdam([w], lr=0.05, eps=cfg.epsilon)
    points = [list(surface.start)]
    for _ in range(20):
        w.grad = torch.tensor(surface.grad(*w.detach().tolist()), dtype=torch.float64)
        reference.step()
        points.append(w.detach().tolist())
    assert np.array_equal(np.array(points), walk.xy)
