"""A multilayer perceptron written out in numpy, with a pruning mask beside every weight.

The layout follows scikit-learn's ``MLPClassifier``: layer ``i`` maps
``(n_samples, fan_in) -> (n_samples, fan_out)`` with ``W`` of shape
``(fan_in, fan_out)``, so ``coefs_[i] is layers[i].W``. Hidden layers use one
activation; the output layer is linear. With ``objective="cross_entropy"`` (the
default) its outputs are logits that a softmax turns into class probabilities;
with ``objective="squared_error"`` they are the predictions of a regression, as
in scikit-learn's ``MLPRegressor``. Training lives in :mod:`minprune.training`.

Pruning state is explicit: ``layer.mask`` (bool, ``W.shape``) says which weights
exist and ``layer.bias_mask`` (bool, ``b.shape``) which units keep their bias.

The invariant: **a pruned weight is exactly 0.0 in ``W``** (and a pruned bias in
``b``). It is kept where values change, never checked on the way through:

- assigning a mask (``layer.mask = m``, loading, ``commit_masks``) zeros ``W`` there;
- every optimizer step writes exact zeros back and clears the optimizer state there;
- after editing a mask *in place* (``layer.mask[0, :] = False``) or writing into
  ``W`` by hand, ``model.apply_masks()`` restores it (``fit`` calls it first).

So ``W`` *is* ``W * mask``, and the forward and backward passes use ``W`` as it is:
no masked copy per pass, and a masked model runs exactly as fast as a dense one.
Only the gradient is multiplied by the mask, since a pruned weight's gradient is
not zero (it says how much the loss would change if the weight came back).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .blas import blas_threads_for
from ._validation import (_describe, validate_choice, validate_features, validate_int,
                          validate_labels, validate_seed, validate_targets)

ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity")
OBJECTIVES = ("cross_entropy", "squared_error")


def _relu(z):
    return np.maximum(z, 0, out=z)


def _tanh(z):
    return np.tanh(z, out=z)


def _sigmoid(z):
    # 1 / (1 + exp(-z)) computed as 0.5 * (1 + tanh(z / 2)): no overflow for large |z|.
    z *= 0.5
    np.tanh(z, out=z)
    z += 1
    z *= 0.5
    return z


def _identity(z):
    return z


# The derivative of each activation, written in terms of its *output* a = f(z),
# which is what the forward pass keeps. Multiplies `delta` in place.
def _relu_grad(a, delta):
    delta *= a > 0


def _tanh_grad(a, delta):
    delta *= 1 - a * a


def _sigmoid_grad(a, delta):
    delta *= a * (1 - a)


def _identity_grad(a, delta):
    pass


_FORWARD = {"relu": _relu, "tanh": _tanh, "sigmoid": _sigmoid, "identity": _identity}
_BACKWARD = {"relu": _relu_grad, "tanh": _tanh_grad, "sigmoid": _sigmoid_grad,
             "identity": _identity_grad}


def log_softmax(logits):
    """Log-probabilities from logits, stable for any finite input (log-sum-exp).

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits):
    """Class probabilities from logits; rows sum to 1; no overflow for large logits."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def _cross_entropy(logits, y):
    """Mean softmax cross-entropy, its gradient with respect to the logits, the probabilities."""
    n = len(y)
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    total = probs.sum(axis=1)
    loss = float(np.mean(np.log(total) - shifted[rows, y]))
    probs /= total[:, None]
    delta = probs.copy()
    delta[rows, y] -= 1
    delta /= n
    return loss, delta, probs


def _squared_error(outputs, y):
    """Half the mean squared error over samples and outputs (scikit-learn's ``squared_loss``),
    its gradient with respect to the outputs, and the outputs."""
    delta = outputs - y
    loss = 0.5 * float(np.mean(np.square(delta)))
    delta /= delta.size
    return loss, delta, outputs


_OBJECTIVE = {"cross_entropy": _cross_entropy, "squared_error": _squared_error}


class Dense:
    """One fully connected layer ``a_out = f(a_in @ W + b)``.

    ``W`` holds exact zeros where ``mask`` is False (the invariant of this module),
    so ``a_in @ W`` already is ``a_in @ (W * mask)``.

    Attributes
    ----------
    W : ndarray of shape (fan_in, fan_out)
    b : ndarray of shape (fan_out,)
    mask : bool ndarray of shape (fan_in, fan_out)
        True where a weight exists. Weight pruning sets entries to False.
    bias_mask : bool ndarray of shape (fan_out,)
        True where a unit keeps its bias. Only neuron pruning clears it.
    activation : str
        Name of the activation applied to this layer's output.
    """

    def __init__(self, W, b, activation="relu", mask=None, bias_mask=None):
        self.W = W
        self.b = b
        self.activation = activation
        self.mask = np.ones(W.shape, dtype=bool) if mask is None else mask
        self.bias_mask = np.ones(b.shape, dtype=bool) if bias_mask is None else bias_mask

    # The masks are checked when assigned and in ``apply_mask``: a 0/1 int mask would
    # be read as indices by ``W[~mask]`` and a (fan_out,) mask would broadcast, both
    # silently. Assigning a mask zeros the weights it prunes (the invariant). The array
    # itself is stored, so in-place edits (``mask[i, :] = False``) cannot change its dtype
    # or shape; they take effect in ``W`` at ``apply_mask`` (``fit`` calls it).
    @property
    def mask(self):
        return self._mask

    @mask.setter
    def mask(self, value):
        self._mask = _zero_where_pruned(self.W, _validate_mask(value, "mask", self.W.shape))

    @property
    def bias_mask(self):
        return self._bias_mask

    @bias_mask.setter
    def bias_mask(self, value):
        value = _validate_mask(value, "bias_mask", self.b.shape)
        self._bias_mask = _zero_where_pruned(self.b, value)

    def _validate_masks(self, index=None):
        """Raise if a mask no longer matches ``W`` / ``b`` (e.g. ``W`` was replaced)."""
        m, bm = self._mask, self._bias_mask
        if (type(m) is np.ndarray and type(bm) is np.ndarray and m.dtype == bool
                and bm.dtype == bool and m.shape == self.W.shape and bm.shape == self.b.shape):
            return  # the common case, checked in a microsecond; the messages below
        where = "layer" if index is None else f"layers[{index}]"
        _validate_mask(self._mask, f"{where}.mask", self.W.shape)
        _validate_mask(self._bias_mask, f"{where}.bias_mask", self.b.shape)

    @property
    def fan_in(self):
        return self.W.shape[0]

    @property
    def fan_out(self):
        return self.W.shape[1]

    def is_pruned(self):
        """True when any weight or bias of this layer is masked out."""
        return not (self.mask.all() and self.bias_mask.all())

    def apply_mask(self):
        """Write exact zeros into masked positions of ``W`` and ``b`` (in place)."""
        self._validate_masks()
        _zero_where_pruned(self.W, self.mask)
        _zero_where_pruned(self.b, self.bias_mask)

    def __repr__(self):
        return f"Dense({self.fan_in} -> {self.fan_out}, {self.activation})"


def _zero_where_pruned(param, mask):
    """Write 0.0 into `param` where `mask` is False and it is not zero yet (a -0.0 is kept,
    so saving and loading are bit for bit); return `mask`."""
    if not mask.all():
        stray = ~mask
        stray &= param != 0
        np.copyto(param, 0, where=stray)
    return mask


def _validate_mask(value, name, shape):
    """Return `value` if it is a bool ndarray of exactly `shape`; raise naming `name` otherwise."""
    if not isinstance(value, np.ndarray) or value.dtype != bool:
        raise TypeError(f"{name} must be a bool numpy array of shape {shape}, got "
                        f"{_describe(value)}; convert 0/1 values with np.asarray(m, dtype=bool)")
    if value.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, the shape of the parameter "
                         f"it masks, got shape {value.shape}")
    return value


class MLP:
    """A multilayer perceptron: a classifier (softmax cross-entropy) or a regressor
    (squared error).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, hidden_1, ..., hidden_k, n_outputs]``; at least two
        entries. A classifier has one output per class (at least two).
    activation : {"relu", "tanh", "sigmoid", "identity"}
        Activation of the hidden layers. The output layer is linear (logits).
    seed : int or np.random.Generator
        Seed for the initial weights. He-normal for relu, Glorot-uniform otherwise;
        biases start at zero.
    dtype : numpy floating dtype
        float32 (fast, the default) or float64 (for gradient checks).
    objective : {"cross_entropy", "squared_error"}
        ``"cross_entropy"``: a classifier; targets are class indices and the loss
        is the mean softmax cross-entropy. ``"squared_error"``: a regressor with
        an identity output; targets are real numbers of shape (n_samples,
        n_outputs) (or (n_samples,) for one output) and the loss is half the
        mean squared error over samples and outputs, scikit-learn's
        ``MLPRegressor`` loss.

    Attributes
    ----------
    layers : list of Dense
    classes_ : ndarray of shape (n_classes,) or None
        The labels of the classes, for a model made by :func:`minprune.from_sklearn`
        or loaded with them (``classes_[predict(X)]`` are the labels); None otherwise,
        and predictions are the class indices ``0 .. n_classes - 1``.
    mask_history : list of PruningStep
        Every pruning step, for :func:`minprune.undo` and :func:`minprune.rewind`
        (see :mod:`minprune.pruning.history`); empty before any pruning.
    """

    def __init__(self, layer_sizes, activation="relu", seed=0, dtype=np.float32,
                 objective="cross_entropy"):
        validate_choice(objective, "objective", OBJECTIVES)
        sizes = _validate_layer_sizes(layer_sizes, objective)
        validate_choice(activation, "activation", ACTIVATIONS)
        dtype = _validate_dtype(dtype)
        rng = validate_seed(seed)
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            W = _init_weights(rng, fan_in, fan_out, activation).astype(dtype)
            b = np.zeros(fan_out, dtype=dtype)
            layers.append(Dense(W, b, "identity" if last else activation))
        self._set_state(layers, activation, dtype, objective)

    def _set_state(self, layers, activation, dtype, objective, classes=None, mask_history=None):
        # Every constructor path ends here, so this is the whole state of a model.
        self.activation = activation
        self.dtype = dtype
        self.objective = objective
        self.layers = list(layers)
        self.classes_ = classes
        self.mask_history = [] if mask_history is None else mask_history

    @classmethod
    def _from_layers(cls, layers, activation, dtype, objective="cross_entropy", *, classes=None,
                     mask_history=None):
        """An MLP around ready ``Dense`` layers, without drawing initial weights.

        The constructor of :meth:`copy`, :func:`minprune.shrink`, :func:`minprune.load`
        and :func:`minprune.from_sklearn`, which already hold checked arrays (no
        copy is made).
        """
        model = cls.__new__(cls)
        objective = validate_choice(objective, "objective", OBJECTIVES)
        model._set_state(layers, activation, _validate_dtype(dtype), objective, classes,
                         mask_history)
        return model

    # ----------------------------------------------------------------- structure
    @property
    def layer_sizes(self):
        """``[n_features, hidden..., n_classes]``."""
        return [self.layers[0].fan_in] + [layer.fan_out for layer in self.layers]

    @property
    def n_features(self):
        return self.layers[0].fan_in

    @property
    def n_classes(self):
        return self.layers[-1].fan_out

    @property
    def n_outputs(self):
        """Width of the output layer: classes of a classifier, targets of a regressor."""
        return self.layers[-1].fan_out

    @property
    def coefs_(self):
        """Weight matrices, scikit-learn's name: ``coefs_[i]`` has shape (fan_in, fan_out)."""
        return [layer.W for layer in self.layers]

    @property
    def intercepts_(self):
        return [layer.b for layer in self.layers]

    @property
    def masks_(self):
        return [layer.mask for layer in self.layers]

    def n_params(self):
        """Number of weights and biases (pruned or not)."""
        return sum(layer.W.size + layer.b.size for layer in self.layers)

    def copy(self):
        """A deep copy: weights, masks and mask history are not shared."""
        layers = [Dense(layer.W.copy(), layer.b.copy(), layer.activation, layer.mask.copy(),
                        layer.bias_mask.copy()) for layer in self.layers]
        classes = None if self.classes_ is None else np.array(self.classes_, copy=True)
        return MLP._from_layers(layers, self.activation, self.dtype, self.objective,
                                classes=classes,
                                mask_history=[entry.copy() for entry in self.mask_history])

    def apply_masks(self):
        """Zero every masked weight and bias in place; returns self."""
        for layer in self.layers:
            layer.apply_mask()
        return self

    def __repr__(self):
        sizes = " -> ".join(str(s) for s in self.layer_sizes)
        extra = "" if self.objective == "cross_entropy" else f", objective={self.objective!r}"
        return f"MLP({sizes}, activation={self.activation!r}, dtype={self.dtype.name}{extra})"

    # ------------------------------------------------------------------- forward
    def _forward(self, X):
        """All layer outputs ``[X, a_1, ..., logits]`` for an already checked X."""
        activations = [X]
        a = X
        for layer in self.layers:
            z = a @ layer.W  # pruned weights are 0.0 in W: no W * mask needed (module docstring)
            z += layer.b
            a = _FORWARD[layer.activation](z)
            activations.append(a)
        return activations

    def forward(self, X):
        """Outputs of the network: logits of a classifier, predictions of a regressor.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
        """
        X = self._validate_X(X)
        with self._blas(X):
            return self._forward(X)[-1]

    def hidden_activations(self, X):
        """Outputs of each hidden layer (after the activation).

        Returns
        -------
        list of ndarray, one of shape (n_samples, hidden_i) per hidden layer
        """
        X = self._validate_X(X)
        with self._blas(X):
            return self._forward(X)[1:-1]

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes); rows sum to 1 (classifiers only)."""
        if self.objective != "cross_entropy":
            raise TypeError(f"predict_proba needs a classifier (objective='cross_entropy'); this "
                            f"model has objective={self.objective!r}: use predict")
        return softmax(self.forward(X))

    def predict(self, X):
        """Predicted class indices in ``0 .. n_classes - 1``, shape (n_samples,); for a
        regressor, the outputs, shape (n_samples, n_outputs).

        A model made by :func:`minprune.from_sklearn` keeps scikit-learn's labels in
        ``classes_``: ``model.classes_[model.predict(X)]`` gives them.
        """
        if self.objective == "squared_error":
            return self.forward(X)
        return np.argmax(self.forward(X), axis=1)

    def score(self, X, y):
        """Accuracy (fraction in [0, 1]) on `X`, `y`; for a regressor, the coefficient of
        determination R^2 averaged over outputs, as scikit-learn's ``score``."""
        X, y = self._validate_Xy(X, y)
        with self._blas(X):
            out = self._forward(X)[-1]
        if self.objective == "cross_entropy":
            return float(np.mean(np.argmax(out, axis=1) == y))
        from sklearn.metrics import r2_score

        return float(r2_score(y, out))

    def loss(self, X, y):
        """Mean softmax cross-entropy (nats per sample) on `X`, `y`; for a regressor, half the
        mean squared error."""
        X, y = self._validate_Xy(X, y)
        with self._blas(X):
            out = self._forward(X)[-1]
        return _OBJECTIVE[self.objective](out, y)[0]

    # ------------------------------------------------------------------ backward
    def _backward(self, activations, y, mask_grads=True):
        """Loss and gradients from a forward pass; no input checks.

        Parameters
        ----------
        activations : list of ndarray
            From ``_forward``.
        y : ndarray
            Checked targets.
        mask_grads : bool
            Multiply the gradients by the masks. ``fit`` passes False: its
            optimizer step zeroes pruned positions anyway, with the same result.

        Returns
        -------
        loss : float
            Mean cross-entropy (half the mean squared error for a regressor).
        grads : list of (dW, db)
            Gradients of the mean loss, multiplied by the masks if `mask_grads`.
        probs : ndarray of shape (n_samples, n_outputs)
            Class probabilities (a regressor: its outputs).
        """
        loss, delta, probs = _OBJECTIVE[self.objective](activations[-1], y)
        grads = [None] * len(self.layers)
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            dW = activations[i].T @ delta
            db = delta.sum(axis=0)
            if mask_grads and layer.is_pruned():
                dW *= layer.mask
                db *= layer.bias_mask
            grads[i] = (dW, db)
            if i > 0:  # the input layer's delta is never needed
                delta = delta @ layer.W.T  # pruned weights are 0.0 in W
                _BACKWARD[self.layers[i - 1].activation](activations[i], delta)
        return loss, grads, probs

    def gradients(self, X, y):
        """Mean cross-entropy and its gradients with respect to every W and b.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        loss : float
        grads : list of (dW, db)
            ``dW`` has shape (fan_in, fan_out), ``db`` shape (fan_out,); both are
            zero at masked positions.
        """
        X, y = self._validate_Xy(X, y)
        with self._blas(X):
            loss, grads, _ = self._backward(self._forward(X), y)
        return loss, grads

    def _blas(self, X):
        """The package's BLAS thread policy (:mod:`minprune.blas`) for a pass over `X`."""
        return blas_threads_for(len(X) * max(layer.W.size for layer in self.layers))

    # -------------------------------------------------------------------- checks
    def _validate_X(self, X):
        # Every public entry point comes through here: a cheap check (dtype and shape,
        # not values) that no mask was replaced by a wrong one behind the setter's back.
        for i, layer in enumerate(self.layers):
            layer._validate_masks(i)
        return validate_features(X, "X", n_features=self.n_features, dtype=self.dtype)

    def _validate_Xy(self, X, y):
        X = self._validate_X(X)
        return X, self._validate_y(y, "y", X.shape[0])

    def _validate_y(self, y, name, n_samples):
        """Class indices for a classifier; (n_samples, n_outputs) real targets for a regressor."""
        if self.objective == "squared_error":
            return validate_targets(y, name, n_samples=n_samples, n_outputs=self.n_outputs,
                                 dtype=self.dtype)
        return validate_labels(y, name, n_samples=n_samples, n_classes=self.n_classes)


