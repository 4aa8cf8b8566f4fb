"""Optimizers as small objects that update an MLP in place and keep masks exact.

An optimizer's ``step(model, grads)`` takes the gradients from
``MLP.gradients`` / ``MLP._backward`` (one ``(dW, db)`` pair per layer) and
updates ``W`` and ``b``. A pruned weight stays exactly 0.0 whatever the step
does, and its optimizer state (momentum, Adam moments) stays zero, so it comes
back from zero if a mask is ever restored (rewinding). How that is kept cheaply
is explained in :func:`hold_pruned_at_zero`.

Weight decay is L2 regularisation added to the gradient (``g + weight_decay * W``),
the convention of ``torch.optim.SGD`` and ``torch.optim.Adam``.

An optimizer's state belongs to the model it steps. Stepping the same model
again (a second ``fit`` call, say) continues with its moments and step count;
the first step on *another* model object (another network, a copy, a shrunk
model) starts afresh, exactly as a new optimizer with the same settings would,
so one ``Adam()`` passed to ``fit`` for two models never carries the first
model's moments into the second. ``optimizer.model`` tells which model the
state belongs to.
"""
from __future__ import annotations

import math
import weakref

import numpy as np

from ._validation import validate_choice, validate_float


class Optimizer:
    """Base class: holds the learning rate, weight decay and per-layer state."""

    def __init__(self, lr, weight_decay=0.0):
        self.lr = validate_float(lr, "lr", low=0.0)
        self.weight_decay = validate_float(weight_decay, "weight_decay", low=0.0,
                                           low_inclusive=True)
        self.state = None
        self._masks_seen = None  # see hold_pruned_at_zero
        self.t = 0
        self._model = None  # weak reference to the model the state belongs to

    @property
    def model(self):
        """The model the state belongs to (None before the first step, or once it is gone)."""
        return None if self._model is None else self._model()

    def reset(self):
        """Forget the state: the next step starts like a new optimizer's first."""
        self.state, self.t, self._model, self._masks_seen = None, 0, None, None

    def __getstate__(self):  # copies and pickles (joblib) do not carry the binding
        state = self.__dict__.copy()
        state["_model"] = None
        return state

    def _init_state(self, model):
        raise NotImplementedError

    def _update(self, param, grad, state):
        raise NotImplementedError

    def step(self, model, grads):
        """Apply one update to every weight and bias of `model` (in place).

        Parameters
        ----------
        model : MLP
        grads : list of (dW, db)
            Gradients of the loss, as returned by ``MLP.gradients``. They are
            used as scratch space and overwritten.
        """
        if self._needs_new_state(model):
            # Another model (or new shapes): fresh moments and a fresh step count, so
            # Adam's bias correction starts again with them.
            self.state = self._init_state(model)
            self._masks_seen = None
            self.t = 0
            self._model = weakref.ref(model)
        if self._masks_seen is None or len(self._masks_seen) != len(model.layers):
            self._masks_seen = [[None, None] for _ in model.layers]
        self.t += 1
        for layer, (dW, db), (sW, sb), seen in zip(model.layers, grads, self.state,
                                                    self._masks_seen):
            seen[0] = hold_pruned_at_zero(layer.W, dW, sW, layer.mask, seen[0])
            seen[1] = hold_pruned_at_zero(layer.b, db, sb, layer.bias_mask, seen[1])
            self._update(layer.W, dW, sW)
            self._update(layer.b, db, sb)

    def _needs_new_state(self, model):
        return self.state is None or self.model is not model or len(self.state) != len(
            model.layers) or any(
            s[0][0].shape != layer.W.shape for s, layer in zip(self.state, model.layers))

    def _decay(self, param, grad):
        if self.weight_decay:
            grad += self.weight_decay * param


