// The coquic-perf/1 runner: protocol codec, CLI, and client/server runs over loopback.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { connect } from "../mod.ts";
import {
  ControlStreamReader,
  decodeControlMessage,
  encodeSessionComplete,
  encodeSessionError,
  encodeSessionReady,
  encodeSessionStart,
  PerfProtocolError,
} from "../scripts/perf/protocol.ts";
import { parsePerfArgs, PerfUsageError, USAGE } from "../scripts/perf/cli.ts";
import { defaultIo, unavailableIoReason } from "../scripts/perf/io.ts";
import { buildSummary, percentile, summarizeLatency } from "../scripts/perf/metrics.ts";
import { summaryTable } from "../scripts/perf/report.ts";
import { serverArgs, startServerProcess } from "../scripts/perf/server_process.ts";
import { currentRuntime } from "../scripts/perf/runtime.ts";
import { runPerfClient } from "../scripts/perf/client.ts";
import { startPerfServer } from "../scripts/perf/server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// deno-lint-ignore no-explicit-any
const g = globalThis as any;

const START = {
  mode: "rr" as const,
  direction: "download" as const,
  requestBytes: 32n,
  responseBytes: 48n,
  totalBytes: undefined,
  requests: 1000n,
  warmupUs: 250_000n,
  durationUs: 5_000_000n,
  streams: 1n,
  connections: 2n,
  requestsInFlight: 4n,
};

test("perf protocol: session_start v3 round-trips (84-byte frame)", () => {
  const f = encodeSessionStart(START);
  assert.equal(f.length, 84);
  assert.equal(f[0], 1);
  const m = decodeControlMessage(f);
  assert.equal(m.type, "session_start");
  if (m.type !== "session_start") return;
  assert.equal(m.start.protocolVersion, 3);
  assert.equal(m.start.requests, 1000n);
  assert.equal(m.start.totalBytes, undefined);
  assert.equal(m.start.warmupUs, 250_000n);
  assert.equal(m.start.mode, "rr");
});

test("perf protocol: v1 and v2 starts decode with milliseconds and inferred presence", () => {
  const v3 = encodeSessionStart({
    ...START,
    mode: "bulk",
    totalBytes: 5n,
    requests: undefined,
    warmupUs: 7n,
    durationUs: 9n,
  });
  // v2: same layout, version 2, durations in ms
  const v2 = v3.slice();
  new DataView(v2.buffer).setUint32(5, 2);
  const m2 = decodeControlMessage(v2);
  assert.ok(m2.type === "session_start" && m2.start.warmupUs === 7000n && m2.start.totalBytes === 5n);
  // v1: no flags byte, 78-byte payload
  const v1 = new Uint8Array(83);
  v1.set(v3.subarray(0, 27));
  v1.set(v3.subarray(28), 27);
  new DataView(v1.buffer).setUint32(1, 78);
  new DataView(v1.buffer).setUint32(5, 1);
  const m1 = decodeControlMessage(v1);
  assert.ok(
    m1.type === "session_start" && m1.start.protocolVersion === 1 && m1.start.totalBytes === 5n &&
      m1.start.requests === undefined,
  );
});

test("perf protocol: other messages and malformed frames", () => {
  assert.deepEqual(decodeControlMessage(encodeSessionReady()), { type: "session_ready", protocolVersion: 3 });
  assert.equal(encodeSessionReady().length, 9);
  assert.deepEqual(decodeControlMessage(encodeSessionError("nope")), { type: "session_error", reason: "nope" });
  const c = encodeSessionComplete({ bytesSent: 1n, bytesReceived: 2n, requestsCompleted: 3n });
  assert.equal(c.length, 29);
  assert.deepEqual(decodeControlMessage(c), {
    type: "session_complete",
    counters: { bytesSent: 1n, bytesReceived: 2n, requestsCompleted: 3n },
  });
  const bad: Uint8Array[] = [
    new Uint8Array([9, 0, 0, 0, 0]), // unknown type
    new Uint8Array([2, 0, 0, 0, 4, 0, 0]), // length mismatch
    new Uint8Array([2, 0, 0, 0, 5, 0, 0, 0, 3, 9]), // trailing byte in payload
  ];
  const unknownMode = encodeSessionStart(START);
  unknownMode[9] = 7;
  bad.push(unknownMode);
  for (const b of bad) assert.throws(() => decodeControlMessage(b), PerfProtocolError);
});

