"""One source per lesson: write the notebook learners open and its solution notebook from it.

    python notebooks/generate.py                # every lesson: write what changed, then run it
    python notebooks/generate.py 02 05          # the lessons whose names start with 02 or 05
    python notebooks/generate.py --check        # list generated notebooks that are out of date, write nothing
    python notebooks/generate.py --no-run       # write the cells, keep the outputs of unchanged cells
    python notebooks/generate.py --course DIR   # an nbgrader course folder for an instructor

A lesson's source is ``notebooks/source/NN_name.ipynb``: the whole lesson, with each exercise
solved. Three kinds of cells carry the exercises (the instructors' page, notebooks/INSTRUCTORS.md,
shows one of each):

* an **answer cell** (nbgrader metadata ``solution: true``): what the learner starts from between
  ``### BEGIN STUB`` and ``### END STUB``, the worked answer between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``; lines outside both (imports) are in both versions;
* a **test cell** (nbgrader metadata ``grade: true``, ``points``, ``locked: true``): the visible
  checks, then the hidden ones between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``;
* a **solution cell** (tag ``solution-only``): a worked explanation that only the solution shows.

Written from it: ``notebooks/NN_name.ipynb`` (the stub in place of each solution, no hidden tests,
no solution-only cell; each test cell is tagged ``raises-exception``, since it fails until the
learner answers) and ``notebooks/solutions/NN_name_solutions.ipynb`` (every answer and every
test, hidden ones included). Both keep the source's cell ids; their outputs are made by
``notebooks/regenerate.py``, which this script runs on what it changed.

``--course DIR`` writes ``DIR/nbgrader_config.py`` and ``DIR/source/NN_name/NN_name.ipynb`` for
each lesson: the form nbgrader's ``generate_assignment`` turns into exactly the learner's
notebook, with its stored outputs (the config tells nbgrader to keep them).
"""
import argparse
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "source"
SOLUTIONS = HERE / "solutions"

STUB = ("### BEGIN STUB", "### END STUB")
SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
SOLUTION_ONLY = "solution-only"
RAISES = "raises-exception"

NBGRADER_CONFIG = '''\
# nbgrader configuration for the minprune course (written by notebooks/generate.py --course).
c = get_config()  # noqa: F821
c.CourseDirectory.root = "."
# The source already holds what the learner starts from (the stub) before each solution region.
c.ClearSolutions.code_stub = {"python": ""}
# Learners see the lesson's stored outputs (plots, tables), as in the repository's notebooks.
c.ClearOutput.enabled = False
# A lesson trains small networks: give a cell time on a slow machine.
c.ExecutePreprocessor.timeout = 600
'''


# ------------------------------------------------------------------ reading a source
def lessons(prefixes=()):
    """The source notebooks, optionally only those whose names start with one of `prefixes`."""
    paths = sorted(SOURCES.glob("[0-9]*.ipynb"))
    return [p for p in paths if not prefixes or any(p.name.startswith(x) for x in prefixes)]


def targets(source):
    """(student path, solution path) written from `source`."""
    return HERE / source.name, SOLUTIONS / f"{source.stem}_solutions.ipynb"


def grader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell):
    return cell.cell_type == "code" and grader(cell).get("solution", False)


def is_test(cell):
    return cell.cell_type == "code" and grader(cell).get("grade", False) and not grader(cell).get("solution")


def _regions(source, markers):
    """Yield (line, inside) for each line of `source`, marker lines left out."""
    inside = False
    begin, end = markers
    for line in source.split("\n"):
        if line.strip() == begin:
            if inside:
                raise ValueError(f"nested {begin!r} in:\n{source}")
            inside = True
        elif line.strip() == end:
            if not inside:
                raise ValueError(f"{end!r} without {begin!r} in:\n{source}")
            inside = False
        else:
            yield line, inside
    if inside:
        raise ValueError(f"{begin!r} without {end!r} in:\n{source}")


def keep(source, markers, inside):
    """`source` without the marker lines, keeping the lines inside the region only if `inside`."""
    return "\n".join(line for line, within in _regions(source, markers) if inside or not within).strip("\n")


def check_source(nb, name):
    """Raise ValueError for a source that would give a learner an exercise without a grade."""
    answers, tests, ids = 0, 0, set()
    for cell in nb.cells:
        meta = grader(cell)
        if meta:
            gid = meta.get("grade_id")
            if not gid or gid in ids:
                raise ValueError(f"{name}: every graded cell needs its own grade_id, got {gid!r}")
            ids.add(gid)
        if is_answer(cell):
            answers += 1
            if SOLUTION[0] not in cell.source or STUB[0] not in cell.source:
                raise ValueError(f"{name}: answer cell {meta['grade_id']!r} needs a stub and a solution region")
        if is_test(cell):
            tests += 1
            if not meta.get("points"):
                raise ValueError(f"{name}: test cell {meta['grade_id']!r} has no points")
            if HIDDEN[0] not in cell.source:
                raise ValueError(f"{name}: test cell {meta['grade_id']!r} has no hidden test")
    if answers == 0 or tests < answers:
        raise ValueError(f"{name}: {answers} answer cell(s) but {tests} test cell(s)")


# ------------------------------------------------------------------ the two versions
def _cell(cell, source, tags_add=(), tags_drop=()):
    out = copy.deepcopy(cell)
    out.source = source
    tags = [t for t in out.metadata.get("tags", []) if t not in tags_drop] + list(tags_add)
    if tags:
        out.metadata["tags"] = tags
    else:
        out.metadata.pop("tags", None)
    if out.cell_type == "code":
        out.outputs, out.execution_count = [], None
    return out


