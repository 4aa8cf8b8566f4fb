"""Saving and loading a model as one ``.npz`` file, without pickle.

The file is a numpy zip archive of plain arrays:

========================  ===============================================
key                       content
========================  ===============================================
``format``                the string ``"minprune.MLP"``
``format_version``        int, currently 1
``layer_sizes``           int64, ``[n_features, hidden..., n_classes]``
``activation``            string, activation of the hidden layers
``dtype``                 string, ``"float32"`` or ``"float64"``
``W_i``, ``b_i``          weights (fan_in, fan_out) and biases of layer i
``mask_i``                bool, same shape as ``W_i``
``bias_mask_i``           bool, same shape as ``b_i``
``classes``               optional: ``model.classes_`` (numbers or strings)
========================  ===============================================

``model.mask_history`` (the undo record of pruning steps) is *not* saved: a
loaded model starts a new history. Loading reads with ``allow_pickle=False``
and checks every key, shape and dtype, so a truncated, tampered or foreign file
raises a ``ValueError`` that names the problem instead of running anything.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .model import ACTIVATIONS, MLP, Dense

FORMAT = "minprune.MLP"
FORMAT_VERSION = 1
_CLASS_KINDS = "biufU"  # label dtypes a file may hold: bool, ints, floats, strings


def _layer_keys(i):
    return f"W_{i}", f"b_{i}", f"mask_{i}", f"bias_mask_{i}"


def _arrays(model):
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a minprune.MLP, got {type(model).__name__}")
    hidden = [layer.activation for layer in model.layers[:-1]]
    if any(a != model.activation for a in hidden) or model.layers[-1].activation != "identity":
        raise ValueError(f"model must use model.activation ({model.activation!r}) in every "
                         f"hidden layer and a linear output layer to be saved; got {hidden} "
                         f"and {model.layers[-1].activation!r}")
    arrays = {"format": np.array(FORMAT), "format_version": np.array(FORMAT_VERSION),
              "layer_sizes": np.array(model.layer_sizes, dtype=np.int64),
              "activation": np.array(model.activation), "dtype": np.array(model.dtype.name)}
    for i, layer in enumerate(model.layers):
        shapes = (layer.W.shape, (layer.fan_out,), layer.W.shape, (layer.fan_out,))
        dtypes = (model.dtype, model.dtype, bool, bool)
        values = (layer.W, layer.b, layer.mask, layer.bias_mask)
        for key, value, shape, dtype in zip(_layer_keys(i), values, shapes, dtypes):
            value = np.asarray(value)
            if value.shape != shape:
                raise ValueError(f"model.layers[{i}] is inconsistent: {key.rsplit('_', 1)[0]} has "
                                 f"shape {value.shape}, expected {shape}")
            arrays[key] = value.astype(dtype, copy=False)  # what load() will require
    if hasattr(model, "classes_"):
        classes = np.asarray(model.classes_)
        if classes.dtype.kind not in _CLASS_KINDS or classes.shape != (model.n_classes,):
            raise ValueError(f"model.classes_ must be {model.n_classes} numbers or strings to be "
                             f"saved without pickle, got {classes.dtype} array of shape "
                             f"{classes.shape}")
        arrays["classes"] = classes
    return arrays


def _is_model_file(path):
    try:
        with np.load(path, allow_pickle=False) as f:
            return isinstance(f, np.lib.npyio.NpzFile) and str(f["format"]) == FORMAT
    except Exception:  # unreadable, not a zip, no "format" key: not one of ours
        return False


def save(model, path, *, overwrite=False):
    """Write `model` (weights, biases, masks, architecture) to one ``.npz`` file.

    The file is written to a temporary name and then renamed, so an interrupted
    save never leaves a half-written file behind. An existing file is replaced
    only if it is itself a minprune model file (so re-running a notebook cell
    works) or if ``overwrite=True``. ``model.mask_history`` is not saved.

    Parameters
    ----------
    model : MLP
    path : str or os.PathLike
        Where to write; ``.npz`` is appended when the name has another suffix,
        as ``numpy.savez`` does.
    overwrite : bool
        Replace an existing file even if it is not a minprune model.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    arrays = _arrays(model)
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if path.is_dir():
        raise ValueError(f"path must name a file, got the folder {path}")
    if path.exists() and not overwrite and not _is_model_file(path):
        raise FileExistsError(f"path {path} exists and is not a minprune model file; refusing "
                              f"to replace it (pass overwrite=True to replace it anyway)")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; a saved model is a normal file
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def load(path):
    """Read a model written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    MLP
        With the saved weights, biases and masks (and ``classes_`` if saved);
        an empty mask history.

    Raises
    ------
    ValueError
        If the file is not a minprune model file, is truncated or damaged, has
        an unknown format version, or a key is missing, unexpected, or of the
        wrong shape or dtype. The message names the key.
    """
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    where = f"{path} is not a valid minprune model file"
    with open(path, "rb") as fh:
        head = fh.read(6)
    if head == b"\x93NUMPY":
        raise ValueError(f"{where}: it holds a single .npy array, not a .npz archive")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{where}: it is not a .npz (zip) archive, or it is truncated")
    try:
        f = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, RuntimeError,
            NotImplementedError) as exc:
        raise ValueError(f"{where}: the zip archive cannot be read ({exc})") from exc
    with f:
        return _from_arrays(_Reader(f, where))


