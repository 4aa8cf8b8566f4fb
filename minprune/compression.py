"""From pruned to small: the Deep Compression pipeline (Han, Mao & Dally, 2016) on an MLP.

:func:`compress` takes a pruned model through three stages and counts the bytes
of each, checking the predictions at every one:

1. **pruned CSR**: only the kept weights are stored, each with its float32 value
   and an int32 column index, plus row pointers (:func:`minprune.metrics.csr_nbytes`);
2. **shared**: the kept weights of each layer are clustered by k-means into
   `clusters` values (a codebook); each weight stores only its cluster's index,
   ``ceil(log2(clusters))`` bits. The shared values are then fine-tuned: the
   gradient of every weight in a cluster is summed into the cluster's value
   (Han et al.'s "trained quantization");
3. **coded**: the cluster indices and the gaps between the positions of kept
   weights are Huffman-coded (:mod:`minprune.huffman`), so frequent indices and
   short gaps cost fewer bits.

Stage 3 is lossless: the coded model computes exactly what the fine-tuned shared
model computes. Biases stay float32 (they are a few hundred numbers). The result,
a :class:`CompressedMLP`, predicts, prints the bytes of every stage, and is saved
and loaded by :func:`save_compressed` / :func:`load_compressed` as a ``.npz`` of
plain arrays that is never unpickled.
"""
from __future__ import annotations

import errno
import io
import math
from dataclasses import dataclass

import numpy as np

from . import huffman
from ._table import text_table
from ._validation import _describe, validate_int, validate_seed
from .datasets import validate_dataset
from .io import _validate_architecture, _validate_path, _is_model_file, _read_npz, atomic_write
from .metrics import csr_nbytes
from .model import MLP, Dense, validate_model, softmax
from .optim import Adam, Optimizer
from .training import fit

FORMAT = "minprune.CompressedMLP"
FORMAT_VERSION = 1
_META = ("nnz", "clusters", "index_symbols", "index_bits", "gap_symbols", "gap_bits")