class SGD(Optimizer):
    """Stochastic gradient descent with (optional, heavy-ball) momentum.

    ``v = momentum * v + g;  w -= lr * v``, the update of ``torch.optim.SGD``.

    Parameters
    ----------
    lr : float
        Learning rate, > 0.
    momentum : float
        In [0, 1). 0 gives plain SGD.
    weight_decay : float
        L2 coefficient added to the gradient, >= 0.
    """

    def __init__(self, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = validate_float(momentum, "momentum", low=0.0, high=1.0,
                                    low_inclusive=True, high_inclusive=False)

    def _init_state(self, model):
        return [((np.zeros_like(layer.W),), (np.zeros_like(layer.b),)) for layer in model.layers]

    def _update(self, param, grad, state):
        self._decay(param, grad)
        if self.momentum:
            (v,) = state
            v *= self.momentum
            v += grad
            np.multiply(v, self.lr, out=grad)  # grad is scratch; v must keep its scale
        else:
            grad *= self.lr
        param -= grad

    def __repr__(self):
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, weight_decay={self.weight_decay:g})"


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) in the "epsilon-hat" form of the end of their section 2.

    With the biased moments ``m = beta1 * m + (1 - beta1) * g`` and
    ``v = beta2 * v + (1 - beta2) * g**2``, step ``t`` (from 1) is::

        w -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)

    This is scikit-learn's ``MLPClassifier`` update. It is *not* Algorithm 1 of
    the paper nor ``torch.optim.Adam``, which add ``eps`` to ``sqrt(v_hat)``
    with ``v_hat = v / (1 - beta2**t)``: that equals the form above with
    ``eps * sqrt(1 - beta2**t)`` in place of ``eps``. The two differ only while
    ``eps`` is not small against ``sqrt(v)``.

    Parameters
    ----------
    lr : float
        Step size, > 0.
    beta1, beta2 : float
        Decay rates of the first and second moment estimates, in [0, 1).
    eps : float
        Added to the denominator, > 0.
    weight_decay : float
        L2 coefficient added to the gradient, >= 0.

    Attributes
    ----------
    state : list of ((m, v) for W, (m, v) for b), one per layer
        Running sums of gradients and squared gradients *without* the
        ``(1 - beta)`` factors: the usual moments are ``(1 - beta1) * m`` and
        ``(1 - beta2) * v``. Zero at pruned positions.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta1 = validate_float(beta1, "beta1", low=0.0, high=1.0, low_inclusive=True,
                                 high_inclusive=False)
        self.beta2 = validate_float(beta2, "beta2", low=0.0, high=1.0, low_inclusive=True,
                                 high_inclusive=False)
        self.eps = validate_float(eps, "eps", low=0.0)

    def _init_state(self, model):
        return [tuple((np.zeros_like(p), np.zeros_like(p)) for p in (layer.W, layer.b))
                for layer in model.layers]

    def step(self, model, grads):
        # Kingma & Ba (2015, end of section 2) fold both bias corrections into the step:
        #   w -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)
        # (scikit-learn's form). The state keeps the sums m~ = m / (1 - beta1) and
        # v~ = v / (1 - beta2), which saves two passes over every array per step:
        #   m / (sqrt(v) + eps)
        #     = (1 - beta1) / sqrt(1 - beta2) * m~ / (sqrt(v~) + eps / sqrt(1 - beta2))
        t = 1 if self._needs_new_state(model) else self.t + 1
        root = math.sqrt(1 - self.beta2)  # Python floats: no float64 upcast of float32 arrays
        self._step_size = (self.lr * math.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
                           * (1 - self.beta1) / root)
        self._eps_hat = self.eps / root
        super().step(model, grads)

    def _update(self, param, grad, state):
        m, v = state  # m~ and v~, see step
        self._decay(param, grad)
        m *= self.beta1
        m += grad
        grad *= grad
        v *= self.beta2
        v += grad
        # grad is scratch from here: the step m~ / (sqrt(v~) + eps~), scaled.
        np.sqrt(v, out=grad)
        grad += self._eps_hat
        np.divide(m, grad, out=grad)
        grad *= self._step_size
        param -= grad

    def __repr__(self):
        return (f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g}, "
                f"eps={self.eps:g}, weight_decay={self.weight_decay:g})")


def hold_pruned_at_zero(param, grad, state, mask, seen):
    """Prepare one parameter for an update that must leave its pruned entries at 0.0.

    The gradient is zeroed where `mask` is False. Where the parameter and its
    optimizer state are zero as well, every update here (SGD with or without
    momentum, Adam, weight decay) then leaves them at zero: the new moment is a
    decayed zero plus a zero gradient, and the step is zero. So the parameter
    and the state only need clearing when the mask changed since the last step
    (a pruning step, or a mask edited in place by a callback). Comparing the mask's
    bytes with those seen then costs a memory compare; clearing on every step would
    cost three passes over floats on each pruned matrix. The mask is kept as floats
    too, since multiplying by a bool array converts it on every step.

    Parameters
    ----------
    param : ndarray
        ``W`` or ``b``, updated next.
    grad : ndarray, same shape
        Its gradient, zeroed in place where `mask` is False.
    state : tuple of ndarray, same shape
        The optimizer's state for `param` (momentum; Adam's two moments).
    mask : bool ndarray, same shape
    seen : tuple (bytes, ndarray) or None
        The mask at the previous step, as returned then (None: nothing pruned
        then, or no step yet).

    Returns
    -------
    tuple (bytes, ndarray) or None
        What to pass as `seen` next time: the mask's bytes and the mask as
        ``grad``'s dtype, or None when nothing is pruned.
    """
    if mask.all():
        return None
    if seen is None or seen[0] != mask.tobytes():
        for array in (param, *state):
            np.copyto(array, 0, where=~mask)
        seen = (mask.tobytes(), mask.astype(grad.dtype))
    np.multiply(grad, seen[1], out=grad)
    return seen


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def make_optimizer(optimizer, lr, weight_decay):
    """Return an Optimizer from a name ("sgd", "adam") or pass an instance through."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    validate_choice(optimizer, "optimizer", OPTIMIZERS)
    return OPTIMIZERS[optimizer](lr=lr, weight_decay=weight_decay)
