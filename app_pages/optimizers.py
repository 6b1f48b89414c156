"""Gradient descent & optimizers page: walks down 2-D loss surfaces, the learning-rate lesson, mini-batches.

Link parameters: ``surface``, ``optimizers`` (comma list), ``lr``, ``lesson=learning_rate``.
Every path comes from ``playground.lessons.gradient_descent`` (torch.optim's own updates); charts from
``playground.ui.charts.gradient_descent``. A walk that diverges is cut there and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import streamlit as st

from playground import optimizers
from playground.lessons import gradient_descent as op
from playground.spec import Spec
from playground.ui import state, widgets
from playground.ui.charts import gradient_descent as charts_optim

PAGE = "optimizers"
EPS_OPTIONS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3)
DECAY_OPTIONS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999)
BATCH_OPTIONS = (1, 2, 4, 8, 16, 32, 64)
#: The stops of each hyperparameter's slider (the registry declares the hyperparameters and their defaults).
HYPER_OPTIONS: dict[str, tuple[float, ...]] = {
    "momentum": DECAY_OPTIONS[:-1], "rho": DECAY_OPTIONS[1:], "beta1": DECAY_OPTIONS, "beta2": DECAY_OPTIONS[3:],
    "epsilon": EPS_OPTIONS, "initial_accumulator": (0.0, 0.01, 0.1, 1.0),
}  # fmt: skip
#: Widget key -> the lecture's (Keras's) default, one per optimizer and hyperparameter: "adam_beta1", "rmsprop_rho".
HYPER_DEFAULTS: dict[str, float] = {
    f"{o.name}_{h.field}": h.default for o in optimizers.REGISTRY.values() for h in o.hyperparameters
}


def set_lrs(lrs: dict[str, float]) -> None:
    """Each optimizer's own learning-rate slider, snapped to the slider's values."""
    for name in op.OPTIMIZERS:
        state.put(f"lr_{name}", op.nearest_option(lrs[name]))


def on_surface_change() -> None:
    """A new surface starts with the learning rates tuned for it."""
    surface = op.get_surface(state.get("surface", lambda: "bowl"))
    state.put("lr", op.nearest_option(surface.default_lr))
    set_lrs(surface.tuned_lr)


def on_lr_change() -> None:
    """The shared slider gives every optimizer the same learning rate."""
    lr = state.get("lr", lambda: 0.05)
    set_lrs(dict.fromkeys(op.OPTIMIZERS, lr))


def on_lecture_defaults() -> None:
    """Keras's defaults, as in the lecture: SGD 0.01; RMSprop, AdaGrad, Adam 0.001; β₁ 0.9, β₂ 0.999, ε 1e-7."""
    set_lrs(op.LECTURE_LR)
    for key, value in HYPER_DEFAULTS.items():
        state.put(key, value)


def read_link() -> None:
    """On the first visit, take surface, optimizers, lr and lesson from the link (notices for bad values)."""
    if state.get(f"{PAGE}:link_read", lambda: False):
        return
    link, notices = op.parse_link(state.query_params())
    state.put("surface", link.surface)
    on_surface_change()
    if link.optimizers is not None:
        state.put("optimizers", list(link.optimizers))
    if link.lr is not None:
        state.put("lr", link.lr)
        on_lr_change()
    state.put("lesson", link.lesson)
    state.put(f"notices:{PAGE}", notices)
    state.put(f"{PAGE}:link_read", True)


def control(key: str, default: Any, draw: Callable[[], Any]) -> Any:
    """Draw the widget unless classroom mode hides it; either way return its value."""
    state.get(key, lambda: default)
    return draw() if state.visible(key) else state.get(key, lambda: default)


def lr_slider(key: str, label: str, options: tuple[float, ...] = op.LR_OPTIONS, **kw: Any) -> float:
    return float(control(key, options[len(options) // 2], lambda: st.select_slider(
        label, options=options, key=key, format_func=lambda v: f"{v:g}", **kw)))  # fmt: skip


def config_for(name: str) -> op.OptimizerConfig:
    """This optimizer's settings on the page: its η and its own hyperparameters (the rest keep their defaults)."""
    own = {h.field: float(state.peek(f"{name}_{h.field}", h.default)) for h in optimizers.get(name).hyperparameters}
    return op.OptimizerConfig(name, lr=state.get(f"lr_{name}", lambda: 0.01), **own)


def report_divergence(walks: list[op.Walk]) -> None:
    for w in walks:
        if w.diverged:
            x, y = w.final
            st.error(
                f"**{w.label} diverged at step {w.diverged_at}**: that update flung the weights far off the map "
                f"(the path stops at its last point, ({x:.3g}, {y:.3g})). Try a smaller learning rate.",
                icon=":material/trending_up:",
            )


