"""Issue 11, items 5 and 6: the tour never writes through a link or half a file, and the
command line answers every failure with one line and a non-zero status."""
import errno
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.figure
import pytest

import minprune
from minprune.__main__ import main
from minprune.tour import FIGURES, MARKER, OUTPUTS, run_tour


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "minprune", *args], capture_output=True,
                          text=True, env=env)


def one_line_error(capsys, flag=None):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert flag is None or flag in err, err
    return err


# ------------------------------------------------------------- item 5: the tour
@pytest.mark.parametrize("name", ["report.txt", FIGURES[0], MARKER])
def test_a_symlink_in_the_tour_folder_is_refused_before_anything_runs(tmp_path, name, capsys):
    out = tmp_path / "tour"
    out.mkdir()
    (out / MARKER).write_text("made by the tour")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / name).unlink(missing_ok=True)
    (out / name).symlink_to(victim)
    with pytest.raises(ValueError, match=f"symbolic links where the tour writes .*{name}"):
        run_tour("digits", out, epochs=1, verbose=False)
    assert main(["tour", "--out", str(out), "--epochs", "1"]) == 2
    one_line_error(capsys, "--out folder")
    assert victim.read_text() == "precious" and (out / name).is_symlink()


def test_a_folder_where_the_tour_writes_a_file_is_refused_before_anything_runs(tmp_path):
    out = tmp_path / "tour"
    (out / "report.json").mkdir(parents=True)
    (out / MARKER).write_text("made by the tour")
    with pytest.raises(ValueError, match="holds folders where the tour writes files "
                                         r"\(report.json\)"):
        run_tour("digits", out, epochs=1, verbose=False)
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "report.json"])


def test_a_failed_rewrite_keeps_the_previous_figures_whole(tmp_path, monkeypatch):
    out = tmp_path / "tour"
    out.mkdir()
    previous = {name: f"previous {name}".encode() for name in OUTPUTS}
    for name, content in previous.items():
        (out / name).write_bytes(content)

    def disk_full(self, f, *args, **kwargs):
        f.write(b"\x89PNG\r\n\x1a\n half a figure")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", disk_full)
    with pytest.raises(OSError, match="No space left on device") as info:
        run_tour("digits", out, epochs=1, finetune_epochs=1, hidden=(8,), repeats=5,
                 verbose=False)
    assert f"{out / FIGURES[0]}" in str(info.value)
    assert "the existing file is unchanged" in str(info.value)
    for name in FIGURES + ("report.txt", "report.json"):
        assert (out / name).read_bytes() == previous[name], name
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # no temporary files


def test_a_failed_write_is_one_line_from_the_command_line(tmp_path, monkeypatch, capsys):
    import minprune.tour

    def write_fails(data, out, **kwargs):
        minprune.io.atomic_write(Path(out) / "report.txt", lambda f: os.write(-1, b""))

    monkeypatch.setattr(minprune.tour, "run_tour", write_fails)
    (tmp_path / "report.txt").write_text("kept")
    assert main(["tour", "--out", str(tmp_path)]) == 1
    err = one_line_error(capsys, f"cannot write in --out {str(tmp_path)!r}")
    assert "Bad file descriptor" in err and "the existing file is unchanged" in err
    assert (tmp_path / "report.txt").read_text() == "kept"


# ---------------------------------------------------------- item 6: the command line
def test_version():
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"minprune {minprune.__version__}"


@pytest.mark.parametrize("args,status,expected", [
    (["tour", "--out", "{file}/sub", "--epochs", "1"], 1, "Not a directory"),
    (["tour", "--out", "/proc/minprune-x", "--epochs", "1"], 1, "--out '/proc/minprune-x'"),
    (["tour", "--out", "{file}", "--epochs", "1"], 2, "--out must be a folder"),
    (["tour", "--sparsity", "1.5", "--out", "{new}"], 2, "--sparsity must be"),
    (["tour", "--neurons", "0", "--out", "{new}"], 2, "--neurons must be"),
    (["tour", "--seed", "-1", "--out", "{new}"], 2, "--seed must be"),
    (["tour", "--epochs", "0", "--out", "{new}"], 2, "--epochs must be"),
    (["tour", "--sparsity", "abc"], 2, "argument --sparsity: invalid float value"),
    (["tour", "--data", "imagenet"], 2, "argument --data: invalid choice"),
    (["tour", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["glossary", "no-such-term"], 2, "unknown glossary term"),
    (["no-such-command"], 2, "invalid choice"),
])
def test_every_failure_is_one_line_that_names_the_flag(tmp_path, args, status, expected, capsys):
    (tmp_path / "file").write_text("x")
    args = [a.format(file=tmp_path / "file", new=tmp_path / "new") for a in args]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == status
    err = one_line_error(capsys, expected)
    assert "weight_sparsity" not in err and "neuron_fraction" not in err
    assert not (tmp_path / "new").exists()


def test_a_message_of_several_lines_is_printed_as_one(monkeypatch, capsys):
    from minprune import glossary

    def fails(term):
        raise LookupError("no such term\n\n  did you mean: mask?\n")

    monkeypatch.setattr(glossary, "show", fails)
    assert main(["glossary", "maks"]) == 2
    assert "no such term; did you mean: mask?" in one_line_error(capsys)


def test_a_reader_that_stops_early_is_not_an_error():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(f"{sys.executable} -m minprune glossary pruning | head -1; "
                          f"echo status=${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash",
                          capture_output=True, text=True, env=env)
    assert done.stderr == ""  # no traceback, no "Exception ignored"
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[0] and lines[1] in ("status=0", "status=141")


def test_a_closed_pipe_ends_quietly_with_status_141():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-m", "minprune", "glossary"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait() == 141 and err == b""


def test_interrupt_is_one_line(monkeypatch, capsys):
    from minprune import glossary

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(glossary, "faq", interrupted)
    assert main(["glossary"]) == 130
    one_line_error(capsys, "interrupted")
