"""The one spec: frozen dataclasses that describe data, network and training.

Every setting the app, the URL and the command line know lives here exactly
once, with its default, its allowed values and a sentence of help. The rules
are data (``Rule`` objects in each field's metadata), so the same table drives

* construction: ``DataSpec(...)`` etc. validate in ``__post_init__``;
* parsing of untrusted input: ``Spec.from_dict``, ``from_json``, ``from_query``;
* serialisation: ``to_dict``, ``to_json``, ``to_query`` (exact round trips);
* the command line's flags (``playground.cli``) and the sidebar's bounds.

Any violation raises ``SpecError`` naming the field and what is allowed;
nothing else escapes the parsers (a hypothesis test fuzzes them).

This module is pure Python: it imports neither torch nor any UI library.
It is over 400 lines because it is the one spec: its rules, its three sections and its three parsers
(dict, JSON, link) must agree, and a test fuzzes them together.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from playground import activations, data_sets, losses, optimizers

# The optimizers' hyperparameters are declared once, in the registry: defaults and ranges.
_H_MOMENTUM, _H_RHO, _H_EPSILON = (optimizers.hyperparameter(f) for f in ("momentum", "rho", "epsilon"))
_H_BETA1, _H_BETA2 = optimizers.hyperparameter("beta1"), optimizers.hyperparameter("beta2")


class SpecError(ValueError):
    """A setting is unknown, malformed or out of range.

    ``field`` names the offending setting (as in the URL and on the command
    line); the message says what is allowed.
    """

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = message


# ---------------------------------------------------------------------------
# Rules: how one field is parsed from a string or a JSON value, and written.
# ---------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _fmt_number(value: float) -> str:
    # repr() of a float round-trips exactly; integers print without ".0".
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return repr(float(value))


@dataclass(frozen=True)
class Rule:
    """Base class: parse raw input (str or JSON value) into a checked value."""

    help: str

    def parse(self, name: str, raw: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, name: str, value: Any) -> Any:
        """Validate an already-typed value (used by ``__post_init__``)."""
        return self.parse(name, value)

    def format(self, value: Any) -> str:
        return str(value)

    def allowed(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class IntRange(Rule):
    lo: int = 0
    hi: int = 0

    def allowed(self) -> str:
        return f"a whole number from {self.lo} to {self.hi}"

    def parse(self, name: str, raw: Any) -> int:
        value: Any = raw
        if isinstance(raw, bool):
            raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")
        if isinstance(raw, str):
            text = raw.strip()
            try:
                value = int(text)
            except ValueError:
                try:
                    as_float = float(text)
                except ValueError:
                    raise SpecError(name, f"got {raw!r}; expected {self.allowed()}") from None
                value = as_float
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")
            value = int(value)
        if not isinstance(value, int):
            raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")
        if not self.lo <= value <= self.hi:
            raise SpecError(name, f"got {value}; expected {self.allowed()}")
        return value

    def format(self, value: Any) -> str:
        return str(int(value))


@dataclass(frozen=True)
class FloatRange(Rule):
    """A finite number in [lo, hi]; ``lo_open`` makes the lower end exclusive."""

    lo: float = 0.0
    hi: float = 1.0
    lo_open: bool = False
    hi_open: bool = False

    def allowed(self) -> str:
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"a number in {left}{_fmt_number(self.lo)}, {_fmt_number(self.hi)}{right}"

    def parse(self, name: str, raw: Any) -> float:
        if isinstance(raw, bool):
            raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")
        if isinstance(raw, str):
            try:
                value = float(raw.strip())
            except ValueError:
                raise SpecError(name, f"got {raw!r}; expected {self.allowed()}") from None
        elif isinstance(raw, (int, float)):
            try:
                value = float(raw)
            except OverflowError:
                raise SpecError(name, f"got {raw!r}; expected {self.allowed()}") from None
        else:
            raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")
        if not math.isfinite(value):
            raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")
        too_low = value <= self.lo if self.lo_open else value < self.lo
        too_high = value >= self.hi if self.hi_open else value > self.hi
        if too_low or too_high:
            raise SpecError(name, f"got {_fmt_number(value)}; expected {self.allowed()}")
        return value

    def format(self, value: Any) -> str:
        return repr(float(value))


@dataclass(frozen=True)
class Choice(Rule):
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def parse(self, name: str, raw: Any) -> str:
        if not isinstance(raw, str):
            raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")
        value = raw.strip().lower().replace("-", "_")
        if value not in self.choices:
            raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")
        return value


@dataclass(frozen=True)
class Flag(Rule):
    def allowed(self) -> str:
        return "true or false"

    def parse(self, name: str, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            text = raw.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        raise SpecError(name, f"got {raw!r}; expected {self.allowed()}")

    def format(self, value: Any) -> str:
        return "true" if value else "false"


def _split_list(name: str, raw: Any) -> list[Any]:
    """A list arrives as a JSON list, or as a comma-separated string ('' = empty)."""
    if isinstance(raw, str):
        text = raw.strip()
        return [] if text == "" else [part.strip() for part in text.split(",")]
    if isinstance(raw, (list, tuple)):
        return list(raw)
    raise SpecError(name, f"got {raw!r}; expected a comma-separated list")


@dataclass(frozen=True)
class IntList(Rule):
    """A list of whole numbers, each in [lo, hi], with at most ``max_len`` items."""

    lo: int = 1
    hi: int = 1
    max_len: int = 8

    def allowed(self) -> str:
        return f"up to {self.max_len} whole numbers from {self.lo} to {self.hi}, comma-separated"

    def parse(self, name: str, raw: Any) -> tuple[int, ...]:
        items = _split_list(name, raw)
        if len(items) > self.max_len:
            raise SpecError(name, f"got {len(items)} items; expected {self.allowed()}")
        item_rule = IntRange(help="", lo=self.lo, hi=self.hi)
        try:
            return tuple(item_rule.parse(name, item) for item in items)
        except SpecError:
            raise SpecError(name, f"got {raw!r}; expected {self.allowed()}") from None

    def format(self, value: Any) -> str:
        return ",".join(str(v) for v in value)


@dataclass(frozen=True)
class ChoiceList(Rule):
    """A list of names from ``choices``; ``unique`` forbids repeats."""

    choices: tuple[str, ...] = ()
    min_len: int = 0
    max_len: int = 8
    unique: bool = False

    def allowed(self) -> str:
        return f"{self.min_len} to {self.max_len} of " + ", ".join(self.choices) + ", comma-separated"

    def parse(self, name: str, raw: Any) -> tuple[str, ...]:
        items = _split_list(name, raw)
        choice = Choice(help="", choices=self.choices)
        values = tuple(choice.parse(name, item) for item in items)
        if not self.min_len <= len(values) <= self.max_len:
            raise SpecError(name, f"got {len(values)} items; expected {self.allowed()}")
        if self.unique and len(set(values)) != len(values):
            raise SpecError(name, f"got {raw!r} with repeats; expected {self.allowed()}")
        return values

    def format(self, value: Any) -> str:
        return ",".join(value)


def setting(default: Any, rule: Rule) -> Any:
    """A dataclass field carrying its validation rule in its metadata."""
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata={"rule": rule})
    return field(default=default, metadata={"rule": rule})


def _validate_fields(obj: Any) -> None:
    """Run every field's rule on a freshly built section (and normalise it)."""
    for f in dataclasses.fields(obj):
        rule: Rule = f.metadata["rule"]
        value = rule.check(f.name, getattr(obj, f.name))
        object.__setattr__(obj, f.name, value)


