"""The course's own conventions, checked on the stored notebooks (fast: nothing is executed).

See "What is compared, and why" in notebooks/README.md: nbval compares exactly only what is exact
on every machine; a cell whose output is shown but not compared says why with one reason tag.
"""
import ast
import json
import re
from pathlib import Path

import pytest

from minprune import glossary as g

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9]*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
IGNORE = "nbval-ignore-output"
REASONS = {"trained", "timing", "widget", "glossary-text"}
ENVIRONMENT = {"python", "numpy", "scipy", "scikit-learn", "matplotlib", "blas"}
TIMERS = {"measure_latency", "perf_counter", "perf_counter_ns", "monotonic", "process_time", "time",
          "timeit", "repeat"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _id(path):
    return str(path.relative_to(REPO))


def _cells(path, kind):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == kind:
            src = cell["source"]
            yield i, cell, "".join(src) if isinstance(src, list) else src


def test_there_are_notebooks():
    assert len(PATHS) >= 20


@pytest.mark.parametrize("path", PATHS, ids=_id)
def test_ignored_cells_say_why(path):
    for i, cell, _ in _cells(path, "code"):
        tags = set(cell.get("metadata", {}).get("tags", []))
        reasons = tags & REASONS
        if IGNORE in tags:
            assert len(reasons) == 1, f"cell {i}: {IGNORE} needs exactly one reason tag of {sorted(REASONS)}"
        else:
            assert not reasons, f"cell {i}: tagged {sorted(reasons)} but its output is compared"


@pytest.mark.parametrize("path", PATHS, ids=_id)
def test_no_cell_asserts_a_measured_time(path):
    for i, _, src in _cells(path, "code"):
        try:
            tree = ast.parse(src)
        except SyntaxError:  # IPython syntax: nothing to inspect
            continue
        called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                  for node in ast.walk(tree) if isinstance(node, ast.Call)}
        asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
        assert not (called & TIMERS and asserts), \
            f"cell {i} measures time ({sorted(called & TIMERS)}) and asserts: assert FLOPs or bytes instead"


@pytest.mark.parametrize("path", PATHS, ids=_id)
def test_markdown_holds_no_myst_role(path):
    for i, _, src in _cells(path, "markdown"):
        found = re.findall(r"\{[a-z][a-z-]*\}`[^`]*`", src)
        assert not found, f"cell {i}: MyST roles show as raw text outside a MyST site: {found}"


@pytest.mark.parametrize("path", PATHS, ids=_id)
def test_relative_links_resolve(path):
    for i, _, src in _cells(path, "markdown"):
        for target in re.findall(r"\]\(([^)\s]+)\)", src):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            file, _, fragment = target.partition("#")
            linked = (path.parent / file).resolve()
            assert linked.is_file(), f"cell {i}: link to missing {target}"
            if fragment:
                assert linked.suffix == ".ipynb" and fragment in g.notebook_anchors(linked), \
                    f"cell {i}: {target} has no <a id={fragment!r}> anchor"


def test_glossary_terms_link_to_their_entries():
    linked = set()
    for path in PATHS:
        for _, _, src in _cells(path, "markdown"):
            linked |= set(re.findall(r"glossary/terms/([a-z0-9-]+)\.md\)", src))
    entries = {e.slug for e in g.entries()}
    assert linked and linked <= entries


@pytest.mark.parametrize("path", PATHS, ids=_id)
def test_outputs_record_where_they_came_from(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    env = nb["metadata"].get("minprune", {}).get("outputs_made_with", {})
    assert set(env) >= ENVIRONMENT, f"run notebooks/regenerate.py: metadata lacks {ENVIRONMENT - set(env)}"
    course_map = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    assert f"numpy {env['numpy']}" in course_map and env["blas"] in course_map


@pytest.mark.parametrize("path", PATHS, ids=_id)
def test_widgets_keep_a_picture_for_viewers_without_a_kernel(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell, _ in _cells(path, "code"):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                assert "image/png" in data, f"cell {i}: a widget view without its static picture"
                assert data[WIDGET_VIEW]["model_id"] in json.dumps(nb["metadata"].get("widgets", {}))
