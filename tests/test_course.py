"""`minprune course DIR`: the course copied into a learner's folder, from a source checkout and
from a wheel installed in a fresh virtual environment (the pip user's start, without git)."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from minprune.course import MANIFEST, copy_course, course_files

REPO = Path(__file__).resolve().parent.parent


def test_copy_keeps_the_repository_layout_so_links_work(tmp_path):
    report = copy_course(tmp_path / "course")
    root = tmp_path / "course"
    assert len(report.copied) == len(course_files()) + 1        # + the README that says where to start
    assert (root / "notebooks" / "00_what_is_pruning.ipynb").read_bytes() == \
        (REPO / "notebooks" / "00_what_is_pruning.ipynb").read_bytes()
    # every relative link of the course map and the notebooks' Markdown lands on a copied file
    for rel in ("notebooks/README.md", "notebooks/00_what_is_pruning.ipynb"):
        text = (root / rel).read_text(encoding="utf-8")
        for target in set(__import__("re").findall(r"\]\((\.\./glossary/[^)#\s]+|\d\d_[^)#\s]+\.ipynb)", text)):
            assert (root / rel).parent.joinpath(target).resolve().is_file(), (rel, target)


def test_rerun_updates_untouched_files_and_keeps_edited_ones(tmp_path):
    copy_course(tmp_path)
    mine = tmp_path / "notebooks" / "02_weight_pruning.ipynb"
    mine.write_text(mine.read_text() + " ")                     # the learner's edit
    stale = tmp_path / "glossary" / "faq.md"
    stale.write_text("an older FAQ")                            # an older copy, not edited ...
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["files"]["glossary/faq.md"] = __import__("hashlib").sha256(b"an older FAQ").hexdigest()
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))      # ... as the manifest records

    report = copy_course(tmp_path)
    assert report.kept == ["notebooks/02_weight_pruning.ipynb"] and mine.read_text().endswith(" ")
    assert report.updated == ["glossary/faq.md"]
    assert stale.read_bytes() == (REPO / "glossary" / "faq.md").read_bytes()
    assert "--replace-edited" in str(report)

    report = copy_course(tmp_path, replace_edited=True)
    assert report.replaced == {"notebooks/02_weight_pruning.ipynb":
                               "notebooks/02_weight_pruning.edited.ipynb"}
    assert (tmp_path / "notebooks" / "02_weight_pruning.edited.ipynb").read_text().endswith(" ")
    assert mine.read_bytes() == (REPO / "notebooks" / "02_weight_pruning.ipynb").read_bytes()


def test_a_file_that_was_there_before_is_never_overwritten(tmp_path):
    (tmp_path / "README.md").write_text("my notes")
    report = copy_course(tmp_path)
    assert report.kept == ["README.md"] and (tmp_path / "README.md").read_text() == "my notes"


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="replace_edited must be a bool"):
        copy_course(tmp_path, replace_edited="yes")
    (tmp_path / "f").write_text("")
    with pytest.raises(ValueError, match="must be a folder"):
        copy_course(tmp_path / "f")


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


def test_the_test_extra_installs_what_the_wheel_build_below_needs():
    """--no-build-isolation builds with this environment's backend: `pip install -e ".[test]"`
    must bring it (a fresh Python 3.12+ venv has no setuptools)."""
    import re
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group().lower()
             for r in project["project"]["optional-dependencies"]["test"]}
    for requirement in project["build-system"]["requires"]:
        assert re.match(r"[A-Za-z0-9_.-]+", requirement).group().lower() in names, requirement


def test_wheel_in_a_fresh_venv_gives_a_course_that_runs(tmp_path):
    """pip install minprune; minprune course DIR; run notebook 00 there: no git, no checkout."""
    # Build from a copy: building in the checkout would leave build/ and *.egg-info in it.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache",
        "minprune-tour", ".venv"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(src)], check=True, env=_clean_env())
    wheel, = (tmp_path / "dist").glob("minprune-*.whl")

    # The dependencies come from this interpreter's site-packages; minprune only from the wheel.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--force-reinstall", str(wheel)], check=True, env=_clean_env())

    learner = tmp_path / "pruning"
    learner.mkdir()
    done = subprocess.run([str(venv / "bin" / "minprune"), "course", str(learner)], cwd=learner,
                          env=_clean_env(), capture_output=True, text=True, check=True)
    assert "copied" in done.stdout

    # Execute notebook 00 in the copied folder with a kernel of the venv's interpreter.
    kernels = tmp_path / "jupyter" / "kernels" / "wheel"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "minprune wheel", "language": "python"}))
    run = textwrap.dedent("""
        import sys, nbformat
        from nbclient import NotebookClient
        path = sys.argv[1]
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("import minprune; print(minprune.__file__)"))
        NotebookClient(nb, kernel_name="wheel", timeout=600,
                       resources={"metadata": {"path": sys.argv[2]}}).execute()
        print(nb.cells[-1].outputs[0]["text"].strip())
    """)
    done = subprocess.run(
        [str(python), "-c", run, str(learner / "notebooks" / "00_what_is_pruning.ipynb"),
         str(learner / "notebooks")],
        cwd=learner, capture_output=True, text=True,
        env=_clean_env(JUPYTER_PATH=str(tmp_path / "jupyter"), MPLBACKEND="Agg",
                       MINPRUNE_CACHE=str(tmp_path / "cache")))
    assert done.returncode == 0, done.stderr[-3000:]
    imported = Path(done.stdout.strip().splitlines()[-1])
    assert venv in imported.parents, f"the kernel imported minprune from {imported}, not the wheel"


def test_every_notebook_starts_with_the_hosted_install_cell():
    """The cell that installs minprune on Colab & co. is the first code cell everywhere, and
    where minprune is importable (the tests) it installs nothing and prints nothing."""
    from IPython.core.inputtransformer2 import TransformerManager

    from minprune.course import INSTALL_CELL, INSTALL_TAG

    for rel, path in course_files().items():
        if not rel.endswith(".ipynb"):
            continue
        code = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        first = code[0]
        assert "".join(first["source"]) == INSTALL_CELL and INSTALL_TAG in first["metadata"]["tags"], (
            f"{rel}: its first code cell is not the hosted-install cell; add it with "
            f"python -c 'from minprune.course import add_install_cells; add_install_cells()'")
        assert first["outputs"] == [], rel

    calls = []

    class Shell:
        def run_line_magic(self, *args):
            calls.append(args)

    exec(TransformerManager().transform_cell(INSTALL_CELL), {"get_ipython": Shell})
    assert calls == []                                  # minprune is importable here
    exec(TransformerManager().transform_cell(INSTALL_CELL.replace('"minprune"', '"no_such_pkg_x"')),
         {"get_ipython": Shell})
    assert calls == [("pip", "install --quiet minprune")]


def test_add_install_cells_is_idempotent(tmp_path):
    from minprune.course import add_install_cells

    nb = tmp_path / "n.ipynb"
    shutil.copyfile(REPO / "notebooks" / "00_what_is_pruning.ipynb", nb)
    assert add_install_cells([nb]) == []                 # already there
    data = json.loads(nb.read_text())
    data["cells"] = [c for c in data["cells"] if c.get("id") != "hosted-install"]
    nb.write_text(json.dumps(data))
    assert add_install_cells([nb]) == [nb] and add_install_cells([nb]) == []
    cells = json.loads(nb.read_text())["cells"]
    assert cells[0]["cell_type"] == "markdown" and cells[1]["id"] == "hosted-install"


def test_add_install_cells_replaces_a_notebook_atomically(tmp_path, monkeypatch):
    from minprune.course import add_install_cells

    nb = tmp_path / "n.ipynb"
    shutil.copyfile(REPO / "notebooks" / "00_what_is_pruning.ipynb", nb)
    data = json.loads(nb.read_text())
    data["cells"] = [c for c in data["cells"] if c.get("id") != "hosted-install"]
    nb.write_text(json.dumps(data))
    before = nb.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)          # stopped right before the rename
    with pytest.raises(KeyboardInterrupt):
        add_install_cells([nb])
    assert nb.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["n.ipynb"]


def test_the_readme_counts_the_notebooks_there_are():
    import re

    numbers = sorted(int(p.name[:2]) for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
             "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"]
    text = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    said = re.search(r"course map: (\w+) notebooks \((\d\d)-(\d\d)\)", text)
    assert said, "README.md: the course map sentence names the notebooks' count and range"
    assert said.groups() == (words[len(numbers)], f"{numbers[0]:02d}", f"{numbers[-1]:02d}")


def test_binder_builds_the_repository_on_a_supported_python():
    post = REPO / "binder" / "postBuild"
    assert os.access(post, os.X_OK) and "pip install --no-cache-dir ." in post.read_text()
    version = (REPO / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")
    import tomllib
    needs = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert tuple(map(int, version.split("."))) >= tuple(map(int, needs.removeprefix(">=").split(".")))
