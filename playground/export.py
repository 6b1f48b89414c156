"""Code export: the current spec as a runnable PyTorch script, or as the lecture's Keras code.

``pytorch_script(spec)`` writes a self-contained script (torch and numpy only):
the data generator of the chosen 2-D set is copied from ``playground.datasets``
so the script draws the very same kind of data; MNIST is read from the IDX
files in a folder given on its command line; custom data from a CSV file.
``keras_code(spec)`` writes the ``keras.Sequential`` program the lecture uses.
"""

from __future__ import annotations

import inspect
import textwrap

from playground import activations, datasets, losses, optimizers
from playground.spec import Spec

#: (problem, loss) -> the Keras loss, from the loss registry.
_KERAS_LOSS = {(problem, n): keras for n, loss in losses.REGISTRY.items() for problem, keras in loss.keras.items()}


def _keras_optimizer(spec: Spec) -> str:
    return optimizers.get(spec.train.optimizer).keras_source(spec.train.lr, spec.train)


def _torch_optimizer(spec: Spec) -> str:
    return optimizers.get(spec.train.optimizer).torch_source(spec.train.lr, spec.train)


def _output(spec: Spec, num_classes: int) -> tuple[int, str]:
    """Output units and Keras activation for the problem."""
    if spec.model.problem == "binary":
        return 1, "sigmoid"
    if spec.model.problem == "multiclass":
        return num_classes, "softmax"
    return 1, "linear"


def _num_classes(spec: Spec, custom_classes: int | None) -> int:
    classes = spec.num_classes
    if classes is None:
        classes = custom_classes or 2
    return classes


def keras_code(spec: Spec, custom_classes: int | None = None) -> str:
    """The spec as the lecture's Keras program (``keras.Sequential`` + ``fit``)."""
    m, t = spec.model, spec.train
    classes = _num_classes(spec, custom_classes)
    units, out_act = _output(spec, classes)
    in_dim = 784 if spec.is_image else len(spec.data.features)
    reg = ""
    if t.l1 > 0 or t.l2 > 0:
        reg = f", kernel_regularizer=keras.regularizers.L1L2(l1={t.l1!r}, l2={t.l2!r})"
    lines = ["import keras", "from keras import layers", ""]
    if not spec.is_image:
        # A whole script: the app's data first (2-D sets, or the CSV given on the command line).
        run = "python this_script.py" + (" DATA.csv" if spec.data.dataset == "custom" else "")
        lines = [
            f'"""Exported from the Deep Learning Playground: {spec.data.dataset}, hidden {list(m.hidden)}, '
            f'{t.optimizer}, lr {t.lr}.\n\nRun: {run}  (with Keras 3 on any backend)\n"""',
            "import math",
            "import sys",
            "",
            "import keras",
            "import numpy as np",
            "from keras import layers",
            "",
            f"keras.utils.set_random_seed({spec.seed})",
            *data_code_2d(spec),
        ]
        if (m.problem, m.loss) == ("multiclass", "mse"):
            lines += [f"y_train, y_val = (keras.utils.to_categorical(y, {classes}) for y in (y_train, y_val))", ""]
    if spec.is_image:
        loader = "mnist" if spec.data.dataset == "mnist" else "fashion_mnist"
        lines += [
            f"(x_train, y_train), (x_test, y_test) = keras.datasets.{loader}.load_data()",
            "x_train = x_train.reshape(-1, 784).astype('float32') / 255",
            "x_test = x_test.reshape(-1, 784).astype('float32') / 255",
            "",
        ]
    lines += ["model = keras.Sequential([", f"    keras.Input(shape=({in_dim},)),"]
    for width, act in zip(m.hidden, m.activation, strict=True):
        lines.append(f'    layers.Dense({width}, activation="{activations.REGISTRY[act].keras}"{reg}),')
        if m.dropout > 0:
            lines.append(f"    layers.Dropout({m.dropout!r}),")
    lines.append(f'    layers.Dense({units}, activation="{out_act}"{reg}),')
    lines.append("])")
    lines += [
        "",
        "model.compile(",
        f"    optimizer={_keras_optimizer(spec)},",
        f"    loss={_KERAS_LOSS[(m.problem, m.loss)]},",
    ]
    if m.problem != "regression":
        lines.append('    metrics=["accuracy"],')
    lines.append(")")
    callbacks = []
    if t.early_stopping:
        callbacks.append(
            f'keras.callbacks.EarlyStopping(monitor="val_loss", patience={t.early_stopping_patience}, '
            f"min_delta={t.early_stopping_min_delta!r}, restore_best_weights={t.restore_best_weights})"
        )
    if t.reduce_lr:
        callbacks.append(
            f'keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor={t.reduce_lr_factor!r}, '
            f"patience={t.reduce_lr_patience}, cooldown={t.reduce_lr_cooldown}, min_lr={t.reduce_lr_min_lr!r})"
        )
    lines += [
        "",
        "history = model.fit(",
        "    x_train, y_train,",
        f"    batch_size={t.batch_size},",
        f"    epochs={t.epochs},",
    ]
    if spec.is_image:
        lines.append(f"    validation_split={spec.data.validation_split!r},")
    else:
        lines.append("    validation_data=(x_val, y_val),  # the app's own split")
    if callbacks:
        lines.append("    callbacks=[")
        lines += [f"        {cb}," for cb in callbacks]
        lines.append("    ],")
    lines.append(")")
    if spec.is_image:
        lines += ["", "test_loss, test_acc = model.evaluate(x_test, y_test)", 'print(f"test accuracy: {test_acc:.4f}")']
    return "\n".join(lines) + "\n"


