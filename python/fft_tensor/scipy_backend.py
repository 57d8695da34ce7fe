"""A backend for ``scipy.fft.set_backend``: existing scipy code runs on
fft_tensor without edits::

    import scipy.fft, fft_tensor
    with scipy.fft.set_backend(fft_tensor.scipy_backend):
        y = scipy.fft.rfft2(image)        # computed by fft_tensor

What fft_tensor does not implement (DCT types 1 and 4, DSTs, hfft2/hfftn,
plans) is handed back to scipy (``NotImplemented``), which then computes it
itself (unless ``only=True`` was passed to ``set_backend``).
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from . import _dct
from . import fft as _fft

_FUNCTIONS: Dict[str, Callable[..., Any]] = {
    name: getattr(_fft, name)
    for name in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft",
                 "rfft2", "irfft2", "rfftn", "irfftn", "hfft", "ihfft")
}
_FUNCTIONS.update({name: getattr(_dct, name) for name in _dct.__all__})


class ScipyBackend:
    """The uarray backend object (``__ua_domain__`` "numpy.scipy.fft")."""

    __ua_domain__ = "numpy.scipy.fft"

    @staticmethod
    def __ua_function__(method: Any, args: tuple, kwargs: dict) -> Any:
        fn = _FUNCTIONS.get(getattr(method, "__name__", ""))
        if fn is None:
            return NotImplemented
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            return NotImplemented

    def __repr__(self) -> str:
        return "fft_tensor.scipy_backend"


scipy_backend = ScipyBackend()
