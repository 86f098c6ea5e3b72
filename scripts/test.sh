#!/usr/bin/env bash
# Installs everything the tests need (system packages, a venv with the project and test tools) and runs
# ruff and the whole test suite. Used by the README and by .ci/run. Needs root for apt-get (or the packages
# already installed).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libportaudio2 pulseaudio libasound2-plugins alsa-utils espeak-ng sox chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Systeempakketten installeren: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check src tests benchmarks
# pytest exits 5 when it collected no tests; that non-zero exit fails this script too.
.venv/bin/python -m pytest "$@"
