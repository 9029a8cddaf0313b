/**
 * FFI data-path benchmark: a transfer between two endpoints joined in memory (no sockets)
 * driven from TypeScript, measured on Deno and Bun side by side against the same transfer
 * driven by the C pair harness (`make -C native bench`).
 *
 *   deno task bench_ffi [MiB]                     side-by-side table (spawns bun and the C bench)
 *   deno task bench_ffi --quick                   the same with 4 MiB (a smoke test)
 *   bun scripts/bench_ffi.ts --single [MiB]       one measurement, one JSON line
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Pair, pattern } from "../tests/_pair.ts";
import { scriptCommand } from "./perf/runtime.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const runtime = g.Bun ? "bun" : "deno";

interface Measurement {
  runtime: string;
  bytes: number;
  seconds: number;
  datagrams: number;
}

async function single(mib: number): Promise<Measurement> {
  const p = await Pair.create({ delayUs: 1000 });
  const conn = p.connect();
  p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
  const size = mib << 20;
  const data = pattern(size);
  let datagrams = 0;
  const count = p.absorb.bind(p);
  p.absorb = (side, r, fromServer) => {
    for (const e of r.effects) if (e.kind === "send_datagram") datagrams++;
    count(side, r, fromServer);
  };
  const t0 = performance.now();
  p.absorb(p.client, conn.sendStream(0n, data, true, p.now));
  p.runUntil(() => p.serverSawStream(0n, true), 600_000_000n, 50_000_000);
  const seconds = (performance.now() - t0) / 1000;
  p.close();
  return { runtime, bytes: size, seconds, datagrams };
}

/** Runs one measurement in a child process; undefined (with a note) when that driver is unavailable. */
function run(label: string, cmd: string, args: string[]): Measurement | undefined {
  try {
    const out = execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim()
      .split("\n");
    return JSON.parse(out[out.length - 1]);
  } catch (e) {
    console.error(`(${label} skipped: ${(e as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

const args = (g.Deno?.args ?? g.process?.argv.slice(2)) as string[];
if (args[0] === "--single") {
  console.log(JSON.stringify(await single(Number(args[1] ?? 32))));
} else {
  const mib = args[0] === "--quick" ? 4 : Number(args[0] ?? 32);
  let cBench: Measurement | undefined;
  try {
    execFileSync("make", ["-s", "-C", "native", "bench"], { cwd: ROOT, stdio: "inherit" });
    cBench = run("C", `${ROOT}/native/build/pair_bench`, [String(mib)]);
  } catch {
    console.error("(C pair bench unavailable: `make -C native bench` failed)");
  }
  const deno = run("deno", ...scriptCommand("deno", "scripts/bench_ffi.ts", ["--single", String(mib)]));
  const bun = run("bun", ...scriptCommand("bun", "scripts/bench_ffi.ts", ["--single", String(mib)]));
  console.log(`in-memory transfer of ${mib} MiB, both endpoints in one process (no sockets)\n`);
  console.log("driver   MiB/s     datagrams/s   vs C");
  for (const r of [cBench, deno, bun]) {
    if (!r) continue;
    const mibs = r.bytes / 2 ** 20 / r.seconds;
    const dps = r.datagrams / r.seconds;
    const ratio = cBench ? `${(cBench.seconds / r.seconds).toFixed(2)}x` : "-";
    console.log(`${r.runtime.padEnd(8)} ${mibs.toFixed(1).padStart(7)}  ${dps.toFixed(0).padStart(12)}   ${ratio}`);
  }
  if (deno && bun) {
    // Throughput ratio: > 1 means Deno moved the bytes faster than Bun.
    console.log(`\nDeno/Bun throughput ratio: ${(bun.seconds / deno.seconds).toFixed(2)}`);
  }
}
