"""Loss functions page: BCE, CCE and MSE against the prediction, and the empirical risk of a small dataset.

Link parameter: ``target`` (0 or 1). All numbers come from ``playground.lessons.losses``; the page's state and
its link reading are in ``playground.ui.losses_views``.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from playground.lessons import losses as lf
from playground.spec import Spec
from playground.ui import losses_views as views
from playground.ui import state, widgets
from playground.ui.charts import losses as charts_losses

PAGE = views.PAGE
N = len(lf.EXAMPLE_TARGETS)

ps = state.page_state(PAGE, views.LossesState)
views.read_link(ps)
st.title("Loss functions")
widgets.page_header(PAGE)
st.write(
    "A loss measures how wrong one prediction is. Training lowers the **empirical risk**: "
    "the average loss over the training examples."
)

left, right = st.columns(2)
with left:
    target = views.control(
        "target", 1, lambda: st.radio("Target class y", [0, 1], key="target", horizontal=True,
                                      format_func=lambda t: f"y = {t}")
    )  # fmt: skip
with right:
    prediction = views.control(
        "prediction", 0.3,
        lambda: st.slider("Prediction ŷ = P(class 1)", 0.01, 0.99, step=0.01, key="prediction"),
    )  # fmt: skip

p = lf.prediction_axis()
columns = st.columns(3)
for column, name in zip(columns, lf.LOSS_NAMES, strict=True):
    with column:
        st.markdown(f"**{lf.LOSS_TITLES[name]}**")
        st.latex(r"\small " + lf.LOSS_LATEX[name])
        loss_here = float(lf.curve(name, target, p[:1] * 0 + prediction)[0])
        fig = charts_losses.loss_curve_figure(p, lf.curve(name, target, p), name, lf.LOSS_TITLES[name],
                                              prediction, loss_here)  # fmt: skip
        st.plotly_chart(fig, key=f"curve_{name}", config={"displayModeBar": False})
st.caption(
    "Cross-entropy grows without bound as a confident prediction turns out wrong (clipped at ε = 1e-7, as Keras "
    "does); the squared error never exceeds 1. For categorical cross-entropy the network predicts three classes, "
    "gives class 1 the probability ŷ and shares the rest evenly: only the probability of the true class counts."
)

st.subheader("The empirical risk of a small dataset")
st.latex(r"J(W) = \frac{1}{n}\sum_{i=1}^{n} L\big(y^{(i)}, f(x^{(i)}; W)\big)")
st.write("Five examples with their targets; move the model's predictions and watch each loss and its average.")
preds: list[float] = []
for i, column in enumerate(st.columns(N)):
    with column:
        key = f"pred_{i + 1}"
        y_i = lf.EXAMPLE_TARGETS[i]
        preds.append(
            views.control(
                key, lf.EXAMPLE_PREDICTIONS[i],
                partial(st.slider, f"example {i + 1} (y = {y_i}): ŷ", 0.01, 0.99, step=0.01, key=key),
            )
        )  # fmt: skip
table = lf.empirical_risk(lf.EXAMPLE_TARGETS, preds)
frame = pd.DataFrame(
    {"target y": [str(int(t)) for t in table.targets], "prediction ŷ": [f"{p:.2f}" for p in table.predictions]}
    | {lf.LOSS_TITLES[n]: table.per_example[n] for n in lf.LOSS_NAMES},
    index=[f"example {i + 1}" for i in range(N)],
)
frame.loc["mean: J(W)"] = ["", "", *(table.risk[n] for n in lf.LOSS_NAMES)]
st.dataframe(frame.style.format({lf.LOSS_TITLES[n]: "{:.4f}" for n in lf.LOSS_NAMES}), key="risk_table")
metrics = st.columns(3)
for column, name in zip(metrics, lf.LOSS_NAMES, strict=True):
    column.metric(f"Empirical risk, {lf.LOSS_TITLES[name].lower()}", f"{table.risk[name]:.4f}")
st.plotly_chart(
    charts_losses.risk_bars_figure(table.per_example, table.risk, lf.LOSS_TITLES, list(frame.index[:N])),
    key="risk_bars",
    config={"displayModeBar": False},
)
st.caption(
    "With two classes, categorical cross-entropy on [1 − ŷ, ŷ] is exactly binary cross-entropy. "
    "These numbers equal torch.nn.functional's binary_cross_entropy, cross_entropy and mse_loss (a test checks it)."
)
state.write_url(Spec(), Spec(), {"target": str(target)})
