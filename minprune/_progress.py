"""Progress bars for long work (``fit``), where the learner waits.

In a terminal, tqdm's text bar on standard error. In a Jupyter notebook, an
ipywidgets bar that appears only once the work has run for `delay` seconds and
disappears when it ends. Stored notebooks and nbval must not depend on it, since
its timings differ on every run, so the bar is displayed with the widget's MIME
type alone (no ``text/plain`` copy, which nbval would compare) and, when done,
its output is replaced by an empty one: what a notebook stores is the same on
every run, and nbval compares nothing from it.
"""
from __future__ import annotations

import sys
import time


def where():
    """``"notebook"`` inside a Jupyter kernel with ipywidgets, ``"terminal"`` when
    standard error is a terminal, else None (logs, scripts, CI)."""
    if _in_kernel():
        return "notebook"
    if getattr(sys.stderr, "isatty", lambda: False)():
        return "terminal"
    return None


def _in_kernel():
    if "ipykernel" not in sys.modules:  # cheap: IPython is not imported for nothing
        return False
    try:
        from IPython import get_ipython
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class Progress:
    """A bar over `total` steps.

    Parameters
    ----------
    total : int
    desc, unit : str
        Label and unit, e.g. ``"fit"`` and ``"epoch"``.
    mode : {"notebook", "terminal"} or None
        Where to draw it (see :func:`where`); None draws nothing.
    delay : float
        Seconds of work before the notebook bar appears: short calls leave no trace.
    """

    def __init__(self, total, desc, unit, mode, delay=1.0):
        self.total, self.desc, self.unit, self.mode, self.delay = total, desc, unit, mode, delay
        self.n = 0
        self._start = time.perf_counter()
        self._bar = self._widget = self._handle = None
        if mode == "terminal":
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)

    def update(self, postfix=""):
        """One step done; `postfix` (e.g. ``"loss=0.1234"``) is shown after the count."""
        self.n += 1
        if self._bar is not None:
            self._bar.set_postfix_str(postfix, refresh=False)
            self._bar.update(1)
        elif self.mode == "notebook":
            if self._widget is None and time.perf_counter() - self._start >= self.delay:
                self._show()
            if self._widget is not None:
                self._widget.children[0].value = self.n
                self._widget.children[1].value = (f"{self.desc}: {self.n}/{self.total} "
                                                  f"{self.unit}s {postfix}")

    def _show(self):
        import ipywidgets as w
        from IPython.display import display

        self._widget = w.HBox([w.IntProgress(value=self.n, min=0, max=self.total),
                               w.Label(f"{self.desc}: {self.n}/{self.total}")])
        # the widget's MIME type alone: nothing in it for nbval to compare
        bundle = {"application/vnd.jupyter.widget-view+json": {
            "version_major": 2, "version_minor": 0, "model_id": self._widget.model_id}}
        self._handle = display(bundle, raw=True, display_id=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()
        if self._handle is not None:
            self._handle.update({}, raw=True)  # an empty output, the same on every run
            self._widget.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
