// Aborting an HTTP/3 fetch (issue 17 item 3): the body read rejects at once with the
// signal's reason (as Deno's and Bun's fetch do), not when the peer resets; a completed
// fetch lets go of its signal, so a pending AbortSignal.timeout() does not hold the process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { closeAll, fetch, serve } from "../http3/mod.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** A server whose `/stall` body sends one chunk and then nothing, and whose `/silent` never answers. */
async function stalledServer() {
  return await serve({}, (req) => {
    if (new URL(req.url).pathname === "/silent") return new Promise<Response>(() => {});
    return new Response(
      new ReadableStream({
        start: (c) => c.enqueue(new TextEncoder().encode("first chunk")),
        pull: () => new Promise(() => {}), // stalls
      }),
    );
  });
}

test("fetch abort: aborting mid-body rejects the pending read at once with the signal's reason", async () => {
  const server = await stalledServer();
  try {
    const controller = new AbortController();
    const res = await fetch(`https://localhost:${server.addr.port}/stall`, {
      ca: server.certificatePem,
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "first chunk");
    const pending = reader.read();
    const t = performance.now();
    controller.abort();
    const error = await pending.then(() => undefined, (e) => e);
    const ms = performance.now() - t;
    assert.ok(error instanceof DOMException && error.name === "AbortError", `rejected with ${error}`);
    assert.equal(error, controller.signal.reason);
    assert.ok(ms < 1000, `the read took ${ms.toFixed(0)} ms to reject`);
  } finally {
    await closeAll();
    await server.close();
  }
});

test("fetch abort: aborting while waiting for the response rejects with signal.reason", async () => {
  const server = await stalledServer();
  try {
    const controller = new AbortController();
    const reason = new Error("changed my mind");
    const fetching = fetch(`https://localhost:${server.addr.port}/silent`, {
      ca: server.certificatePem,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(fetching, (e) => e === reason);
    // AbortSignal.timeout(): a TimeoutError DOMException, as fetch gives.
    await assert.rejects(
      fetch(`https://localhost:${server.addr.port}/silent`, {
        ca: server.certificatePem,
        signal: AbortSignal.timeout(100),
      }),
      (e) => e instanceof DOMException && e.name === "TimeoutError",
    );
    // Already aborted: rejects before anything is sent.
    await assert.rejects(
      fetch(`https://localhost:${server.addr.port}/`, { ca: server.certificatePem, signal: AbortSignal.abort() }),
      (e) => e instanceof DOMException && e.name === "AbortError",
    );
  } finally {
    await closeAll();
    await server.close();
  }
});

test("fetch abort: a completed fetch with AbortSignal.timeout(30000) lets the process exit at once", async () => {
  const exe: string = g.Bun ? process.execPath : g.Deno.execPath();
  const script = fileURLToPath(new URL("./fixtures/fetch_timeout_exit.ts", import.meta.url));
  const child = spawn(exe, [...(g.Bun ? [] : ["run", "-A"]), script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const t = performance.now();
  const status = await new Promise<number | null | "hung">((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve("hung");
    }, 10_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const ms = performance.now() - t;
  assert.equal(status, 0, `exit ${status} after ${ms.toFixed(0)} ms\n${out}\n${err}`);
  assert.match(out, /^200 done$/m);
  assert.ok(ms < 8000, `the process took ${ms.toFixed(0)} ms to exit`);
});
