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
``objective``             optional: ``"squared_error"`` for a regressor
========================  ===============================================

``model.mask_history`` (the undo record of pruning steps) is *not* saved: a
loaded model starts a new history.

The rules both sides follow, so that whatever :func:`save` writes :func:`load`
reads back bit for bit, and whatever :func:`load` would refuse :func:`save`
refuses before it touches the disk:

* ``layer_sizes`` holds at least 1 feature and at least 2 classes (a
  regressor, ``objective="squared_error"``: at least 1 output); a hidden
  layer may have **0 units**. That is what :func:`minprune.shrink` leaves when
  every unit of a layer is dead: the network then outputs a constant, the last
  layer's bias. (``MLP(...)`` still refuses a 0-wide layer: nothing in it could
  learn.)
* Weights and biases that exist (mask True) are finite.
* A pruned weight or bias is exactly 0.0. ``save`` writes masked positions as
  0.0 whatever the model holds there (a value left under a False mask by a hand
  edit is not part of the model: ``apply_masks`` would zero it); ``load`` *repairs* a file in which they are not (an older or
  hand-made file), sets them to 0.0 and says so with a ``UserWarning``.

Loading never executes code: it reads the zip directory first (members
present, none duplicated, each of the size the declared architecture implies,
no more compression than deflate can give), then each ``.npy`` header, and
allocates an array only once its header matches; object arrays are refused
without unpickling. A truncated, tampered, foreign or oversized file raises a
``ValueError`` naming the file and the key.

