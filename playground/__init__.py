"""The playground engine: a plain PyTorch library behind the Streamlit pages.

It owns every number the app shows and imports neither Streamlit nor Plotly
(the UI lives in ``playground.ui``). Importing it sets torch to one CPU thread
(``PLAYGROUND_THREADS`` overrides), the right default on a small shared server.

    from playground import Spec, Trainer
    trainer = Trainer(Spec.from_query("dataset=xor&hidden=4&activation=tanh"))
    for record in trainer.train(epochs=50): ...
"""

from playground.device import configure_threads, resolve_device
from playground.spec import Spec, SpecError, spec_for_dataset
from playground.trainer import EpochRecord, Trainer

configure_threads()

__all__ = ["EpochRecord", "Spec", "SpecError", "Trainer", "configure_threads", "resolve_device", "spec_for_dataset"]
