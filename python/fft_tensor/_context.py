"""The current Context: the backend every call runs on."""

from __future__ import annotations

import contextlib
import contextvars
import threading
from typing import Iterator, Optional, Union

from ._native import Context

_current: contextvars.ContextVar[Optional[Context]] = contextvars.ContextVar(
    "fft_tensor_context", default=None
)
_default: Optional[Context] = None
_lock = threading.Lock()


def _as_context(ctx: Union[Context, str, None]) -> Context:
    if isinstance(ctx, Context):
        return ctx
    if ctx is None or isinstance(ctx, str):
        return Context(ctx)
    raise TypeError(f"expected a Context or a backend name, got {type(ctx).__name__}")


def get_context() -> Context:
    """The context calls run on: the one set by ``use`` or ``set_context``,
    else a process-wide default made on first use from the environment
    variable ``FFT_TENSOR_BACKEND`` (``auto`` when unset)."""
    ctx = _current.get()
    if ctx is not None:
        return ctx
    global _default
    with _lock:
        if _default is None:
            _default = Context()
        return _default


def set_context(ctx: Union[Context, str, None]) -> Context:
    """Makes ``ctx`` (a Context, or a backend name "auto" | "gpu" | "cpu";
    None reads FFT_TENSOR_BACKEND) the process-wide default and returns it."""
    global _default
    new = _as_context(ctx)
    with _lock:
        _default = new
    return new


@contextlib.contextmanager
def use(ctx: Union[Context, str, None]) -> Iterator[Context]:
    """``with fft_tensor.use("cpu"): ...`` runs the block (this thread or
    task) on the given Context or backend, then restores the previous one."""
    new = _as_context(ctx)
    token = _current.set(new)
    try:
        yield new
    finally:
        _current.reset(token)
