"""compress: k-means sharing, Huffman coding, bytes per stage, files that never unpickle."""
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minprune as mp
from minprune import huffman
from minprune.compression import kmeans_1d


@given(st.lists(st.integers(0, 40), min_size=1, max_size=300))
@settings(max_examples=60, deadline=None)
def test_huffman_round_trip_and_length_bound(values):
    stream = huffman.encode(values)
    np.testing.assert_array_equal(huffman.decode(stream), values)
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    entropy = float(-(p * np.log2(p)).sum())
    assert stream.n_bits / len(values) <= max(entropy, 0) + 1 + 1e-9   # within one bit


@pytest.mark.parametrize("values, exc, what", [
    (np.array([0.0, 1.7, 2.2]), TypeError, "integers.*float64"),
    ([0.5, 1.0], TypeError, "integers"),
    (np.arange(6).reshape(2, 3), ValueError, r"1-D.*\(2, 3\)"),
    (np.int64(3), ValueError, "1-D"),
])
def test_huffman_refuses_floats_and_arrays_that_are_not_1d(values, exc, what):
    with pytest.raises(exc, match=what):
        huffman.encode(values)


def test_huffman_by_hand_and_long_codes():
    symbols, lengths = huffman.code_lengths([0] * 8 + [1] * 4 + [2] * 2 + [3])
    assert lengths.tolist() == [1, 2, 3, 3]
    assert huffman.canonical_codes(symbols, lengths).tolist() == [0b0, 0b10, 0b110, 0b111]
    fib = [1, 1]
    while len(fib) < 24:
        fib.append(fib[-1] + fib[-2])
    values = np.random.default_rng(0).permutation(np.repeat(np.arange(24), fib))  # Fibonacci counts
    stream = huffman.encode(values)          # codes longer than the lookup table's width
    assert stream.lengths.max() > huffman.MAX_TABLE_BITS
    np.testing.assert_array_equal(huffman.decode(stream), values)


def test_huffman_refuses_damaged_streams():
    stream = huffman.encode([0, 1, 1, 2, 2, 2, 2, 3])
    with pytest.raises(huffman.HuffmanError, match="Kraft"):
        huffman.decode(huffman.HuffmanStream(stream.symbols, np.ones(4, np.int64), stream.bits,
                                             stream.n_bits, stream.count))
    with pytest.raises(huffman.HuffmanError, match="symbols"):
        huffman.decode(huffman.HuffmanStream(stream.symbols, stream.lengths, stream.bits,
                                             stream.n_bits, stream.count + 5))


def test_kmeans_1d_finds_separated_clusters():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.01, 50) for c in (-1.0, 0.2, 3.0)])
    centroids, labels = kmeans_1d(x, 3)
    np.testing.assert_allclose(centroids, [-1.0, 0.2, 3.0], atol=0.01)
    assert np.array_equal(np.bincount(labels), [50, 50, 50])


@pytest.fixture(scope="module")
def pruned():
    data = mp.datasets.load_digits(seed=0)
    model = mp.MLP([64, 48, 10], seed=0)
    mp.fit(model, data.X_train, data.y_train, epochs=8, lr=3e-3, seed=0)
    mp.prune_weights(model, 0.8, scope="global")
    mp.fit(model, data.X_train, data.y_train, epochs=3, lr=1e-3, seed=0)
    return model, data


def test_stages_bytes_and_predictions(pruned):
    model, data = pruned
    c = mp.compress(model, clusters=16, data=data, finetune_epochs=2)
    names = [s.name for s in c.stages]
    assert names[0] == "dense float32" and names[1] == "pruned CSR" and names[-1].startswith("coded")
    sizes = [s.nbytes for s in c.stages]
    assert sizes[0] == 4 * (64 * 48 + 48 + 48 * 10 + 10)
    assert sizes[0] > sizes[1] > sizes[2] > sizes[-1] == c.nbytes
    assert c.stages[0].agreement == 1.0 and c.stages[1].accuracy == model.score(data.X_test,
                                                                               data.y_test)
    assert c.stages[-1].accuracy == c.stages[-2].accuracy           # coding is lossless
    assert c.stages[-1].accuracy > c.stages[0].accuracy - 0.03
    decoded = c.to_mlp()
    for layer, orig in zip(decoded.layers, model.layers):
        assert np.array_equal(layer.mask, orig.mask)                # same positions
        assert len(np.unique(layer.W[layer.mask])) <= 16            # at most 16 shared values
    assert np.array_equal(c.predict(data.X_test), decoded.predict(data.X_test))
    assert "coded (Huffman)" in repr(c)


