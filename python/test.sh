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
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./python
# From the tests folder, so that `import fft_tensor` finds the installed
# package, not the source folder without its compiled module.
cd python/tests
"$venv/bin/python" -m pytest -q -ra "$@"
