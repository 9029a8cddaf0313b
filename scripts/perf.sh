#!/usr/bin/env bash
# The main job: installs what is missing, then runs the coquic-perf/1 runner (a loopback
# bulk download with a live progress line and a summary table unless told otherwise).
#   npm run perf [-- options]        e.g. npm run perf -- --mode rr --requests 10000
#   COQUIC_RUNTIME=bun npm run perf  the same under Bun
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap
export PATH="$PWD/node_modules/.bin:$PATH"
if [ "${COQUIC_RUNTIME:-deno}" = bun ]; then
  exec bun scripts/perf.ts "$@"
fi
exec deno run -A scripts/perf.ts "$@"
