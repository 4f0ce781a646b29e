#!/usr/bin/env bash
# Man pages for fvd and fvctl from their --help texts (swift-argument-parser's generate-manual),
# into .build/man/. The generator copies a discussion's blank lines into the mdoc source, where
# man(1) warns "Empty input line" for each; they become paragraph breaks (.Pp) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --allow-writing-to-package-directory generate-manual >/dev/null
mkdir -p .build/man
for page in fvctl fvd; do
  sed 's/^[[:space:]]*$/.Pp/' ".build/plugins/GenerateManual/outputs/$page/$page.1" > ".build/man/$page.1"
done
