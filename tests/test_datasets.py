"""Data loaders: splits, standardisation, the MNIST-1D cache, global RNGs, bad arguments."""
import random
import warnings

import numpy as np
import pytest

from minprune import datasets
from minprune.datasets import Dataset, load_digits, load_mnist1d, load_moons


def validate_dataset(ds, n_train, n_test, n_features, n_classes):
    assert isinstance(ds, Dataset)
    assert ds.X_train.shape == (n_train, n_features) and ds.X_test.shape == (n_test, n_features)
    assert ds.y_train.shape == (n_train,) and ds.y_test.shape == (n_test,)
    assert ds.X_train.dtype == np.float32 and ds.X_test.dtype == np.float32
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert set(np.unique(ds.y_train)) == set(range(n_classes)) == set(np.unique(ds.y_test))
    assert ds.n_classes == n_classes and ds.n_features == n_features
    assert np.all(np.isfinite(ds.X_train)) and np.all(np.isfinite(ds.X_test))
    # standardised with the training part's statistics: exact on train, close on test
    varying = ds.X_train.std(axis=0) > 0
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.X_train.std(axis=0)[varying], 1, rtol=1e-4)
    assert np.abs(ds.X_test.mean(axis=0)).max() < 1.0


def test_digits():
    ds = load_digits()
    validate_dataset(ds, 1437, 360, 64, 10)
    # stratified: every class has the same share (to one sample) in both parts
    train_share = np.bincount(ds.y_train) / len(ds.y_train)
    test_share = np.bincount(ds.y_test) / len(ds.y_test)
    assert np.abs(train_share - test_share).max() < 1 / len(ds.y_test) + 1e-9


@pytest.mark.parametrize("seed, test_size", [(0, 0.2), (1, 0.2), (7, 0.33), (3, 0.5), (11, 0.07)])
def test_digits_equal_scikit_learns_loader_and_stratified_split_bit_for_bit(seed, test_size):
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    digits = sklearn_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=test_size, stratify=digits.target,
        random_state=seed)
    want = datasets._standardised(X_train, y_train, X_test, y_test)
    got = load_digits(seed=seed, test_size=test_size)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_stratified_split_equals_scikit_learns_on_small_uneven_classes():
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(0)
    for trial in range(40):
        y = np.repeat(np.arange(4), rng.integers(2, 9, size=4))  # uneven classes: ties to break
        test_size = float(rng.uniform(0.3, 0.6))
        want = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y,
                                random_state=trial)
        for a, b in zip(datasets._stratified_split(y, test_size, trial), want):
            np.testing.assert_array_equal(a, b)