class _Reader:
    """Reads keys of an open npz, turning every failure into a ValueError naming the key."""

    def __init__(self, npz, where):
        self.npz, self.where = npz, where
        self.unread = set(npz.files)

    def __call__(self, key, *, dtype=None, shape=None):
        if key not in self.npz.files:
            raise ValueError(f"{self.where}: missing key {key!r}")
        try:
            value = self.npz[key]
        # RuntimeError ("encrypted") and NotImplementedError (unknown compression): what
        # zipfile raises when flipped bits land in a member's flags or method.
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError,
                NotImplementedError) as exc:
            if "pickle" in str(exc):  # an object array: loading it would run pickle
                raise ValueError(f"{self.where}: key {key!r} is an object array, which cannot "
                                 f"be read without pickle (refused)") from exc
            raise ValueError(f"{self.where}: key {key!r} is damaged ({exc})") from exc
        self.unread.discard(key)
        if dtype is not None and value.dtype != dtype:
            raise ValueError(f"{self.where}: key {key!r} has dtype {value.dtype}, "
                             f"expected {np.dtype(dtype)}")
        if shape is not None and value.shape != tuple(shape):
            raise ValueError(f"{self.where}: key {key!r} has shape {value.shape}, "
                             f"expected {tuple(shape)}")
        return value

    def string(self, key):
        value = self(key, shape=())
        if value.dtype.kind != "U":
            raise ValueError(f"{self.where}: key {key!r} has dtype {value.dtype}, "
                             f"expected a string")
        return str(value)


def _from_arrays(read):
    if "format" not in read.npz.files or read.string("format") != FORMAT:
        raise ValueError(f"{read.where}: no {FORMAT!r} format marker (a .npz written by "
                         f"something else?)")
    version = read("format_version", shape=())
    if version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
        raise ValueError(f"{read.where}: format version {version.item()!r} is not supported "
                         f"(this minprune reads version {FORMAT_VERSION})")
    sizes = read("layer_sizes", dtype=np.int64)
    if sizes.ndim != 1 or sizes.size < 2 or sizes.min() < 1 or sizes[-1] < 2:
        raise ValueError(f"{read.where}: key 'layer_sizes' must be >= 2 positive ints ending "
                         f"in >= 2 classes, got {sizes.tolist()}")
    activation = read.string("activation")
    if activation not in ACTIVATIONS:
        raise ValueError(f"{read.where}: key 'activation' must be one of {list(ACTIVATIONS)}, "
                         f"got {activation!r}")
    dtype = read.string("dtype")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"{read.where}: key 'dtype' must be 'float32' or 'float64', got {dtype!r}")

    # Every array is read and checked against layer_sizes before a model exists, and the
    # model is built around them: a tampered layer_sizes never allocates anything.
    sizes = sizes.tolist()
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        kW, kb, km, kbm = _layer_keys(i)
        W = read(kW, dtype=dtype, shape=(fan_in, fan_out))
        b = read(kb, dtype=dtype, shape=(fan_out,))
        for key, value in ((kW, W), (kb, b)):
            if not np.isfinite(value).all():
                raise ValueError(f"{read.where}: key {key!r} holds NaN or infinite values")
        mask = read(km, dtype=bool, shape=W.shape)
        bias_mask = read(kbm, dtype=bool, shape=b.shape)
        last = i == len(sizes) - 2
        layers.append(Dense(W, b, "identity" if last else activation, mask, bias_mask))
    model = MLP._from_layers(layers, activation, dtype)
    if "classes" in read.npz.files:
        classes = read("classes", shape=(model.n_classes,))
        if classes.dtype.kind not in _CLASS_KINDS:
            raise ValueError(f"{read.where}: key 'classes' has dtype {classes.dtype}, "
                             f"expected numbers or strings")
        model.classes_ = classes
    if read.unread:
        raise ValueError(f"{read.where}: unexpected key(s) {sorted(read.unread)}")
    return model
