"""The optimizer registry: every optimizer of the app, declared once.

Each entry says what the whole app needs of one optimizer: its name (the spec's and
the link's value), the title and colour the pages show, the lecture's (Keras's)
default learning rate, its hyperparameters with their defaults and ranges, the
``torch.optim`` class the trainer builds, and the Keras and PyTorch source the code
export writes. The trainer (``make``), the export (``torch_source`` / ``keras_source``),
the spec (``NAMES`` and the hyperparameters' ranges), the optimizers page and the
sidebars read it from here. Adding an optimizer is one entry here plus its tests.

A hyperparameter's value comes from whatever holds it (a ``TrainSpec``, the
optimizers page's ``OptimizerConfig``), by attribute name; one that the holder does
not have takes the entry's default (AdaGrad's initial accumulator, for the spec).
No Streamlit or Plotly here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Hyperparameter:
    """One setting of an optimizer, named as the spec names it, with Keras's and torch's keywords."""

    field: str  # the attribute of a TrainSpec / OptimizerConfig that holds it
    label: str  # what the sidebar calls it
    symbol: str  # the lecture's symbol, for the optimizers page's compact sliders
    default: float  # Keras's default, as in the lecture
    lo: float
    hi: float
    keras: str  # the keyword of keras.optimizers.<Class>
    torch: str  # the keyword of torch.optim.<Class>; two fields with one keyword make a tuple (Adam's betas)


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: what every page, the trainer and the export need of it."""

    name: str
    title: str
    colour: str  # its colour in every chart that races optimizers
    lecture_lr: float  # Keras's default learning rate
    torch_class: str  # torch.optim.<torch_class>
    keras_class: str  # keras.optimizers.<keras_class>
    hyperparameters: tuple[Hyperparameter, ...] = ()
    fused: bool = True  # torch has a fused CPU kernel for it (one call for all parameters); else foreach

    @property
    def fast(self) -> dict[str, bool]:
        """The fastest torch implementation for a network's many parameters (up to 2x per step on the CPU)."""
        return {"fused": True} if self.fused else {"foreach": True}

    def values(self, holder: Any) -> dict[str, float]:
        """Each hyperparameter's value from ``holder`` (its default where the holder has none)."""
        return {h.field: float(getattr(holder, h.field, h.default)) for h in self.hyperparameters}

    def torch_kwargs(self, holder: Any) -> dict[str, Any]:
        """The torch keywords for ``holder``'s values; fields sharing a keyword become a tuple in order."""
        out: dict[str, Any] = {}
        values = self.values(holder)
        for h in self.hyperparameters:
            if h.torch in out:
                previous = out[h.torch]
                out[h.torch] = (*(previous if isinstance(previous, tuple) else (previous,)), values[h.field])
            else:
                out[h.torch] = values[h.field]
        return out

    def make(self, params: Any, lr: float, holder: Any, **speed: Any) -> torch.optim.Optimizer:
        """``torch.optim``'s own optimizer, configured as the lecture's Keras one (``speed``: fused/foreach)."""
        cls = getattr(torch.optim, self.torch_class)
        return cls(params, lr=lr, **self.torch_kwargs(holder), **speed)  # type: ignore[no-any-return]

    def torch_source(self, lr: float, holder: Any, params: str = "model.parameters()") -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.torch_kwargs(holder).items())
        return f"torch.optim.{self.torch_class}({params}, lr={lr!r}{args})"

    def keras_source(self, lr: float, holder: Any) -> str:
        values = self.values(holder)
        args = "".join(f", {h.keras}={values[h.field]!r}" for h in self.hyperparameters)
        return f"keras.optimizers.{self.keras_class}(learning_rate={lr!r}{args})"


# The shared hyperparameters, with Keras's defaults (torch's differ: eps 1e-8, AdaGrad's accumulator 0).
EPSILON = Hyperparameter("epsilon", "Epsilon", "ε", 1e-7, 1e-10, 1.0, keras="epsilon", torch="eps")
MOMENTUM = Hyperparameter("momentum", "Momentum", "momentum β", 0.9, 0.0, 0.999, keras="momentum", torch="momentum")
# RMSprop's decay of the squared gradients: s <- rho*s + (1 - rho)*g^2 (torch calls rho ``alpha``).
RHO = Hyperparameter("rho", "Decay rate rho", "ρ", 0.9, 0.0, 0.999, keras="rho", torch="alpha")
# Adam's decays of the first and second moments.
BETA1 = Hyperparameter("beta1", "beta_1", "β₁", 0.9, 0.0, 0.999, keras="beta_1", torch="betas")
BETA2 = Hyperparameter("beta2", "beta_2", "β₂", 0.999, 0.0, 0.9999, keras="beta_2", torch="betas")
# AdaGrad's starting sum of squared gradients: Keras starts it at 0.1, torch at 0.
INITIAL_ACCUMULATOR = Hyperparameter(
    "initial_accumulator", "Initial accumulator", "initial accumulator", 0.1, 0.0, 10.0,
    keras="initial_accumulator_value", torch="initial_accumulator_value",
)  # fmt: skip

REGISTRY: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer("sgd", "SGD", "#d62728", 0.01, "SGD", "SGD"),
        Optimizer("momentum", "SGD + momentum", "#ff7f0e", 0.01, "SGD", "SGD", (MOMENTUM,)),
        Optimizer("rmsprop", "RMSprop", "#2ca02c", 0.001, "RMSprop", "RMSprop", (RHO, EPSILON), fused=False),
        Optimizer("adagrad", "AdaGrad", "#9467bd", 0.001, "Adagrad", "Adagrad", (EPSILON, INITIAL_ACCUMULATOR)),
        Optimizer("adam", "Adam", "#1f77b4", 0.001, "Adam", "Adam", (BETA1, BETA2, EPSILON)),
    )
}
#: The optimizers' names, in the order every page lists them.
NAMES = tuple(REGISTRY)


def get(name: str) -> Optimizer:
    """The registry's entry for ``name`` (a ValueError naming the choices when there is none)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}; use one of {', '.join(NAMES)}") from None


def hyperparameter(field: str) -> Hyperparameter:
    """The one declaration of a hyperparameter, by its field name (shared by several optimizers)."""
    return next(h for o in REGISTRY.values() for h in o.hyperparameters if h.field == field)
