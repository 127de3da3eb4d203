#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian/Ubuntu machine, then runs pytest.
# Installs: Debian's chromium (for the real-browser UI tests) and tesseract-ocr (OCR tests), the Python
# requirements, this package.
set -euo pipefail
cd "$(dirname "$0")/.."

# tesseract-ocr: the OCR tests read a scanned PDF made in the test.
if ! command -v chromium >/dev/null 2>&1 || ! command -v tesseract >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium tesseract-ocr >/dev/null
fi
python -m pip install -q -r requirements-dev.txt
python -m pip install -q --no-deps -e .

# The Hugging Face hub is never contacted by tests: tiny checkpoints are built in fixtures.
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
status=0
# Two workers (the machine has 2 cores); a file's tests stay on one worker so its fixtures are built once.
python -m pytest -n 2 --dist loadfile "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