# ---------------------------------------------------------------------------
# Vocabulary: the names every other module refers to.
# ---------------------------------------------------------------------------

# The data sets, activations, losses and optimizers are declared in their registries
# (playground.data_sets, .activations, .losses, .optimizers); the spec reads their names.
DATASETS_2D_CLASSIFY = data_sets.names("2d_classify")
DATASETS_2D_REGRESS = data_sets.names("2d_regress")
DATASETS_IMAGE = data_sets.names("image")
#: ``custom`` is data the user clicked or uploaded; the spec only names it.
DATASETS = tuple(data_sets.REGISTRY)

#: Number of classes for each dataset (0 means regression, None means "from the data").
DATASET_CLASSES: dict[str, int | None] = {n: d.classes for n, d in data_sets.REGISTRY.items()}

FEATURES = ("x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2")
FEATURE_LABELS = {
    "x1": "x₁",
    "x2": "x₂",
    "x1_sq": "x₁²",
    "x2_sq": "x₂²",
    "x1_x2": "x₁·x₂",
    "sin_x1": "sin(x₁)",
    "sin_x2": "sin(x₂)",
}
ACTIVATIONS = activations.NAMES
PROBLEMS = losses.PROBLEMS
LOSSES = losses.NAMES
OPTIMIZERS = optimizers.NAMES  # the registry's order: sgd, momentum, rmsprop, adagrad, adam

