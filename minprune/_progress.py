"""Progress bars for long work (``fit``), where the learner waits.

In a terminal, tqdm's text bar on standard error. In a Jupyter notebook, an
ipywidgets bar that appears once the cell has been training for `delay` seconds
(counting every ``fit`` of the cell, so a sweep of many short runs shows one too)
and disappears when each run ends; all runs of a cell share one output. Stored
notebooks and nbval must not depend on it, since its timings differ on every
run, so the bar is displayed with the widget's MIME type alone (no
``text/plain`` copy, which nbval would compare) and, when done, that output is
replaced by an empty one: what a notebook stores is the same on every run, and
nbval compares nothing from it.
"""
from __future__ import annotations

import sys
import time

# The notebook cell being run: its number, when its first bar-worthy work began, its
# output (one per cell, reused by every run in it) and how many runs it made.
_cell = {"number": None, "start": 0.0, "handle": None, "runs": 0}


def where():
    """``"notebook"`` inside a Jupyter kernel with ipywidgets, ``"terminal"`` when
    standard error is a terminal, else None (logs, scripts, CI)."""
    if _in_kernel():
        return "notebook"
    if getattr(sys.stderr, "isatty", lambda: False)():
        return "terminal"
    return None


def _shell():
    from IPython import get_ipython

    return get_ipython()


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
        if mode == "notebook":
            number = getattr(_shell(), "execution_count", None)
            if number != _cell["number"]:  # a new cell: its clock starts now
                _cell.update(number=number, start=self._start, handle=None, runs=0)
            _cell["runs"] += 1
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
            if self._widget is None and time.perf_counter() - _cell["start"] >= self.delay:
                self._show()
            if self._widget is not None:
                self._widget.children[0].value = self.n
                self._widget.children[1].value = self._label(postfix)

    def _label(self, postfix=""):
        run = f" (run {_cell['runs']} of this cell)" if _cell["runs"] > 1 else ""
        return f"{self.desc}{run}: {self.n}/{self.total} {self.unit}s {postfix}"

    def _show(self):
        import ipywidgets as w
        from IPython.display import display

        self._widget = w.HBox([w.IntProgress(value=self.n, min=0, max=self.total),
                               w.Label(self._label())])
        # the widget's MIME type alone: nothing in it for nbval to compare
        bundle = {"application/vnd.jupyter.widget-view+json": {
            "version_major": 2, "version_minor": 0, "model_id": self._widget.model_id}}
        if _cell["handle"] is None:
            _cell["handle"] = display(bundle, raw=True, display_id=True)
        else:  # a later run of the same cell: the same output
            _cell["handle"].update(bundle, raw=True)
        self._handle = _cell["handle"]

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
