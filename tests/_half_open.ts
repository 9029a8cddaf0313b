/**
 * Helpers of the half-open tests: a flood of stalled handshakes from a child process, and a
 * real client that must get through.
 *
 * @module
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect, type QuicListener } from "../mod.ts";
import { echo } from "./_echo.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const FIXTURE = fileURLToPath(new URL("./fixtures/half_open_flood.ts", import.meta.url));

/** Runs the flood child against `port`; resolves with what it sent once it exits. */
export function flood(port: number, count: number, sockets: number): Promise<{ sent: number; retried: number }> {
  const exe = g.Deno ? g.Deno.execPath() : g.process.execPath;
  const args = g.Deno ? ["run", "-A", FIXTURE] : [FIXTURE];
  const child = spawn(exe, [...args, String(port), String(count), String(sockets), "ho"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "", err = "";
  child.stdout!.on("data", (d: Uint8Array) => (out += new TextDecoder().decode(d)));
  child.stderr!.on("data", (d: Uint8Array) => (err += new TextDecoder().decode(d)));
  return new Promise((resolve, reject) => {
    child.on("close", (code: number) => { // "close": after stdout has been read to its end
      if (code !== 0) reject(new Error(`flood child failed (${code}): ${err}`));
      else resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}

export async function realClient(listener: QuicListener, timeoutMs = 3000): Promise<number> {
  const started = Date.now();
  const conn = await connect(listener.addr, {
    alpn: "ho",
    ca: listener.certificatePem,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const back = await echo(conn, new TextEncoder().encode("real"), timeoutMs);
  assert.equal(new TextDecoder().decode(back), "real");
  await conn.close();
  return Date.now() - started;
}
