#!/usr/bin/env bash
# Sets up everything Ecom Value Lab needs on a fresh Debian machine with Python 3.11:
# Debian's Chromium (for the real-browser tests), fonts (CJK ones for the PDF report), poppler-utils,
# a virtual environment in .venv and the pinned Python packages. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# fonts-noto-cjk: the PDF report embeds its Chinese/Japanese glyphs (store and product names);
# poppler-utils: pdftotext, with which the tests read the PDF back.
if { ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/noto ] \
     || [ ! -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || ! command -v pdftotext >/dev/null 2>&1; } \
   && [ -z "${ECOM_SKIP_APT:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji \
    fonts-noto-cjk poppler-utils >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt
