#!/usr/bin/env bash
# Smoke test of a built bundle: `osteoplan info` on the sample case, then the demo window under Xvfb
# saved to a PNG, which must show the CT (not a black or empty window).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exe="${1:-dist/osteoplan/osteoplan}"
out="$(mktemp -d)"
"$exe" info resources/sample_case --json > "$out/info.json"
xvfb-run -a -s "-screen 0 1600x1000x24 -noreset" "$exe" demo --screenshot "$out/demo.png"
.venv/bin/python installer/check_screenshot.py "$out/info.json" "$out/demo.png"
echo "bundle smoke test passed ($out)"
