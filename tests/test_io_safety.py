"""Issue 11, items 1, 3 and 4: nothing a learner saves is lost, and load is bounded.

Every file here is one a learner could meet (a diverged model, a shrunk model, a
killed save) or one written to hurt (zip bombs, lying directories, pickles).
"""
import errno
import io as pyio
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import minprune
from minprune import io
from minprune.io import atomic_write

from test_io import assert_same_model, good_arrays, pruned_model


def tmp_files(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.endswith(".tmp"))


# -------------------------------------------------------------- item 1: save == load
def fully_shrunk():
    model = minprune.MLP([8, 5, 3], seed=0)
    model.layers[1].b[:] = [0.5, -1.0, 2.0]
    minprune.prune_neurons(model, 1.0)
    return minprune.shrink(model)


def test_a_zero_width_layer_saves_and_loads_bit_for_bit(tmp_path):
    small = fully_shrunk()
    assert small.layer_sizes == [8, 0, 3]
    loaded = minprune.load(minprune.save(small, tmp_path / "zw.npz"))
    assert_same_model(small, loaded)
    X = np.random.default_rng(0).normal(size=(4, 8))
    assert np.array_equal(loaded.forward(X), small.forward(X))  # a constant: the last bias
    assert np.array_equal(loaded.forward(X)[0], small.layers[1].b)


def test_zero_width_layers_anywhere_between_input_and_output(tmp_path):
    arrays = io._arrays(minprune.MLP([3, 4, 2], seed=0))
    arrays.update(layer_sizes=np.array([3, 0, 0, 2]), W_0=np.zeros((3, 0), np.float32),
                  b_0=np.zeros(0, np.float32), mask_0=np.ones((3, 0), bool),
                  bias_mask_0=np.ones(0, bool), W_1=np.zeros((0, 0), np.float32),
                  b_1=np.zeros(0, np.float32), mask_1=np.ones((0, 0), bool),
                  bias_mask_1=np.ones(0, bool), W_2=np.zeros((0, 2), np.float32),
                  b_2=np.array([1.0, -1.0], np.float32), mask_2=np.ones((0, 2), bool),
                  bias_mask_2=np.ones(2, bool))
    np.savez(tmp_path / "zz.npz", **arrays)
    model = minprune.load(tmp_path / "zz.npz")
    assert model.layer_sizes == [3, 0, 0, 2] and model.predict(np.ones((2, 3))).tolist() == [0, 0]
    assert_same_model(model, minprune.load(minprune.save(model, tmp_path / "again.npz")))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["W", "b"])
def test_a_model_load_would_refuse_never_replaces_a_good_file(tmp_path, bad, where):
    best = minprune.save(pruned_model(), tmp_path / "best.npz")
    before = best.read_bytes()
    model = pruned_model()
    layer = model.layers[1]
    live = np.flatnonzero(layer.mask if where == "W" else layer.bias_mask)[0]
    getattr(layer, where).flat[live] = bad
    with pytest.raises(ValueError, match=rf"layers\[1\]\.{where} holds 1 NaN or infinite .*"
                                         r"nothing was written"):
        minprune.save(model, best)
    assert best.read_bytes() == before and tmp_files(tmp_path) == []
    with pytest.raises(ValueError, match="NaN"):
        minprune.save(model, tmp_path / "new.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.npz"]


