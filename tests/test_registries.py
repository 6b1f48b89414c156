"""The data-set, activation and loss registries: one declaration each, read by the spec, model and export."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from playground import activations, data_sets, datasets, losses, spec
from playground.model import ACTIVATION_FNS


def test_data_sets_the_spec_names_are_the_registry_and_the_generators_match() -> None:
    assert tuple(data_sets.REGISTRY) == spec.DATASETS
    assert spec.DATASETS_2D_CLASSIFY == ("circle", "xor", "gauss", "spiral", "moons", "three_class")
    assert spec.DATASETS_2D_REGRESS == ("plane", "multi_gauss") and spec.DATASETS_IMAGE == ("mnist", "fashion_mnist")
    assert set(datasets.GENERATORS) == set(data_sets.names("2d_classify") + data_sets.names("2d_regress"))
    for name, d in data_sets.REGISTRY.items():
        assert d.kind in data_sets.KINDS and d.title and spec.DATASET_CLASSES[name] == d.classes
        assert (d.classes == 0) == (d.kind == "2d_regress")


@pytest.mark.parametrize("name", activations.NAMES)
def test_each_activation_is_the_same_function_in_the_model_and_the_pytorch_export(name: str) -> None:
    z = torch.linspace(-4, 4, 81)
    a = activations.REGISTRY[name]
    reference = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda t: t}[name]
    assert torch.equal(ACTIVATION_FNS[name](z), reference(z)) and torch.equal(a.fn(z), reference(z))
    exported = nn.Identity() if a.torch_module is None else eval(a.torch_module, {"nn": nn})
    assert torch.equal(exported(z), reference(z))
    assert a.keras in {"relu", "tanh", "sigmoid", "linear"}  # Keras's own activation names
    assert spec.ACTIVATIONS == activations.NAMES


def test_losses_fit_their_problems_and_each_problem_has_one_default() -> None:
    assert spec.LOSSES == losses.NAMES == ("binary_crossentropy", "categorical_crossentropy", "mse")
    assert spec.LOSSES_FOR_PROBLEM == {
        "binary": ("binary_crossentropy", "mse"),
        "multiclass": ("categorical_crossentropy", "mse"),
        "regression": ("mse",),
    }
    assert spec.DEFAULT_LOSS == {
        "binary": "binary_crossentropy",
        "multiclass": "categorical_crossentropy",
        "regression": "mse",
    }
    for loss in losses.REGISTRY.values():
        assert set(loss.keras) == set(loss.problems) and set(loss.default_for) <= set(loss.problems)