#: Which losses make sense for which problem type, and each problem's default.
LOSSES_FOR_PROBLEM = losses.FOR_PROBLEM
DEFAULT_LOSS = losses.DEFAULT

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 1024


# ---------------------------------------------------------------------------
# The three sections and the whole spec.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSpec:
    """What the network learns from."""

    # TensorFlow Playground opens on the circle; students know it.
    dataset: str = setting("circle", Choice("the data set", DATASETS))
    # 500 points as in TensorFlow Playground: enough to see a shape, fast to train.
    samples: int = setting(500, IntRange("number of 2-D points generated", 10, 10_000))
    # Noise in percent, as TensorFlow Playground's slider (0-50).
    noise: float = setting(0.0, FloatRange("noise in percent", 0.0, 50.0))
    # Share of the data held out for validation; 0.5 is TF Playground's 50 % ratio.
    validation_split: float = setting(0.5, FloatRange("share held out for validation", 0.05, 0.9))
    # Input features computed from (x1, x2); the raw coordinates by default.
    features: tuple[str, ...] = setting(
        ("x1", "x2"), ChoiceList("input features", FEATURES, min_len=1, max_len=len(FEATURES), unique=True)
    )

    def __post_init__(self) -> None:
        _validate_fields(self)


@dataclass(frozen=True)
class ModelSpec:
    """The network: hidden layers, their activations, the output and the loss."""

    # TensorFlow Playground's default network: two hidden layers of 4 and 2.
    hidden: tuple[int, ...] = setting(
        (4, 2), IntList("hidden layer widths", lo=1, hi=MAX_WIDTH, max_len=MAX_HIDDEN_LAYERS)
    )
    # One name per hidden layer; a single name given on input applies to all.
    activation: tuple[str, ...] = setting(
        ("tanh", "tanh"), ChoiceList("activation per hidden layer", ACTIVATIONS, max_len=MAX_HIDDEN_LAYERS)
    )
    problem: str = setting("binary", Choice("problem type", PROBLEMS))
    # Cross-entropy is what users asked TF Playground for (it only has squared error).
    loss: str = setting("binary_crossentropy", Choice("loss function", LOSSES))
    # Dropout rate after each hidden layer (Keras's Dropout(rate)); 0 is off.
    dropout: float = setting(0.0, FloatRange("dropout rate after each hidden layer", 0.0, 0.9))

    def __post_init__(self) -> None:
        raw_activation = self.activation
        _validate_fields(self)
        # Broadcast one activation to every layer, so "--activation tanh" works.
        if len(self.activation) == 1 and len(self.hidden) != 1:
            object.__setattr__(self, "activation", self.activation * len(self.hidden))
        if len(self.activation) != len(self.hidden):
            raise SpecError(
                "activation",
                f"got {len(self.activation)} names ({raw_activation!r}) for {len(self.hidden)} hidden layers; "
                "give one name for all layers or one per layer",
            )
        if self.loss not in LOSSES_FOR_PROBLEM[self.problem]:
            raise SpecError(
                "loss",
                f"got {self.loss} for a {self.problem} problem; expected one of "
                + ", ".join(LOSSES_FOR_PROBLEM[self.problem]),
            )


