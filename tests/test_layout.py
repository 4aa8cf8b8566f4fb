"""The layout's promises: every name the README shows works, the package imports without
cycles dodged inside functions, and adding a criterion is one registration in one file."""
import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import minprune
from minprune.pruning.criteria import registry

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _readme_names():
    """Every dotted name the README writes as ``mp.x.y`` or ``minprune.x.y``."""
    found = set()
    for match in re.finditer(r"(?<![\w/.-])(?:mp|minprune)((?:\.[A-Za-z_]\w*)+)", README):
        found.add(match.group(1).lstrip("."))
    return sorted(found)


@pytest.mark.parametrize("dotted", _readme_names())
def test_every_name_the_readme_shows_resolves(dotted):
    obj = minprune
    for part in dotted.split("."):
        obj = getattr(obj, part)  # AttributeError names what the README promises in vain
    assert obj is not None


def test_the_readme_names_enough_to_mean_something():
    names = _readme_names()
    for expected in ("pruning.weights", "prune_weights", "plots.network_diagram",
                     "widgets.explore", "PrunedMLPClassifier", "from_sklearn", "undo"):
        assert expected in names


@pytest.mark.parametrize("code", [
    "import minprune.pruning.weights",
    "import minprune as mp; mp.pruning.weights.prune_weights; mp.pruning.criteria.describe()",
    "import minprune as mp; mp.plots.network_diagram; mp.widgets.explore",
    "import minprune as mp; mp.PrunedMLPClassifier; mp.from_sklearn; mp.checks; mp.glossary",
])
def test_names_work_in_a_fresh_interpreter(code):
    env_path = str(ROOT)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, cwd=ROOT)
    assert result.returncode == 0, result.stderr


# Imports inside a function are allowed only for these reasons, never to dodge a cycle
# between minprune modules.
_DEFERRED = {
    ("tour.py", "viz"): "pyplot may only be imported after the tour has chosen a backend",
    ("__main__.py", "tour"): "the command line starts without loading what a command needs",
    ("__main__.py", ""): "the command line starts without loading what a command needs",
    ("__main__.py", "site"): "the command line starts without loading what a command needs",
    ("__main__.py", "course"): "the command line starts without loading what a command needs",
    ("oracle.py", "reconstruction"): "scipy.linalg loads only when a method that needs it runs",
}


def test_no_minprune_module_imports_another_inside_a_function():
    found = []
    for path in sorted((ROOT / "minprune").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "")
                                                         .startswith("minprune")):
                    key = (path.name, node.module or "")
                    if key not in _DEFERRED:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} "
                                     f"from {'.' * node.level}{node.module or ''}")
    assert not found, "imports inside functions:\n" + "\n".join(found)


def _readme_criterion_example():
    block = re.search(r"```python\n( *)# minprune/pruning/criteria/weights.py\n(.*?)```", README,
                      re.S)
    assert block, "the README's 'Working on minprune' shows how to add a criterion"
    return textwrap.dedent(block.group(1) + "# criterion\n" + block.group(2))


def test_adding_a_criterion_is_one_registration(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    namespace = {"np": np, "register": registry.register}
    exec(_readme_criterion_example(), namespace)  # what the README tells a newcomer to write

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8)).astype(np.float32)
    y = np.arange(60) % 3
    model = minprune.MLP([8, 16, 3], seed=0)
    minprune.fit(model, X, y, epochs=2, seed=0, progress=False)

    # the verbs, the score function and the docs read the registry
    minprune.prune_weights(model, 0.5, criterion="gradient", data=(X, y))
    assert minprune.sparsity(model) == pytest.approx(0.5)
    grads = minprune.weight_importance(model, "gradient", data=(X, y))
    assert [g.shape for g in grads] == [layer.W.shape for layer in model.layers]
    assert "gradient" in registry.names("weights")
    assert "gradient" in minprune.pruning.criteria.describe("weights")
    # the data requirement and the error messages come from the registration
    with pytest.raises(ValueError, match=r"criterion='gradient' needs data=\(X, y\)"):
        minprune.prune_weights(model.copy(), 0.1, criterion="gradient")
    with pytest.raises(ValueError, match="'gradient'"):
        minprune.prune_weights(model.copy(), 0.1, criterion="gradiant")
    # the widgets' menu and the estimator accept it
    data = minprune.datasets.Dataset(X[:40], y[:40], X[40:], y[40:])
    explorer = minprune.widgets.explore(model, data, criterion="gradient", static=True)
    assert explorer.state.criterion == "gradient"
    clf = minprune.PrunedMLPClassifier(hidden_layer_sizes=(8,), criterion="gradient", max_iter=1,
                                       finetune_max_iter=1, random_state=0).fit(X, y)
    assert clf.sparsity_ == pytest.approx(0.5, abs=0.01)
