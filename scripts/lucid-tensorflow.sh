#!/usr/bin/env bash
# Lucid's own recipe in TensorFlow on fvd's weights (scripts/lucid_tensorflow.py), to judge the
# lucid preset's pictures against: makes the private .venv-tf once (tensorflow-cpu, as
# scripts/compare-tensorflow.sh does) and renders the quality set, or the LAYER:FILTER pairs
# given, into OUTDIR as lucid-LAYER-FILTER.png. Then `fvbench --remeasure-trr OUTDIR` measures
# them as `fvbench --quality` measures fvd's. Needs weights/vgg16.fvw (scripts/setup.sh).
# About 1-3 minutes a filter on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
  echo "usage: scripts/lucid-tensorflow.sh OUTDIR [LAYER:FILTER ...]" >&2
  exit 2
fi
if [ ! -x .venv-tf/bin/python ] || ! .venv-tf/bin/python -c "import tensorflow" 2>/dev/null; then
  python3 -m venv .venv-tf
  .venv-tf/bin/pip install -q tensorflow-cpu==2.21.0 || .venv-tf/bin/pip install -q tensorflow==2.21.0
fi
exec .venv-tf/bin/python scripts/lucid_tensorflow.py "$@"