_MNIST_LOADER = '''
def load_idx_folder(folder):
    """Read the four MNIST-format IDX files (.gz or not) from a folder."""
    import gzip
    import os

    def read(name, shape):
        for candidate in (name, name[:-3]):
            path = os.path.join(folder, candidate)
            if os.path.exists(path):
                raw = open(path, "rb").read()
                if raw[:2] == b"\\x1f\\x8b":
                    raw = gzip.decompress(raw)
                header = 4 + 4 * raw[3]  # magic, then one 4-byte size per dimension
                return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)
        raise SystemExit(f"missing {name} in {folder}")

    x = read("train-images-idx3-ubyte.gz", (60000, 784)).astype(np.float32) / 255
    y = read("train-labels-idx1-ubyte.gz", (60000,)).astype(np.int64)
    x_test = read("t10k-images-idx3-ubyte.gz", (10000, 784)).astype(np.float32) / 255
    y_test = read("t10k-labels-idx1-ubyte.gz", (10000,)).astype(np.int64)
    return x, y, x_test, y_test
'''

_CSV_LOADER = '''
def load_csv(path):
    """Rows of x1, x2, label (a header row is allowed)."""
    rows = np.genfromtxt(path, delimiter=",", dtype=np.float64)
    rows = rows[~np.isnan(rows).any(axis=1)]
    return rows[:, :2].astype(np.float32), rows[:, 2]
'''


_FEATURE_CODE = {
    "x1": "a",
    "x2": "b",
    "x1_sq": "a * a",
    "x2_sq": "b * b",
    "x1_x2": "a * b",
    "sin_x1": "np.sin(a)",
    "sin_x2": "np.sin(b)",
}
#: Where a script's data section begins and ends (tests run it alone and compare it with the app's data).
DATA_START = "# -- the data: the app's points, features and split"
DATA_END = "# -- end of the data: the same points, features and split as the app"