def layer_names(model):
    """Layer names ``["layers[0]", "layers[1]", ...]``, as in ``model.layers[i]``."""
    return [f"layers[{i}]" for i in range(len(model.layers))]


def validate_model(model, name="model"):
    """Return `model` if it is a minprune :class:`MLP`; raise TypeError naming `name` otherwise."""
    if not isinstance(model, MLP):
        raise TypeError(f"{name} must be a minprune.MLP, got {_describe(model)}")
    return model


def _validate_dtype(dtype):
    if isinstance(dtype, (str, type, np.dtype)):
        try:
            dt = np.dtype(dtype)
        except TypeError:
            dt = None
        if dt in (np.float32, np.float64):
            return dt
    raise TypeError(f"dtype must be float32 or float64 (np.float32, np.float64 or their "
                    f"names), got {_describe(dtype)}")


def _validate_layer_sizes(layer_sizes, objective="cross_entropy"):
    # An ordered sequence: a set or a dict would give the layers in an arbitrary order.
    if isinstance(layer_sizes, (str, bytes)) or not (
            isinstance(layer_sizes, Sequence)
            or (isinstance(layer_sizes, np.ndarray) and layer_sizes.ndim == 1)):
        raise TypeError(f"layer_sizes must be an ordered sequence (list, tuple or 1-D array) of "
                        f"ints such as [64, 128, 10], got {_describe(layer_sizes)}")
    sizes = [validate_int(s, f"layer_sizes[{i}]", minimum=1) for i, s in enumerate(layer_sizes)]
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes must hold at least [n_features, n_classes], got {sizes}")
    if sizes[-1] < 2 and objective == "cross_entropy":
        raise ValueError(f"layer_sizes[-1] (the number of classes) must be >= 2, got {sizes[-1]}")
    return sizes


def _init_weights(rng, fan_in, fan_out, activation):
    if activation == "relu":  # He et al. (2015): keeps activation variance through ReLU layers
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    # Glorot & Bengio (2010) uniform, as scikit-learn uses for tanh and identity.
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