def lr_caption(names: list[str]) -> None:
    """Under the shared slider: the η each chosen optimizer really runs with."""
    lrs = [config_for(n).lr for n in names]
    if len(set(lrs)) > 1:
        each = " · ".join(f"{op.OPTIMIZER_TITLES[n]} {lr:g}" for n, lr in zip(names, lrs, strict=True))
        st.caption(f"Each optimizer runs with its own η now: {each} (set under *Hyperparameters*). "
                   "Moving this slider gives them all the same one.")  # fmt: skip
    elif lrs:
        st.caption(f"Every optimizer runs with η = {lrs[0]:g}.")


def draw_walks(surface: op.Surface, walks: list[op.Walk], colors: list[str], key: str, **kw: Any) -> None:
    xs, ys, z = surface.grid(160)
    fig = charts_optim.race_figure(
        xs, ys, z, [w.label for w in walks], [w.xy for w in walks], [w.diverged_at for w in walks], colors,
        surface.domain, surface.minima, surface.log_contours, **kw,
    )  # fmt: skip
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


read_link()
st.title("Gradient descent & optimizers")
widgets.page_header(PAGE)
st.write("Gradient descent walks downhill on the loss surface, one step at a time, against the gradient.")
st.latex(r"W \leftarrow W - \eta\,\nabla_W L(W)")

# -- the lesson: too small, about right, too large ------------------------------------------------------------------
lesson = control("lesson", False, lambda: st.toggle("Show the learning-rate lesson", key="lesson"))
if lesson:
    st.subheader("The learning rate η: too small, about right, too large")
    st.write("Plain SGD on the round bowl L(w) = w₁² + w₂², whose gradient is 2w: each step is w ← w(1 − 2η).")
    cols = st.columns(3)
    chosen = {}
    for col, (name, default) in zip(cols, op.LESSON_LRS.items(), strict=True):
        with col:
            key = "lesson_" + name.split()[-1]
            state.get(key, partial(float, default))
            chosen[name] = lr_slider(key, f"η {name}", op.LESSON_OPTIONS)
    lesson_walks = op.lr_lesson(chosen)
    bowl = op.get_surface("bowl")
    for col, (name, walk), color in zip(cols, lesson_walks.items(), ("#2ca02c", "#1f77b4", "#d62728"), strict=True):
        with col:
            draw_walks(bowl, [walk], [color], f"lesson_chart_{name}", animate=False, height=330)
            verdict = (
                f"diverged at step {walk.diverged_at}" if walk.diverged else f"loss {walk.loss[-1]:.3g} after 30 steps"
            )
            (st.error if walk.diverged else st.info)(f"{walk.label}: {verdict}")
    st.divider()

# -- the race ---------------------------------------------------------------------------------------------------------
st.subheader("Optimizers racing on a loss surface")
# the optimizers get the page's whole width, so every name ("SGD + momentum", "AdaGrad") shows in full
chosen_opts = control("optimizers", list(op.OPTIMIZERS), lambda: st.multiselect(
    "Optimizers in the race", op.OPTIMIZERS, key="optimizers", format_func=lambda n: op.OPTIMIZER_TITLES[n]))  # fmt: skip
c1, c2 = st.columns([2, 3])
with c1:
    surface_name = control("surface", "bowl", lambda: st.selectbox(
        "Loss surface", op.SURFACES, key="surface", on_change=on_surface_change,
        format_func=lambda n: op.SURFACE_TABLE[n].title))  # fmt: skip
surface = op.get_surface(surface_name)
with c2:
    lr_slider("lr", "Set every optimizer's η (log scale)", on_change=on_lr_change,
              help="Gives all five optimizers this learning rate. Each can then be changed on its own under "
              "*Hyperparameters*; a new surface starts each on a rate tuned for it.")  # fmt: skip
    lr_caption(chosen_opts)
st.latex(surface.latex)
c1, c2, c3, c4 = st.columns(4)
x0, x1, y0, y1 = surface.domain
with c1:
    sx = control(f"start_x_{surface.name}", surface.start[0], lambda: st.slider(
        "Start w₁", x0, x1, step=0.05, key=f"start_x_{surface.name}"))  # fmt: skip
with c2:
    sy = control(f"start_y_{surface.name}", surface.start[1], lambda: st.slider(
        "Start w₂", y0, y1, step=0.01, key=f"start_y_{surface.name}"))  # fmt: skip
with c3:
    steps = control("steps", 200, lambda: st.slider("Steps", 10, 500, step=10, key="steps"))