def test_loading_digits_does_not_import_scikit_learn():
    import subprocess
    import sys

    code = ("import sys, minprune.datasets as d; d.load_digits(); "
            "print(sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_digits_split_follows_seed_and_test_size():
    a, b, c = load_digits(seed=1), load_digits(seed=1), load_digits(seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a.X_train, c.X_train)
    assert load_digits(test_size=0.5).X_test.shape == (899, 64)


def test_digits_statistics_come_from_the_training_part_only():
    from sklearn.datasets import load_digits as raw_digits
    from sklearn.model_selection import train_test_split

    raw = raw_digits()
    X_train, X_test, _, _ = train_test_split(raw.data, raw.target, test_size=0.2,
                                             stratify=raw.target, random_state=0)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1
    np.testing.assert_allclose(load_digits().X_test, (X_test - mean) / std, rtol=1e-5, atol=1e-5)


def test_moons():
    ds = load_moons()
    validate_dataset(ds, 300, 100, 2, 2)
    assert all(np.array_equal(x, y) for x, y in zip(ds, load_moons()))
    assert not np.array_equal(ds.X_train, load_moons(seed=1).X_train)
    validate_dataset(load_moons(n_samples=40, noise=0.0, test_size=0.5), 20, 20, 2, 2)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MINPRUNE_CACHE", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def mnist1d_arrays():
    """One generation per test run (about a second), shared by the cache tests."""
    return datasets._generate_mnist1d(0)


def test_mnist1d_generates_caches_and_rereads(cache, mnist1d_arrays, monkeypatch):
    calls = []

    def generate(seed):
        calls.append(seed)
        return mnist1d_arrays

    monkeypatch.setattr(datasets, "_generate_mnist1d", generate)
    first = load_mnist1d(seed=0)
    validate_dataset(first, 4000, 1000, 40, 10)
    assert calls == [0]
    assert [p.name for p in cache.iterdir()] == ["mnist1d-seed0.npz"]  # no temporary left
    second = load_mnist1d(seed=0)
    assert calls == [0]  # read from the cache
    assert all(np.array_equal(x, y) for x, y in zip(first, second))


def test_mnist1d_generation_leaves_global_rngs_alone_and_follows_seed(mnist1d_arrays):
    np.random.seed(7)
    random.seed(7)
    np_state, py_state = np.random.get_state(), random.getstate()
    other = datasets._generate_mnist1d(1)
    after_np = np.random.get_state()
    assert np.array_equal(after_np[1], np_state[1]) and after_np[2] == np_state[2]
    assert random.getstate() == py_state
    assert not np.array_equal(other["x"], mnist1d_arrays["x"])
    # the generator's recipe: 500 samples of each digit in total
    labels = np.concatenate([other["y"], other["y_test"]])
    assert np.array_equal(np.bincount(labels), [500] * 10)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_shape", "pickled", "empty"])
def test_a_damaged_cache_is_regenerated_with_a_warning(cache, mnist1d_arrays, monkeypatch, damage):
    monkeypatch.setattr(datasets, "_generate_mnist1d", lambda seed: mnist1d_arrays)
    good = load_mnist1d(seed=0)
    path = cache / "mnist1d-seed0.npz"
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a zip at all")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif damage == "wrong_shape":
        arrays = dict(mnist1d_arrays, x=mnist1d_arrays["x"][:10])
        np.savez(path, **arrays)
    elif damage == "pickled":
        np.savez(path, **dict(mnist1d_arrays, y=np.array([object()] * 4000, dtype=object)))
    else:
        path.write_bytes(b"")
    with pytest.warns(RuntimeWarning, match="MNIST-1D cache"):
        again = load_mnist1d(seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(good, again))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_mnist1d(seed=0)  # the rewritten file is good again


def test_an_unwritable_cache_still_returns_the_data(tmp_path, mnist1d_arrays, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("MINPRUNE_CACHE", str(blocker / "sub"))
    monkeypatch.setattr(datasets, "_generate_mnist1d", lambda seed: mnist1d_arrays)
    with pytest.warns(RuntimeWarning, match="could not cache"):
        ds = load_mnist1d()
    assert ds.X_train.shape == (4000, 40)


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("MINPRUNE_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert datasets.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("MINPRUNE_CACHE")
    assert datasets.cache_dir() == tmp_path / "b" / "minprune"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.cache_dir() == tmp_path / "home" / ".cache" / "minprune"


@pytest.mark.parametrize("loader,kwargs,exc,name", [
    (load_digits, dict(seed=-1), ValueError, "seed"),
    (load_digits, dict(seed="0"), TypeError, "seed"),
    (load_digits, dict(seed=np.random.default_rng(0)), TypeError, "seed"),
    (load_digits, dict(test_size=0.0), ValueError, "test_size"),
    (load_digits, dict(test_size=1.0), ValueError, "test_size"),
    (load_digits, dict(test_size=-0.2), ValueError, "test_size"),
    (load_digits, dict(test_size="20%"), TypeError, "test_size"),
    (load_moons, dict(n_samples=4), ValueError, "n_samples"),
    (load_moons, dict(n_samples=100.0), TypeError, "n_samples"),
    (load_moons, dict(noise=-0.1), ValueError, "noise"),
    (load_moons, dict(noise=float("inf")), ValueError, "noise"),
    (load_moons, dict(n_samples=8, test_size=0.05), ValueError, "test_size"),
    (load_moons, dict(seed=None), TypeError, "seed"),
    (load_mnist1d, dict(seed=-5), ValueError, "seed"),
    (load_mnist1d, dict(seed=0.5), TypeError, "seed"),
])
def test_bad_arguments(loader, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        loader(**kwargs)


# ----------------------------------------------------------------- validate_dataset
def test_check_dataset_accepts_a_dataset_or_any_four_sequence():
    ds = load_moons(n_samples=40)
    checked = datasets.validate_dataset(ds)
    assert isinstance(checked, Dataset)
    for got, want in zip(checked, ds):
        np.testing.assert_array_equal(got, want)
    parts = [[[0, 1], [2, 3], [4, 5]], [0.0, 1.0, 2.0], np.ones((2, 2)), np.array([1, 0])]
    for data in (parts, tuple(parts)):
        checked = datasets.validate_dataset(data)
        assert isinstance(checked, Dataset) and checked.n_features == 2
        assert checked.X_train.dtype == np.float32  # ints become float32
        assert checked.X_test.dtype == np.float64  # floats keep their precision
        assert checked.y_train.dtype == np.int64 and checked.y_train.tolist() == [0, 1, 2]


X3, y3 = np.zeros((3, 2)), [0, 1, 0]


@pytest.mark.parametrize("data, error, words", [
    (None, TypeError, r"train_data must be a minprune.datasets.Dataset .*got None"),
    ("abcd", TypeError, "train_data must be"),
    (np.zeros((4, 3)), TypeError, "train_data must be"),
    ((X3, y3), ValueError, r"train_data must hold 4 parts .*got 2"),
    ((X3, y3, X3), ValueError, "got 3"),
    ((np.zeros(3), y3, X3, y3), ValueError, r"train_data\[0\] \(X_train\) must be 2-D"),
    ((X3, [0, 1], X3, y3), ValueError, r"train_data\[1\] \(y_train\) must have one label"),
    ((X3, [0, 1.5, 0], X3, y3), ValueError, r"train_data\[1\] .*integer"),
    ((X3, y3, np.zeros((3, 5)), y3), ValueError,
     r"train_data\[2\] \(X_test\) must have 2 features"),
    ((X3, y3, X3, [0, 1, -1]), ValueError, r"train_data\[3\] \(y_test\) must hold labels"),
    ((X3, y3, X3, ["a", "b", "c"]), TypeError, r"train_data\[3\]"),
])
def test_check_dataset_errors_name_the_argument(data, error, words):
    with pytest.raises(error, match=words):
        datasets.validate_dataset(data, "train_data")
