"""Entry point for Streamlit Community Cloud: choose this file as the app's main file.

Community Cloud reads the dependency file in the entry point's folder first,
so ``cloud/requirements.txt`` (PyTorch's CPU-only wheel) is used instead of the
top-level one (which pins the wheel that installs on our Debian machines). The
Cloud runs ``streamlit run`` from the repository's root, where
``.streamlit/config.toml`` lives; this file just runs ``app.py``.
"""

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