@dataclass(frozen=True)
class TrainSpec:
    """How the network is trained: optimizer, regularization and callbacks."""

    optimizer: str = setting("sgd", Choice("optimizer", OPTIMIZERS))
    # 0.03 is TensorFlow Playground's default learning rate.
    lr: float = setting(0.03, FloatRange("learning rate", 0.0, 10.0, lo_open=True))
    # Momentum for the "momentum" optimizer (SGD with momentum); 0.9 is the usual choice.
    momentum: float = setting(
        _H_MOMENTUM.default, FloatRange("momentum (SGD with momentum)", _H_MOMENTUM.lo, _H_MOMENTUM.hi)
    )
    # Adam's defaults as in the lecture / Keras: beta_1 0.9, beta_2 0.999, epsilon 1e-7 (playground.optimizers).
    beta1: float = setting(_H_BETA1.default, FloatRange("Adam beta_1", _H_BETA1.lo, _H_BETA1.hi))
    beta2: float = setting(_H_BETA2.default, FloatRange("Adam beta_2", _H_BETA2.lo, _H_BETA2.hi))
    # Any epsilon above 0 is valid in a spec or a link; the sidebar offers the registry's range.
    epsilon: float = setting(
        _H_EPSILON.default, FloatRange("epsilon (Adam, RMSprop, AdaGrad)", 0.0, _H_EPSILON.hi, lo_open=True)
    )
    # RMSprop's decay rate rho (Keras default 0.9).
    rho: float = setting(_H_RHO.default, FloatRange("RMSprop rho", _H_RHO.lo, _H_RHO.hi))
    # TensorFlow Playground's default batch size is 10.
    batch_size: int = setting(10, IntRange("batch size", 1, 65_536))
    epochs: int = setting(200, IntRange("maximum number of epochs", 1, 10_000))
    # Penalties on the weights (not the biases), added to the loss as Keras's regularizers do.
    l1: float = setting(0.0, FloatRange("L1 penalty on the weights", 0.0, 1.0))
    l2: float = setting(0.0, FloatRange("L2 penalty on the weights", 0.0, 1.0))
    # EarlyStopping(monitor="val_loss") as in Keras; off by default.
    early_stopping: bool = setting(False, Flag("stop when the validation loss stops improving"))
    early_stopping_patience: int = setting(5, IntRange("epochs without improvement before stopping", 0, 1000))
    early_stopping_min_delta: float = setting(0.0, FloatRange("smallest change that counts as improvement", 0.0, 10.0))
    restore_best_weights: bool = setting(False, Flag("restore the weights of the best epoch at the end"))
    # ReduceLROnPlateau(monitor="val_loss"); Keras defaults factor 0.1, patience 10, min_delta 1e-4.
    reduce_lr: bool = setting(False, Flag("reduce the learning rate when the validation loss plateaus"))
    reduce_lr_factor: float = setting(
        0.1, FloatRange("factor the learning rate is multiplied by", 0.0, 1.0, lo_open=True, hi_open=True)
    )
    reduce_lr_patience: int = setting(10, IntRange("epochs without improvement before reducing", 0, 1000))
    reduce_lr_cooldown: int = setting(0, IntRange("epochs to wait after a reduction", 0, 1000))
    reduce_lr_min_lr: float = setting(0.0, FloatRange("lower bound on the learning rate", 0.0, 10.0))
    reduce_lr_min_delta: float = setting(1e-4, FloatRange("smallest change that counts as improvement", 0.0, 10.0))

    def __post_init__(self) -> None:
        _validate_fields(self)