@pytest.mark.parametrize("tamper,match", [
    (lambda m: setattr(m, "activation", "swish"), "activation"),
    (lambda m: setattr(m.layers[0], "activation", "relu"), "activation"),
    (lambda m: setattr(m, "dtype", np.dtype(np.float16)), "'dtype'"),
    (lambda m: setattr(m.layers[0], "b", np.zeros(5, np.float32)), r"layers\[0\]"),
    (lambda m: setattr(m, "classes_", np.array([{}, [], ()], dtype=object)), "classes_"),
    (lambda m: setattr(m, "classes_", np.arange(4)), "classes_"),
])
def test_save_refuses_before_touching_the_disk(tmp_path, tamper, match):
    model = pruned_model()
    tamper(model)
    with pytest.raises(ValueError, match=match):
        minprune.save(model, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_values_under_a_false_mask_are_saved_as_the_zeros_they_mean(tmp_path):
    model = pruned_model()
    layer = model.layers[0]
    layer.W[~layer.mask] = 7.0  # a learner who assigned a mask without apply_masks()
    layer.W[~layer.mask][:1] = np.nan
    X = np.random.default_rng(0).normal(size=(5, 5))
    loaded = minprune.load(minprune.save(model, tmp_path / "m.npz"))
    assert np.all(loaded.layers[0].W[~loaded.layers[0].mask] == 0.0)
    # what the model means: pruned weights are 0.0 (a copy, like load, writes the zeros)
    assert np.array_equal(loaded.forward(X), model.copy().forward(X))
    assert np.array_equal(model.layers[0].W[~layer.mask], np.full((~layer.mask).sum(), 7.0,
                                                                   np.float32))  # not mutated


def test_negative_zeros_under_a_mask_round_trip_bit_for_bit(tmp_path):
    model = pruned_model()
    model.layers[0].W[~model.layers[0].mask] = -0.0  # what `param *= mask` leaves
    loaded = minprune.load(minprune.save(model, tmp_path / "m.npz"))
    assert_same_model(model, loaded)


# --------------------------------------------------------- item 3: saves are safe
def test_resaving_keeps_the_files_permissions(tmp_path):
    path = minprune.save(pruned_model(), tmp_path / "m.npz")
    os.chmod(path, 0o600)
    minprune.save(minprune.MLP([5, 7, 4, 3], activation="tanh"), path)
    assert path.stat().st_mode & 0o777 == 0o600
    os.chmod(path, 0o640)
    minprune.save(pruned_model(), path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        path = minprune.save(pruned_model(), tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640  # 0o666 less the umask, as open() gives


def test_a_folder_is_refused_not_renamed(tmp_path):
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValueError, match=r"got the folder .*folder'; give a file name inside "
                                         r"it, such as .*folder/model\.npz"):
        minprune.save(pruned_model(), tmp_path / "folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
    assert list((tmp_path / "folder").iterdir()) == []


@pytest.mark.parametrize("call,exc,match", [
    (lambda p: minprune.save(pruned_model(), p / "m.npz", overwrite="no"), TypeError,
     "overwrite must be True or False, got 'no'"),
    (lambda p: minprune.save(pruned_model(), b"m.npz"), TypeError, "path must be a str"),
    (lambda p: minprune.save(pruned_model(), p), ValueError, "got the folder"),
    (lambda p: minprune.load(p), ValueError, "must name a model file, got the folder"),
    (lambda p: minprune.load(p / "none.npz"), FileNotFoundError, "no model file at"),
    (lambda p: minprune.load(True), TypeError, "path must be a str"),
    (lambda p: atomic_write(p / "x", 42), TypeError, "write must be bytes, a str or a function"),
    (lambda p: atomic_write(None, b""), TypeError, "path must be a str"),
    (lambda p: atomic_write(p, b""), ValueError, "is a folder"),
])
def test_bad_arguments_to_save_load_and_atomic_write(tmp_path, call, exc, match):
    with pytest.raises(exc, match=match):
        call(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_takes_text_bytes_or_a_writer(tmp_path):
    assert atomic_write(tmp_path / "a.txt", "héllo\n").read_text(encoding="utf-8") == "héllo\n"
    assert atomic_write(tmp_path / "b.bin", b"\0\1").read_bytes() == b"\0\1"
    assert atomic_write(tmp_path / "c", lambda f: f.write(b"x")).read_bytes() == b"x"


def test_names_with_glob_characters_are_cleaned_up_like_any_other(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)
    dead = int(done.stdout)  # a process that has ended
    (tmp_path / f".a[1]*.txt.{dead}.xyz.tmp").write_text("debris")
    (tmp_path / f".a1.txt.{dead}.xyz.tmp").write_text("another file's debris")
    atomic_write(tmp_path / "a[1]*.txt", "ok")
    assert tmp_files(tmp_path) == [f".a1.txt.{dead}.xyz.tmp"]


def test_the_returned_path_says_what_was_done(tmp_path):
    assert minprune.save(pruned_model(), tmp_path / "ckpt") == tmp_path / "ckpt.npz"


def test_a_missing_folder_is_named_and_no_temporary_file_is(tmp_path):
    target = tmp_path / "no" / "such" / "m.npz"
    with pytest.raises(FileNotFoundError) as info:
        minprune.save(pruned_model(), target)
    message = str(info.value)
    assert str(target.parent) in message and "does not exist" in message
    assert ".tmp" not in message and "tmp" not in message.replace(str(tmp_path), "")
    parent_is_file = tmp_path / "file"
    parent_is_file.write_text("x")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        minprune.save(pruned_model(), parent_is_file / "m.npz")


def test_a_symlink_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim.npz"
    minprune.save(pruned_model(), victim)
    before = victim.read_bytes()
    (tmp_path / "link.npz").symlink_to(victim)
    with pytest.raises(ValueError, match="symbolic link"):
        minprune.save(minprune.MLP([5, 3]), tmp_path / "link.npz")
    assert victim.read_bytes() == before and (tmp_path / "link.npz").is_symlink()


@pytest.mark.parametrize("failure", [
    OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt(), MemoryError(),
    OSError(errno.EIO, "Input/output error")])
def test_a_failed_or_interrupted_write_keeps_the_old_file_and_cleans_up(tmp_path, failure):
    path = tmp_path / "report.txt"
    path.write_text("the good one")

    def write(f):
        f.write(b"half of the new on")
        raise failure

    with pytest.raises(type(failure)) as info:
        atomic_write(path, write)
    assert path.read_text() == "the good one" and tmp_files(tmp_path) == []
    if isinstance(failure, OSError):
        message = str(info.value)
        assert str(path) in message and "the existing file is unchanged" in message
        assert ".tmp" not in message and info.value.errno == failure.errno


def test_a_file_that_does_not_read_back_never_replaces_the_old_one(tmp_path, monkeypatch):
    path = minprune.save(pruned_model(), tmp_path / "m.npz")
    before = path.read_bytes()

    def corrupt(f, **arrays):  # a writer bug: one weight changes on the way to disk
        arrays = dict(arrays, W_0=arrays["W_0"] + 1)
        np.savez(f, **arrays)

    monkeypatch.setattr(io.np, "savez_compressed", corrupt)
    with pytest.raises(OSError, match="read back (differs|is not valid)"):
        minprune.save(pruned_model(), path)
    assert path.read_bytes() == before and tmp_files(tmp_path) == []


def test_a_killed_save_leaves_the_old_file_and_the_next_save_sweeps_its_debris(tmp_path):
    path = minprune.save(pruned_model(), tmp_path / "m.npz")
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import sys, time
        import numpy as np
        import minprune
        real = np.savez_compressed
        def slow(f, **arrays):
            real(f, **arrays)
            f.flush()
            print("written", flush=True)
            time.sleep(60)
        np.savez_compressed = slow
        minprune.save(minprune.MLP([5, 7, 4, 3], activation="tanh"), {str(path)!r})
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert path.read_bytes() == before
    debris = tmp_files(tmp_path)
    assert len(debris) == 1 and debris[0].startswith(f".m.npz.{proc.pid}.")
    (tmp_path / f".m.npz.{os.getppid()}.keep.tmp").write_bytes(b"a live writer's file")
    minprune.save(pruned_model(), path)
    assert tmp_files(tmp_path) == [f".m.npz.{os.getppid()}.keep.tmp"]  # only the dead one goes
    assert_same_model(minprune.load(path), pruned_model())


# ---------------------------------------------------------- item 4: load is bounded
def npy_bytes(array, header=None):
    """A .npy member; `header` overrides the dict numpy would write (to make it lie)."""
    buf = pyio.BytesIO()
    d = np.lib.format.header_data_from_array_1_0(array)
    d.update(header or {})
    np.lib.format.write_array_header_1_0(buf, d)
    buf.write(np.ascontiguousarray(array).tobytes())
    return buf.getvalue()


def zip_members(path, members, compression=zipfile.ZIP_DEFLATED):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names, on purpose
        with zipfile.ZipFile(path, "w", compression) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return path


def members_of(arrays):
    return [(f"{k}.npy", npy_bytes(v)) for k, v in arrays.items()]


@pytest.fixture
def opened(monkeypatch):
    """Names of the archive members opened (for reading or writing) from now on; clear it
    right before the load() under test."""
    names = []
    real = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        names.append(getattr(name, "filename", name))
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


def test_a_zip_bomb_missing_a_key_is_refused_from_the_directory(tmp_path, opened):
    arrays = good_arrays()
    del arrays["mask_2"]
    members = members_of(arrays) + [("W_9.npy", np.zeros(20_000_000, np.uint8).tobytes())]
    path = zip_members(tmp_path / "bomb.npz", members)
    assert path.stat().st_size < 100_000
    opened.clear()
    with pytest.raises(ValueError, match="missing key 'mask_2'"):
        minprune.load(path)
    assert "W_9.npy" not in opened and "W_0.npy" not in opened


def test_a_bomb_under_an_expected_name_is_refused_by_its_size(tmp_path, opened):
    arrays = good_arrays()
    members = [(n, d) for n, d in members_of(arrays) if n != "W_0.npy"]
    members.append(("W_0.npy", npy_bytes(np.zeros((2_000, 2_000), np.float32))))
    path = zip_members(tmp_path / "bomb.npz", members)
    opened.clear()
    with pytest.raises(ValueError, match=r"'W_0' holds 16,000,128 bytes, but shape \(5, 7\)"):
        minprune.load(path)
    assert "W_0.npy" not in opened


def test_a_header_claiming_a_huge_array_allocates_nothing(tmp_path):
    arrays = good_arrays()
    lie = npy_bytes(arrays["W_0"], header={"shape": (10**6, 10**6)})
    assert len(lie) == len(npy_bytes(arrays["W_0"]))  # the directory size is right
    members = [(n, lie if n == "W_0.npy" else d) for n, d in members_of(arrays)]
    with pytest.raises(ValueError, match=r"'W_0' has shape \(1000000, 1000000\), expected "
                                         r"\(5, 7\)"):
        minprune.load(zip_members(tmp_path / "lie.npz", members))


def patch_directory(path, name, **fields):
    """Rewrite fields of `name`'s central-directory entry (offsets per the zip spec)."""
    offsets = {"compress_size": (20, 4), "file_size": (24, 4)}
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    while data[at + 46:at + 46 + len(name)] != name.encode():
        at = data.index(b"PK\x01\x02", at + 4)
    for field, value in fields.items():
        off, size = offsets[field]
        data[at + off:at + off + size] = value.to_bytes(size, "little")
    path.write_bytes(bytes(data))
    return path


def test_a_directory_claiming_more_than_deflate_can_give_is_refused(tmp_path, opened):
    path = minprune.save(pruned_model(), tmp_path / "m.npz")
    patch_directory(path, "W_1.npy", file_size=2**32 - 1)
    opened.clear()
    with pytest.raises(ValueError, match="'W_1' claims 4,294,967,295 bytes .* more than "
                                         "deflate can give"):
        minprune.load(path)
    assert opened == []


def hostile(tmp_path, name):
    """The hostile files: each one a ValueError naming the problem, nothing executed."""
    arrays = good_arrays()
    members = members_of(arrays)
    path = tmp_path / "hostile.npz"
    if name == "duplicate key":
        return zip_members(path, members + [("W_0.npy", npy_bytes(arrays["W_0"] * 2))])
    if name == "path traversal":
        return zip_members(path, members + [("../W_0.npy", npy_bytes(arrays["W_0"]))])
    if name == "folder member":
        return zip_members(path, members + [("W_0/", b"")])
    if name == "not npy member":
        return zip_members(path, members + [("evil.sh", b"rm -rf ~")])
    if name == "bzip2 member":
        return zip_members(path, members, zipfile.ZIP_BZIP2)
    if name == "stored size lie":
        zip_members(path, members, zipfile.ZIP_STORED)
        return patch_directory(path, "W_1.npy", file_size=10**6)
    if name == "bigger than the file":
        zip_members(path, members, zipfile.ZIP_STORED)
        return patch_directory(path, "W_1.npy", file_size=10**7, compress_size=10**7)
    if name == "big-endian weights":
        arrays["W_0"] = arrays["W_0"].astype(">f4")
    elif name == "structured weights":
        arrays["W_0"] = np.zeros((5, 7), dtype=[("a", "<f2"), ("b", "<f2")])
    elif name == "huge layer_sizes member":
        arrays["layer_sizes"] = np.arange(20_000, dtype=np.int64)
    elif name == "2-D layer_sizes":
        arrays["layer_sizes"] = np.array([[5, 7], [4, 3]], dtype=np.int64)
    elif name == "format not a string":
        arrays["format"] = np.array(1.5)
    elif name == "trailing bytes":
        members = [(n, d + b"\0" * 4 if n == "b_0.npy" else d) for n, d in members]
        return zip_members(path, members)
    elif name == "short data":
        lie = npy_bytes(arrays["b_0"])[:-4]
        members = [(n, lie if n == "b_0.npy" else d) for n, d in members]
        return zip_members(path, members)
    elif name == "npy version 3":
        raw = bytearray(npy_bytes(arrays["W_0"]))
        raw[6] = 3
        members = [(n, bytes(raw) if n == "W_0.npy" else d) for n, d in members]
        return zip_members(path, members)
    elif name == "header not a dict":
        raw = npy_bytes(arrays["W_0"])
        start = 10
        bad = raw[:start] + b"__import__('os').system('touch pwned')".ljust(
            len(raw) - start - 141, b" ") + raw[-141:]
        members = [(n, bad if n == "W_0.npy" else d) for n, d in members]
        return zip_members(path, members)
    elif name == "nan under a live mask":
        arrays["b_1"][np.flatnonzero(arrays["bias_mask_1"])[0]] = np.nan
    elif name == "inf weight":
        arrays["W_2"][np.nonzero(arrays["mask_2"])[0][0], np.nonzero(arrays["mask_2"])[1][0]] \
            = np.inf
    elif name == "classes of objects":
        arrays["classes"] = np.array([1, 2, 3], dtype=object)
    elif name == "classes 2-D":
        arrays["classes"] = np.zeros((3, 1))
    elif name == "classes bytes":
        arrays["classes"] = np.array([b"a", b"b", b"c"])
    elif name == "negative width":
        arrays["layer_sizes"] = np.array([5, 7, -4, 3])
    elif name == "zero classes":
        arrays["layer_sizes"] = np.array([5, 7, 4, 0])
    elif name == "fewer layers declared":
        arrays["layer_sizes"] = np.array([5, 7, 3])
    elif name == "more layers declared":
        arrays["layer_sizes"] = np.array([5, 7, 4, 3, 3])
    elif name == "version float":
        arrays["format_version"] = np.array(1.0)
    elif name == "version 0-d array of 2":
        arrays["format_version"] = np.array([1])
    else:
        raise KeyError(name)
    np.savez(path, **arrays)
    return path


HOSTILE = {
    "duplicate key": "key 'W_0' appears twice",
    "path traversal": "member '../W_0.npy' is not a .npy array",
    "folder member": "member 'W_0/' is not a .npy array",
    "not npy member": "member 'evil.sh' is not a .npy array",
    "bzip2 member": "compression method 12, which is not supported",
    "stored size lie": "'W_1' is stored uncompressed but claims 1,000,000 bytes",
    "bigger than the file": "more than the whole file",
    "big-endian weights": "'W_0' has dtype >f4, expected float32",
    "structured weights": "'W_0' has dtype",
    "huge layer_sizes member": "'layer_sizes' holds 160,128 bytes, more than such a key can",
    "2-D layer_sizes": r"'layer_sizes' has shape \(2, 2\), expected 1-D",
    "format not a string": "'format' has dtype float64, expected a string",
    "trailing bytes": "'b_0' holds",
    "short data": "'b_0' holds",
    "npy version 3": r"'W_0' has a damaged .npy header .*version \(3, 0\)",
    "header not a dict": "'W_0' has a damaged .npy header",
    "nan under a live mask": "'b_1' holds NaN or infinite values where 'bias_mask_1' is True",
    "inf weight": "'W_2' holds NaN or infinite values where 'mask_2' is True",
    "classes of objects": "'classes' is an object array, which cannot be read without pickle",
    "classes 2-D": r"'classes' has shape \(3, 1\), expected \(3,\)",
    "classes bytes": "'classes' has dtype |S1, expected numbers or strings",
    "negative width": "'layer_sizes' must be",
    "zero classes": "'layer_sizes' must be",
    "fewer layers declared": r"unexpected key\(s\) \['W_2'",
    "more layers declared": "missing key 'W_3'",
    "version float": "'format_version' has dtype float64, expected an integer",
    "version 0-d array of 2": r"'format_version' has shape \(1,\), expected \(\)",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_with_a_clear_error(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = hostile(tmp_path, name)
    with pytest.raises(ValueError, match="not a valid minprune model file") as info:
        minprune.load(path)
    assert info.match(HOSTILE[name])
    assert not (tmp_path / "pwned").exists()


class Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (open, (self.sentinel, "w"))


@pytest.mark.parametrize("key", ["format", "format_version", "layer_sizes", "activation",
                                 "dtype", "W_0", "mask_1", "classes"])
def test_pickle_payloads_are_refused_and_never_run(tmp_path, key):
    sentinel = tmp_path / "code-ran"
    arrays = good_arrays()
    payload = np.empty(1, dtype=object)
    payload[0] = Payload(str(sentinel))
    arrays[key] = payload
    np.savez(tmp_path / "p.npz", **arrays)  # numpy pickles object arrays when saving
    assert pickle.loads(pickle.dumps(Payload(str(sentinel)))) is not None and sentinel.exists()
    sentinel.unlink()  # the payload works: loading it with pickle would run it
    with pytest.raises(ValueError, match="not a valid minprune model file"):
        minprune.load(tmp_path / "p.npz")
    assert not sentinel.exists()


def test_weights_under_a_false_mask_are_repaired_with_a_warning(tmp_path):
    arrays = good_arrays()
    hidden = ~arrays["mask_0"]
    arrays["W_0"] = np.where(hidden, np.float32(3.0), arrays["W_0"])
    arrays["b_1"] = np.where(~arrays["bias_mask_1"], np.float32(np.nan), arrays["b_1"])
    np.savez(tmp_path / "old.npz", **arrays)
    n = int(hidden.sum() + (~arrays["bias_mask_1"]).sum())
    with pytest.warns(UserWarning, match=f"{n} weight.* under a False mask were not 0.0 and "
                                         f"were set to 0.0"):
        model = minprune.load(tmp_path / "old.npz")
    for layer in model.layers:
        assert np.all(layer.W[~layer.mask] == 0) and np.all(layer.b[~layer.bias_mask] == 0)
    expected = io._build(dict(good_arrays()))
    X = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    assert np.array_equal(model.forward(X), expected.forward(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # our own files load without a warning
        minprune.load(minprune.save(model, tmp_path / "fixed.npz"))


def test_an_old_fortran_order_file_still_loads(tmp_path):
    arrays = good_arrays()
    arrays["W_1"] = np.asfortranarray(arrays["W_1"])
    np.savez(tmp_path / "f.npz", **arrays)
    assert_same_model(minprune.load(tmp_path / "f.npz"), io._build(good_arrays()))
