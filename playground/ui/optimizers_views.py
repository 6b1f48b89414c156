"""The Gradient-descent & optimizers page's pieces: its per-user state, its widgets' callbacks, and its charts.

``OptimizersState`` is what the page remembers for a user besides its widgets'
values (whether the link was read); the page gets it with ``state.page_state``.
Every widget keeps its own key ("surface", "lr", "lr_adam", "adam_beta1", ...):
the callbacks here set them (a new surface's tuned rates, the shared slider, the
lecture's defaults). The walks come from ``playground.lessons.gradient_descent``,
the figures from ``playground.ui.charts.gradient_descent``. This is the Streamlit
side, not a lesson.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import streamlit as st

from playground import optimizers
from playground.lessons import gradient_descent as op
from playground.ui import state
from playground.ui.charts import gradient_descent as charts_optim
from playground.ui.controls import widget

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


def hyper_options(h: optimizers.Hyperparameter) -> tuple[float, ...]:
    """The stops of a hyperparameter's slider: the page's own, or its range and default for one added later."""
    return HYPER_OPTIONS.get(h.field) or tuple(sorted({h.lo, h.default, h.hi}))


LESSON_COLORS = ("#2ca02c", "#1f77b4", "#d62728")  # too small, about right, too large
NOISE_COLORS = ("#e377c2", "#222222")  # the mini-batch walk, the full batch


@dataclass
class OptimizersState:
    """What the optimizers page keeps for one user, besides its widgets' values."""

    link_read: bool = False  # the first visit has taken surface, optimizers, lr and lesson from the link


# -- the widgets' callbacks --------------------------------------------------------------------------------------


def set_lrs(lrs: dict[str, float]) -> None:
    """Each optimizer's own learning-rate slider, snapped to the slider's values."""
    for name in op.OPTIMIZERS:
        state.put(f"lr_{name}", op.nearest_option(lrs[name]))


def on_surface_change() -> None:
    """A new surface starts with the learning rates tuned for it."""
    surface = op.get_surface(state.get("surface", lambda: "bowl"))
    state.put("lr", op.nearest_option(surface.default_lr))
    set_lrs({name: surface.lr_for(name) for name in op.OPTIMIZERS})


def on_lr_change() -> None:
    """The shared slider gives every optimizer the same learning rate."""
    lr = state.get("lr", lambda: 0.05)
    set_lrs(dict.fromkeys(op.OPTIMIZERS, lr))


def on_lecture_defaults() -> None:
    """Keras's defaults, as in the lecture: SGD 0.01; RMSprop, AdaGrad, Adam 0.001; β₁ 0.9, β₂ 0.999, ε 1e-7."""
    set_lrs(op.LECTURE_LR)
    for key, value in HYPER_DEFAULTS.items():
        state.put(key, value)


def read_link(ps: OptimizersState) -> None:
    """On the first visit, take surface, optimizers, lr and lesson from the link (notices for bad values)."""
    if ps.link_read:
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
    ps.link_read = True


# -- the widgets ---------------------------------------------------------------------------------------------------


#: Draw a widget unless classroom mode hides it (the one helper, in ``playground.ui.controls``).
control = widget


def lr_slider(key: str, label: str, options: tuple[float, ...] = op.LR_OPTIONS, **kw: Any) -> float:
    return float(control(key, options[len(options) // 2], lambda: st.select_slider(
        label, options=options, key=key, format_func=lambda v: f"{v:g}", **kw)))  # fmt: skip


def config_for(name: str) -> op.OptimizerConfig:
    """This optimizer's settings on the page: its η and its own hyperparameters (the rest keep their defaults)."""
    own = {h.field: float(state.peek(f"{name}_{h.field}", h.default)) for h in optimizers.get(name).hyperparameters}
    return op.OptimizerConfig(name, lr=state.get(f"lr_{name}", lambda: 0.01), **own)


def lr_caption(names: list[str]) -> None:
    """Under the shared slider: the η each chosen optimizer really runs with."""
    lrs = [config_for(n).lr for n in names]
    if len(set(lrs)) > 1:
        each = " · ".join(f"{op.OPTIMIZER_TITLES[n]} {lr:g}" for n, lr in zip(names, lrs, strict=True))
        st.caption(f"Each optimizer runs with its own η now: {each} (set under *Hyperparameters*). "
                   "Moving this slider gives them all the same one.")  # fmt: skip
    elif lrs:
        st.caption(f"Every optimizer runs with η = {lrs[0]:g}.")


def walk_controls(surface: op.Surface) -> tuple[tuple[float, float], int, bool]:
    """The start point on this surface, the number of steps, and whether to show the 3-D surface."""
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
    return (sx, sy), steps, show_3d


def hyperparameters() -> None:
    """The expander of each optimizer's η and own hyperparameters, with the lecture's defaults button."""
    with st.expander("Hyperparameters of each optimizer", icon=":material/tune:"):
        st.button("Lecture defaults (Keras): Adam η 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7", key="lecture_defaults",
                  on_click=on_lecture_defaults)  # fmt: skip
        for col, name in zip(st.columns(len(op.OPTIMIZERS)), op.OPTIMIZERS, strict=True):
            with col:
                st.markdown(f"**{op.OPTIMIZER_TITLES[name]}**")
                lr_slider(f"lr_{name}", "η")
                for h in optimizers.get(name).hyperparameters:
                    key = f"{name}_{h.field}"
                    control(key, h.default, partial(st.select_slider, h.symbol, options=hyper_options(h),
                                                    key=key, format_func=lambda v: f"{v:g}"))  # fmt: skip
        st.caption("Each surface starts every optimizer on a learning rate that suits it; the shared slider sets all.")


