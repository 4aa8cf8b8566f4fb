"""sweep / sparsity_sweep: a tidy table equal to cross_val_score per setting, under any joblib back
end, a Dask cluster included."""
import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import minprune
from minprune import PrunedMLPClassifier, PrunedMLPRegressor, sparsity_sweep, sweep

SMALL = dict(hidden_layer_sizes=(16,), max_iter=8, finetune_max_iter=5, learning_rate_init=0.01,
             random_state=0)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def small():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]  # 150 per fold of cv=2: one Adam step an epoch


def test_sweep_is_a_tidy_table_equal_to_cross_val_score(small):
    X, y = small
    pipe = make_pipeline(StandardScaler(), PrunedMLPClassifier(**SMALL))
    grid = {"sparsity": [0.0, 0.9], "criterion": ["magnitude", "random"]}
    table = sweep(pipe, X, y, grid, cv=2)
    assert table.columns == ["criterion", "sparsity", "fold", "score", "sparsity_", "n_iter_",
                             "fit_time"]
    assert len(table) == 8 and list(table.column("fold")) == [0, 1] * 4
    for row in table.rows[::2]:
        setting = {"prunedmlpclassifier__" + k: row[k] for k in grid}
        expected = cross_val_score(clone(pipe).set_params(**setting), X, y, cv=2)
        got = [r["score"] for r in table.rows if all(r[k] == row[k] for k in grid)]
        np.testing.assert_array_equal(got, expected)
        assert row["sparsity_"] == pytest.approx(row["sparsity"], abs=1e-3)
    summary = table.summary()
    assert len(summary) == 4 and summary[0]["folds"] == 2
    assert summary[0]["mean_score"] == pytest.approx(np.mean(table.column("score")[:2]))
    assert "magnitude" in repr(table) and "<table>" in table._repr_html_()
    frame = table.to_frame()
    assert list(frame.columns) == table.columns and len(frame) == 8
    assert pipe[-1].sparsity == 0.5 and not hasattr(pipe[-1], "model_")  # untouched


def test_seeds_and_pipeline_paths_in_one_grid(small):
    X, y = small
    pipe = make_pipeline(StandardScaler(), PrunedMLPClassifier(**SMALL))
    table = sweep(pipe, X, y, [{"random_state": [0, 1], "standardscaler__with_mean": [False]}],
                  cv=2)
    assert set(table.column("random_state")) == {0, 1}
    assert table.params == ["random_state", "standardscaler__with_mean"]


def test_sparsity_sweep_is_the_sweep_over_sparsity(small):
    X, y = small
    clf = PrunedMLPRegressor(**SMALL)
    a = sparsity_sweep(clf, X, y.astype(float), [0.3, 0.8], cv=2)
    b = sweep(clf, X, y.astype(float), {"sparsity": [0.3, 0.8]}, cv=2)
    np.testing.assert_array_equal(a.column("score"), b.column("score"))
    assert a.columns[0] == "sparsity"


def test_sweep_runs_under_any_joblib_backend(small):
    X, y = small
    clf = PrunedMLPClassifier(**SMALL)
    serial = sparsity_sweep(clf, X, y, [0.3, 0.8], cv=2)
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded = sparsity_sweep(clf, X, y, [0.3, 0.8], cv=2)
    np.testing.assert_array_equal(serial.column("score"), threaded.column("score"))
    np.testing.assert_array_equal(serial.column("sparsity_"), threaded.column("sparsity_"))


def test_sweep_on_a_dask_cluster_equals_the_serial_sweep(small):
    pytest.importorskip("dask")
    distributed = pytest.importorskip("dask.distributed")
    X, y = small
    clf = PrunedMLPClassifier(**SMALL)
    grid = {"sparsity": [0.5, 0.9], "random_state": [1]}
    serial = sweep(clf, X, y, grid, cv=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            remote = sweep(clf, X, y, grid, cv=2)
        assert sum(client.run(lambda: 1).values()) == 1  # it really ran on the cluster's worker
    assert remote.rows[0].keys() == serial.rows[0].keys()
    for name in ("score", "sparsity_", "n_iter_", "sparsity", "random_state"):
        np.testing.assert_array_equal(remote.column(name), serial.column(name))


def test_sweep_bad_input(small):
    X, y = small
    clf = PrunedMLPClassifier()
    with pytest.raises(ValueError, match=r"sparsities\[1\] must be a number in \[0, 1\), got 1.5"):
        sparsity_sweep(clf, X, y, [0.5, 1.5])
    with pytest.raises(TypeError, match="sparsities must be a non-empty sequence"):
        sparsity_sweep(clf, X, y, [])
    with pytest.raises(ValueError, match="exactly one PrunedMLPClassifier or PrunedMLPRegressor, "
                                         "found 0"):
        sweep(make_pipeline(StandardScaler()), X, y, {"sparsity": [0.5]})
    with pytest.raises(TypeError, match="estimator must be a PrunedMLPClassifier"):
        sweep("clf", X, y, {"sparsity": [0.5]})
    with pytest.raises(ValueError, match="grid key 'sparsty' is not a parameter"):
        sweep(clf, X, y, {"sparsty": [0.5]})
    with pytest.raises(TypeError, match="grid must be a dict"):
        sweep(clf, X, y, "sparsity")
    with pytest.raises(ValueError, match=r"grid\['sparsity'\] must be a non-empty list"):
        sweep(clf, X, y, {"sparsity": 0.5})
    with pytest.raises(ValueError, match="name must be one of"):
        sparsity_sweep(PrunedMLPClassifier(**SMALL), X, y, [0.5], cv=2).column("accuracy")


def test_public_names():
    assert minprune.sweep is sweep and minprune.sparsity_sweep is sparsity_sweep
    assert minprune.SweepTable is type(sweep(PrunedMLPClassifier(**SMALL), np.eye(4),
                                             [0, 1, 0, 1], {"sparsity": [0.1]}, cv=2))
