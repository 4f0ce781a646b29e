#!/usr/bin/env bash
# The TensorFlow comparison (docs/PERFORMANCE.md): builds fvd (release), makes a private
# virtual environment with tensorflow-cpu (.venv-tf, ~600 MB, once), and runs
# scripts/compare_tensorflow.py. Needs weights/vgg16.fvw (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
if [ ! -x .venv-tf/bin/python ] || ! .venv-tf/bin/python -c "import tensorflow" 2>/dev/null; then
  python3 -m venv .venv-tf
  .venv-tf/bin/pip install -q tensorflow-cpu==2.21.0 || .venv-tf/bin/pip install -q tensorflow==2.21.0
fi
exec .venv-tf/bin/python scripts/compare_tensorflow.py "$@"
