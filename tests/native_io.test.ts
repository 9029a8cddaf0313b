// The two I/O paths: the engine's own socket ("native": coquic_x_io_*, recvmmsg/GRO,
// sendmmsg/GSO, no datagram in JavaScript) and the runtime's UDP sockets ("runtime").
// Key loopback cases run on both; the native-only cases prove the path really is native.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { test } from "./_harness.ts";
import { echoServer as sharedEchoServer } from "./_echo.ts";
import { closeAll, fetch, serve } from "../http3/mod.ts";
import { connect, type IoMode, listen, QuicError } from "../mod.ts";
import { type CoquicLibrary, loadCoquicSync } from "../ffi/loader.ts";
import { nativeIoUnavailable } from "../quic/driver_factory.ts";
import { pattern } from "./_pair.ts";

const PATHS: IoMode[] = ["runtime", "native"];
const nativeMissing = nativeIoUnavailable(loadCoquicSync());

/** The shared echo server on the I/O path `io`. */
const echoServer = (io: IoMode, library?: CoquicLibrary) => sharedEchoServer({ io, library });

async function sha(b: Uint8Array): Promise<string> {
  return Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>)),
    (x) => x.toString(16).padStart(2, "0"),
  ).join("");
}

for (const io of PATHS) {
  const ignore = io === "native" && nativeMissing !== undefined;

  test(`io ${io}: echo on 20 streams of one connection, byte-exact, observe() names the path`, async () => {
    const listener = await echoServer(io);
    const conn = await connect(listener.addr, {
      alpn: "echo",
      ca: listener.certificatePem,
      io,
      signal: AbortSignal.timeout(10_000),
    });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const s = conn.openStream();
        const reading = s.bytes({ signal: AbortSignal.timeout(10_000) });
        await s.write(pattern(1000 + i * 777, i), { fin: true });
        return await reading;
      }));
      results.forEach((r, i) => assert.deepEqual(r, pattern(1000 + i * 777, i)));
      assert.equal(conn.observe().io.path, io);
      assert.equal(listener.observe().io.path, io);
    } finally {
      await conn.close();
      await listener.close();
    }
  }, { ignore });

  test(`io ${io}: 16 MiB download byte-exact`, async () => {
    const size = 16 << 20;
    const payload = pattern(size, 3);
    const listener = await listen({ hostname: "127.0.0.1", port: 0, alpn: "dl", io });
    const served = (async () => {
      const conn = await listener.accept();
      const s = await conn.acceptStream({ signal: AbortSignal.timeout(10_000) });
      await s.bytes({ signal: AbortSignal.timeout(10_000) });
      for (let off = 0; off < size; off += 1 << 20) {
        await s.write(payload.subarray(off, off + (1 << 20)), { fin: off + (1 << 20) >= size });
      }
    })();
    const conn = await connect(listener.addr, {
      alpn: "dl",
      ca: listener.certificatePem,
      io,
      signal: AbortSignal.timeout(10_000),
    });
    try {
      const s = conn.openStream();
      const reading = s.bytes({ signal: AbortSignal.timeout(30_000) });
      await s.write(new TextEncoder().encode("GET"), { fin: true });
      const got = await reading;
      await served;
      assert.equal(got.length, size);
      assert.equal(await sha(got), await sha(payload));
      const o = conn.observe();
      assert.equal(o.io.path, io);
      assert.ok(o.bytesReceived >= size, `bytesReceived ${o.bytesReceived}`);
      if (o.io.path === "native") {
        const server = listener.observe().io;
        assert.equal(server.path, "native");
        if (server.path !== "native") return;
        assert.ok(o.io.recvBytes >= size, "the engine's socket counted the download");
        // GSO: the server sends runs of same-size datagrams as one message; GRO: the client
        // receives them coalesced. Asserted where the kernel offers the offload.
        if (server.gso) assert.ok(server.sendDatagrams > 2 * server.sendMessages, "GSO coalesced sends");
        if (o.io.gro) assert.ok(o.io.recvDatagrams > 2 * o.io.recvMessages, "GRO coalesced receives");
        assert.ok(server.sendDatagrams > 4 * server.sendSyscalls, "several datagrams per sendmmsg");
      }
    } finally {
      await conn.close();
      await listener.close();
    }
  }, { ignore, timeout: 60_000 });

  test(`io ${io}: IPv6 loopback echo`, async () => {
    const listener = await listen({ hostname: "::1", port: 0, alpn: "echo6", io });
    const served = (async () => {
      const conn = await listener.accept();
      const s = await conn.acceptStream({ signal: AbortSignal.timeout(10_000) });
      await s.readable!.pipeTo(s.writable!);
    })();
    const conn = await connect({ hostname: "::1", port: listener.addr.port }, {
      alpn: "echo6",
      ca: listener.certificatePem,
      io,
      signal: AbortSignal.timeout(10_000),
    });
    try {
      const s = conn.openStream();
      const reading = s.bytes({ signal: AbortSignal.timeout(10_000) });
      await s.write(pattern(50_000, 6), { fin: true });
      assert.deepEqual(await reading, pattern(50_000, 6));
      await served;
      assert.equal(conn.observe().io.path, io);
      assert.equal(conn.observe().remoteAddress.hostname, "::1");
    } finally {
      await conn.close();
      await listener.close();
    }
  }, { ignore });

  test(`io ${io}: HTTP/3 serve() and fetch() on one path`, async () => {
    const server = await serve({ port: 0, io }, (req) => new Response(`hello ${new URL(req.url).pathname}`));
    try {
      const res = await fetch(`https://127.0.0.1:${server.addr.port}/x`, {
        ca: server.certificatePem,
        io,
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "hello /x");
    } finally {
      closeAll();
      await server.shutdown({ timeoutMs: 1000 });
    }
  }, { ignore });
}

