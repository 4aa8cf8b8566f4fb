"""Re-execute the course notebooks in place so their stored outputs are fresh, or check them.

    python notebooks/regenerate.py                  # every notebook, solutions included
    python notebooks/regenerate.py 02 05            # the ones whose names start with 02 or 05
    python notebooks/regenerate.py --check          # execute, compare with the stored outputs, write nothing
    python notebooks/regenerate.py --check --nudge  # the same, with trained weights moved in their last
                                                    # bits: a stand-in for another CPU or BLAS

Writing: each notebook is executed with this interpreter's kernel (as `pytest --nbval-current-env`
does), its outputs and widget state are stored, and the environment that made them (Python, numpy,
scipy, scikit-learn, matplotlib, the BLAS library and the kernel it chose) is recorded in the
notebook's metadata (``metadata.minprune.outputs_made_with``) and in the course map
(notebooks/README.md). Widget model ids are renumbered deterministically and each widget view gets
its first picture as a static PNG beside it, so a viewer without a kernel (GitHub, a rendered page)
shows the picture, and a second run on the same machine changes nothing that nbval compares.

Checking: ``--check`` compares what nbval compares (every output of a cell not tagged
``nbval-ignore-output``, images and widget views aside, after notebooks/sanitize.cfg) and lists the
cells that differ. With ``--nudge`` it tests the course's convention: an output that changes when
the weights move by a few float32 ulps during training depends on training, and its cell must
carry the ``trained`` and ``nbval-ignore-output`` tags (see the course map).
"""
import argparse
import base64
import io
import json
import os
import platform
import re
import sys
import time
import uuid
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
COURSE_MAP = HERE / "README.md"
ENV_START, ENV_END = "<!-- outputs-made-with:start -->", "<!-- outputs-made-with:end -->"
IGNORE = "nbval-ignore-output"
# What nbval leaves out of its comparison (nbval.plugin.IPyNbFile.skip_compare, without --nbdime).
NOT_COMPARED = {"image/png", "image/jpeg", "application/vnd.jupyter.widget-view+json"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

# Run in the kernel before the notebook by --nudge (never stored): right after the first step of
# every optimizer, each weight moves by 2**-16 of itself (pruned zeros stay zero). Training carries
# that on, as it carries a different CPU's last-bit rounding; untrained numbers do not move.
NUDGE = """\
import minprune as _mp

def _nudging(step):
    def nudged_step(self, model, grads):
        step(self, model, grads)
        if not getattr(self, "_nudged", False):
            self._nudged = True
            for layer in model.layers:
                layer.W *= 1 + 2.0 ** -16
    return nudged_step

for _cls in (_mp.SGD, _mp.Adam):
    _cls.step = _nudging(_cls.step)
"""


def notebooks(prefixes=()):
    paths = sorted(HERE.glob("[0-9]*.ipynb")) + sorted((HERE / "solutions").glob("*.ipynb"))
    return [p for p in paths if not prefixes or any(p.name.startswith(x) for x in prefixes)]


# ------------------------------------------------------------------ the environment
def environment():
    """The versions that decide the stored numbers, and the BLAS kernel in use."""
    from importlib.metadata import version

    import numpy  # noqa: F401  (threadpoolctl sees only the BLAS libraries already loaded)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    env = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "scikit-learn", "matplotlib"):
        env[name] = version(name)
    blas = sorted((i for i in threadpool_info() if i.get("user_api") == "blas"), key=lambda i: i["filepath"])
    # e.g. "numpy: openblas 0.3.31 (Haswell kernel)"; scipy may bring its own copy.
    env["blas"] = "; ".join(f"{Path(i['filepath']).parent.name.split('.')[0]}: {i['internal_api']} "
                            f"{i['version']} ({i.get('architecture') or '?'} kernel)" for i in blas) or "unknown"
    return env


def describe(env):
    return (f"Python {env['python']}, numpy {env['numpy']}, scipy {env['scipy']}, scikit-learn "
            f"{env['scikit-learn']}, matplotlib {env['matplotlib']}, BLAS {env['blas']}")


def update_course_map():
    """Write, between the markers in the course map, which environment made which outputs."""
    groups = {}
    for path in notebooks():
        env = nbformat.read(path, as_version=4).metadata.get("minprune", {}).get("outputs_made_with")
        kind = "solutions" if path.parent.name == "solutions" else "notebooks"
        groups.setdefault(describe(env) if env else "not recorded", {}).setdefault(kind, []).append(path.stem[:2])
    lines = []
    for text, kinds in groups.items():
        where = ("all notebooks and solutions" if len(groups) == 1 else
                 "; ".join(f"{kind} {', '.join(names)}" for kind, names in kinds.items()))
        lines.append(f"- {where}: {text}")
    text = COURSE_MAP.read_text()
    start, end = text.index(ENV_START) + len(ENV_START), text.index(ENV_END)
    COURSE_MAP.write_text(text[:start] + "\n" + "\n".join(lines) + "\n" + text[end:])


# ------------------------------------------------------------------ executing
def execute(path, nudge=False, attempts=2):
    """Return the notebook at `path`, executed in a fresh kernel (nothing is written).

    A kernel that dies or stops answering (it happens on a heavily loaded machine) is started
    again, once; a cell that raises is reported at once.
    """
    from nbclient.exceptions import CellExecutionError

    for attempt in range(attempts):
        try:
            return _execute(path, nudge)
        except CellExecutionError:
            raise
        except Exception:
            if attempt == attempts - 1:
                raise


def _execute(path, nudge):
    nb = nbformat.read(path, as_version=4)
    if nudge:
        nb.cells.insert(0, nbformat.v4.new_code_cell(NUDGE))
    # record_timing=False: no per-cell timestamps, so a re-run only changes what really changed.
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    if nudge:
        nb.cells.pop(0)
    return nb


def _widget_state(nb):
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _first_picture(state, model_id, seen=None):
    """PNG bytes of the first picture inside widget `model_id` (an Image, or a plot in an Output)."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return None
    seen.add(model_id)
    model = state[model_id]
    if model.get("model_name") == "ImageModel":
        for buf in model.get("buffers", []):
            if buf.get("path") == ["value"]:
                return base64.b64decode(buf["data"])
    if model.get("model_name") == "OutputModel":
        for out in model.get("state", {}).get("outputs", []):
            if "image/png" in out.get("data", {}):
                return base64.b64decode(out["data"]["image/png"])
    for child in model.get("state", {}).get("children", []):
        found = _first_picture(state, str(child).removeprefix("IPY_MODEL_"), seen)
        if found:
            return found
    return None


def _fallback_png(pictures):
    """One light PNG of the pictures side by side (a comparison widget shows one per criterion).

    64 colours are plenty for a diagram and keep the stored notebook small.
    """
    from PIL import Image

    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pictures]
    out = Image.new("RGB", (sum(i.width for i in images), max(i.height for i in images)), "white")
    x = 0
    for image in images:
        out.paste(image, (x, 0))
        x += image.width
    buf = io.BytesIO()
    out.quantize(colors=64).save(buf, format="png", optimize=True)
    return buf.getvalue()


def add_widget_fallbacks(nb):
    """Give each widget view its first picture as a static PNG, for viewers without a kernel.

    A renderer that can draw the widget (a live kernel, or the saved widget state) prefers the
    widget view; GitHub and plain HTML exports fall back to the PNG instead of the text
    ``VBox(children=...``.
    """
    state = _widget_state(nb)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            root = data[WIDGET_VIEW]["model_id"]
            pictures = []
            model = state.get(root, {})
            # A comparison widget holds several diagrams side by side: take one from each column.
            for child in model.get("state", {}).get("children", []):
                picture = _first_picture(state, str(child).removeprefix("IPY_MODEL_"))
                if picture and picture not in pictures:
                    pictures.append(picture)
            if pictures:
                data["image/png"] = base64.b64encode(_fallback_png(pictures)).decode()
                data["text/plain"] = ("[an interactive widget: run the notebook to use it; "
                                      "the picture is its first state]")


def renumber_widgets(nb, name):
    """Replace the random widget model ids by ids derived from the notebook's name and their order."""
    text = json.dumps(nb)
    ids = list(_widget_state(nb))
    for k, old in enumerate(ids):
        text = text.replace(old, uuid.uuid5(uuid.NAMESPACE_URL, f"minprune/{name}/{k}").hex)
    return nbformat.from_dict(json.loads(text))


def regenerate(path, env):
    nb = execute(path)
    add_widget_fallbacks(nb)
    nb = renumber_widgets(nb, path.stem)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["minprune"] = {"outputs_made_with": env}
    nbformat.write(nb, path)


# ------------------------------------------------------------------ checking
def sanitizers(path=HERE / "sanitize.cfg"):
    """The (regex, replacement) pairs of nbval's sanitize file, in order."""
    pairs, regex = [], None
    for line in path.read_text().splitlines():
        if line.startswith("regex:"):
            regex = line[len("regex:"):].strip()
        elif line.startswith("replace:") and regex is not None:
            pairs.append((re.compile(regex), line[len("replace:"):].strip()))
            regex = None
    return pairs


def compared(cell, pairs):
    """What nbval compares of a code cell's outputs, sanitized; None for an ignored cell."""
    if IGNORE in cell.metadata.get("tags", []):
        return None
    texts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":   # one print may arrive in several chunks
            if texts and texts[-1].startswith("stream: "):
                texts[-1] += out.text
            else:
                texts.append("stream: " + out.text)
        elif out.output_type == "error":
            texts.append(f"{out.ename}: {out.evalue}")
        else:
            texts += [f"{k}: {v}" for k, v in sorted(out.get("data", {}).items()) if k not in NOT_COMPARED]
    text = "\n".join(texts)
    for regex, replace in pairs:
        text = regex.sub(replace, text)
    return text


def check(path, nudge):
    """Execute `path` and return the indices of the code cells whose compared output changed."""
    pairs = sanitizers()
    stored = nbformat.read(path, as_version=4)
    fresh = execute(path, nudge=nudge)
    changed = []
    for i, (old, new) in enumerate(zip(stored.cells, fresh.cells)):
        if old.cell_type == "code" and compared(old, pairs) != compared(new, pairs):
            changed.append(i)
            print(f"  cell {i} differs:\n    stored: {compared(old, pairs)!r:.300}\n"
                  f"    now:    {compared(new, pairs)!r:.300}")
    return changed


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="notebook name prefixes, e.g. 02 05")
    parser.add_argument("--check", action="store_true", help="compare with the stored outputs, write nothing")
    parser.add_argument("--nudge", action="store_true",
                        help="with --check: move the weights by a few ulps at the first step of every optimizer")
    args = parser.parse_args(argv)
    if args.nudge and not args.check:
        parser.error("--nudge goes with --check (stored outputs are never made from nudged weights)")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    env, failed = environment(), []
    for path in notebooks(args.prefixes):
        start = time.perf_counter()
        name = path.relative_to(HERE.parent)
        if args.check:
            changed = check(path, args.nudge)
            failed += [f"{name} cell {i}" for i in changed]
            print(f"{name}: {len(changed)} compared cell(s) differ ({time.perf_counter() - start:.1f} s)")
        else:
            try:
                regenerate(path, env)
            except Exception as err:  # a failing assert: leave this notebook as it was, go on
                failed.append(f"{name}: {type(err).__name__}: {str(err)[-2000:]}")
                print(f"{name}: NOT regenerated, it raised (see the end)")
                continue
            print(f"{name}: {time.perf_counter() - start:.1f} s")
    if not args.check:
        update_course_map()
    for failure in failed:
        print(failure, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
