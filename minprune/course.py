"""The course as files: find the notebooks and glossary, copy them into a learner's folder.

``python -m minprune course DIR`` (or ``minprune course DIR``) lays the course out in ``DIR``
as it is laid out in the repository, so every relative link in it still works::

    DIR/README.md                  where to start (written by this command)
    DIR/notebooks/README.md        the course map
    DIR/notebooks/NN_*.ipynb       the notebooks, with their stored outputs
    DIR/notebooks/solutions/       the worked solutions
    DIR/glossary/                  index, FAQ, history and terms/*.md, which the notebooks link to

**Nothing a learner edited is overwritten.** ``DIR/.minprune-course.json`` records a SHA-256 of
every file as it was copied. On a later run (say, after upgrading minprune) a file is

- *copied* when it is missing,
- *unchanged* when it already equals the shipped version,
- *updated* when it still equals what was copied last time (the learner did not touch it),
- *kept* otherwise: the learner edited it, or it was there before the course and is not ours.

``replace_edited=True`` (``--replace-edited``) replaces kept files too, after renaming the
learner's version to ``NAME.edited.ipynb`` (``NAME.edited-2.ipynb``, ... if that exists), so
nothing is lost. Every file is written to a temporary file and renamed into place.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .io import atomic_write

__all__ = ["course_files", "copy_course", "CopyReport", "source_dirs", "INSTALL_CELL",
           "add_install_cells"]

MANIFEST = ".minprune-course.json"
START = """\
# The minprune course

Start with the course map, [notebooks/README.md](notebooks/README.md), then open
[notebooks/00_what_is_pruning.ipynb](notebooks/00_what_is_pruning.ipynb) and run it from top to
bottom. The glossary is in [glossary/index.md](glossary/index.md), the FAQ in
[glossary/faq.md](glossary/faq.md).