test("perf protocol: the stream reader handles frames split across chunks", () => {
  const frames = new Uint8Array([
    ...encodeSessionReady(),
    ...encodeSessionComplete({ bytesSent: 5n, bytesReceived: 6n, requestsCompleted: 7n }),
  ]);
  for (let cut = 0; cut <= frames.length; cut++) {
    const r = new ControlStreamReader();
    const got = [...r.push(frames.subarray(0, cut)), ...r.push(frames.subarray(cut))];
    assert.deepEqual(got.map((m) => m.type), ["session_ready", "session_complete"]);
    r.finish();
  }
  const partial = new ControlStreamReader();
  partial.push(encodeSessionReady().subarray(0, 4));
  assert.throws(() => partial.finish(), PerfProtocolError);
});

test("perf cli: defaults, options and usage errors", () => {
  const c = parsePerfArgs(["client"]);
  assert.equal(c.role, "client");
  assert.equal(c.port, 4433);
  assert.equal(c.mode, "bulk");
  assert.equal(c.direction, "download");
  assert.equal(c.durationUs, 5_000_000);
  assert.equal(c.maxOutboundDatagramSize, 1472);
  assert.equal(parsePerfArgs(["server", "--warmup", "250ms"]).warmupUs, 250_000);
  assert.equal(parsePerfArgs(["client", "--congestion-control", "pcc_vivace"]).congestionControl, "pcc-vivace");
  for (
    const bad of [
      ["client", "--mode", "rr", "--direction", "upload"],
      ["client", "--streams", "0"],
      ["client", "--duration", "5m"],
      ["client", "--max-outbound-datagram-size", "1000"],
      ["client", "--mode", "persistent-rr", "--request-bytes", "0"],
      ["client", "--bogus"],
      ["client", "--port", "70000"],
      ["nonsense"],
    ]
  ) assert.throws(() => parsePerfArgs(bad), PerfUsageError, bad.join(" "));
});

test("perf cli: --runtime, --io and --processes", () => {
  const c = parsePerfArgs([]);
  assert.equal(c.role, "loopback");
  assert.equal(c.processes, 2);
  assert.equal(c.io, defaultIo() ?? "runtime");
  assert.equal(c.runtime, undefined);
  assert.equal(parsePerfArgs(["--processes", "1"]).processes, 1);
  assert.equal(parsePerfArgs(["--runtime", "bun"]).runtime, "bun");
  assert.equal(parsePerfArgs(["client", "--io", "runtime"]).io, "runtime");
  if (unavailableIoReason("native")) {
    assert.throws(() => parsePerfArgs(["--io", "native"]), /--io native is not available here.*use --io runtime/);
  } else assert.equal(parsePerfArgs(["--io", "native"]).io, "native");
  assert.throws(() => parsePerfArgs(["--runtime", "node"]), PerfUsageError);
  assert.throws(() => parsePerfArgs(["client", "--processes", "1"]), /--processes is for loopback runs/);
  assert.throws(() => parsePerfArgs(["--processes", "3"]), PerfUsageError);
});

test("perf report: bulk shows throughput but no latency; rr shows both", () => {
  const setup = { processes: 2 as const, runtime: "deno 9", io: "runtime (x sockets)", engine: "e" };
  const run = {
    status: "ok" as const,
    elapsedUs: 1e6,
    bytesSent: 0,
    bytesReceived: 1 << 20,
    requestsCompleted: 4,
    serverCounters: { bytes_sent: 0, bytes_received: 0, requests_completed: 0 },
    latencySamplesUs: [],
  };
  const bulk = summaryTable(buildSummary(parsePerfArgs([]), run), setup);
  assert.match(bulk, /processes\s+two processes \(server, client\)/);
  assert.match(bulk, /I\/O path\s+runtime \(x sockets\)/);
  assert.match(bulk, /throughput\s+1\.0 MiB\/s/);
  assert.doesNotMatch(bulk, /latency|requests/);
  const rr = summaryTable(buildSummary(parsePerfArgs(["--mode", "rr"]), { ...run, latencySamplesUs: [10, 20] }), {
    ...setup,
    processes: 1,
  });
  assert.match(rr, /processes\s+one process/);
  assert.match(rr, /requests\s+4 \(4\.0\/s\)/);
  assert.match(rr, /latency p50 \/ p99\s+10 \/ 20 µs/);
});