@dataclass(frozen=True)
class Spec:
    """Data, network and training: everything needed to reproduce a run."""

    data: DataSpec = field(default_factory=DataSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    train: TrainSpec = field(default_factory=TrainSpec)
    # Seeds data generation, the split, the initial weights, shuffling and dropout.
    seed: int = setting(0, IntRange("random seed", 0, 2**31 - 1))

    def __post_init__(self) -> None:
        seed_rule: Rule = next(f for f in dataclasses.fields(self) if f.name == "seed").metadata["rule"]
        object.__setattr__(self, "seed", seed_rule.check("seed", self.seed))
        classes = DATASET_CLASSES[self.data.dataset]
        problem = self.model.problem
        if classes == 0 and problem != "regression":
            raise SpecError("problem", f"{self.data.dataset} is a regression data set; expected problem regression")
        if classes is not None and classes > 0 and problem == "regression":
            raise SpecError(
                "problem", f"{self.data.dataset} is a classification data set; expected binary or multiclass"
            )
        if classes is not None and classes > 2 and problem == "binary":
            raise SpecError("problem", f"{self.data.dataset} has {classes} classes; expected multiclass")

    # -- views ---------------------------------------------------------------

    @property
    def num_classes(self) -> int | None:
        """Classes of the data set (0 for regression, None for custom data)."""
        return DATASET_CLASSES[self.data.dataset]

    @property
    def is_image(self) -> bool:
        return self.data.dataset in DATASETS_IMAGE

    # -- flat views: the names of the URL and the command line ---------------

    def to_dict(self) -> dict[str, Any]:
        """Flat dict of JSON values, keyed by setting name (snake_case)."""
        out: dict[str, Any] = {}
        for name, (section, _rule) in FIELDS.items():
            value = getattr(self if section is None else getattr(self, section), name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], base: Spec | None = None) -> Spec:
        """Strict parse: unknown keys ignored, every known key checked.

        Keys may use dashes or underscores. Missing keys keep ``base``'s values
        (the defaults when no base is given). Raises only ``SpecError``.
        """
        if not isinstance(raw, Mapping):
            raise SpecError("spec", "expected a JSON object of settings")
        base = base or cls()
        values: dict[str, Any] = base.to_dict()
        given: set[str] = set()
        for key, raw_value in raw.items():
            if not isinstance(key, str):
                continue
            name = key.strip().replace("-", "_")
            if name not in FIELDS:
                continue  # unknown keys are ignored, by design
            _section, rule = FIELDS[name]
            values[name] = rule.parse(name, raw_value)
            given.add(name)
        # A new data set with no problem type given takes a problem type (and loss) that fits it.
        if "dataset" in given and "problem" not in given:
            classes = DATASET_CLASSES[values["dataset"]]
            if classes == 0:
                values["problem"] = "regression"
            elif classes is not None and classes > 2:
                values["problem"] = "multiclass"
            elif classes == 2 and values["problem"] == "regression":
                values["problem"] = "binary"
            if values["loss"] not in LOSSES_FOR_PROBLEM[values["problem"]]:
                values["loss"] = DEFAULT_LOSS[values["problem"]]
        _one_activation_for_new_layers(values, given)
        # A new problem type with no loss given takes that problem's default loss.
        if "problem" in given and "loss" not in given and values["loss"] not in LOSSES_FOR_PROBLEM[values["problem"]]:
            values["loss"] = DEFAULT_LOSS[values["problem"]]
        return cls._build(values)

    @classmethod
    def _build(cls, values: Mapping[str, Any]) -> Spec:
        sections: dict[str, dict[str, Any]] = {"data": {}, "model": {}, "train": {}}
        top: dict[str, Any] = {}
        for name, (section, _rule) in FIELDS.items():
            value = values[name]
            if isinstance(value, list):
                value = tuple(value)
            (top if section is None else sections[section])[name] = value
        try:
            return cls(
                data=DataSpec(**sections["data"]),
                model=ModelSpec(**sections["model"]),
                train=TrainSpec(**sections["train"]),
                **top,
            )
        except SpecError:
            raise
        except (TypeError, ValueError) as exc:  # pragma: no cover - defensive
            raise SpecError("spec", str(exc)) from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes, base: Spec | None = None) -> Spec:
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise SpecError("spec", f"not valid JSON ({exc.__class__.__name__})") from None
        return cls.from_dict(raw, base)

    def to_query(self, only_changed: bool = False) -> dict[str, str]:
        """URL parameters, named as the command line's flags (dashes)."""
        default = Spec().to_dict() if only_changed else None
        out: dict[str, str] = {}
        mine = self.to_dict()
        for name, (_section, rule) in FIELDS.items():
            if default is not None and default[name] == mine[name]:
                continue
            value = mine[name]
            out[flag_name(name)] = rule.format(tuple(value) if isinstance(value, list) else value)
        return out

    def to_query_string(self, only_changed: bool = False) -> str:
        return urlencode(self.to_query(only_changed))

    @classmethod
    def from_query(cls, params: Mapping[str, Any] | str, base: Spec | None = None) -> Spec:
        """Parse URL parameters (a mapping or a query string). Raises SpecError."""
        if isinstance(params, str):
            try:
                pairs = parse_qsl(params.lstrip("?"), keep_blank_values=True)
            except ValueError as exc:
                raise SpecError("url", f"malformed query string ({exc})") from None
            params = dict(pairs)
        if not isinstance(params, Mapping):
            raise SpecError("url", "expected URL parameters")
        flat: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, list):  # repeated key: the last one wins
                value = value[-1] if value else ""
            flat[str(key)] = value
        return cls.from_dict(flat, base)

    def replace(self, **changes: Any) -> Spec:
        """A copy with flat-named settings changed (validated).

        As in ``from_dict``, new hidden layers with no activation given keep the
        first layer's activation for every layer.
        """
        values = self.to_dict()
        for name, value in changes.items():
            if name not in FIELDS:
                raise SpecError(name, "unknown setting")
            values[name] = list(value) if isinstance(value, tuple) else value
        _one_activation_for_new_layers(values, changes.keys())
        return self._build(values)