# ------------------------------------------------------------------ k-means
def kmeans_1d(values, k, *, iterations=100):
    """k-means of scalar values with linear initialisation (Han et al., 2016).

    The centroids start evenly spaced between the smallest and the largest value
    (which keeps a few large weights represented, unlike a density-based start),
    then Lloyd's iterations alternate nearest-centroid assignment and means.

    Parameters
    ----------
    values : ndarray of shape (n,)
    k : int
        Number of clusters, ``2 <= k <= n``.
    iterations : int
        At most this many Lloyd iterations (it stops when assignments settle).

    Returns
    -------
    centroids : float64 ndarray of shape (k,), increasing
    labels : int64 ndarray of shape (n,), in ``0 .. k - 1``
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    centroids = np.linspace(x.min(), x.max(), k)
    labels = None
    for _ in range(iterations):
        new = _nearest(x, centroids)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        sums = np.bincount(labels, weights=x, minlength=k)
        counts = np.bincount(labels, minlength=k)
        filled = counts > 0  # an empty cluster keeps its centroid
        centroids[filled] = sums[filled] / counts[filled]
        centroids = np.sort(centroids)
    return centroids, _nearest(x, centroids)


def _nearest(x, centroids):
    mids = 0.5 * (centroids[1:] + centroids[:-1])
    return np.searchsorted(mids, x).astype(np.int64)


# --------------------------------------------------------- shared-value training
class SharedValuesOptimizer(Optimizer):
    """Train the shared values of a weight-shared model: one value per cluster.

    ``step`` sums the gradients of every weight in a cluster into the gradient of
    the cluster's value (Han et al., 2016), updates the values and the biases with
    an inner optimizer (Adam by default), and writes each weight back as its
    cluster's value. Used with :func:`minprune.fit`, so learning-rate schedules
    and distillation work as in any training run.

    Parameters
    ----------
    codebooks : list of float ndarray of shape (k_i,)
        Each layer's shared values (updated in place).
    labels : list of int ndarray of shape (nnz_i,)
        Cluster of each kept weight, in the order of `positions`.
    positions : list of int ndarray of shape (nnz_i,)
        Flat (row-major) positions of the kept weights in each ``W``.
    inner : Optimizer, optional
        Updates the values and biases; default ``Adam(lr)``.
    lr : float
    """

    def __init__(self, codebooks, labels, positions, inner=None, lr=1e-3):
        super().__init__(lr)
        self.codebooks, self.labels, self.positions = codebooks, labels, positions
        self.inner = Adam(lr) if inner is None else inner
        self._holders = None

    def step(self, model, grads):
        if self._holders is None:  # the codebooks as (1, k) "layers" sharing the model's biases
            self._holders = _Holders([Dense(c.reshape(1, -1), layer.b, "identity")
                                      for c, layer in zip(self.codebooks, model.layers)])
        shared = []
        for (dW, db), lab, pos, c in zip(grads, self.labels, self.positions, self.codebooks):
            g = np.bincount(lab, weights=dW.ravel()[pos], minlength=c.size)
            shared.append((g.astype(c.dtype).reshape(1, -1), db))
        self.inner.lr = self.lr  # follows fit's learning-rate schedule
        self.inner.step(self._holders, shared)
        for layer, c, lab, pos in zip(model.layers, self.codebooks, self.labels, self.positions):
            layer.W.ravel()[pos] = c[lab]


@dataclass
class _Holders:
    layers: list


# ----------------------------------------------------------------- the result
@dataclass
class Stage:
    """One stage of :func:`compress`: its bytes and how its model predicts.

    Attributes
    ----------
    name : str
    nbytes : int
        Bytes the stage needs for weights, biases, indices and tables.
    accuracy : float or None
        Test accuracy of the stage's model (None without test data).
    agreement : float or None
        Fraction of test predictions equal to the input model's.
    """

    name: str
    nbytes: int
    accuracy: float | None
    agreement: float | None


@dataclass
class CodedLayer:
    """One layer of a :class:`CompressedMLP`: codebook, bias and two Huffman streams."""

    shape: tuple
    codebook: np.ndarray
    bias: np.ndarray
    indices: huffman.HuffmanStream
    gaps: huffman.HuffmanStream

    def decode(self):
        """``(W, b, mask)`` as float32 arrays and a bool mask."""
        gaps = huffman.decode(self.gaps)
        labels = huffman.decode(self.indices)
        size = self.shape[0] * self.shape[1]
        # a damaged or hostile gap near 2**63 would overflow the cumulative sum below
        if gaps.size and (gaps.min() < 0 or gaps.max() >= size):
            bad = gaps.min() if gaps.min() < 0 else gaps.max()
            raise ValueError(f"a gap {bad} between kept weights lies outside the {self.shape} "
                             f"weight matrix")
        positions = np.cumsum(gaps + 1) - 1
        if positions.size != labels.size:
            raise ValueError(f"the layer holds {labels.size} cluster indices but "
                             f"{positions.size} positions")
        if positions.size and positions[-1] >= size:
            raise ValueError(f"a kept weight's position {positions[-1]} lies outside the "
                             f"{self.shape} weight matrix")
        if labels.size and labels.max() >= self.codebook.size:
            raise ValueError(f"a cluster index {labels.max()} is >= the codebook's "
                             f"{self.codebook.size} values")
        W = np.zeros(size, dtype=np.float32)
        mask = np.zeros(size, dtype=bool)
        W[positions] = self.codebook[labels]
        mask[positions] = True
        return W.reshape(self.shape), self.bias.copy(), mask.reshape(self.shape)

    def nbytes(self):
        """Codebook, bias, both streams with their tables, and a 6-number header (int32)."""
        return (4 * self.codebook.size + 4 * self.bias.size + self.indices.nbytes()
                + self.gaps.nbytes() + 4 * len(_META))


class CompressedMLP:
    """A pruned, weight-shared, Huffman-coded MLP that predicts like the model it came from.

    Made by :func:`compress`; saved and loaded by :func:`save_compressed` and
    :func:`load_compressed`. Predictions decode the layers once (cached).

    Attributes
    ----------
    layer_sizes : list of int
    activation : str
    layers : list of CodedLayer
    stages : list of Stage
        Bytes, accuracy and agreement at every stage (empty for a loaded model).
    """

    def __init__(self, layer_sizes, activation, layers, stages=()):
        self.layer_sizes = list(layer_sizes)
        self.activation = activation
        self.layers = list(layers)
        self.stages = list(stages)
        self._model = None

    @property
    def n_features(self):
        return self.layer_sizes[0]

    @property
    def n_classes(self):
        return self.layer_sizes[-1]

    @property
    def nbytes(self):
        """Bytes of the coded model (the last stage)."""
        return sum(layer.nbytes() for layer in self.layers)

    def to_mlp(self):
        """The decoded network as a float32 :class:`minprune.MLP` with its masks (a new copy)."""
        if self._model is None:
            layers = []
            for i, coded in enumerate(self.layers):
                W, b, mask = coded.decode()
                last = i == len(self.layers) - 1
                layers.append(Dense(W, b, "identity" if last else self.activation, mask))
            self._model = MLP._from_layers(layers, self.activation, np.float32)
        return self._model.copy()

    def _decoded(self):
        if self._model is None:
            self.to_mlp()
        return self._model

    def forward(self, X):
        """Logits, shape (n_samples, n_classes)."""
        return self._decoded().forward(X)

    def predict(self, X):
        """Predicted class indices, shape (n_samples,)."""
        return np.argmax(self.forward(X), axis=1)

    def predict_proba(self, X):
        return softmax(self.forward(X))

    def score(self, X, y):
        """Accuracy in [0, 1]."""
        return self._decoded().score(X, y)

    def file_bytes(self):
        """Size of the file :func:`save_compressed` writes, measured by writing it to memory."""
        buf = io.BytesIO()
        np.savez_compressed(buf, **_arrays(self))
        return len(buf.getvalue())

    def __repr__(self):
        sizes = "-".join(str(s) for s in self.layer_sizes)
        if not self.stages:
            return f"CompressedMLP({sizes}, {self.nbytes:,} bytes coded)"
        base = self.stages[0].nbytes
        rows = [(s.name, f"{s.nbytes:,}", f"{base / s.nbytes:.1f}x",
                 "-" if s.accuracy is None else f"{s.accuracy:.3f}",
                 "-" if s.agreement is None else f"{s.agreement:.1%}") for s in self.stages]
        return text_table(("stage", "bytes", "smaller by", "accuracy", "same predictions"), rows,
                          title=f"CompressedMLP({sizes})")


# ------------------------------------------------------------------ compress
def compress(model, *, clusters=16, data=None, finetune_epochs=0, lr=1e-4, batch_size=32,
             seed=0, **fit_kwargs):
    """Share, fine-tune and Huffman-code a pruned model (Deep Compression's pipeline).

    Parameters
    ----------
    model : MLP
        Usually pruned already (the pruning is stage 1); not changed.
    clusters : int or sequence of int
        Shared values per layer (one int for all layers), each in
        ``[2, kept weights of the layer]``. 16 means 4-bit indices.
    data : Dataset or tuple (X_train, y_train, X_test, y_test), optional
        The training part fine-tunes the shared values; the test part measures
        each stage's accuracy and its agreement with `model`.
    finetune_epochs : int
        Epochs of fine-tuning the shared values (0: none; > 0 needs `data`).
    lr : float
        Learning rate of that fine-tuning.
    batch_size : int
    seed : int
        Seeds the fine-tuning's shuffling.
    **fit_kwargs
        Passed to :func:`minprune.fit` (``lr_schedule``, ``teacher``, ...).

    Returns
    -------
    CompressedMLP
    """
    validate_model(model)
    if model.objective != "cross_entropy":
        raise ValueError(f"model must be a classifier (objective='cross_entropy') to be "
                         f"compressed: the stages are checked by accuracy and agreement of "
                         f"predicted classes; got objective={model.objective!r}")
    finetune_epochs = validate_int(finetune_epochs, "finetune_epochs", minimum=0)
    if data is not None:
        X_train, y_train, X_test, y_test = validate_dataset(data)
    elif finetune_epochs:
        raise ValueError(f"finetune_epochs={finetune_epochs} needs data=(X_train, y_train, "
                         f"X_test, y_test) to train on")
    ks = _validate_clusters(clusters, model)
    positions = [np.flatnonzero(layer.mask) for layer in model.layers]

    # stage 2: shared values
    shared = MLP._from_layers([Dense(layer.W.astype(np.float32), layer.b.astype(np.float32),
                                     layer.activation, layer.mask.copy(), layer.bias_mask.copy())
                               for layer in model.layers], model.activation, np.float32)
    shared.apply_masks()
    codebooks, labels = [], []
    for layer, pos, k in zip(shared.layers, positions, ks):
        centroids, lab = kmeans_1d(layer.W.ravel()[pos], k)
        codebooks.append(centroids.astype(np.float32))
        labels.append(lab)
        layer.W.ravel()[pos] = codebooks[-1][lab]
    before = _measure(shared, model, data)
    if finetune_epochs:
        opt = SharedValuesOptimizer(codebooks, labels, positions, lr=lr)
        fit(shared, X_train, y_train, epochs=finetune_epochs, batch_size=batch_size,
            optimizer=opt, seed=validate_seed(seed), **fit_kwargs)

    # stage 3: Huffman coding of the indices and of the gaps between positions
    coded = []
    for layer, pos, lab, c in zip(shared.layers, positions, labels, codebooks):
        gaps = np.diff(pos, prepend=-1) - 1
        coded.append(CodedLayer(layer.W.shape, c, layer.b.copy(), huffman.encode(lab),
                                huffman.encode(gaps)))
    result = CompressedMLP(model.layer_sizes, model.activation, coded)
    for layer, c in zip(result._decoded().layers, shared.layers):  # stage 3 is lossless
        assert np.array_equal(layer.W, c.W) and np.array_equal(layer.mask, c.mask)

    fan_outs = [layer.fan_out for layer in model.layers]
    sizes = [layer.W.size for layer in model.layers]
    nnz = [p.size for p in positions]
    dense_bytes = sum(4 * (s + f) for s, f in zip(sizes, fan_outs))
    csr_bytes = sum(csr_nbytes(n, f, 4) + 4 * f for n, f in zip(nnz, fan_outs))
    shared_bytes = sum(4 * k + math.ceil(n * max(1, math.ceil(math.log2(k))) / 8)
                       + csr_nbytes(n, f, 0) + 4 * f for n, f, k in zip(nnz, fan_outs, ks))
    given = _measure(model, model, data)
    result.stages = [Stage("dense float32", dense_bytes, *given),
                     Stage("pruned CSR", csr_bytes, *given),
                     Stage(f"shared ({_k_text(ks)} values)", shared_bytes, *before)]
    if finetune_epochs:
        result.stages.append(Stage(f"shared, fine-tuned {finetune_epochs} epochs", shared_bytes,
                                   *_measure(shared, model, data)))
    result.stages.append(Stage("coded (Huffman)", result.nbytes,
                               *_measure(result._decoded(), model, data)))
    return result


def _k_text(ks):
    return str(ks[0]) if len(set(ks)) == 1 else "/".join(map(str, ks))


def _measure(net, reference, data):
    if data is None:
        return None, None
    X_test, y_test = data[2], data[3]
    pred = net.predict(X_test)
    return (float(np.mean(pred == np.asarray(y_test))),
            float(np.mean(pred == reference.predict(X_test))))


def _validate_clusters(clusters, model):
    n = len(model.layers)
    if isinstance(clusters, (list, tuple, np.ndarray)):
        if len(clusters) != n:
            raise ValueError(f"clusters must be one int or one per layer ({n}), got "
                             f"{len(clusters)} values")
        ks = [validate_int(k, f"clusters[{i}]", minimum=2) for i, k in enumerate(clusters)]
    else:
        ks = [validate_int(clusters, "clusters", minimum=2)] * n
    for i, (k, layer) in enumerate(zip(ks, model.layers)):
        kept = int(np.count_nonzero(layer.mask))
        if k > kept:
            raise ValueError(f"clusters={k} is larger than the {kept} kept weights of "
                             f"layers[{i}]; use at most {kept} clusters for that layer "
                             f"(at least 2 are needed)")
    return ks


# ------------------------------------------------------------------ the file
def _arrays(cm):
    meta, ints, floats, blobs = [], [], [], []
    for layer in cm.layers:
        meta.append([layer.indices.count, layer.codebook.size, layer.indices.symbols.size,
                     layer.indices.n_bits, layer.gaps.symbols.size, layer.gaps.n_bits])
        for s in (layer.indices, layer.gaps):
            ints.append(s.symbols)
        floats += [layer.codebook, layer.bias]
        for s in (layer.indices, layer.gaps):
            blobs += [s.lengths.astype(np.uint8), s.bits]
    return {"format": np.array(FORMAT), "format_version": np.array(FORMAT_VERSION),
            "layer_sizes": np.array(cm.layer_sizes, dtype=np.int64),
            "activation": np.array(cm.activation),
            "meta": np.array(meta, dtype=np.int64).reshape(-1, len(_META)),
            "symbols": np.concatenate(ints).astype(np.int64),
            "values": np.concatenate(floats).astype(np.float32),
            "bytes": np.concatenate(blobs).astype(np.uint8)}


def save_compressed(compressed, path, *, overwrite=False):
    """Write a :class:`CompressedMLP` to one ``.npz`` file of plain arrays.

    Written through :func:`minprune.io.atomic_write`: a temporary file, read back
    and decoded, then renamed, so a failed or interrupted save leaves the old
    file intact. An existing file is replaced only if it is itself a compressed
    minprune model, or with ``overwrite=True``.

    Returns
    -------
    pathlib.Path
    """
    if not isinstance(compressed, CompressedMLP):
        raise TypeError(f"compressed must be a minprune.CompressedMLP (from minprune.compress), "
                        f"got {_describe(compressed)}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    path = _validate_path(path)
    if path.is_dir():
        raise ValueError(f"path must name a file, got the folder {str(path)!r}")
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if path.exists() and not overwrite and not _is_model_file(path, FORMAT):
        raise FileExistsError(f"path {str(path)!r} exists and is not a compressed minprune "
                              f"model; refusing to replace it (pass overwrite=True to replace it)")
    arrays = _arrays(compressed)

    def check(tmp):
        try:
            back = _read(tmp, "the file")
        except ValueError as exc:
            raise OSError(errno.EIO, f"the file read back is not valid ({exc})") from None
        if not all(np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
                   for a, b in zip(back._decoded().layers, compressed._decoded().layers)):
            raise OSError(errno.EIO, "the file read back differs from the model")

    return atomic_write(path, lambda f: np.savez_compressed(f, **arrays), check=check)


def load_compressed(path):
    """Read a file written by :func:`save_compressed`; never unpickles, never runs code.

    Every array is checked against the others before it is used, and every layer
    is decoded before the model is returned.

    Raises
    ------
    ValueError
        If the file is not a compressed minprune model, is truncated or damaged, or
        any array disagrees with the others; the message names the problem.
    """
    path = _validate_path(path)
    if path.is_dir():
        raise ValueError(f"path must name a compressed model file, got the folder {str(path)!r}")
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, f"no compressed model file at {str(path)!r}")
    return _read(path, f"{path} is not a valid minprune compressed model file")


def _read(path, where):
    try:
        return _read_npz(path, where, repair=False, reader=lambda read: _from_arrays(read, where))
    except huffman.HuffmanError as exc:
        raise ValueError(f"{where}: a coded stream is damaged ({exc})") from exc


_KEYS = ("format", "format_version", "layer_sizes", "activation", "meta", "symbols", "values",
         "bytes")


def _from_arrays(read, where):
    if "format" not in read.members or read.string("format") != FORMAT:
        raise ValueError(f"{where}: no {FORMAT!r} format marker")
    read.require(_KEYS)
    version = read("format_version", shape=(), kinds="iu", limit=1 << 16)
    if int(version) != FORMAT_VERSION:
        raise ValueError(f"{where}: format version {version.item()!r} is not supported "
                         f"(this minprune reads version {FORMAT_VERSION})")
    sizes = read("layer_sizes", dtype=np.int64, ndim=1, limit=1 << 16)
    activation = read.string("activation")
    _validate_architecture(sizes.tolist(), activation, "float32", where)
    n_layers = sizes.size - 1
    meta = read("meta", dtype=np.int64, shape=(n_layers, len(_META)), limit=1 << 16)
    if meta.min() < 0:
        raise ValueError(f"{where}: key 'meta' holds negative counts")
    fan_outs = sizes[1:]
    n_bytes = int(meta[:, [2, 4]].sum() + sum(-(-int(b) // 8) for b in meta[:, [3, 5]].ravel()))
    shapes = {"symbols": (int(meta[:, [2, 4]].sum()),),
              "values": (int(meta[:, 1].sum() + fan_outs.sum()),), "bytes": (n_bytes,)}
    dtypes = {"symbols": np.int64, "values": np.float32, "bytes": np.uint8}
    for key in shapes:  # from the zip directory, before anything is allocated
        read.validate_size(key, dtypes[key], shapes[key])
    symbols, values, blob = (read(k, dtype=dtypes[k], shape=shapes[k]) for k in shapes)
    if not np.isfinite(values).all():
        raise ValueError(f"{where}: key 'values' holds NaN or infinite values")
    layers, s_at, v_at, b_at = [], 0, 0, 0
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1].tolist(), fan_outs.tolist())):
        nnz, k, n_isym, n_ibits, n_gsym, n_gbits = (int(v) for v in meta[i])
        if nnz > fan_in * fan_out:
            raise ValueError(f"{where}: layer {i} claims {nnz} kept weights in a "
                             f"{fan_in}x{fan_out} matrix")
        streams = []
        for n_sym, n_bits in ((n_isym, n_ibits), (n_gsym, n_gbits)):
            table = symbols[s_at:s_at + n_sym]
            lengths = blob[b_at:b_at + n_sym].astype(np.int64)
            b_at += n_sym
            bits = blob[b_at:b_at + -(-n_bits // 8)]
            b_at += bits.size
            s_at += n_sym
            streams.append(huffman.HuffmanStream(table, lengths, bits, n_bits, nnz))
        codebook, bias = values[v_at:v_at + k], values[v_at + k:v_at + k + fan_out]
        v_at += k + fan_out
        layer = CodedLayer((fan_in, fan_out), codebook, bias, *streams)
        try:
            layer.decode()  # every stream is checked now, not at the first prediction
        except ValueError as exc:  # HuffmanError included
            raise ValueError(f"{where}: layer {i}: {exc}") from exc
        layers.append(layer)
    return CompressedMLP(sizes.tolist(), activation, layers)
