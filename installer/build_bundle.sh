#!/usr/bin/env bash
# Build the one-folder desktop bundle (dist/osteoplan/osteoplan) and smoke-test it:
# launch it under Xvfb on the bundled sample case, save a screenshot, quit, check the picture.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash installer/bootstrap.sh setup
.venv/bin/python -m pip install --quiet "pyinstaller==6.22.3" 2> >(grep -v "is ignored" >&2)
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller installer/osteoplan.spec
bash installer/smoke_test.sh dist/osteoplan/osteoplan
