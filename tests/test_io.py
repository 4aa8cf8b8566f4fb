"""save/load: exact round trips, never overwriting a user's file, every kind of bad file."""
import zipfile

import numpy as np
import pytest

import minprune
from minprune import io
from minprune.pruning.history import commit_masks, mask_history


def pruned_model(dtype=np.float32, activation="tanh"):
    rng = np.random.default_rng(0)
    model = minprune.MLP([5, 7, 4, 3], activation=activation, seed=2, dtype=dtype)
    for layer in model.layers:
        layer.b[...] = rng.normal(size=layer.b.shape)
    commit_masks(model, [rng.random(layer.W.shape) > 0.5 for layer in model.layers],
                 [rng.random(layer.b.shape) > 0.2 for layer in model.layers], label="random")
    return model


def assert_same_model(a, b):
    assert a.layer_sizes == b.layer_sizes and a.activation == b.activation
    assert a.dtype == b.dtype
    for la, lb in zip(a.layers, b.layers):
        assert la.activation == lb.activation
        for x, y in ((la.W, lb.W), (la.b, lb.b), (la.mask, lb.mask),
                     (la.bias_mask, lb.bias_mask)):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_round_trip_is_exact_including_masks(tmp_path, dtype, activation):
    model = pruned_model(dtype, activation)
    path = minprune.save(model, tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"
    loaded = minprune.load(path)
    assert_same_model(model, loaded)
    X = np.random.default_rng(1).normal(size=(6, 5))
    assert np.array_equal(model.predict_proba(X), loaded.predict_proba(X))
    assert len(model.mask_history) == 2 and mask_history(loaded) == []  # not saved
    assert loaded.classes_ is None
    assert list(tmp_path.iterdir()) == [path]  # the temporary file is gone


def test_a_loaded_model_trains_and_keeps_its_masks(tmp_path):
    model = pruned_model()
    loaded = minprune.load(minprune.save(model, tmp_path / "m.npz"))
    rng = np.random.default_rng(0)
    minprune.fit(loaded, rng.normal(size=(40, 5)), rng.integers(0, 3, 40), epochs=3)
    for layer in loaded.layers:
        assert np.all(layer.W[~layer.mask] == 0.0)


@pytest.mark.parametrize("classes", [np.array([3, 5, 9]), np.array(["cat", "dog", "eel"]),
                                     np.array([0.5, 1.5, 2.5])])
def test_classes_are_kept(tmp_path, classes):
    model = minprune.MLP([2, 3])
    model.classes_ = classes
    loaded = minprune.load(minprune.save(model, tmp_path / "m.npz"))
    assert np.array_equal(loaded.classes_, classes) and loaded.classes_.dtype == classes.dtype


def test_classes_that_need_pickle_are_refused(tmp_path):
    model = minprune.MLP([2, 3])
    model.classes_ = np.array([None, "a", 1], dtype=object)
    with pytest.raises(ValueError, match="classes_"):
        minprune.save(model, tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


def test_arrays_are_stored_in_the_models_dtype(tmp_path):
    model = minprune.MLP([2, 4, 3], dtype=np.float32)
    model.layers[0].W = model.layers[0].W.astype(np.float64)  # replaced by a user
    loaded = minprune.load(minprune.save(model, tmp_path / "m.npz"))
    assert loaded.layers[0].W.dtype == np.float32 and loaded.layers[0].mask.dtype == bool


def test_suffix_is_added_like_numpy(tmp_path):
    path = minprune.save(minprune.MLP([2, 3]), tmp_path / "model")
    assert path.name == "model.npz" and path.is_file()
    assert minprune.save(minprune.MLP([2, 3]), str(tmp_path / "m.v2")).name == "m.v2.npz"


def test_overwrites_its_own_files_but_not_others(tmp_path):
    path = tmp_path / "model.npz"
    minprune.save(minprune.MLP([2, 3], seed=0), path)
    minprune.save(minprune.MLP([2, 3], seed=1), path)  # re-running a notebook cell works
    assert_same_model(minprune.load(path), minprune.MLP([2, 3], seed=1))

    data = tmp_path / "data.npz"
    np.savez(data, X=np.arange(3))
    notes = tmp_path / "notes.npz"
    notes.write_text("my notes")
    for victim in (data, notes):
        before = victim.read_bytes()
        with pytest.raises(FileExistsError, match="not a minprune model.*overwrite=True"):
            minprune.save(minprune.MLP([2, 3]), victim)
        assert victim.read_bytes() == before
    minprune.save(minprune.MLP([2, 3]), notes, overwrite=True)
    minprune.load(notes)


def test_save_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="model"):
        minprune.save("model", tmp_path / "m.npz")
    with pytest.raises(TypeError, match="path"):
        minprune.save(minprune.MLP([2, 3]), 42)
    (tmp_path / "folder.npz").mkdir()
    with pytest.raises(ValueError, match="path"):
        minprune.save(minprune.MLP([2, 3]), tmp_path / "folder.npz")
    model = minprune.MLP([2, 4, 3])
    model.layers[1].b = np.zeros(4, np.float32)  # replaced by a user with a wrong shape
    with pytest.raises(ValueError, match=r"layers\[1\].* b has shape \(4,\), expected \(3,\)"):
        minprune.save(model, tmp_path / "m.npz")
    model = minprune.MLP([2, 4, 3])
    model.layers[0].activation = "sigmoid"  # no longer one hidden activation
    with pytest.raises(ValueError, match="activation"):
        minprune.save(model, tmp_path / "m.npz")


def test_load_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="path"):
        minprune.load(None)
    with pytest.raises(FileNotFoundError, match="no model file"):
        minprune.load(tmp_path / "missing.npz")


# ------------------------------------------------------------------ bad files
def write(path, arrays):
    np.savez(path, **arrays)
    return path


def good_arrays():
    return io._arrays(pruned_model())


def edited(**changes):
    arrays = good_arrays()
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return arrays


BAD_FILES = {
    "missing weight": (edited(W_1=None), "missing key 'W_1'"),
    "missing mask": (edited(mask_2=None), "missing key 'mask_2'"),
    "missing version": (edited(format_version=None), "missing key 'format_version'"),
    "wrong shape": (edited(W_0=np.zeros((5, 6), np.float32)), r"'W_0' has shape \(5, 6\)"),
    "wrong bias shape": (edited(b_2=np.zeros(4, np.float32)), r"'b_2' has shape \(4,\)"),
    "wrong dtype": (edited(W_0=np.zeros((5, 7))), "'W_0' has dtype float64"),
    "mask not bool": (edited(mask_1=np.ones((7, 4), np.float32)), "'mask_1' has dtype float32"),
    "unknown version": (edited(format_version=np.array(99)), "format version 99"),
    "version not int": (edited(format_version=np.array("1")),
                        "'format_version' has dtype <U1, expected an integer"),
    "foreign npz": ({"X": np.zeros(3), "y": np.ones(3)}, "format marker"),
    "other format": (edited(format=np.array("keras.Model")), "format marker"),
    "nan weights": (edited(W_0=np.full((5, 7), np.nan, np.float32)), "'W_0' holds NaN"),
    "unknown activation": (edited(activation=np.array("swish")), "'activation'.*'swish'"),
    "unknown dtype": (edited(dtype=np.array("float16")), "'dtype'.*'float16'"),
    "bad layer sizes": (edited(layer_sizes=np.array([5, -7, 4, 3])), "'layer_sizes'"),
    "no features": (edited(layer_sizes=np.array([0, 7, 4, 3])), "'layer_sizes'"),
    "one class": (edited(layer_sizes=np.array([5, 7, 4, 1])), "'layer_sizes'"),
    "layer sizes not int": (edited(layer_sizes=np.array([5.0, 7, 4, 3])),
                            "'layer_sizes' has dtype float64"),
    "huge layer sizes": (edited(layer_sizes=np.array([200_000, 200_000, 4, 3])),
                         r"'W_0' holds .* bytes, but shape \(200000, 200000\) of float32 "
                         r"needs 160,000,000,000"),
    "unexpected key": (edited(W_3=np.zeros((3, 3), np.float32)), r"unexpected key\(s\) \['W_3'\]"),
    "object array": (edited(activation=np.array(["relu"], dtype=object)),
                     "'activation' is an object array.*pickle"),
    "classes wrong length": (edited(classes=np.arange(5)), r"'classes' has shape \(5,\)"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_names_the_problem(tmp_path, name):
    arrays, message = BAD_FILES[name]
    path = write(tmp_path / "bad.npz", arrays)
    with pytest.raises(ValueError, match="not a valid minprune model file") as info:
        minprune.load(path)
    assert info.match(message)


def test_not_a_zip(tmp_path):
    for content in (b"", b"hello", b"\x89PNG\r\n\x1a\n" + bytes(100)):
        (tmp_path / "x.npz").write_bytes(content)
        with pytest.raises(ValueError, match="not a .npz .zip. archive"):
            minprune.load(tmp_path / "x.npz")
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array"):
        minprune.load(tmp_path / "a.npy")


def test_truncated_file(tmp_path):
    data = minprune.save(pruned_model(), tmp_path / "m.npz").read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        (tmp_path / "t.npz").write_bytes(data[:cut])
        with pytest.raises(ValueError, match="not a .npz .zip. archive, or it is truncated"):
            minprune.load(tmp_path / "t.npz")


@pytest.mark.parametrize("compressed", [True, False])
def test_tampered_bytes_are_caught(tmp_path, compressed):
    path = tmp_path / "m.npz"
    if compressed:
        minprune.save(pruned_model(), path)
    else:
        write(path, good_arrays())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("W_1.npy")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data = bytearray(path.read_bytes())
    data[start + info.compress_size - 8] ^= 0xFF  # flip bits inside W_1's stored data
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="'W_1' is damaged"):
        minprune.load(path)


@pytest.mark.parametrize("flag,error", [(0x01, "encrypted"), (0x20, "patched")])
def test_flipped_zip_flag_bits_are_caught(tmp_path, flag, error):
    # zipfile raises RuntimeError (encrypted member) or NotImplementedError (patch
    # data) for these flag bits; load must turn both into a ValueError naming the file.
    path = minprune.save(pruned_model(), tmp_path / "m.npz")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")
    for _ in range(names.index("W_1.npy")):
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 8] |= flag  # general-purpose flags of W_1's central-directory entry
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=f"{path}.*not a valid minprune model file.*{error}"):
        minprune.load(path)


def test_flipped_compression_method_is_caught(tmp_path):
    path = minprune.save(pruned_model(), tmp_path / "m.npz")
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first member's central-directory entry
    data[entry + 10] = 99  # compression method 99 (AES): zipfile raises NotImplementedError
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a valid minprune model file.*not supported"):
        minprune.load(path)


def test_a_regressor_round_trips_with_its_objective(tmp_path):
    rng = np.random.default_rng(0)
    model = minprune.MLP([3, 5, 1], seed=0, objective="squared_error")
    model.layers[0].mask = rng.random((3, 5)) > 0.5
    path = tmp_path / "reg.npz"
    minprune.save(model, path)
    back = minprune.load(path)
    assert back.objective == "squared_error" and back.layer_sizes == [3, 5, 1]
    X = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    minprune.save(minprune.MLP([3, 2]), tmp_path / "clf.npz")
    assert "objective" not in np.load(tmp_path / "clf.npz").files  # classifier files unchanged
