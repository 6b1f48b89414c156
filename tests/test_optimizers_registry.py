"""The optimizer registry against torch.optim and Keras's documented names and defaults."""

from __future__ import annotations

import pytest
import torch

from playground import export, optimizers
from playground.lessons import gradient_descent as op
from playground.spec import OPTIMIZERS, Spec, TrainSpec
from playground.trainer import make_optimizer
from playground.ui.charts import gradient_descent as charts_optim

#: What each optimizer must be, written out by hand from the lecture (Keras) and torch's documentation.
REFERENCE = {
    "sgd": (torch.optim.SGD, {"momentum": 0}),
    "momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "rmsprop": (torch.optim.RMSprop, {"alpha": 0.9, "eps": 1e-7}),
    "adagrad": (torch.optim.Adagrad, {"eps": 1e-7, "initial_accumulator_value": 0.1}),  # Keras starts Σg² at 0.1
    "adam": (torch.optim.Adam, {"betas": (0.9, 0.999), "eps": 1e-7}),
}
KERAS = {
    "sgd": "keras.optimizers.SGD(learning_rate=0.03)",
    "momentum": "keras.optimizers.SGD(learning_rate=0.03, momentum=0.9)",
    "rmsprop": "keras.optimizers.RMSprop(learning_rate=0.03, rho=0.9, epsilon=1e-07)",
    "adagrad": "keras.optimizers.Adagrad(learning_rate=0.03, epsilon=1e-07, initial_accumulator_value=0.1)",
    "adam": "keras.optimizers.Adam(learning_rate=0.03, beta_1=0.9, beta_2=0.999, epsilon=1e-07)",
}


def test_one_declaration_is_read_everywhere() -> None:
    assert OPTIMIZERS == optimizers.NAMES == tuple(REFERENCE) == tuple(op.OPTIMIZERS)
    assert {n: o.title for n, o in optimizers.REGISTRY.items()} == op.OPTIMIZER_TITLES
    assert {n: o.colour for n, o in optimizers.REGISTRY.items()} == charts_optim.OPTIMIZER_COLORS
    assert op.LECTURE_LR == {"sgd": 0.01, "momentum": 0.01, "rmsprop": 0.001, "adagrad": 0.001, "adam": 0.001}
    defaults = TrainSpec()
    for o in optimizers.REGISTRY.values():
        for h in o.hyperparameters:
            assert h.lo <= h.default <= h.hi, h
            if hasattr(defaults, h.field):
                assert getattr(defaults, h.field) == h.default, h  # the spec's default is the registry's
    with pytest.raises(ValueError, match="use one of sgd, momentum"):
        optimizers.get("lbfgs")


@pytest.mark.parametrize("name", optimizers.NAMES)
def test_the_trainer_builds_torch_optim_as_keras_configures_it(name: str) -> None:
    cls, expected = REFERENCE[name]
    params = [torch.nn.Parameter(torch.zeros(3))]
    built = make_optimizer(params, Spec().replace(optimizer=name).train, 0.03)
    assert type(built) is cls
    group = built.param_groups[0]
    assert group["lr"] == 0.03 and {k: group[k] for k in expected} == expected


@pytest.mark.parametrize("name", optimizers.NAMES)
def test_the_exported_sources_are_the_same_optimizer(name: str) -> None:
    """The PyTorch source evaluates to the optimizer the trainer builds; the Keras one uses Keras's keywords."""
    train = Spec().replace(optimizer=name).train
    model = torch.nn.Linear(2, 1)
    source = optimizers.get(name).torch_source(0.03, train)
    made = eval(source, {"torch": torch, "model": model})  # the exported line, run
    built = make_optimizer(model.parameters(), train, 0.03)
    keys = set(REFERENCE[name][1]) | {"lr"}
    assert type(made) is type(built)
    assert {k: made.param_groups[0][k] for k in keys} == {k: built.param_groups[0][k] for k in keys}
    assert optimizers.get(name).keras_source(0.03, train) == KERAS[name]
    code = export.keras_code(Spec().replace(optimizer=name, lr=0.03))
    assert KERAS[name] in code and source in export.pytorch_script(Spec().replace(optimizer=name, lr=0.03))


def test_the_optimizers_page_config_takes_the_registry_defaults() -> None:
    """The optimizers page's settings and the trainer's spec share one declaration of each default."""
    cfg = op.lecture_defaults("adagrad")
    built = op.make_optimizer(cfg, [torch.nn.Parameter(torch.zeros(2))])
    assert built.param_groups[0]["initial_accumulator_value"] == optimizers.INITIAL_ACCUMULATOR.default == 0.1
    assert built.param_groups[0]["eps"] == optimizers.EPSILON.default == 1e-7


def test_a_new_hyperparameter_gets_slider_stops_from_its_range() -> None:
    """The optimizers page has stops for the known hyperparameters; one added later uses its range and default."""
    from playground.ui.optimizers_views import hyper_options

    assert hyper_options(optimizers.BETA2) == (0.9, 0.95, 0.99, 0.999, 0.9999)
    fresh = optimizers.Hyperparameter(
        "weight_decay", "Weight decay", "λ", 0.01, 0.0, 0.1, "weight_decay", "weight_decay"
    )
    assert hyper_options(fresh) == (0.0, 0.01, 0.1)