test("perf server process: listens on a free port, serves a client, stops", async () => {
  const script = fileURLToPath(new URL("../scripts/perf.ts", import.meta.url));
  const server = await startServerProcess(currentRuntime(), script, serverArgs(parsePerfArgs([]), 0));
  try {
    assert.ok(server.port > 0);
    const summary = await runPerfClient(
      parsePerfArgs(["client", "--port", String(server.port), "--mode", "rr", "--requests", "20"]),
    );
    assert.equal(summary.status, "ok", String(summary.failure_reason));
  } finally {
    await server.stop();
  }
  await assert.rejects(
    startServerProcess(currentRuntime(), script, ["server", "--congestion-control", "copa", "--port", "0"]),
    /exited before listening/,
  );
});

test("perf cli: a usage error exits 1 with the usage line", () => {
  const exe = g.Bun ? process.execPath : g.Deno.execPath();
  const args = g.Bun ? ["scripts/perf.ts", "client", "--bogus"] : ["run", "-A", "scripts/perf.ts", "client", "--bogus"];
  const r = spawnSync(exe, args, { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(USAGE), r.stderr);
});

test("perf metrics: nearest-rank percentiles and integer mean", () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 99), 4);
  const s = summarizeLatency([30, 10, 20, 41]);
  assert.deepEqual(s, { min_us: 10, avg_us: 25, p50_us: 20, p90_us: 41, p99_us: 41, max_us: 41 });
});

const JSON_KEYS = [
  "schema_version",
  "status",
  "mode",
  "direction",
  "backend",
  "congestion_control",
  "remote_host",
  "remote_port",
  "alpn",
  "elapsed_ms",
  "warmup_ms",
  "bytes_sent",
  "bytes_received",
  "server_counters",
  "requests_completed",
  "streams",
  "connections",
  "requests_in_flight",
  "request_bytes",
  "response_bytes",
  "throughput_mib_per_s",
  "throughput_gbit_per_s",
  "requests_per_s",
  "latency",
];

async function run(args: string[], io: string[] = []) {
  const server = await startPerfServer(parsePerfArgs(["server", "--port", "0", ...io]));
  try {
    const config = parsePerfArgs(["client", "--port", String(server.listener.addr.port), ...io, ...args]);
    const summary = await runPerfClient(config);
    const json = JSON.parse(JSON.stringify(summary));
    assert.deepEqual(Object.keys(json), JSON_KEYS);
    assert.deepEqual(Object.keys(json.latency), ["min_us", "avg_us", "p50_us", "p90_us", "p99_us", "max_us"]);
    const l = json.latency;
    assert.ok(l.min_us <= l.p50_us && l.p50_us <= l.p90_us && l.p90_us <= l.p99_us && l.p99_us <= l.max_us);
    return json;
  } finally {
    await server.close();
  }
}

test("perf run: bounded bulk download and upload", async () => {
  const down = await run(["--mode", "bulk", "--total-bytes", "5000000", "--streams", "3"]);
  assert.equal(down.status, "ok", down.failure_reason);
  assert.equal(down.bytes_received, 5_000_000);
  assert.equal(down.server_counters.bytes_sent, 5_000_000);
  assert.equal(down.requests_completed, 3);
  const up = await run(["--mode", "bulk", "--direction", "upload", "--total-bytes", "3000000", "--streams", "2"]);
  assert.equal(up.status, "ok", up.failure_reason);
  assert.equal(up.bytes_sent, 3_000_000);
  assert.equal(up.server_counters.bytes_received, 3_000_000);
});

