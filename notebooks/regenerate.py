"""Re-execute every course notebook in place so its stored outputs are fresh.

Run it after changing library code that notebooks print or plot, then review
`git diff notebooks/` and commit: the test suite (nbval) compares each cell's
new output with the stored one.

    python notebooks/regenerate.py            # all notebooks
    python notebooks/regenerate.py 02 05      # the ones whose names start with 02 or 05
"""
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def notebooks(prefixes=()):
    paths = sorted(HERE.glob("[0-9]*.ipynb")) + sorted((HERE / "solutions").glob("*.ipynb"))
    return [p for p in paths if not prefixes or any(p.name.startswith(x) for x in prefixes)]


def execute(path):
    nb = nbformat.read(path, as_version=4)
    # Same kernel as `pytest --nbval-current-env`: this interpreter's.
    # record_timing=False: no per-cell timestamps, so a re-run only changes what really changed.
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nb.metadata.pop("widgets", None)  # widget state holds random model ids
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, path)


def main(argv):
    os.environ.setdefault("PYTHONHASHSEED", "0")
    for path in notebooks(argv):
        start = time.perf_counter()
        execute(path)
        print(f"{path.relative_to(HERE.parent)}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