These files were copied by `minprune course` (minprune {version}). Run the command again after
upgrading minprune: files you have not edited are updated, files you edited are kept.
"""


# The first code cell of every notebook. Hosted notebook services (Colab, Kaggle, ...) start
# without minprune; this installs it there. Wherever minprune is importable (a learner's machine,
# Binder, the tests) it does nothing and prints nothing, so nbval's comparison is unchanged. The
# site leaves it out (tag remove-cell).
INSTALL_CELL = """\
# On a hosted notebook service (Colab, Kaggle, ...) this installs minprune first.
# Wherever minprune is already installed (your machine, Binder) it does nothing.
import importlib.util
if importlib.util.find_spec("minprune") is None:
    %pip install --quiet minprune"""
INSTALL_TAG = "hosted-install"


def add_install_cells(paths=None):
    """Make :data:`INSTALL_CELL` the first code cell of each notebook (idempotent).

    It goes right after the first Markdown cell (the title). A notebook that already has it
    (found by its tag ``hosted-install``) gets its source brought up to date.

    Parameters
    ----------
    paths : iterable of path-like, optional
        Default: every notebook of the course (``notebooks/NN_*.ipynb`` and solutions).

    Returns
    -------
    list of pathlib.Path
        The notebooks that changed.
    """
    if paths is None:
        paths = [src for rel, src in course_files().items() if rel.endswith(".ipynb")]
    changed = []
    for path in map(Path, paths):
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        cell = next((c for c in cells if INSTALL_TAG in c.get("metadata", {}).get("tags", [])), None)
        if cell is None:
            cell = {"cell_type": "code", "execution_count": None, "id": INSTALL_TAG,
                    "metadata": {"tags": [INSTALL_TAG, "remove-cell"]}, "outputs": [], "source": []}
            at = next((i + 1 for i, c in enumerate(cells) if c["cell_type"] == "markdown"), 0)
            cells.insert(at, cell)
        source = INSTALL_CELL.splitlines(keepends=True)
        if cell["source"] == source and cell["cell_type"] == "code":
            continue
        cell["source"] = source
        text = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"   # as nbformat writes
        atomic_write(path, text, check=lambda tmp: json.loads(Path(tmp).read_text(encoding="utf-8")))
        changed.append(path)
    return changed


def source_dirs():
    """Return ``(notebooks, glossary)``: the folders the course is copied from.

    A source checkout (or an editable install) has them beside the package; a regular install
    ships them inside it as ``minprune/_notebooks`` and ``minprune/_glossary`` (see
    pyproject.toml).

    Returns
    -------
    tuple of pathlib.Path

    Raises
    ------
    FileNotFoundError
        If neither place holds the notebooks.
    """
    here = Path(__file__).resolve().parent
    for notebooks, glossary in ((here.parent / "notebooks", here.parent / "glossary"),
                                (here / "_notebooks", here / "_glossary")):
        if notebooks.is_dir() and any(notebooks.glob("[0-9]*.ipynb")) and (glossary / "terms").is_dir():
            return notebooks, glossary
    raise FileNotFoundError(
        f"minprune's notebooks were not found in {here.parent / 'notebooks'} or "
        f"{here / '_notebooks'}; reinstall minprune (pip install minprune) or use a source checkout")


def course_files():
    """Return ``{relative path in the course folder: source file}`` for every course file.

    Notebooks are found by globbing (``NN_*.ipynb`` and ``solutions/*.ipynb``), so a new
    notebook is part of the course as soon as it is in ``notebooks/``.

    Returns
    -------
    dict of str -> pathlib.Path
        Keys are POSIX paths such as ``"notebooks/00_what_is_pruning.ipynb"``.
    """
    notebooks, glossary = source_dirs()
    files = {}
    for pattern in ("[0-9]*.ipynb", "solutions/*.ipynb", "README.md", "INSTRUCTORS.md"):
        for path in sorted(notebooks.glob(pattern)):
            files["notebooks/" + path.relative_to(notebooks).as_posix()] = path
    for pattern in ("*.md", "terms/*.md"):
        for path in sorted(glossary.glob(pattern)):
            files["glossary/" + path.relative_to(glossary).as_posix()] = path
    return files


@dataclass
class CopyReport:
    """What :func:`copy_course` did, file by file (relative POSIX paths)."""

    folder: Path
    copied: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    replaced: dict = field(default_factory=dict)   # path -> where the learner's version went

    def __str__(self):
        lines = [f"minprune course in {self.folder}: {len(self.copied)} copied, "
                 f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                 f"{len(self.kept)} kept, {len(self.replaced)} replaced"]
        for path, backup in self.replaced.items():
            lines.append(f"  replaced {path} (your version is now {backup})")
        if self.kept:
            lines.append("  kept, because they differ from what minprune copied (edited by you, or "
                         "not from minprune); '--replace-edited' replaces them and keeps yours as "
                         "NAME.edited.ipynb:")
            lines += [f"    {path}" for path in self.kept]
        lines.append(f"Start with: jupyter lab {self.folder}   (then open notebooks/README.md)")
        return "\n".join(lines)


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _backup_name(path):
    """`path` with ``.edited`` (then ``.edited-2``, ...) before its suffix, not yet taken."""
    for k in range(1, 10_000):
        tag = ".edited" if k == 1 else f".edited-{k}"
        candidate = path.with_name(f"{path.stem}{tag}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"too many edited copies of {str(path)!r}; tidy them up first")


def copy_course(folder, *, replace_edited=False):
    """Copy the course (notebooks, course map, glossary) into `folder`.

    Parameters
    ----------
    folder : str or os.PathLike
        Created if missing. May already hold an earlier copy of the course.
    replace_edited : bool, default False
        Also replace files that differ from what was copied before; the learner's version is
        renamed to ``NAME.edited.SUFFIX`` first.

    Returns
    -------
    CopyReport

    Raises
    ------
    TypeError
        If `replace_edited` is not a bool.
    ValueError
        If `folder` is a file.
    """
    if not isinstance(replace_edited, bool):
        raise TypeError(f"replace_edited must be a bool, got {replace_edited!r}")
    folder = Path(os.fspath(folder)).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"folder must be a folder, got {str(folder)!r}, which is a file")
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    try:
        copied_before = json.loads(manifest_path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        copied_before = {}

    shipped = {rel: src.read_bytes() for rel, src in course_files().items()}
    shipped["README.md"] = START.format(version=__version__).encode()
    report, manifest = CopyReport(folder), {}
    for rel, data in shipped.items():
        target = folder / rel
        new_hash = _sha256(data)
        if not target.exists():
            action = "copied"
        else:
            old_hash = _sha256(target.read_bytes())
            if old_hash == new_hash:
                action = "unchanged"
            elif old_hash == copied_before.get(rel):
                action = "updated"
            elif replace_edited:
                action = "replaced"
            else:
                report.kept.append(rel)
                if rel in copied_before:   # still ours to update once the learner's edit is gone
                    manifest[rel] = copied_before[rel]
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if action == "replaced":
            backup = _backup_name(target)
            os.replace(target, backup)
            report.replaced[rel] = backup.relative_to(folder).as_posix()
        if action != "unchanged":
            atomic_write(target, data)
        if action != "replaced":
            getattr(report, action).append(rel)
        manifest[rel] = new_hash
    atomic_write(manifest_path, json.dumps({"minprune": __version__, "files": manifest}, indent=1))
    return report