def data_code_2d(spec: Spec) -> list[str]:
    """Code that makes exactly the app's data for a 2-D spec: generator, seed, noise, features and split.

    The generator's own source (``datasets.GENERATORS``), seeded as ``datasets.generate_points``
    seeds it, then the features of ``datasets.make_features`` and the shuffle and hold-out of
    ``datasets.split``. A custom set is read from the CSV given on the command line.
    """
    d = spec.data
    parts: list[str] = ["\n" + DATA_START]
    if d.dataset == "custom":
        parts += [_CSV_LOADER, "points, labels = load_csv(sys.argv[1])"]
    else:
        gen = datasets.GENERATORS[d.dataset]
        helper = ""
        if d.dataset == "multi_gauss":
            helper = (
                "_GAUSSIANS = np.array(" + repr(datasets._GAUSSIANS.tolist()) + ")\n\n\n"
                + inspect.getsource(datasets.multi_gauss_target) + "\n\n"
            )  # fmt: skip
        parts.append("\n" + helper + inspect.getsource(gen))
        parts.append(
            f"rng = np.random.default_rng([{spec.seed}, {datasets.POINTS_STREAM:#x}])  # the app's stream for points\n"
            f"points, labels = {gen.__name__}(rng, {d.samples}, {d.noise / 100!r})  # noise as a fraction\n"
            "points = points.astype(np.float32)"
        )
    feats = ", ".join(_FEATURE_CODE[f] for f in d.features)
    ydtype = "np.float32" if spec.model.problem == "regression" else "np.int64"
    parts.append(
        textwrap.dedent(
            f"""
            a, b = points[:, 0], points[:, 1]
            features = np.stack([{feats}], axis=1).astype(np.float32)  # {", ".join(d.features)}
            labels = np.asarray(labels).astype({ydtype})
            # The app's split: shuffle with the seed, hold out the validation share (at least one point each side).
            order = np.random.default_rng([{spec.seed}, {datasets.SPLIT_STREAM:#x}]).permutation(len(features))
            n_val = round(len(features) * {d.validation_split!r})
            if len(features) >= 2:
                n_val = min(max(n_val, 1), len(features) - 1)
            val_idx, train_idx = order[:n_val], order[n_val:]
            x_train, y_train = features[train_idx], labels[train_idx]
            x_val, y_val = features[val_idx], labels[val_idx]
            x_test = y_test = None
            {DATA_END}
            """
        )
    )
    return parts