for (const io of ["runtime", "native"] as const) {
  test(`perf run: --io ${io} bounded bulk download, both ends on that path`, async () => {
    const down = await run(["--mode", "bulk", "--total-bytes", "8000000", "--streams", "2"], ["--io", io]);
    assert.equal(down.status, "ok", down.failure_reason);
    assert.equal(down.bytes_received, 8_000_000);
    assert.equal(down.server_counters.bytes_sent, 8_000_000);
  }, { ignore: unavailableIoReason(io) !== undefined });
}

test("perf run: rr, persistent-rr and crr with request counts", async () => {
  const rr = await run([
    "--mode",
    "rr",
    "--requests",
    "300",
    "--connections",
    "2",
    "--requests-in-flight",
    "3",
    "--request-bytes",
    "32",
    "--response-bytes",
    "32",
  ]);
  assert.equal(rr.status, "ok", rr.failure_reason);
  assert.equal(rr.requests_completed, 300);
  assert.equal(rr.server_counters.requests_completed, 300);
  assert.equal(rr.bytes_received, 300 * 32);
  assert.ok(rr.latency.p50_us > 0);
  const prr = await run([
    "--mode",
    "persistent-rr",
    "--requests",
    "200",
    "--requests-in-flight",
    "4",
    "--request-bytes",
    "32",
    "--response-bytes",
    "48",
  ]);
  assert.equal(prr.status, "ok", prr.failure_reason);
  assert.equal(prr.requests_completed, 200);
  assert.equal(prr.bytes_received, 200 * 48);
  assert.equal(prr.server_counters.bytes_sent, 200 * 48);
  const crr = await run([
    "--mode",
    "crr",
    "--requests",
    "40",
    "--connections",
    "4",
    "--request-bytes",
    "24",
    "--response-bytes",
    "24",
  ]);
  assert.equal(crr.status, "ok", crr.failure_reason);
  assert.equal(crr.requests_completed, 40);
  assert.ok(crr.requests_per_s > 0);
});

test("perf run: a timed rr run with warmup", async () => {
  const timed = await run(["--mode", "rr", "--duration", "500ms", "--warmup", "100ms"]);
  assert.equal(timed.status, "ok", timed.failure_reason);
  assert.ok(timed.elapsed_ms >= 450 && timed.elapsed_ms <= 600, String(timed.elapsed_ms));
  assert.equal(timed.warmup_ms, 100);
  assert.ok(timed.requests_completed > 0);
  assert.equal(timed.server_counters.requests_completed, timed.requests_completed);
});

test("perf server: malformed control messages get session_error and the server keeps serving", async () => {
  const server = await startPerfServer(parsePerfArgs(["server", "--port", "0"]));
  try {
    for (
      const [bytes, reason] of [
        [new Uint8Array([1, 0, 0, 0, 1, 9]), "invalid control message"],
        [encodeSessionReady(), "expected session_start"],
        [
          (() => {
            const f = encodeSessionStart(START);
            new DataView(f.buffer).setUint32(5, 2);
            return f;
          })(),
          "unsupported protocol version",
        ],
        [encodeSessionStart({ ...START, streams: 0n }), "streams must be greater than zero"],
      ] as const
    ) {
      const conn = await connect(server.listener.addr, {
        alpn: "coquic-perf/1",
        insecure: true,
        signal: AbortSignal.timeout(5000),
      });
      const control = conn.openStream();
      await control.write(bytes);
      await control.writable!.getWriter().close();
      const reply = await control.bytes({ signal: AbortSignal.timeout(5000) });
      const m = decodeControlMessage(reply);
      assert.deepEqual(m, { type: "session_error", reason });
      await conn.close();
    }
    const ok = await runPerfClient(
      parsePerfArgs(["client", "--port", String(server.listener.addr.port), "--mode", "rr", "--requests", "10"]),
    );
    assert.equal(ok.status, "ok");
  } finally {
    await server.close();
  }
});
