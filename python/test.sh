#!/usr/bin/env bash
# Builds the Python package with maturin, installs it into a virtualenv
# (target/pyenv, or $FFT_TENSOR_VENV) and runs its tests with pytest.
# GPU tests run on any wgpu adapter (lavapipe without a GPU); they skip
# without one, and fail when FFT_TENSOR_REQUIRE_GPU=1.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(realpath -m "${FFT_TENSOR_VENV:-target/pyenv}")"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check numpy scipy pytest
# FFT_TENSOR_INSTALL_TORCH=1 (set by .ci/run): also the CPU-only torch wheel
# (~200 MB), so that the torch tests run. Without it, or when the download
# fails, they skip (one line says why).
if [ "${FFT_TENSOR_INSTALL_TORCH:-0}" = 1 ] && ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  start=$SECONDS
  if "$venv/bin/python" -m pip install -q --disable-pip-version-check --retries 1 --timeout 60 \
      --index-url https://download.pytorch.org/whl/cpu torch; then
    echo "python/test.sh: installed the CPU torch wheel in $((SECONDS - start)) s"
  else
    echo "SKIP torch install: download.pytorch.org/whl/cpu failed after $((SECONDS - start)) s; the torch tests will skip"
  fi
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./python
# From the tests folder, so that `import fft_tensor` finds the installed
# package, not the source folder without its compiled module.
cd python/tests
"$venv/bin/python" -m pytest -q -ra "$@"
