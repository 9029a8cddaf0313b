#!/usr/bin/env bash
# npm package smoke test: builds npm/ (scripts/build_npm.ts), `npm pack`s it, installs the
# tarball offline into a fresh folder (koffi and its linux-x64 prebuilt copied from this
# repo's node_modules, so no registry is needed), then with LD_LIBRARY_PATH unset:
# - under Node.js: tests/npm_smoke/smoke.mjs (bundled engine loads, in-memory handshake +
#   transfer, loopback echo through the high-level API), and the coquic-ts-perf bin;
# - under Bun: the installed examples (echo server + client) and the perf runner.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH"
unset LD_LIBRARY_PATH COQUIC_LIB_PATH COQUIC_LIB_DIR COQUIC_LIB_NAME
pass=0
fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if deno run -A scripts/build_npm.ts; then ok "build_npm"; else ko "build_npm"; finish; fi
tarball=$(cd npm && npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1)
if [ -f "$work/$tarball" ]; then ok "npm pack ($tarball)"; else ko "npm pack"; finish; fi
listing=$(tar tzf "$work/$tarball")
for f in package/package.json package/mod.js package/mod.d.ts package/quic/mod.js package/http3/mod.js \
  package/ffi/mod.js package/scripts/perf.js package/native/linux-x64/libcoquic-ngtcp2.so \
  package/native/linux-x64/libngtcp2.so.16 package/native/linux-x64/libngtcp2_crypto_gnutls.so.8; do
  grep -qx "$f" <<<"$listing" || { ko "tarball lacks $f"; finish; }
done
ok "tarball holds the ESM build, the .d.ts files and the bundled engine"

app="$work/app"
mkdir -p "$app/node_modules/@koromix"
cp -r node_modules/koffi "$app/node_modules/koffi"
cp -r node_modules/@koromix/koffi-linux-x64 "$app/node_modules/@koromix/"
echo '{"name":"coquic-smoke","private":true,"type":"module"}' >"$app/package.json"
if (cd "$app" && npm install --offline --no-audit --no-fund --ignore-scripts --loglevel=error "$work/$tarball" >/dev/null); then
  ok "npm install of the tarball (offline)"
else
  ko "npm install of the tarball (offline)"
  finish
fi
cp tests/npm_smoke/smoke.mjs "$app/"

# Node.js: the smoke script's own checks count one by one.
out=$(cd "$app" && timeout 120 node smoke.mjs 2>&1)
echo "$out" | sed 's/^/  node: /'
p=$(awk '/^[0-9]+ passed, [0-9]+ failed$/ {print $1}' <<<"$out")
f=$(awk '/^[0-9]+ passed, [0-9]+ failed$/ {print $3}' <<<"$out")
pass=$((pass + ${p:-0}))
fail=$((fail + ${f:-1}))

pkg="$app/node_modules/@coquic/coquic"
# Node.js: the perf bin (a short request/response loopback run).
if (cd "$app" && timeout 60 npx --offline coquic-ts-perf --mode rr --requests 200 >"$work/perf_node.out" 2>&1) &&
  grep -q "status *ok" "$work/perf_node.out"; then
  ok "node: coquic-ts-perf bin (loopback rr)"
else
  ko "node: coquic-ts-perf bin"; sed 's/^/  /' "$work/perf_node.out"
fi

# Bun: the installed examples and the perf runner.
(cd "$app" && exec bun "$pkg/examples/echo_server.js" --port 0 --cert-out "$work/cert.pem" >"$work/server.out" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/server.out" | head -1)
if [ -n "$port" ] && reply=$(cd "$app" && timeout 30 bun "$pkg/examples/echo_client.js" --port "$port" --ca "$work/cert.pem" "hello npm" 2>&1) &&
  grep -q "hello npm" <<<"$reply"; then
  ok "bun: installed examples/echo_server.js + echo_client.js"
else
  ko "bun: installed examples"; sed 's/^/  /' "$work/server.out"; echo "  client: ${reply:-}"
fi
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=
if (cd "$app" && timeout 60 bun "$pkg/scripts/perf.js" --mode rr --requests 200 >"$work/perf_bun.out" 2>&1) &&
  grep -q "status *ok" "$work/perf_bun.out"; then
  ok "bun: installed scripts/perf.js (loopback rr)"
else
  ko "bun: installed scripts/perf.js"; sed 's/^/  /' "$work/perf_bun.out"
fi
finish