def minibatch_controls() -> tuple[str, int, int]:
    """The optimizer of the mini-batch walk, its batch size and its shuffle seed."""
    c1, c2, c3 = st.columns(3)
    with c1:
        name = control("noise_optimizer", "sgd", lambda: st.selectbox(
            "Optimizer", op.OPTIMIZERS, key="noise_optimizer", format_func=lambda n: op.OPTIMIZER_TITLES[n]))  # fmt: skip
    with c2:
        batch = control("batch_size", 4, lambda: st.select_slider("Batch size B", BATCH_OPTIONS, key="batch_size"))
    with c3:
        seed = control("noise_seed", 0, lambda: st.number_input("Shuffle seed", 0, 999, step=1, key="noise_seed"))
    return name, int(batch), int(seed)


# -- the charts ----------------------------------------------------------------------------------------------------


def report_divergence(walks: list[op.Walk]) -> None:
    for w in walks:
        if w.diverged:
            x, y = w.final
            st.error(
                f"**{w.label} diverged at step {w.diverged_at}**: that update flung the weights far off the map "
                f"(the path stops at its last point, ({x:.3g}, {y:.3g})). Try a smaller learning rate.",
                icon=":material/trending_up:",
            )


def draw_walks(surface: op.Surface, walks: list[op.Walk], colors: list[str], key: str, **kw: Any) -> None:
    xs, ys, z = surface.grid(160)
    fig = charts_optim.race_figure(
        xs, ys, z, [w.label for w in walks], [w.xy for w in walks], [w.diverged_at for w in walks], colors,
        surface.domain, surface.minima, surface.log_contours, **kw,
    )  # fmt: skip
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def lr_lesson() -> None:
    """Too small, about right, too large: three SGD walks down the round bowl, each with its own slider."""
    st.subheader("The learning rate η: too small, about right, too large")
    st.write("Plain SGD on the round bowl L(w) = w₁² + w₂², whose gradient is 2w: each step is w ← w(1 − 2η).")
    cols = st.columns(3)
    chosen = {}
    for col, (name, default) in zip(cols, op.LESSON_LRS.items(), strict=True):
        with col:
            key = "lesson_" + name.split()[-1]
            state.get(key, partial(float, default))
            chosen[name] = lr_slider(key, f"η {name}", op.LESSON_OPTIONS)
    bowl = op.get_surface("bowl")
    for col, (name, walk), color in zip(cols, op.lr_lesson(chosen).items(), LESSON_COLORS, strict=True):
        with col:
            draw_walks(bowl, [walk], [color], f"lesson_chart_{name}", animate=False, height=330)
            if walk.diverged:
                st.error(f"{walk.label}: diverged at step {walk.diverged_at}")
            else:
                st.info(f"{walk.label}: loss {walk.loss[-1]:.3g} after 30 steps")
    st.divider()


def race_charts(surface: op.Surface, names: list[str], walks: list[op.Walk], show_3d: bool) -> None:
    """The race: divergence notices, the map (animated), the 3-D surface if asked, the loss per step, the table."""
    colors = [charts_optim.OPTIMIZER_COLORS[n] for n in names]
    lrs = [config_for(n).lr for n in names]
    report_divergence(walks)
    st.caption("Press **Play** under the map to watch the walks step by step, or drag the step slider.")
    draw_walks(surface, walks, colors, "race_chart", axis_names=surface.axis_names, lrs=lrs)
    labels, losses = [w.label for w in walks], [w.loss for w in walks]
    if show_3d:
        xs, ys, z = surface.grid(60)
        st.plotly_chart(charts_optim.surface3d_figure(xs, ys, z, labels, [w.xy for w in walks], losses, colors,
                                                      surface.log_contours), key="surface_3d")  # fmt: skip
    st.plotly_chart(charts_optim.loss_steps_figure(labels, losses, [w.diverged_at for w in walks], colors,
                                                   surface.minimum_value()), key="loss_steps")  # fmt: skip
    st.dataframe(
        {"optimizer": labels, "η": [f"{lr:g}" for lr in lrs],
         "final loss": [f"{float(w.loss[-1]):.4g}" for w in walks],
         "final point": [f"({w.final[0]:.3f}, {w.final[1]:.3f})" for w in walks],
         "diverged at step": [str(w.diverged_at) if w.diverged else "—" for w in walks]}, key="race_table",
    )  # fmt: skip


def minibatch_charts(surface: op.Surface, pair: list[op.Walk], cfg: op.OptimizerConfig) -> None:
    """The mini-batch walk and the full batch (dashed) on the map, and their losses per step."""
    report_divergence(pair)
    draw_walks(surface, pair, list(NOISE_COLORS), "noise_chart", axis_names=surface.axis_names, height=460,
               dashes=["solid", "dash"], lrs=[cfg.lr])  # fmt: skip
    st.plotly_chart(charts_optim.loss_steps_figure([w.label for w in pair], [w.loss for w in pair],
                    [w.diverged_at for w in pair], list(NOISE_COLORS), surface.minimum_value(), height=260),
                    key="noise_steps")  # fmt: skip
