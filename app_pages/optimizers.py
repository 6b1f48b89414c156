"""Gradient descent & optimizers page: walks down 2-D loss surfaces, the learning-rate lesson, mini-batches.

Link parameters: ``surface``, ``optimizers`` (comma list), ``lr``, ``lesson=learning_rate``.
Every path comes from ``playground.lessons.gradient_descent`` (torch.optim's own updates); the widgets'
callbacks and the charts are in ``playground.ui.optimizers_views``. A walk that diverges is cut there and reported.
"""

from __future__ import annotations

import streamlit as st

from playground.lessons import gradient_descent as op
from playground.spec import Spec
from playground.ui import optimizers_views as views
from playground.ui import state, widgets

PAGE = views.PAGE

ps = state.page_state(PAGE, views.OptimizersState)
views.read_link(ps)
st.title("Gradient descent & optimizers")
widgets.page_header(PAGE)
st.write("Gradient descent walks downhill on the loss surface, one step at a time, against the gradient.")
st.latex(r"W \leftarrow W - \eta\,\nabla_W L(W)")

# -- the lesson: too small, about right, too large ------------------------------------------------------------------
show_lesson = views.control("lesson", False, lambda: st.toggle("Show the learning-rate lesson", key="lesson"))
if show_lesson:
    views.lr_lesson()

# -- the race ---------------------------------------------------------------------------------------------------------
st.subheader("Optimizers racing on a loss surface")
# the optimizers get the page's whole width, so every name ("SGD + momentum", "AdaGrad") shows in full
chosen = views.control("optimizers", list(op.OPTIMIZERS), lambda: st.multiselect(
    "Optimizers in the race", op.OPTIMIZERS, key="optimizers", format_func=lambda n: op.OPTIMIZER_TITLES[n]))  # fmt: skip
c1, c2 = st.columns([2, 3])
with c1:
    surface_name = views.control("surface", "bowl", lambda: st.selectbox(
        "Loss surface", op.SURFACES, key="surface", on_change=views.on_surface_change,
        format_func=lambda n: op.SURFACE_TABLE[n].title))  # fmt: skip
surface = op.get_surface(surface_name)
with c2:
    views.lr_slider("lr", "Set every optimizer's η (log scale)", on_change=views.on_lr_change,
                    help="Gives all five optimizers this learning rate. Each can then be changed on its own under "
                    "*Hyperparameters*; a new surface starts each on a rate tuned for it.")  # fmt: skip
    views.lr_caption(chosen)
st.latex(surface.latex)
start, steps, show_3d = views.walk_controls(surface)
views.hyperparameters()

if not chosen:
    st.info("Pick at least one optimizer to start the race.", icon=":material/sports_score:")
else:
    walks = op.race(surface, [views.config_for(n) for n in chosen], start, steps)
    views.race_charts(surface, chosen, walks, show_3d)

# -- mini-batches -------------------------------------------------------------------------------------------------
st.subheader("Stochastic gradients: mini-batches against the full batch")
st.write(
    f"The loss is an average over {op.N_EXAMPLES} examples. A mini-batch of B examples estimates its gradient: "
    "cheaper steps, but noisy ones. The smaller the batch, the more the walk wanders."
)
noise_optimizer, batch, seed = views.minibatch_controls()
cfg = views.config_for(noise_optimizer)
pair = [  # the noisy walk first, the full batch dashed on top of it
    op.minibatch_path(surface, cfg, start, steps, batch, seed),
    op.minibatch_path(surface, cfg, start, steps, op.N_EXAMPLES),
]
views.minibatch_charts(surface, pair, cfg)

extra = {
    "surface": surface_name,
    "optimizers": ",".join(chosen) or "sgd",
    "lr": f"{state.get('lr', lambda: 0.05):g}",
}
state.write_url(Spec(), Spec(), extra | ({"lesson": "learning_rate"} if show_lesson else {}))