with c4:
    show_3d = control("show_3d", False, lambda: st.checkbox("Show the 3-D surface", key="show_3d"))

with st.expander("Hyperparameters of each optimizer", icon=":material/tune:"):
    st.button("Lecture defaults (Keras): Adam η 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7", key="lecture_defaults",
              on_click=on_lecture_defaults)  # fmt: skip
    for col, name in zip(st.columns(len(op.OPTIMIZERS)), op.OPTIMIZERS, strict=True):
        with col:
            st.markdown(f"**{op.OPTIMIZER_TITLES[name]}**")
            lr_slider(f"lr_{name}", "η")
            for h in optimizers.get(name).hyperparameters:
                key = f"{name}_{h.field}"
                control(key, h.default, partial(st.select_slider, h.symbol, options=HYPER_OPTIONS[h.field], key=key,
                                                format_func=lambda v: f"{v:g}"))  # fmt: skip
    st.caption("Each surface starts every optimizer on a learning rate that suits it; the shared slider sets all.")

if not chosen_opts:
    st.info("Pick at least one optimizer to start the race.", icon=":material/sports_score:")
else:
    walks = op.race(surface, [config_for(n) for n in chosen_opts], (sx, sy), steps)
    colors = [charts_optim.OPTIMIZER_COLORS[n] for n in chosen_opts]
    report_divergence(walks)
    st.caption("Press **Play** under the map to watch the walks step by step, or drag the step slider.")
    draw_walks(surface, walks, colors, "race_chart", axis_names=surface.axis_names,
               lrs=[config_for(n).lr for n in chosen_opts])  # fmt: skip
    if show_3d:
        xs, ys, z = surface.grid(60)
        st.plotly_chart(charts_optim.surface3d_figure(xs, ys, z, [w.label for w in walks], [w.xy for w in walks],
                        [w.loss for w in walks], colors, surface.log_contours), key="surface_3d")  # fmt: skip
    st.plotly_chart(charts_optim.loss_steps_figure([w.label for w in walks], [w.loss for w in walks],
                    [w.diverged_at for w in walks], colors, surface.minimum_value()), key="loss_steps")  # fmt: skip
    st.dataframe(
        {"optimizer": [w.label for w in walks], "η": [f"{config_for(n).lr:g}" for n in chosen_opts],
         "final loss": [f"{float(w.loss[-1]):.4g}" for w in walks],
         "final point": [f"({w.final[0]:.3f}, {w.final[1]:.3f})" for w in walks],
         "diverged at step": [str(w.diverged_at) if w.diverged else "—" for w in walks]}, key="race_table",
    )  # fmt: skip

# -- mini-batches -------------------------------------------------------------------------------------------------
st.subheader("Stochastic gradients: mini-batches against the full batch")
st.write(
    f"The loss is an average over {op.N_EXAMPLES} examples. A mini-batch of B examples estimates its gradient: "
    "cheaper steps, but noisy ones. The smaller the batch, the more the walk wanders."
)
c1, c2, c3 = st.columns(3)
with c1:
    noise_opt = control("noise_optimizer", "sgd", lambda: st.selectbox(
        "Optimizer", op.OPTIMIZERS, key="noise_optimizer", format_func=lambda n: op.OPTIMIZER_TITLES[n]))  # fmt: skip
with c2:
    batch = control("batch_size", 4, lambda: st.select_slider("Batch size B", BATCH_OPTIONS, key="batch_size"))
with c3:
    seed = control("noise_seed", 0, lambda: st.number_input("Shuffle seed", 0, 999, step=1, key="noise_seed"))
cfg = config_for(noise_opt)
pair = [  # the noisy walk first, the full batch dashed on top of it
    op.minibatch_path(surface, cfg, (sx, sy), steps, int(batch), int(seed)),
    op.minibatch_path(surface, cfg, (sx, sy), steps, op.N_EXAMPLES),
]
report_divergence(pair)
draw_walks(surface, pair, ["#e377c2", "#222222"], "noise_chart", axis_names=surface.axis_names, height=460,
           dashes=["solid", "dash"], lrs=[cfg.lr])  # fmt: skip
st.plotly_chart(charts_optim.loss_steps_figure([w.label for w in pair], [w.loss for w in pair],
                [w.diverged_at for w in pair], ["#e377c2", "#222222"], surface.minimum_value(), height=260),
                key="noise_steps")  # fmt: skip

extra = {
    "surface": surface_name,
    "optimizers": ",".join(chosen_opts) or "sgd",
    "lr": f"{state.get('lr', lambda: 0.05):g}",
}
state.write_url(Spec(), Spec(), extra | ({"lesson": "learning_rate"} if lesson else {}))
