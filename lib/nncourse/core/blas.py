"""BLAS limited to one thread for a run: the course's matrices are small, and on a busy 2-core machine OpenBLAS's
waiting threads can make a deep network's training run many times slower. Results are the same either way."""

import contextlib
import functools

_BLAS = []  # a threadpoolctl controller, found once (scanning the loaded libraries costs milliseconds)


def _blas_limit():
    """A context that limits BLAS to one thread, or does nothing when threadpoolctl is not installed."""
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS.append(ThreadpoolController())
        except ImportError:  # threadpoolctl comes with scikit-learn; without it, run as is
            _BLAS.append(None)
    return _BLAS[0].limit(limits=1, user_api="blas") if _BLAS[0] is not None else contextlib.nullcontext()


def one_blas_thread(fn):
    """Run `fn` with BLAS limited to one thread. Our matrices are small (at most 1000 x 1000 on a few hundred
    rows): threads buy little, and on a busy 2-core machine OpenBLAS's waiting threads made a 30-layer
    training run 25 times slower. Results are the same either way."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _blas_limit():
            return fn(*args, **kwargs)

    return wrapper
