"""The spec: defaults, exact round trips, strict parsing, and a fuzz that only SpecError escapes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.spec import (
    ACTIVATIONS,
    DATASETS_2D_CLASSIFY,
    FEATURES,
    FIELDS,
    OPTIMIZERS,
    Spec,
    SpecError,
    from_query_lenient,
    spec_for_dataset,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_defaults_are_tensorflow_playgrounds() -> None:
    s = Spec()
    assert s.data.dataset == "circle" and s.data.noise == 0 and s.data.validation_split == 0.5
    assert s.model.hidden == (4, 2) and s.model.activation == ("tanh", "tanh")
    assert s.train.lr == 0.03 and s.train.batch_size == 10
    assert s.train.epsilon == 1e-7 and s.train.beta1 == 0.9 and s.train.beta2 == 0.999


@st.composite
def valid_specs(draw: st.DrawFn) -> Spec:
    hidden = tuple(draw(st.lists(st.integers(1, 1024), max_size=8)))
    acts = tuple(draw(st.sampled_from(ACTIVATIONS)) for _ in hidden)
    dataset = draw(st.sampled_from(DATASETS_2D_CLASSIFY))
    base = spec_for_dataset(dataset)
    return base.replace(
        hidden=hidden,
        activation=acts,
        samples=draw(st.integers(10, 10_000)),
        noise=draw(st.floats(0, 50)),
        validation_split=draw(st.floats(0.05, 0.9)),
        features=tuple(draw(st.lists(st.sampled_from(FEATURES), min_size=1, max_size=7, unique=True))),
        optimizer=draw(st.sampled_from(OPTIMIZERS)),
        lr=draw(st.floats(1e-6, 10)),
        batch_size=draw(st.integers(1, 65536)),
        l2=draw(st.floats(0, 1)),
        dropout=draw(st.floats(0, 0.9)),
        early_stopping=draw(st.booleans()),
        reduce_lr_factor=draw(st.floats(0.01, 0.99)),
        seed=draw(st.integers(0, 2**31 - 1)),
    )


@FUZZ
@given(valid_specs())
def test_round_trips_exactly(spec: Spec) -> None:
    assert Spec.from_dict(spec.to_dict()) == spec
    assert Spec.from_json(spec.to_json()) == spec
    assert Spec.from_query(spec.to_query_string()) == spec
    assert Spec.from_query(spec.to_query()) == spec
    assert Spec.from_query(spec.to_query_string(only_changed=True)) == spec


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(sorted(FIELDS) + [n.replace("_", "-") for n in FIELDS] + ["bogus", ""])


@FUZZ
@given(st.dictionaries(field_names, json_values, max_size=8))
def test_from_dict_raises_only_spec_error(raw: dict) -> None:
    try:
        spec = Spec.from_dict(raw)
    except SpecError as exc:
        assert exc.field and exc.reason
        return
    assert Spec.from_dict(spec.to_dict()) == spec


@FUZZ
@given(st.dictionaries(field_names, st.text(max_size=30), max_size=8))
def test_from_query_raises_only_spec_error(raw: dict) -> None:
    try:
        Spec.from_query(raw)
    except SpecError:
        pass
    spec, notices = from_query_lenient(raw, Spec())  # never raises
    assert isinstance(spec, Spec) and all(isinstance(n, str) for n in notices)


@FUZZ
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_from_json_and_query_string_raise_only_spec_error(text) -> None:  # type: ignore[no-untyped-def]
    for parse in (Spec.from_json, Spec.from_query):
        try:
            parse(text)
        except SpecError:
            pass


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("hidden", "0", "1 to 1024"),
        ("hidden", "-1", "1 to 1024"),
        ("hidden", "2.5", "1 to 1024"),
        ("hidden", "1000000", "1 to 1024"),
        ("hidden", "1,1,1,1,1,1,1,1,1", "up to 8"),
        ("lr", "0", "(0, 10]"),
        ("lr", "-1", "(0, 10]"),
        ("lr", "nan", "(0, 10]"),
        ("lr", "inf", "(0, 10]"),
        ("lr", "1e6", "(0, 10]"),
        ("batch-size", "0", "1 to 65536"),
        ("noise", "51", "[0, 50]"),
        ("activation", "softplus", "relu, tanh, sigmoid, linear"),
        ("dataset", "cifar", "one of"),
        ("optimizer", "lbfgs", "one of"),
        ("early-stopping", "maybe", "true or false"),
        ("features", "x1,x1", "repeats"),
        ("features", "", "1 to 7"),
        ("seed", "-5", "0 to"),
    ],
)
def test_bad_values_name_the_field_and_the_range(key: str, value: str, words: str) -> None:
    with pytest.raises(SpecError) as err:
        Spec.from_query({key: value})
    assert err.value.field == key.replace("-", "_")
    assert words in str(err.value)


def test_unknown_keys_are_ignored_and_dashes_accepted() -> None:
    s = Spec.from_query("batch-size=32&bogus=1&validation_split=0.2")
    assert s.train.batch_size == 32 and s.data.validation_split == 0.2


def test_activation_broadcasts_and_must_match_layers() -> None:
    s = Spec.from_query("hidden=8,8,8&activation=relu")
    assert s.model.activation == ("relu", "relu", "relu")
    assert Spec.from_query("hidden=&activation=tanh").model.hidden == ()
    with pytest.raises(SpecError, match="activation"):
        Spec.from_query("hidden=4,4,4&activation=relu,tanh")


def test_problem_and_loss_must_fit_the_data() -> None:
    # A data set given without a problem type brings one that fits it.
    assert Spec.from_query("dataset=plane").model.problem == "regression"
    assert Spec.from_query("dataset=three_class&dropout=0.3").model.loss == "categorical_crossentropy"
    with pytest.raises(SpecError, match="regression"):
        Spec.from_query("dataset=plane&problem=binary")
    assert Spec.from_query("dataset=plane&problem=regression").model.loss == "mse"
    with pytest.raises(SpecError, match="multiclass"):
        Spec.from_query("dataset=three_class&problem=binary")
    with pytest.raises(SpecError, match="loss"):
        Spec.from_query("problem=binary&loss=categorical_crossentropy")
    assert spec_for_dataset("three_class").model.loss == "categorical_crossentropy"
    assert spec_for_dataset("multi_gauss").model.problem == "regression"


def test_lenient_parsing_keeps_good_values_and_explains_bad_ones() -> None:
    spec, notices = from_query_lenient({"lr": "-1", "hidden": "8", "dataset": "xor"}, Spec())
    assert spec.train.lr == 0.03 and spec.model.hidden == (8,) and spec.data.dataset == "xor"
    assert len(notices) == 1 and notices[0].startswith("lr:")


def test_floats_round_trip_bit_exactly() -> None:
    s = Spec().replace(lr=0.1 + 0.2, noise=1 / 3)
    back = Spec.from_query(s.to_query_string())
    assert back.train.lr == 0.1 + 0.2 and back.data.noise == 1 / 3
    assert json.loads(s.to_json())["lr"] == 0.1 + 0.2
    assert not math.isnan(back.train.lr)


def test_spec_is_frozen_and_validated_on_construction() -> None:
    from dataclasses import FrozenInstanceError

    from playground.spec import TrainSpec

    with pytest.raises(FrozenInstanceError):
        Spec().seed = 3  # type: ignore[misc]
    with pytest.raises(SpecError, match="lr"):
        TrainSpec(lr=0.0)


def test_replace_hidden_spreads_one_activation_like_a_link_does() -> None:
    """``replace(hidden=...)`` alone keeps the first layer's activation for every new layer, as ``from_dict`` does."""
    base = Spec.from_query("hidden=4,2&activation=relu,tanh")
    assert base.replace(hidden=(3, 3, 3)).model.activation == ("relu", "relu", "relu")
    assert base.replace(hidden=(3, 3, 3)) == Spec.from_dict({"hidden": "3,3,3"}, base)
    assert base.replace(hidden=(5,), activation=("sigmoid",)).model.activation == ("sigmoid",)
    assert base.replace(hidden=()).model.hidden == ()


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["lr", "depth", "g", "other"]), st.text(max_size=12) | st.lists(st.text(max_size=5)), max_size=4
    )
)
def test_parse_link_values_never_raises_and_explains_each_bad_value(params: dict) -> None:  # type: ignore[type-arg]
    """The one link reader for page settings outside the spec: good values parsed, each bad one a notice."""
    from playground.spec import Choice, FloatRange, IntRange, parse_link_values

    rules = {"lr": FloatRange("a number", 0.0, 10.0, lo_open=True), "depth": IntRange("layers", 2, 30),
             "g": Choice("activation", ("relu", "tanh"))}  # fmt: skip
    values, notices = parse_link_values(params, rules)
    asked = [name for name in rules if name in params]
    assert sorted([*values, *(n.split(":")[0] for n in notices)]) == sorted(asked)
    assert all(n.endswith("(using the default instead)") for n in notices)
    assert "other" not in values