Every file the package writes (models, the tour's report and figures) goes
through :func:`atomic_write`: a temporary file in the same folder, then one
atomic rename.
"""
from __future__ import annotations

import errno
import glob
import math
import os
import stat
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .model import ACTIVATIONS, OBJECTIVES, MLP, Dense

FORMAT = "minprune.MLP"
FORMAT_VERSION = 1
_CLASS_KINDS = "biufU"  # label dtypes a file may hold: bool, ints, floats, strings
_META = ("format", "format_version", "layer_sizes", "activation", "dtype")
_MAX_META_BYTES = 1 << 16  # a metadata member (a name, a version, layer_sizes) is small
_MAX_HEADER_BYTES = 10_000  # numpy's own limit on a .npy header
# Deflate cannot shrink data by more than about 1032:1; a directory claiming more lies.
_MAX_DEFLATE_RATIO = 1032
_READ_CHUNK = 1 << 20


# ------------------------------------------------------------------ atomic writes
def _validate_path(path, name="path"):
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path)


def _umask():
    """The process's umask; read from /proc where possible, since setting it to learn it
    briefly changes it for every thread."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or not a pid: leave its file alone
    return True


def _remove_stale_temporaries(folder, name):
    """Delete temporary files of earlier writes to `name` whose process no longer runs
    (a write killed midway: SIGKILL or a power cut cannot run any clean-up)."""
    for tmp in folder.glob(f".{glob.escape(name)}.*.tmp"):
        pid = tmp.name[len(name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                tmp.unlink()
            except OSError:
                pass


def atomic_write(path, write, *, check=None):
    """Write a file so that the previous content survives any failure.

    `write` fills a temporary file in the target's folder; `check` may then
    read it back; only then does one atomic rename put it in place. On any
    error or interrupt (Ctrl-C included) the temporary file is removed and the
    target is untouched. A write killed outright leaves a hidden
    ``.NAME.PID.XXXX.tmp`` file, removed by the next write to the same path.
    The new file keeps the permissions of the file it replaces (a new file gets
    the usual ``0o666`` less the umask). A symbolic link is refused, never
    written through.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace.
    write : bytes, str or callable
        The content (a str is written as UTF-8), or a function ``write(f)``
        that writes it to the binary file object ``f``.
    check : callable, optional
        ``check(tmp_path)`` raises if the written file is not what it should be.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    path = _validate_path(path)
    if isinstance(write, str):
        write = write.encode("utf-8")
    if isinstance(write, (bytes, bytearray)):
        write = (lambda content: lambda f: f.write(content))(write)
    elif not callable(write):
        raise TypeError(f"write must be bytes, a str or a function of a binary file, got "
                        f"{type(write).__name__}")
    folder = path.parent
    if path.is_symlink():
        raise ValueError(f"path {str(path)!r} is a symbolic link; refusing to write through "
                         f"it (it points to {os.readlink(path)!r}): give the real path")
    if path.is_dir():
        raise ValueError(f"path {str(path)!r} is a folder; give a file name inside it")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(errno.ENOENT, f"cannot write {str(path)!r}: the folder "
                                              f"{str(folder)!r} {what}")
    existed = path.exists()
    mode = stat.S_IMODE(path.stat().st_mode) if existed else 0o666 & ~_umask()
    _remove_stale_temporaries(folder, path.name)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{os.getpid()}.",
                                   suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        kept = "the existing file is unchanged" if existed else "no file was created"
        raise type(exc)(exc.errno, f"could not write {str(path)!r}: "
                                   f"{exc.strerror or exc}; {kept}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


# --------------------------------------------------------------------------- save
def _layer_keys(i):
    return f"W_{i}", f"b_{i}", f"mask_{i}", f"bias_mask_{i}"


def _validate_architecture(sizes, activation, dtype, where, objective="cross_entropy"):
    """The architecture rules ``save`` and ``load`` share (see the module notes)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"{where}: 'objective' must be one of {list(OBJECTIVES)}, "
                         f"got {objective!r}")
    least = 2 if objective == "cross_entropy" else 1
    outputs = "n_classes >= 2" if least == 2 else "n_outputs >= 1"
    if (len(sizes) < 2 or sizes[0] < 1 or sizes[-1] < least
            or any(s < 0 for s in sizes[1:-1])):
        raise ValueError(f"{where}: 'layer_sizes' must be [n_features >= 1, hidden widths "
                         f">= 0..., {outputs}], got {list(sizes)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"{where}: 'activation' must be one of {list(ACTIVATIONS)}, "
                         f"got {activation!r}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"{where}: 'dtype' must be 'float32' or 'float64', got {dtype!r}")


def _pruned_nonzero(value, mask):
    """Entries of `value` under a False `mask` that are not 0.0 (NaN included)."""
    return ~mask & (value != 0)


def _arrays(model):
    """The arrays ``save`` writes, after every check ``load`` makes."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a minprune.MLP, got {type(model).__name__}")
    where = "model cannot be saved"
    hidden = [layer.activation for layer in model.layers[:-1]]
    if any(a != model.activation for a in hidden) or model.layers[-1].activation != "identity":
        raise ValueError(f"model must use model.activation ({model.activation!r}) in every "
                         f"hidden layer and a linear output layer to be saved; got {hidden} "
                         f"and {model.layers[-1].activation!r}")
    dtype = np.dtype(model.dtype)
    _validate_architecture(model.layer_sizes, model.activation, dtype.name, where, model.objective)
    arrays = {"format": np.array(FORMAT), "format_version": np.array(FORMAT_VERSION),
              "layer_sizes": np.array(model.layer_sizes, dtype=np.int64),
              "activation": np.array(model.activation), "dtype": np.array(dtype.name)}
    if model.objective != "cross_entropy":  # classifier files stay as they were
        arrays["objective"] = np.array(model.objective)
    for i, layer in enumerate(model.layers):
        shapes = (layer.W.shape, (layer.fan_out,), layer.W.shape, (layer.fan_out,))
        dtypes = (dtype, dtype, bool, bool)
        values = (layer.W, layer.b, layer.mask, layer.bias_mask)
        for key, value, shape, kind in zip(_layer_keys(i), values, shapes, dtypes):
            value = np.asarray(value)
            if value.shape != shape:
                raise ValueError(f"model.layers[{i}] is inconsistent: {key.rsplit('_', 1)[0]} has "
                                 f"shape {value.shape}, expected {shape}")
            arrays[key] = np.ascontiguousarray(value, dtype=kind)  # what load() will require
        for key, mask_key, name in ((f"W_{i}", f"mask_{i}", "W"), (f"b_{i}", f"bias_mask_{i}", "b")):
            value, mask = arrays[key], arrays[mask_key]
            live_bad = mask & ~np.isfinite(value)
            if live_bad.any():
                raise ValueError(f"{where}: model.layers[{i}].{name} holds "
                                 f"{int(np.count_nonzero(live_bad))} NaN or infinite value(s) "
                                 f"where its mask is True (a diverged training run?); load "
                                 f"would refuse the file, so nothing was written")
            if _pruned_nonzero(value, mask).any():  # values a mask hides: stored as what they mean
                arrays[key] = np.where(mask, value, value.dtype.type(0))
    if model.classes_ is not None:
        classes = np.asarray(model.classes_)
        if classes.dtype.kind not in _CLASS_KINDS or classes.shape != (model.n_classes,):
            raise ValueError(f"model.classes_ must be {model.n_classes} numbers or strings to be "
                             f"saved without pickle, got {classes.dtype} array of shape "
                             f"{classes.shape}")
        arrays["classes"] = np.ascontiguousarray(classes)
    return arrays


def _is_model_file(path, fmt=FORMAT):
    """True if `path` is a minprune file of format `fmt` (a model, or a compressed model)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return _Archive(zf, str(path)).string("format") == fmt
    except Exception:  # unreadable, not a zip, no "format" key: not one of ours
        return False


def save(model, path, *, overwrite=False):
    """Write `model` (weights, biases, masks, architecture) to one ``.npz`` file.

    Everything :func:`load` checks is checked first, so a model that could not
    be read back (a NaN weight, say) is refused before anything is written. The
    file is written to a temporary name, read back and compared, and only then
    renamed over `path` (see :func:`atomic_write`): an interrupted or failed
    save leaves the previous file as it was and no temporary file behind. The
    new file keeps the permissions of the one it replaces. An existing file is
    replaced only if it is itself a minprune model file (so re-running a
    notebook cell works) or if ``overwrite=True``. ``model.mask_history`` is
    not saved.

    Parameters
    ----------
    model : MLP
    path : str or os.PathLike
        The file to write. ``.npz`` is appended when the name has another
        suffix, as ``numpy.savez`` does; the returned path says so. A folder,
        or a name that becomes a folder's with ``.npz`` appended, is refused.
    overwrite : bool
        Replace an existing file even if it is not a minprune model.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    arrays = _arrays(model)
    given = _validate_path(path)
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    if given.is_dir():
        raise ValueError(f"path must name a file, got the folder {str(given)!r}; give a file "
                         f"name inside it, such as {str(given / 'model.npz')!r}")
    path = given if given.suffix == ".npz" else given.with_name(given.name + ".npz")
    if path.exists() and not path.is_symlink() and not path.is_dir() and not overwrite \
            and not _is_model_file(path):
        raise FileExistsError(f"path {str(path)!r} exists and is not a minprune model file; "
                              f"refusing to replace it (pass overwrite=True to replace it "
                              f"anyway)")

    def check(tmp):
        try:
            back, _ = _read_npz(tmp, "the file", repair=False)
        except ValueError as exc:
            raise OSError(errno.EIO, f"the file read back is not valid ({exc})") from None
        same = back.keys() == arrays.keys() and all(
            back[k].dtype == arrays[k].dtype and back[k].shape == arrays[k].shape
            and back[k].tobytes() == arrays[k].tobytes() for k in arrays)
        if not same:
            raise OSError(errno.EIO, "the file read back differs from the model")

    return atomic_write(path, lambda f: np.savez_compressed(f, **arrays), check=check)


# --------------------------------------------------------------------------- load
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
        an unknown format version, a key is missing, duplicated, unexpected, of
        the wrong shape, dtype or size, compressed beyond what deflate can do,
        or a weight that exists is NaN or infinite. The message names the key.
        Nothing larger than the declared architecture is ever read.

    Warns
    -----
    UserWarning
        When weights or biases under a False mask were not 0.0: they are set
        to 0.0, which is what the masks say they are.
    """
    path = _validate_path(path)
    if path.is_dir():
        raise ValueError(f"path must name a model file, got the folder {str(path)!r}")
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, f"no model file at {str(path)!r}")
    arrays, repaired = _read_npz(path, f"{path} is not a valid minprune model file", repair=True)
    if repaired:
        warnings.warn(f"{path}: {repaired} weight(s) or bias(es) under a False mask were not "
                      f"0.0 and were set to 0.0 (a pruned weight is exactly 0.0, as its mask "
                      f"says)", UserWarning, stacklevel=2)
    return _build(arrays)


def _read_npz(path, where, *, repair, reader=None):
    """All arrays of a model file, checked (see :func:`load`), and how many pruned values
    were repaired to 0.0 (`repair`; otherwise such a file is refused). With `reader`, what
    ``reader(archive)`` returns for the opened :class:`_Archive` instead (other file kinds)."""
    with open(path, "rb") as fh:
        head = fh.read(6)
    if head == b"\x93NUMPY":
        raise ValueError(f"{where}: it holds a single .npy array, not a .npz archive")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{where}: it is not a .npz (zip) archive, or it is truncated "
                         f"({exc})") from exc
    with zf:
        archive = _Archive(zf, where, size=os.path.getsize(path))
        return _read_model_arrays(archive, repair) if reader is None else reader(archive)


class _Archive:
    """The members of an open ``.npz``, checked from the zip directory before any is read;
    every failure becomes a ValueError naming the file and the key."""

    def __init__(self, zf, where, size=None):
        self.zf, self.where = zf, where
        self.members = {}
        for info in zf.infolist():
            name = info.filename
            key = name[:-4] if name.endswith(".npy") else None
            if key is None or "/" in key or info.is_dir():
                raise ValueError(f"{where}: member {name!r} is not a .npy array")
            if key in self.members:
                raise ValueError(f"{where}: key {key!r} appears twice in the archive")
            if info.flag_bits & 0x1:
                raise ValueError(f"{where}: key {key!r} is encrypted")
            if info.flag_bits & 0x20:
                raise ValueError(f"{where}: key {key!r} is stored as compressed patched data")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ValueError(f"{where}: key {key!r} uses compression method "
                                 f"{info.compress_type}, which is not supported (only stored "
                                 f"or deflated members)")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise ValueError(f"{where}: key {key!r} is stored uncompressed but claims "
                                 f"{info.file_size:,} bytes from {info.compress_size:,} (a "
                                 f"damaged directory)")
            if info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024:
                raise ValueError(f"{where}: key {key!r} claims {info.file_size:,} bytes from "
                                 f"{info.compress_size:,} compressed, more than deflate can "
                                 f"give (a damaged directory or a zip bomb)")
            if size is not None and info.compress_size > size:
                raise ValueError(f"{where}: key {key!r} claims {info.compress_size:,} bytes, "
                                 f"more than the whole file ({size:,}); it is truncated")
            self.members[key] = info

    def require(self, keys, optional=()):
        missing = [k for k in keys if k not in self.members]
        if missing:
            raise ValueError(f"{self.where}: missing key {missing[0]!r}"
                             + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
        unexpected = sorted(set(self.members) - set(keys) - set(optional))
        if unexpected:
            raise ValueError(f"{self.where}: unexpected key(s) {unexpected}")

    def validate_size(self, key, dtype, shape):
        """Refuse, from the directory alone, a member too big or too small for its array."""
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        size = self.members[key].file_size
        if not nbytes < size <= nbytes + _MAX_HEADER_BYTES + 12:
            raise ValueError(f"{self.where}: key {key!r} holds {size:,} bytes, but shape "
                             f"{tuple(shape)} of {np.dtype(dtype)} needs {nbytes:,} plus a "
                             f"header")

    def __call__(self, key, *, dtype=None, shape=None, ndim=None, kinds=None, limit=None):
        if key not in self.members:
            raise ValueError(f"{self.where}: missing key {key!r}")
        info = self.members[key]
        if limit is not None and info.file_size > limit:
            raise ValueError(f"{self.where}: key {key!r} holds {info.file_size:,} bytes, more "
                             f"than such a key can ({limit:,})")
        try:
            with self.zf.open(info) as f:
                found_dtype, found_shape, fortran, header = _read_header(f)
                self._check(key, found_dtype, found_shape, dtype, shape, ndim, kinds)
                nbytes = math.prod(found_shape) * found_dtype.itemsize
                if header + nbytes != info.file_size:
                    raise ValueError(f"{self.where}: key {key!r} holds {info.file_size:,} "
                                     f"bytes, but its header announces {header + nbytes:,}")
                value = _read_data(f, found_dtype, found_shape, fortran)
                if f.read(1):
                    raise ValueError(f"{self.where}: key {key!r} has data past its end")
        # RuntimeError ("encrypted") and NotImplementedError (unknown compression): what
        # zipfile raises when flipped bits land in a member's flags or method.
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError,
                NotImplementedError) as exc:
            raise ValueError(f"{self.where}: key {key!r} is damaged ({exc})") from exc
        except _HeaderError as exc:
            raise ValueError(f"{self.where}: key {key!r} has a damaged .npy header "
                             f"({exc})") from exc
        return value

    def _check(self, key, found_dtype, found_shape, dtype, shape, ndim, kinds):
        if found_dtype.hasobject:
            raise ValueError(f"{self.where}: key {key!r} is an object array, which cannot be "
                             f"read without pickle (refused)")
        if (dtype is not None and found_dtype != dtype) or (
                kinds is not None and (found_dtype.kind not in kinds or found_dtype.names)):
            expected = np.dtype(dtype) if dtype is not None else {
                "U": "a string", "iu": "an integer", _CLASS_KINDS: "numbers or strings"}[kinds]
            raise ValueError(f"{self.where}: key {key!r} has dtype {found_dtype}, "
                             f"expected {expected}")
        if (shape is not None and found_shape != tuple(shape)) or (
                ndim is not None and len(found_shape) != ndim):
            expected = tuple(shape) if shape is not None else f"{ndim}-D"
            raise ValueError(f"{self.where}: key {key!r} has shape {found_shape}, "
                             f"expected {expected}")

    def string(self, key):
        return str(self(key, shape=(), kinds="U", limit=_MAX_META_BYTES))


class _HeaderError(Exception):
    pass


def _read_header(f):
    """(dtype, shape, fortran_order, header length in bytes) of a .npy stream, read safely
    (numpy parses the header with ``ast.literal_eval``; nothing is executed)."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(
                f, max_header_size=_MAX_HEADER_BYTES)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(
                f, max_header_size=_MAX_HEADER_BYTES)
        else:
            raise _HeaderError(f".npy format version {version} is not supported")
    except ValueError as exc:
        raise _HeaderError(str(exc)) from exc
    return dtype, tuple(shape), fortran, f.tell()  # the header is what was read so far


def _read_data(f, dtype, shape, fortran):
    """Read exactly the array's bytes in chunks into a fresh array (no second copy)."""
    value = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
    view = memoryview(value.reshape(-1).view(np.uint8)) if value.size else memoryview(b"")
    done = 0
    while done < len(view):
        n = f.readinto(view[done:done + _READ_CHUNK])
        if not n:
            raise EOFError(f"the data ends after {done:,} of {len(view):,} bytes")
        done += n
    return np.ascontiguousarray(value.T) if fortran else value


def _read_model_arrays(read, repair):
    """Every array of a model file, checked in the order that reads the least."""
    if "format" not in read.members or read.string("format") != FORMAT:
        raise ValueError(f"{read.where}: no {FORMAT!r} format marker (a .npz written by "
                         f"something else?)")
    read.require(_META, optional=read.members)  # the rest is known once the sizes are
    version = read("format_version", shape=(), kinds="iu", limit=_MAX_META_BYTES)
    if int(version) != FORMAT_VERSION:
        raise ValueError(f"{read.where}: format version {version.item()!r} is not supported "
                         f"(this minprune reads version {FORMAT_VERSION})")
    sizes = read("layer_sizes", dtype=np.int64, ndim=1, limit=_MAX_META_BYTES)
    activation, dtype = read.string("activation"), read.string("dtype")
    objective = read.string("objective") if "objective" in read.members else "cross_entropy"
    _validate_architecture(sizes.tolist(), activation, dtype, read.where, objective)
    sizes = sizes.tolist()
    arrays = {"format": np.array(FORMAT), "format_version": version, "layer_sizes": np.array(
        sizes, dtype=np.int64), "activation": np.array(activation), "dtype": np.array(dtype)}
    if "objective" in read.members:
        arrays["objective"] = np.array(objective)

    # From the directory alone: every member present, none unexpected, each of the size
    # the architecture implies. Only then is an array allocated, never larger than that.
    expected = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes = ((fan_in, fan_out), (fan_out,), (fan_in, fan_out), (fan_out,))
        expected += zip(_layer_keys(i), (dtype, dtype, bool, bool), shapes)
    read.require(list(_META) + [k for k, _, _ in expected], optional=["classes", "objective"])
    for key, kind, shape in expected:
        read.validate_size(key, kind, shape)
    for key, kind, shape in expected:
        arrays[key] = read(key, dtype=kind, shape=shape)
    if "classes" in read.members:
        arrays["classes"] = read("classes", shape=(sizes[-1],), kinds=_CLASS_KINDS,
                                 limit=_MAX_HEADER_BYTES + 12 + sizes[-1] * 4 * 1024)

    repaired = 0
    for i in range(len(sizes) - 1):
        for key, mask_key in ((f"W_{i}", f"mask_{i}"), (f"b_{i}", f"bias_mask_{i}")):
            value, mask = arrays[key], arrays[mask_key]
            if not np.isfinite(value[mask]).all():
                raise ValueError(f"{read.where}: key {key!r} holds NaN or infinite values "
                                 f"where {mask_key!r} is True")
            hidden = _pruned_nonzero(value, mask)
            if hidden.any():
                if not repair:
                    raise ValueError(f"{read.where}: key {key!r} is not 0.0 where "
                                     f"{mask_key!r} is False")
                repaired += int(np.count_nonzero(hidden))
                value[hidden] = 0
    return arrays, repaired


def _build(arrays):
    """An MLP around checked arrays (no copy, no random weights drawn)."""
    sizes = arrays["layer_sizes"].tolist()
    activation, dtype = str(arrays["activation"]), str(arrays["dtype"])
    objective = str(arrays.get("objective", "cross_entropy"))
    layers = []
    for i in range(len(sizes) - 1):
        W, b, mask, bias_mask = (arrays[k] for k in _layer_keys(i))
        last = i == len(sizes) - 2
        layers.append(Dense(W, b, "identity" if last else activation, mask, bias_mask))
    return MLP._from_layers(layers, activation, dtype, objective, classes=arrays.get("classes"))
