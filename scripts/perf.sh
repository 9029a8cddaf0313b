#!/usr/bin/env bash
# The main job: installs what is missing, then runs the coquic-perf/1 runner: a loopback bulk
# download between a server process and a client process, with a live progress line and a
# summary table unless told otherwise.
#   npm run perf [-- options]        e.g. npm run perf -- --mode rr --requests 10000
#   COQUIC_RUNTIME=bun npm run perf  the same under Bun (as does `npm run perf -- --runtime bun`)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap
export PATH="$PWD/node_modules/.bin:$PATH"
case "${COQUIC_RUNTIME:-deno}" in
  deno) exec deno run -A scripts/perf.ts "$@" ;;
  bun) exec bun scripts/perf.ts "$@" ;;
  *) echo "perf: COQUIC_RUNTIME must be deno or bun, got \"$COQUIC_RUNTIME\"" >&2; exit 1 ;;
esac