test("io native: datagrams never reach JavaScript (no input or datagram-copy calls), ECN marks counted", async () => {
  // A library whose every symbol call is counted: the native path must not feed datagrams
  // from JavaScript nor copy outbound datagrams into it.
  const lib = loadCoquicSync();
  const calls = new Map<string, number>();
  const symbols = new Proxy(lib.symbols, {
    get(target, name: string) {
      const fn = target[name];
      if (typeof fn !== "function") return fn;
      return (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return fn(...args);
      };
    },
  });
  const counted = { ...lib, symbols } as CoquicLibrary;
  const listener = await echoServer("native", counted);
  const conn = await connect(listener.addr, {
    alpn: "echo",
    ca: listener.certificatePem,
    io: "native",
    library: counted,
    signal: AbortSignal.timeout(10_000),
  });
  try {
    const s = conn.openStream();
    const reading = s.bytes({ signal: AbortSignal.timeout(10_000) });
    await s.write(pattern(300_000), { fin: true });
    assert.deepEqual(await reading, pattern(300_000));
    const fed = [...calls].filter(([n]) => /receive_datagram|input_datagrams|copy_datagrams/.test(n));
    assert.deepEqual(fed, [], "no datagram crossed into or out of JavaScript");
    assert.ok((calls.get("coquic_x_io_pump") ?? 0) > 0, "the engine's socket was pumped");
    const io = conn.observe().io;
    assert.equal(io.path, "native");
    if (io.path === "native" && io.ecn) {
      // ngtcp2 marks its packets ECT(0) while it validates ECN on a path: they arrive marked.
      assert.ok(io.recvEcnEct0 > 0, `ECT(0) datagrams seen: ${JSON.stringify(io)}`);
      assert.ok(io.sendEcnMarked > 0, "ECT(0) marks written");
    }
  } finally {
    await conn.close();
    await listener.close();
  }
}, { ignore: nativeMissing !== undefined });

test("io native: forcing it on a library without the extension is a clear error", async () => {
  const core = loadCoquicSync({ extensions: false });
  const err = await listen({ alpn: "x", port: 0, io: "native", library: core }).then(() => undefined, (e) => e);
  assert.ok(err instanceof QuicError, `${err}`);
  assert.equal(err.kind, "unsupported");
  assert.match(err.message, /native I\/O extension/);
  // the same library on runtime sockets works
  const l = await listen({ alpn: "x", port: 0, io: "runtime", library: core });
  assert.equal(l.observe().io.path, "runtime");
  await l.close();
});

function threads(): number | undefined {
  try {
    return Number(/Threads:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
  } catch {
    return undefined;
  }
}

test("io native: 100 endpoints opened and closed mid-wait return promptly and leak no thread", async () => {
  const warm = await listen({ alpn: "x", port: 0, io: "native" });
  await warm.close();
  const before = threads();
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) {
    const l = await listen({ alpn: "x", port: 0, io: "native" });
    await new Promise((r) => setTimeout(r, 0)); // the hub is waiting on it now
    await l.close();
  }
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 50));
  const after = threads();
  if (before !== undefined && after !== undefined) assert.ok(after <= before + 2, `threads ${before} -> ${after}`);
  assert.ok(ms < 20_000, `100 open/close cycles took ${ms} ms`);
}, { ignore: nativeMissing !== undefined });

// `deno test` runs each module in its own isolate and closes its libraries when the module ends;
// a wait still running then on a worker thread returned into an unmapped engine (SIGSEGV, seen
// ~1 full suite run in 3). The engine is linked -z nodelete so it stays mapped.
test("io native: Deno's callback waiter makes no call into an isolate that ended (deno test, 4 modules)", () => {
  // deno-lint-ignore no-explicit-any
  const D = (globalThis as any).Deno;
  const fixture = new URL("./fixtures/isolate_callback.ts", import.meta.url).pathname;
  const dir = D.makeTempDirSync({ prefix: "coquic-isolates-" });
  try {
    const modules = [0, 1, 2, 3].map((i) => {
      const path = `${dir}/isolate_${i}_test.ts`;
      D.writeTextFileSync(path, `import ${JSON.stringify(new URL(fixture, "file://").href)};\n`);
      return path;
    });
    const r = spawnSync(D.execPath(), ["test", "-A", "--no-check", ...modules], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /4 passed/);
  } finally {
    D.removeSync(dir, { recursive: true });
  }
}, { ignore: nativeMissing !== undefined || !(globalThis as { Deno?: unknown }).Deno });

test("io native: Deno's fallback waiter (a nonblocking wait) still carries a native echo", () => {
  // deno-lint-ignore no-explicit-any
  const D = (globalThis as any).Deno;
  const fixture = new URL("./fixtures/isolate_callback.ts", import.meta.url).pathname;
  const r = spawnSync(D.execPath(), ["test", "-A", "--no-check", fixture], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...D.env.toObject(), COQUIC_DENO_WAITER: "nonblocking" },
  });
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stdout}${r.stderr}`);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 passed/);
}, { ignore: nativeMissing !== undefined || !(globalThis as { Deno?: unknown }).Deno });

test("io native: a wait outliving its Deno isolate (deno test, one isolate per module) does not crash", () => {
  // deno-lint-ignore no-explicit-any
  const D = (globalThis as any).Deno;
  const dir = new URL("./fixtures/", import.meta.url).pathname;
  const r = spawnSync(
    D.execPath(),
    ["test", "-A", "--no-check", `${dir}isolate_wait_a.ts`, `${dir}isolate_wait_b.ts`],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stdout}${r.stderr}`);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 passed/);
}, { ignore: nativeMissing !== undefined || !(globalThis as { Deno?: unknown }).Deno });
