"""How many threads numpy's BLAS may use inside minprune: the one place for that policy.

The matrices of a small MLP are too small for a second BLAS thread to help, and when
another process holds a core, two threads wait on each other: a training epoch or a
forward pass at width 1024 then slows by 2x to 100x (measured on a 2-core machine). So
``fit``, ``forward``/``predict``/``score``/``loss``, the estimator and
``measure_latency`` all run inside :class:`blas_threads`.

``BLAS_THREADS = None`` leaves BLAS as it is; an int allows that many threads.
"""
from __future__ import annotations

import contextlib

BLAS_THREADS = 1

# OpenBLAS (numpy's BLAS) computes a matrix product of fewer multiply-adds than this on
# one thread whatever the setting (its GEMM threshold, 65536 x 4); below it, setting and
# restoring the limit would cost ~3 us for nothing (a batch-1 pass at width 256 takes ~30).
ONE_THREAD_BELOW = 2 ** 18

_DEFAULT = object()
_libraries = None


def _blas_libraries(refresh=False):
    """threadpoolctl's controllers of the loaded BLAS libraries (found once: ~1 ms)."""
    global _libraries
    if _libraries is None or refresh:
        from threadpoolctl import ThreadpoolController

        _libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    return _libraries


class blas_threads:
    """Context manager: BLAS on at most `limit` threads inside, restored on exit.

    Parameters
    ----------
    limit : int or None, default ``BLAS_THREADS``
        None leaves BLAS alone.
    refresh : bool
        Look the loaded BLAS libraries up again (``fit`` does, once per call);
        otherwise the list found on first use is reused, which keeps the cost of
        entering at about a microsecond, small next to a batch-1 forward pass.
        (``threadpoolctl.threadpool_limits`` looks them up on every call: ~0.4 ms.)
    """

    __slots__ = ("limit", "refresh", "_restore")

    def __init__(self, limit=_DEFAULT, refresh=False):
        self.limit = limit
        self.refresh = refresh

    def __enter__(self):
        limit = BLAS_THREADS if self.limit is _DEFAULT else self.limit
        self._restore = []
        if limit is not None:
            for lib in _blas_libraries(self.refresh):
                n = lib.get_num_threads()
                if n != limit:
                    lib.set_num_threads(limit)
                    self._restore.append((lib, n))
        return self

    def __exit__(self, *exc_info):
        for lib, n in reversed(self._restore):
            lib.set_num_threads(n)
        return False


def blas_threads_for(multiply_adds):
    """:class:`blas_threads` for work whose largest matrix product has `multiply_adds`
    (``n_samples * fan_in * fan_out``), or nothing when BLAS runs that on one thread anyway."""
    return blas_threads() if multiply_adds >= ONE_THREAD_BELOW else _UNCHANGED


_UNCHANGED = contextlib.nullcontext()
