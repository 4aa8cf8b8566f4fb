"""The course as an instructor grades it with nbgrader: one source per lesson, autograded.

Every lesson: its generated notebooks are up to date with its source, every exercise has points
and a hidden test, and nbgrader's ``generate_assignment`` turns the source into exactly the
learner's notebook, hidden tests removed. Autograding executes a whole lesson per submission,
so it runs on two lessons (FULL): a correct and a typical wrong submission of each, graded by
nbgrader, with the checks' hints in the feedback. The other lessons are graded the cheap way:
nbgrader's own rule (``nbgrader.utils.determine_grade``) applied to their stored outputs, which
the notebook tests re-execute and compare: the solution scores every point, the unanswered
learner's notebook none.
"""
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

nbgrader = pytest.importorskip("nbgrader", reason="the grader comes with the test and instructor extras")
from nbgrader.api import Gradebook  # noqa: E402
from nbgrader.apps import NbGraderAPI  # noqa: E402
from nbgrader.utils import determine_grade  # noqa: E402
from traitlets.config import Config  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("generate", REPO / "notebooks" / "generate.py")
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

LESSONS = generate.lessons()
FULL = ("00_what_is_pruning", "02_weight_pruning")

# A typical wrong answer per exercise graded fully (the other answers are the solution's):
# lesson -> {grade_id of the answer cell: code}, and the hint the learner must get back.
MISTAKES = {
    "00_what_is_pruning": ({
        "ex1": "my_sparsity = sum(int(layer.mask.sum()) for layer in deep.layers) / "
               "sum(layer.mask.size for layer in deep.layers)",
    }, "that is the density"),
    "02_weight_pruning": ({
        "ex1": "def magnitude_mask(W, amount):\n"
               "    k = amount if isinstance(amount, int) else int(amount * W.size)\n"
               "    order = np.argsort(np.abs(W).ravel(), kind='stable')\n"
               "    mask = np.ones(W.size, dtype=bool)\n"
               "    mask[order[:k]] = False\n"
               "    return mask.reshape(W.shape)",
        "ex3": "my_accuracies = []\n"
               "for i in range(len(model.layers)):\n"
               "    trial = model.copy()\n"
               "    trial.layers[i].mask = np.abs(trial.layers[i].W) > np.quantile(np.abs(trial.layers[i].W), 0.9)\n"
               "    trial.layers[i].apply_mask()\n"
               "    my_accuracies.append(trial.score(data.X_train, data.y_train))",
    }, "was truncated"),
}


def _id(path):
    return path.stem


def _points(nb):
    """{grade_id of a test cell: points}."""
    return {generate.grader(c)["grade_id"]: float(generate.grader(c)["points"])
            for c in nb.cells if generate.is_test(c)}


def test_there_is_a_source_for_every_lesson():
    sources = {p.name for p in LESSONS}
    learners = {p.name for p in (REPO / "notebooks").glob("[0-9]*.ipynb")}
    assert sources and sources == learners


@pytest.mark.parametrize("source", LESSONS, ids=_id)
def test_generated_notebooks_are_up_to_date(source):
    stale = generate.out_of_date(source)
    assert not stale, f"run `python notebooks/generate.py {source.stem[:2]}`: {[p.name for p in stale]} out of date"


@pytest.mark.parametrize("source", LESSONS, ids=_id)
def test_every_exercise_has_points_and_a_hidden_test(source):
    nb = nbformat.read(source, as_version=4)
    generate.check_source(nb, source.name)   # raises on a test cell without points or hidden test
    answers = [generate.grader(c)["grade_id"] for c in nb.cells if generate.is_answer(c)]
    assert sorted(_points(nb)) == sorted(f"{a}-tests" for a in answers)


def test_out_of_date_is_detected(tmp_path, monkeypatch):
    source = LESSONS[0]
    student, _ = generate.targets(source)
    nb = nbformat.read(student, as_version=4)
    next(c for c in nb.cells if generate.is_answer(c)).source += "\nprint('edited by hand')"
    moved = tmp_path / student.name
    nbformat.write(nb, moved)
    monkeypatch.setattr(generate, "targets", lambda s: (moved, generate.SOLUTIONS / f"{s.stem}_solutions.ipynb"))
    assert generate.out_of_date(source) == [moved]


def test_a_source_without_hidden_tests_is_refused():
    nb = nbformat.read(LESSONS[0], as_version=4)
    test = next(c for c in nb.cells if generate.is_test(c))
    test.source = generate.keep(test.source, generate.HIDDEN, inside=False)
    with pytest.raises(ValueError, match="no hidden test"):
        generate.check_source(nb, "edited")


