"""The headless tour (the README's main job) end to end, on a small budget."""
import json

import numpy as np
import pytest

from minprune.__main__ import main
from minprune.tour import FIGURES, MARKER, OUTPUTS, run_tour


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    (out / "notes.md").write_text("mine")  # a user's file: --force writes beside it
    with pytest.MonkeyPatch.context() as patch:  # record what goes through atomic_write
        import minprune.tour

        real = minprune.tour.atomic_write
        patch.setattr(minprune.tour, "atomic_write",
                      lambda path, write: WRITTEN.append(path.name) or real(path, write))
        return run_tour("digits", out, seed=0, epochs=3, finetune_epochs=2, hidden=(32, 32),
                        repeats=5, force=True, verbose=False)


WRITTEN = []


def test_every_file_goes_through_a_temporary_file_and_a_rename(tour):
    assert sorted(WRITTEN) == sorted(OUTPUTS)
    assert sorted(p.name for p in tour.out.iterdir()) == sorted(OUTPUTS + ("notes.md",))


def test_force_writes_beside_a_users_files(tour):
    assert (tour.out / "notes.md").read_text() == "mine"
    assert (tour.out / MARKER).exists()


@pytest.mark.parametrize("name", ["report.txt", "report.json", FIGURES[0]])
def test_force_never_overwrites_a_users_file_of_the_same_name(tmp_path, name, capsys):
    (tmp_path / name).write_text("my own report")
    with pytest.raises(ValueError, match=f"would overwrite .*{name}.*--force only writes beside"):
        run_tour("digits", tmp_path, epochs=1, force=True, verbose=False)
    assert main(["tour", "--out", str(tmp_path), "--epochs", "1", "--force"]) == 2
    assert name in capsys.readouterr().err
    assert (tmp_path / name).read_text() == "my own report"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no marker either


@pytest.mark.parametrize("kwargs,exc,name", [
    (dict(seed=2**32), ValueError, "seed"), (dict(seed=-1), ValueError, "seed"),
    (dict(hidden=(32, 0)), ValueError, r"hidden\[1\]"), (dict(hidden=()), TypeError, "hidden"),
    (dict(hidden="32"), TypeError, "hidden"), (dict(force="yes"), TypeError, "force"),
    (dict(repeats=2), ValueError, "repeats"), (dict(neuron_fraction=1.0), ValueError, "neuron"),
])
def test_a_bad_argument_leaves_nothing_behind(tmp_path, kwargs, exc, name):
    out = tmp_path / "new"
    with pytest.raises(exc, match=name):
        run_tour("digits", out, epochs=1, verbose=False, **kwargs)
    assert not out.exists()


def test_cli_bad_seed_leaves_nothing_behind(tmp_path, capsys):
    out = tmp_path / "new"
    assert main(["tour", "--out", str(out), "--seed", str(2**32), "--epochs", "1"]) == 2
    assert "seed" in capsys.readouterr().err and not out.exists()
    with pytest.raises(SystemExit):
        main(["tour", "--help"])
    assert "are never overwritten" in " ".join(capsys.readouterr().out.split())


def test_tour_saves_every_figure_and_the_report(tour):
    for name in FIGURES + ("report.txt", "report.json", MARKER):
        path = tour.out / name
        assert path.exists() and path.stat().st_size > 0, name
    for name in FIGURES:
        assert (tour.out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tour.out / "report.json").read_text())
    assert [r["name"] for r in saved["rows"]] == [r.name for r in tour.rows]
    assert "speed-up @256" in (tour.out / "report.txt").read_text()


def test_tour_rows_are_consistent(tour):
    rows = {r.name.split(" (")[0]: r for r in tour.rows}
    dense = tour.rows[0]
    assert dense.name == "dense" and dense.sparsity == 0.0
    assert dense.params == sum(a * b + b for a, b in zip(tour.layer_sizes, tour.layer_sizes[1:]))
    weights = rows["weights 90%"]
    assert weights.sparsity == pytest.approx(0.9, abs=1e-3)
    assert weights.flops == pytest.approx(0.1 * dense.flops, rel=0.01)
    csr = rows["weights 90% as CSR"]
    assert csr.accuracy == weights.accuracy and csr.nbytes < dense.nbytes
    masked, shrunk = rows["neurons 50%"], rows["neurons 50% shrunk"]
    assert shrunk.accuracy == masked.accuracy and shrunk.params == masked.params
    assert shrunk.nbytes < dense.nbytes and shrunk.flops < dense.flops
    assert rows["2:4"].sparsity == pytest.approx(0.5)
    for r in tour.rows:
        assert 0.0 <= r.accuracy <= 1.0 and np.isfinite(r.latency_1) and r.latency_256 > 0


def test_tour_is_deterministic_except_latency(tour, tmp_path):
    again = run_tour("digits", tmp_path, seed=0, epochs=3, finetune_epochs=2, hidden=(32, 32),
                     repeats=5, verbose=False)
    for a, b in zip(tour.rows, again.rows):
        assert (a.name, a.accuracy, a.sparsity, a.params, a.flops, a.nbytes) == \
               (b.name, b.accuracy, b.sparsity, b.params, b.flops, b.nbytes)


def test_tour_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(ValueError, match="out folder .* holds files the tour did not make"):
        run_tour("digits", tmp_path, epochs=1, verbose=False)
    assert (tmp_path / "thesis.tex").read_text() == "precious"
    assert not (tmp_path / MARKER).exists()


def test_tour_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="data"):
        run_tour("imagenet", tmp_path / "a", verbose=False)
    with pytest.raises(ValueError, match="weight_sparsity"):
        run_tour("digits", tmp_path / "b", weight_sparsity=1.5, verbose=False)
    with pytest.raises(TypeError, match="epochs"):
        run_tour("digits", tmp_path / "c", epochs=2.5, verbose=False)


def test_cli_help_and_errors(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["tour", "--help"])
    assert exc.value.code == 0
    assert "--out" in capsys.readouterr().out
    (tmp_path / "mine.txt").write_text("x")
    assert main(["tour", "--out", str(tmp_path), "--epochs", "1"]) == 2
    assert "holds files the tour did not make" in capsys.readouterr().err
    assert main([]) == 2
