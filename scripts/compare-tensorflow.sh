#!/usr/bin/env bash
# The peer comparison (docs/PERFORMANCE.md): builds fvd (release), makes two private virtual
# environments once, .venv-tf with tensorflow-cpu (~600 MB) and .venv-jax with jax[cpu]
# (~300 MB), kept apart so their pinned dependencies never meet, and runs
# scripts/compare_tensorflow.py, which times TensorFlow, JAX and fvd in turn on the same three
# jobs. ROUNDS=N repeats the three in turn N times and reports medians. Needs weights/vgg16.fvw
# (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
if [ ! -x .venv-tf/bin/python ] || ! .venv-tf/bin/python -c "import tensorflow" 2>/dev/null; then
  python3 -m venv .venv-tf
  .venv-tf/bin/pip install -q tensorflow-cpu==2.21.0 || .venv-tf/bin/pip install -q tensorflow==2.21.0
fi
if [ ! -x .venv-jax/bin/python ] || ! .venv-jax/bin/python -c "import jax" 2>/dev/null; then
  python3 -m venv .venv-jax
  .venv-jax/bin/pip install -q "jax[cpu]==0.10.2"
fi
exec .venv-tf/bin/python scripts/compare_tensorflow.py "$@"