def test_fine_tuning_moves_only_the_shared_values(pruned):
    model, data = pruned
    a = mp.compress(model, clusters=8, data=data)
    b = mp.compress(model, clusters=8, data=data, finetune_epochs=2, lr=1e-3)
    for la, lb in zip(a.layers, b.layers):
        assert not np.array_equal(la.codebook, lb.codebook)
        np.testing.assert_array_equal(mp.huffman.decode(la.indices), mp.huffman.decode(lb.indices))


def test_save_load_round_trip_without_pickle(pruned, tmp_path):
    model, data = pruned
    c = mp.compress(model, clusters=16)
    path = mp.save_compressed(c, tmp_path / "small")
    assert path.suffix == ".npz" and path.stat().st_size == c.file_bytes()
    loaded = mp.load_compressed(path)
    assert np.array_equal(loaded.forward(data.X_test), c.forward(data.X_test))
    with np.load(path, allow_pickle=False) as f:                   # plain arrays only
        assert all(f[k].dtype != object for k in f.files)
    mp.save_compressed(c, path)                                      # replacing its own file is fine
    other = tmp_path / "notes.npz"
    other.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="refusing"):
        mp.save_compressed(c, other)
    assert other.read_bytes() == b"precious"


def _rewrite(path, key, value):
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays[key] = value
    np.savez(path, **arrays)


@pytest.mark.parametrize("damage, what", [
    (lambda p: p.write_bytes(p.read_bytes()[:200]), "truncated"),
    (lambda p: p.write_bytes(b"not a zip at all"), "not a .npz"),
    (lambda p: _rewrite(p, "format", np.array("minprune.MLP")), "format marker"),
    (lambda p: _rewrite(p, "format_version", np.array(7)), "version"),
    (lambda p: _rewrite(p, "meta", np.zeros((2, 6), np.int64)), "key 'symbols'"),
    (lambda p: _rewrite(p, "bytes", np.zeros(3, np.uint8)), "key 'bytes'"),
    (lambda p: _rewrite(p, "values", np.full(_size(p, "values"), np.nan, np.float32)), "NaN"),
    (lambda p: _rewrite(p, "extra", np.zeros(1)), "unexpected"),
    (lambda p: _rewrite(p, "bytes", _flip_payload(p)), "damaged|position|index|bits"),
    (lambda p: _rewrite(p, "symbols", np.array([0] * _size(p, "symbols"))), "increasing"),
])
def test_corrupted_files_give_a_clear_error(pruned, tmp_path, damage, what):
    model, _ = pruned
    path = mp.save_compressed(mp.compress(model, clusters=4), tmp_path / "c.npz")
    damage(path)
    with pytest.raises(ValueError, match=what):
        mp.load_compressed(path)


def test_a_hostile_gap_near_2_to_the_63_is_refused_before_it_overflows(pruned, tmp_path):
    model, _ = pruned
    c = mp.compress(model, clusters=4)
    layer = c.layers[0]
    gaps = huffman.decode(layer.gaps)
    gaps[0] = 2 ** 63 - 1                       # the cumulative sum would wrap to negative
    layer.gaps = huffman.encode(gaps)
    with np.errstate(over="raise"), pytest.raises(ValueError, match="gap .* outside"):
        layer.decode()


def _size(path, key):
    with np.load(path, allow_pickle=False) as f:
        return f[key].size


def _flip_payload(path):
    with np.load(path, allow_pickle=False) as f:
        blob = f["bytes"].copy()
    blob[-40:] ^= 0xA5
    return blob


def test_a_crc_error_in_the_zip_is_reported(pruned, tmp_path):
    model, _ = pruned
    path = mp.save_compressed(mp.compress(model, clusters=4), tmp_path / "c.npz")
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("bytes.npy")
    raw[info.header_offset + 30 + len(info.filename) + 20] ^= 0xFF  # inside the deflated data
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="not a valid minprune compressed model"):
        mp.load_compressed(path)


@pytest.mark.parametrize("kwargs, exc, what", [
    ({"clusters": 1}, ValueError, "clusters"),
    ({"clusters": 10 ** 6}, ValueError, "larger than the"),
    ({"clusters": [4]}, ValueError, "one per layer"),
    ({"clusters": 2.5}, TypeError, "clusters"),
    ({"finetune_epochs": 2}, ValueError, "needs data"),
])
def test_bad_compress_arguments(pruned, kwargs, exc, what):
    model, _ = pruned
    with pytest.raises(exc, match=what):
        mp.compress(model, **kwargs)
    with pytest.raises(TypeError, match="CompressedMLP"):
        mp.save_compressed(model, "x.npz")