def pytorch_script(spec: Spec, custom_classes: int | None = None) -> str:
    """A self-contained PyTorch training script for the spec (torch and numpy only)."""
    m, t, d = spec.model, spec.train, spec.data
    classes = _num_classes(spec, custom_classes)
    units, _ = _output(spec, classes)
    in_dim = 784 if spec.is_image else len(d.features)

    parts: list[str] = [
        f'"""Exported from the Deep Learning Playground: {d.dataset}, hidden {list(m.hidden)}, '
        f"{t.optimizer}, lr {t.lr}.\n\nRun: python this_script.py"
        + (" PATH_TO_MNIST_FOLDER" if spec.is_image else (" DATA.csv" if d.dataset == "custom" else ""))
        + '\n"""',
        "import math",
        "import sys",
        "",
        "import numpy as np",
        "import torch",
        "from torch import nn",
        "import torch.nn.functional as F",
        "",
        f"torch.manual_seed({spec.seed})",
        "torch.set_num_threads(1)",
    ]
    if spec.is_image:
        parts.append(_MNIST_LOADER)
        parts += [
            "x, y, x_test, y_test = load_idx_folder(sys.argv[1] if len(sys.argv) > 1 else '.')",
            f"n_val = int(len(x) * {d.validation_split!r})  # Keras holds out the last part",
            "x_train, y_train, x_val, y_val = x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]",
        ]
    else:
        parts += data_code_2d(spec)
    layers: list[str] = []
    prev = in_dim
    for width, act in zip(m.hidden, m.activation, strict=True):
        layers.append(f"nn.Linear({prev}, {width})")
        module = activations.REGISTRY[act].torch_module
        if module is not None:
            layers.append(module)
        if m.dropout > 0:
            layers.append(f"nn.Dropout({m.dropout!r})")
        prev = width
    layers.append(f"nn.Linear({prev}, {units})  # raw outputs (logits); the loss applies sigmoid/softmax")
    model_code = "model = nn.Sequential(\n" + "".join(f"    {layer},\n" for layer in layers) + ")"
    if m.problem == "binary" and m.loss == "binary_crossentropy":
        loss_code = "F.binary_cross_entropy_with_logits(out.squeeze(-1), yb.float())"
        correct = "((out.squeeze(-1) > 0).long() == yb).sum().item()"
    elif m.problem == "binary":
        loss_code = "F.mse_loss(torch.sigmoid(out.squeeze(-1)), yb.float())"
        correct = "((out.squeeze(-1) > 0).long() == yb).sum().item()"
    elif m.loss == "categorical_crossentropy":
        loss_code = "F.cross_entropy(out, yb)"
        correct = "(out.argmax(-1) == yb).sum().item()"
    elif m.problem == "multiclass":
        loss_code = f"F.mse_loss(torch.softmax(out, -1), F.one_hot(yb, {units}).float())"
        correct = "(out.argmax(-1) == yb).sum().item()"
    else:
        loss_code = "F.mse_loss(out.squeeze(-1), yb)"
        correct = "0"
    penalty = ""
    if t.l1 > 0 or t.l2 > 0:
        penalty = (
            f"\n        weights = [p for n, p in model.named_parameters() if n.endswith('weight')]"
            f"\n        loss = loss + {t.l1!r} * sum(w.abs().sum() for w in weights)"
            f" + {t.l2!r} * sum((w * w).sum() for w in weights)"
        )
    is_cls = m.problem != "regression"
    parts.append(
        textwrap.dedent(
            """
            x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
            x_val, y_val = torch.from_numpy(x_val), torch.from_numpy(y_val)

            {model_code}
            optimizer = {optimizer}


            def loss_of(out, yb):
                return {loss_code}


            def evaluate(x, y):
                model.eval()
                with torch.no_grad():
                    out = model(x)
                    yb = y
                    return loss_of(out, yb).item(), {correct} / len(y)


            best_val, wait = math.inf, 0
            for epoch in range(1, {epochs} + 1):
                model.train()
                perm = torch.randperm(len(x_train))
                for i in range(0, len(x_train), {batch}):
                    xb, yb = x_train[perm[i:i + {batch}]], y_train[perm[i:i + {batch}]]
                    out = model(xb)
                    loss = loss_of(out, yb){penalty}
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                train_loss, train_acc = evaluate(x_train, y_train)
                val_loss, val_acc = evaluate(x_val, y_val)
                if not math.isfinite(train_loss):
                    print(f"diverged at epoch {{epoch}}")
                    break
                print(f"epoch {{epoch}}: train_loss {{train_loss:.4f}} val_loss {{val_loss:.4f}}"{acc_print})
            """
        ).format(
            model_code=model_code,
            optimizer=_torch_optimizer(spec),
            loss_code=loss_code,
            correct=correct,
            epochs=t.epochs,
            batch=t.batch_size,
            penalty=penalty,
            acc_print=(' f" train_acc {train_acc:.3f} val_acc {val_acc:.3f}"' if is_cls else ""),
        )
    )
    if t.reduce_lr:
        parts[-1] = parts[-1].replace(
            "\n\nbest_val, wait",
            "\n# Keras's ReduceLROnPlateau, in torch's words (an absolute improvement threshold).\n"
            "scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(\n"
            f'    optimizer, mode="min", factor={t.reduce_lr_factor!r}, patience={t.reduce_lr_patience}, '
            f"cooldown={t.reduce_lr_cooldown},\n"
            f'    min_lr={t.reduce_lr_min_lr!r}, threshold={t.reduce_lr_min_delta!r}, threshold_mode="abs")\n'
            "\nbest_val, wait",
        )
        parts[-1] += "    scheduler.step(val_loss)\n"
    if t.early_stopping:
        parts[-1] += textwrap.indent(
            textwrap.dedent(
                f"""
                # Early stopping on the validation loss (Keras's EarlyStopping, patience {t.early_stopping_patience}).
                if val_loss + {t.early_stopping_min_delta!r} < best_val:
                    best_val, wait = val_loss, 0
                else:
                    wait += 1
                    if wait >= {t.early_stopping_patience} and epoch > 1:
                        print(f"early stopping at epoch {{epoch}}")
                        break
                """
            ),
            "    ",
        )
    if spec.is_image:
        parts.append(
            textwrap.dedent(
                """
                test_loss, test_acc = evaluate(torch.from_numpy(x_test), torch.from_numpy(y_test))
                print(f"test accuracy: {test_acc:.4f}")
                """
            )
        )
    return "\n".join(parts).rstrip() + "\n"