def student_cells(nb):
    """The learner's cells: stubs in place of solutions, no hidden tests, no solution-only cells."""
    cells = []
    for cell in nb.cells:
        if SOLUTION_ONLY in cell.metadata.get("tags", []):
            continue
        if is_answer(cell):
            text = keep(keep(cell.source, SOLUTION, inside=False), STUB, inside=True)
            cells.append(_cell(cell, text))
        elif is_test(cell):
            cells.append(_cell(cell, keep(cell.source, HIDDEN, inside=False), tags_add=[RAISES]))
        else:
            cells.append(_cell(cell, cell.source))
    return cells


LINK = re.compile(r"(\]\(|<img src=\"|src=')(?![a-z]+:|#|/)")


def relink(text):
    """Markdown `text` with its relative links made relative to notebooks/solutions/."""
    return LINK.sub(r"\1../", text)


def solution_cells(nb):
    """The solution's cells: every answer and every test, hidden ones included, markers left out.

    The solution lives in notebooks/solutions/, one folder below the lesson: relative links in
    markdown get a ``../``.
    """
    cells = []
    for cell in nb.cells:
        text = cell.source
        if cell.cell_type == "markdown":
            text = relink(text)
        if is_answer(cell):
            text = keep(keep(text, STUB, inside=False), SOLUTION, inside=True)
        elif is_test(cell):
            text = keep(text, HIDDEN, inside=True)
        cells.append(_cell(cell, text, tags_drop=[SOLUTION_ONLY]))
    return cells


def nbgrader_cells(nb):
    """The nbgrader source: stub kept before each solution region (nbgrader's stub is empty)."""
    cells = []
    for cell in nb.cells:
        if SOLUTION_ONLY in cell.metadata.get("tags", []):
            continue
        text = keep(cell.source, STUB, inside=True) if is_answer(cell) else cell.source
        cells.append(_cell(cell, text))
    return cells


# ------------------------------------------------------------------ writing
def _key(cell):
    """What the generator decides about a cell (its outputs are regenerate.py's business)."""
    meta = {k: v for k, v in cell.get("metadata", {}).items() if k in ("tags", "nbgrader")}
    return cell.get("id"), cell["cell_type"], cell["source"], json.dumps(meta, sort_keys=True)


def _merged(cells, path):
    """A notebook of `cells` that keeps `path`'s metadata and the outputs of its unchanged cells."""
    old = nbformat.read(path, as_version=4) if path.exists() else None
    nb = nbformat.v4.new_notebook()
    if old is not None:
        nb.metadata = old.metadata
        stored = {_key(c): c for c in old.cells}
        cells = [copy.deepcopy(stored.get(_key(c), c)) for c in cells]
    else:
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = cells
    return nb


def out_of_date(source):
    """The generated paths of `source` whose cells differ from what the source gives."""
    nb = nbformat.read(source, as_version=4)
    check_source(nb, source.name)
    stale = []
    for path, cells in zip(targets(source), (student_cells(nb), solution_cells(nb))):
        if not path.exists():
            stale.append(path)
            continue
        stored = nbformat.read(path, as_version=4).cells
        if [_key(c) for c in stored] != [_key(c) for c in cells]:
            stale.append(path)
    return stale


def write(source):
    """Write the student and solution notebooks of `source`; return the paths that changed."""
    nb = nbformat.read(source, as_version=4)
    check_source(nb, source.name)
    changed = []
    for path, cells in zip(targets(source), (student_cells(nb), solution_cells(nb))):
        if path in out_of_date(source):
            nbformat.write(_merged(cells, path), path)
            changed.append(path)
    return changed


def write_course(directory, prefixes=()):
    """Write an nbgrader course folder: its config and one assignment per lesson.

    Each assignment's notebook carries the learner's stored outputs (matched by cell id), so the
    released notebook shows the lesson's plots and tables.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    written = []
    for source in lessons(prefixes):
        nb = nbformat.read(source, as_version=4)
        check_source(nb, source.name)
        student = nbformat.read(targets(source)[0], as_version=4)
        outputs = {c.get("id"): c for c in student.cells if c.cell_type == "code"}
        cells = nbgrader_cells(nb)
        for cell in cells:
            stored = outputs.get(cell.get("id"))
            if cell.cell_type == "code" and stored is not None and not is_test(cell):
                cell.outputs, cell.execution_count = stored.outputs, stored.execution_count
        out = nbformat.v4.new_notebook(metadata=copy.deepcopy(student.metadata), cells=cells)
        folder = directory / "source" / source.stem
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(out, folder / source.name)
        written.append(folder / source.name)
    return written


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="lesson name prefixes, e.g. 02 05")
    parser.add_argument("--check", action="store_true", help="list out-of-date notebooks, write nothing")
    parser.add_argument("--no-run", action="store_true", help="do not run regenerate.py on what changed")
    parser.add_argument("--course", metavar="DIR", help="write an nbgrader course folder to DIR")
    args = parser.parse_args(argv)
    sources = lessons(args.prefixes)
    if not sources:
        parser.error(f"no source notebook in {SOURCES} matches {args.prefixes}")
    if args.course:
        for path in write_course(args.course, args.prefixes):
            print(path)
        return 0
    if args.check:
        stale = [p for s in sources for p in out_of_date(s)]
        for path in stale:
            print(f"out of date: {path.relative_to(HERE.parent)} (run python notebooks/generate.py)")
        return 1 if stale else 0
    changed = [p for s in sources for p in write(s)]
    for path in changed:
        print(f"wrote {path.relative_to(HERE.parent)}")
    if changed and not args.no_run:
        names = sorted({p.stem.removesuffix("_solutions") for p in changed})
        return subprocess.call([sys.executable, str(HERE / "regenerate.py"), *names])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
