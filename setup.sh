#!/usr/bin/env bash
# Set pantau up on a fresh machine: system packages (Debian), a virtual environment in .venv,
# and the project with its development extras. Safe to run again; fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "pantau needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi

# System packages from Debian: OCR for photo evidence, fonts for rendered test images, and
# PostgreSQL for the DuckLake catalog (the many-writers store and its tests).
APT_PACKAGES=(tesseract-ocr tesseract-ocr-ind fonts-dejavu-core postgresql)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: warning: missing Debian packages ${missing[*]} (install them as root; photo OCR needs them)" >&2
  fi
fi

if [ "${SETUP_FRESH_VENV:-}" = 1 ]; then rm -rf .venv; fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
stamp=.venv/.pantau-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing pantau and its dependencies into .venv (first time: a few minutes)"
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
