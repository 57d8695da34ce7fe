"""fft_tensor: numpy.fft/scipy.fft-compatible transforms on the GPU (WGSL
kernels through wgpu: Vulkan, Metal, DX12) or the CPU (rustfft), sparse
spectral compression and compressed checkpoints, for numpy arrays and CPU
PyTorch tensors.

Switching is one line::

    import fft_tensor.fft as fft          # instead of numpy.fft
    y = fft.rfft2(image)

    import scipy.fft, fft_tensor          # or leave scipy code as it is
    with scipy.fft.set_backend(fft_tensor.scipy_backend):
        y = scipy.fft.dctn(image, norm="ortho")

Where the work runs: ``Context("auto" | "gpu" | "cpu")``; the default
comes from the environment variable FFT_TENSOR_BACKEND (``auto``: a real
GPU when there is one, else the CPU). ``with fft_tensor.use("cpu"): ...``
switches for a block; ``get_context().device`` says what runs.

Errors: ValueError for shapes and arguments, TypeError for wrong kinds of
input, OSError for files, CorruptFileError for damaged files and
DeviceError for the GPU (both FftTensorError). The GIL is released while
the library works.
"""

from . import fft, layers, linalg
from ._context import get_context, set_context, use
from ._interop import PrecisionWarning
from ._native import Context, CorruptFileError, DeviceError, FftTensorError
from .checkpoint import compress_file, decompress_file, inspect, load, save
from .compress import SparseSpectral, compress, decompress, top_k
from ._dct import dct, dctn, idct, idctn
from .fft import (fft2, fftfreq, fftn, fftshift, hfft, ifft, ifft2, ifftn, ifftshift, ihfft,
                  irfft, irfft2, irfftn, rfft, rfft2, rfftfreq, rfftn)
from .scipy_backend import scipy_backend

# `fft` is both the module (fft_tensor.fft, numpy.fft's namesake) and, as
# in scipy.fft, the function: fft_tensor.fft.fft(x) and fft_tensor.fft(x)
# are not both possible, so the module keeps the name; the function is
# fft_tensor.fft.fft.

__version__ = "0.1.0"

__all__ = [
    "Context", "get_context", "set_context", "use",
    "FftTensorError", "CorruptFileError", "DeviceError", "PrecisionWarning",
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
    "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift",
    "dct", "idct", "dctn", "idctn", "scipy_backend",
    "top_k", "compress", "decompress", "SparseSpectral",
    "save", "load", "inspect", "compress_file", "decompress_file", "linalg",
]