# ------------------------------------------------------------------ nbgrader itself
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """An nbgrader course folder with every lesson released, as `generate.py --course` writes it."""
    root = tmp_path_factory.mktemp("course")
    generate.write_course(root)
    config = Config()
    exec((root / "nbgrader_config.py").read_text(), {"get_config": lambda: config})
    config.CourseDirectory.root = str(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        api = NbGraderAPI(config=config)
        for source in LESSONS:
            result = api.generate_assignment(source.stem)
            assert result["success"], result.get("error") or result["log"]
        yield root, api
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("source", LESSONS, ids=_id)
def test_nbgrader_releases_the_learners_notebook(course, source):
    root, _ = course
    released = nbformat.read(root / "release" / source.stem / source.name, as_version=4)
    learner = nbformat.read(generate.targets(source)[0], as_version=4)
    assert [c.source.strip() for c in released.cells] == [c.source.strip() for c in learner.cells]
    assert not any(m in c.source for c in released.cells for m in generate.HIDDEN + generate.SOLUTION)
    # nbgrader kept the lesson's outputs (a plot, a table) for the learner
    assert sum(bool(c.get("outputs")) for c in released.cells) >= 3
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        stored = gb.find_notebook(source.stem, source.stem)
        hidden = [c.source for c in stored.source_cells if generate.HIDDEN[0] in c.source]
        assert hidden, "the gradebook must hold the hidden tests that autograde puts back"
        assert stored.max_score == sum(_points(nbformat.read(source, as_version=4)).values())


def _stub(cell):
    """The lines of a source answer cell that the learner replaces."""
    text = generate.keep(cell.source, generate.SOLUTION, inside=False)
    return "\n".join(line for line, inside in generate._regions(text, generate.STUB) if inside)


def _submission(source, wrong):
    """The released notebook with every answer cell filled: the solution's, or a mistake in place of the stub."""
    student, solution = generate.targets(source)
    answers = {generate.grader(c)["grade_id"]: c.source
               for c in nbformat.read(solution, as_version=4).cells if generate.is_answer(c)}
    stubs = {generate.grader(c)["grade_id"]: _stub(c)
             for c in nbformat.read(source, as_version=4).cells if generate.is_answer(c)}
    nb = nbformat.read(student, as_version=4)
    for cell in nb.cells:
        if generate.is_answer(cell):
            gid = generate.grader(cell)["grade_id"]
            cell.source = cell.source.replace(stubs[gid], wrong[gid]) if gid in wrong else answers[gid]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


@pytest.mark.parametrize("lesson", FULL)
def test_autograde_a_correct_and_a_wrong_submission(course, lesson):
    root, api = course
    source = next(s for s in LESSONS if s.stem == lesson)
    points = _points(nbformat.read(source, as_version=4))
    wrong, hint = MISTAKES[lesson]
    for student, mistakes in (("right", {}), ("typical", wrong)):
        folder = root / "submitted" / student / lesson
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(_submission(source, mistakes), folder / source.name)
        result = api.autograde(lesson, student)
        assert result["success"], result.get("error") or result["log"]
        assert "partial credit" not in result["log"]   # the checks' return value is not a grade
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        right = gb.find_submission_notebook(lesson, lesson, "right")
        typical = gb.find_submission_notebook(lesson, lesson, "typical")
        assert right.score == right.max_score == sum(points.values())
        lost = {f"{gid}-tests" for gid in wrong}
        assert typical.score == sum(p for gid, p in points.items() if gid not in lost)
        by_cell = {g.name: g.score for g in typical.grades}
        assert all(by_cell[gid] == 0 for gid in lost)
    graded = nbformat.read(root / "autograded" / "typical" / lesson / source.name, as_version=4)
    feedback = "\n".join(o.get("evalue", "") for c in graded.cells for o in c.get("outputs", []))
    assert hint in feedback   # the learner reads the check's hint, not only a zero


@pytest.mark.parametrize("source", [s for s in LESSONS if s.stem not in FULL], ids=_id)
def test_stored_outputs_grade_as_nbgrader_grades(source):
    """The cheap path: nbgrader's rule on outputs that the notebook tests re-execute and compare."""
    points = _points(nbformat.read(source, as_version=4))
    student, solution = (nbformat.read(p, as_version=4) for p in generate.targets(source))
    for nb, expected in ((solution, points), (student, {gid: 0.0 for gid in points})):
        got = {generate.grader(c)["grade_id"]: determine_grade(c)[0] for c in nb.cells if generate.is_test(c)}
        assert got == expected
        assert all(c.execution_count for c in nb.cells if generate.is_test(c)), "run notebooks/generate.py"


def test_instructors_page_lists_the_points():
    page = (REPO / "notebooks" / "INSTRUCTORS.md").read_text()
    table = page[page.index("<!-- points:start -->"):page.index("<!-- points:end -->")]
    rows = {line.split("|")[1].strip()[:2]: line.split("|")[2:4] for line in table.splitlines()[3:]}
    for source in LESSONS:
        nb = nbformat.read(source, as_version=4)
        exercises, points = rows[source.stem[:2]]
        assert int(exercises) == sum(generate.is_answer(c) for c in nb.cells), source.stem
        assert float(points) == sum(_points(nb).values()), source.stem