def _one_activation_for_new_layers(values: dict[str, Any], given: Collection[str]) -> None:
    """A new hidden-layer list with no activation given keeps the first activation for every layer."""
    if "hidden" in given and "activation" not in given:
        act = values["activation"]
        values["activation"] = [act[0] if act else "tanh"]


def _collect_fields() -> dict[str, tuple[str | None, Rule]]:
    table: dict[str, tuple[str | None, Rule]] = {}
    for section, klass in (("data", DataSpec), ("model", ModelSpec), ("train", TrainSpec)):
        for f in dataclasses.fields(klass):
            table[f.name] = (section, f.metadata["rule"])
    for f in dataclasses.fields(Spec):
        if "rule" in f.metadata:
            table[f.name] = (None, f.metadata["rule"])
    return table


#: Flat setting name -> (section or None for top level, rule). The registry.
FIELDS: dict[str, tuple[str | None, Rule]] = _collect_fields()


def flag_name(name: str) -> str:
    """Setting name as a command-line flag / URL key: ``batch_size`` -> ``batch-size``."""
    return name.replace("_", "-")


def rule_for(name: str) -> Rule:
    return FIELDS[name][1]


def spec_for_dataset(dataset: str, base: Spec | None = None) -> Spec:
    """``base`` moved to another data set, with a problem type and loss that fit it."""
    base = base or Spec()
    classes = DATASET_CLASSES.get(dataset)
    if dataset not in DATASET_CLASSES:
        raise SpecError("dataset", f"got {dataset!r}; expected one of " + ", ".join(DATASETS))
    problem = base.model.problem
    if classes == 0:
        problem = "regression"
    elif classes is not None and classes > 2:
        problem = "multiclass"
    elif classes == 2 and problem == "regression":
        problem = "binary"
    loss = base.model.loss if base.model.loss in LOSSES_FOR_PROBLEM[problem] else DEFAULT_LOSS[problem]
    return base.replace(dataset=dataset, problem=problem, loss=loss)


def last_value(value: Any) -> Any:
    """A repeated link key arrives as a list: the last one wins."""
    if isinstance(value, list):
        return value[-1] if value else ""
    return value


def parse_link_values(params: Mapping[str, Any], rules: Mapping[str, Rule]) -> tuple[dict[str, Any], list[str]]:
    """The link's values that ``rules`` name (name -> Rule), each parsed by its rule; never raises.

    The one way a page reads link settings outside the spec: a bad value is left out, with the
    notice every page gives ("lr: got -1; expected a number in (0, 10] (using the default instead)").
    """
    values: dict[str, Any] = {}
    notices: list[str] = []
    for name, rule in rules.items():
        if name not in params:
            continue
        try:
            values[name] = rule.parse(name, last_value(params[name]))
        except SpecError as exc:
            notices.append(f"{name}: {exc.reason} (using the default instead)")
    return values, notices


def from_query_lenient(params: Mapping[str, Any], base: Spec) -> tuple[Spec, list[str]]:
    """Parse URL parameters, dropping each bad one with a notice instead of failing.

    Returns the spec built from every parameter that could be used, and one
    sentence per parameter that was ignored ("lr: got -1; expected ... — using
    the default"). Never raises.
    """
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, list):
            value = value[-1] if value else ""
        name = str(key).strip().replace("-", "_")
        if name in FIELDS:
            flat[name] = value
    notices: list[str] = []
    for _attempt in range(len(flat) + 1):
        try:
            return Spec.from_dict(flat, base), notices
        except SpecError as exc:
            bad = exc.field if exc.field in flat else None
            if bad is None:
                # A combination failed (say, a loss that does not fit the problem): drop the newest key.
                bad = next(reversed(flat)) if flat else None
            if bad is None:
                break
            notices.append(f"{flag_name(bad)}: {exc.reason} (using the default instead)")
            del flat[bad]
    return base, notices
