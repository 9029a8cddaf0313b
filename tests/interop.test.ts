// The interop matrix: our server against ngtcp2's gtlsclient and our client against its
// gtlsserver (ngtcp2 1.11 + nghttp3, Debian), over loopback, every transfer compared by
// sha256 and every property (cipher, version, Retry, key update) read from the peer's log.
// Migration and NAT rebinding are in migration.test.ts, Retry's address checks in retry.test.ts.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "./_harness.ts";
import { closeAll, fetch, serve } from "../http3/mod.ts";
import { connect, defaultLibrary, QUIC_V1, QUIC_V2 } from "../mod.ts";
import { nativeIoUnavailable } from "../quic/driver_factory.ts";
import { h3Client } from "./_h3get.ts";
import { ngtcp2Missing, runGtlsclient, startGtlsserver } from "./_ngtcp2.ts";
import { pattern } from "./_pair.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MiB = 1 << 20;
const CHACHA = "--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305";
if (ngtcp2Missing) console.warn(`interop.test.ts skipped: ${ngtcp2Missing}`);

/** Payloads our server offers, by path: /1m, /32m and /sN (gtlsclient saves by the last path segment). */
const ONE = pattern(MiB, 11);
const BIG = pattern(32 * MiB, 12);
const small = (n: number) => new TextEncoder().encode(`response ${n}\n`.repeat(n + 1));

function route(req: Request): Response {
  const path = new URL(req.url).pathname;
  if (path === "/1m") return new Response(ONE as Uint8Array<ArrayBuffer>);
  if (path === "/32m") return new Response(BIG as Uint8Array<ArrayBuffer>);
  const m = /^\/s(\d+)$/.exec(path);
  if (m) return new Response(small(Number(m[1])) as Uint8Array<ArrayBuffer>);
  return new Response("not found", { status: 404 });
}

/** Our serve() for one case; `options` adds e.g. retry. */
async function withOurServer(options: Partial<Parameters<typeof serve>[0]>, body: (port: number) => Promise<void>) {
  const s = await serve({ hostname: "127.0.0.1", port: 0, ...options }, route);
  try {
    await body(s.addr.port);
  } finally {
    await s.shutdown({ timeoutMs: 1000 });
  }
}

function assertSaved(saved: Map<string, Uint8Array>, path: string, want: Uint8Array, log: string): void {
  const got = saved.get(path);
  assert.ok(got, `gtlsclient saved nothing for ${path}; log tail:\n${log.slice(-1500)}`);
  assert.equal(got.length, want.length, `${path}: ${got.length} of ${want.length} bytes`);
  assert.equal(sha256(got), sha256(want), `${path}: bytes differ`);
}

const skip = { ignore: ngtcp2Missing !== "", timeout: 90_000 };

// ---- our server, gtlsclient as the client ---------------------------------------------------

const serverCases: {
  name: string;
  paths: string[];
  extra?: string[];
  options?: Partial<Parameters<typeof serve>[0]>;
  log?: RegExp;
}[] = [
  { name: "handshake and 1 MiB", paths: ["/1m"], log: /the negotiated version is 0x00000001/ },
  { name: "32 MiB", paths: ["/32m"] },
  { name: "50 requests on one connection", paths: Array.from({ length: 50 }, (_, i) => `/s${i}`) },
  { name: "ChaCha20-Poly1305", paths: ["/1m"], extra: [CHACHA], log: /Negotiated cipher suite is CHACHA20-POLY1305/ },
  { name: "key update during 32 MiB", paths: ["/32m"], extra: ["--key-update=50ms"], log: /Updating traffic key/ },
  { name: "Retry", paths: ["/1m"], options: { retry: true }, log: /retry_source_connection_id=0x[0-9a-f]+/ },
  {
    name: "QUIC v2 from the first packet",
    paths: ["/1m"],
    extra: ["--version=v2"],
    options: { versions: [QUIC_V2, QUIC_V1] },
    log: /the negotiated version is 0x6b3343cf/,
  },
  {
    name: "compatible upgrade v1 → v2 (RFC 9368)",
    paths: ["/1m"],
    extra: ["--available-versions=v1,v2"],
    options: { versions: [QUIC_V2, QUIC_V1] },
    log: /the negotiated version is 0x6b3343cf/,
  },
  {
    name: "Version Negotiation: a v2-only server, the client starts over in v2",
    paths: ["/1m"],
    extra: ["--preferred-versions=v2,v1"],
    options: { versions: [QUIC_V2] },
    log: /the negotiated version is 0x6b3343cf/,
  },
  {
    name: "Version Negotiation: a v1-only server answers a v2 Initial, the client starts over in v1",
    paths: ["/1m"],
    extra: ["--version=v2", "--preferred-versions=v1,v2"],
    log: /the negotiated version is 0x00000001/,
  },
];

for (const c of serverCases) {
  test(`interop: gtlsclient → our serve(): ${c.name}`, async () => {
    await withOurServer(c.options ?? {}, async (port) => {
      const { saved, log } = await runGtlsclient(port, c.paths, c.extra);
      for (const p of c.paths) {
        assertSaved(saved, p, p === "/1m" ? ONE : p === "/32m" ? BIG : small(Number(p.slice(2))), log);
      }
      if (c.log) assert.match(log, c.log);
    });
  }, skip);
}

test("interop: three gtlsclients at once → one serve(), 1 MiB each", async () => {
  await withOurServer({}, async (port) => {
    const runs = await Promise.all([0, 1, 2].map(() => runGtlsclient(port, ["/1m"])));
    for (const { saved, log } of runs) assertSaved(saved, "/1m", ONE, log);
  });
}, skip);

// ---- our fetch(), gtlsserver as the server --------------------------------------------------

const files = {
  "/1m": ONE,
  "/32m": BIG,
  ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`/s${i}`, small(i)])),
};

async function withGtlsserver(extra: string[], body: (origin: string, ca: string, log: () => string) => Promise<void>) {
  const server = await startGtlsserver(files, extra);
  try {
    await body(`https://127.0.0.1:${server.port}`, server.certificatePem, server.log);
  } finally {
    await closeAll();
    await server.stop();
  }
}

async function download(url: string, ca: string, versions?: number[]): Promise<Uint8Array> {
  const res = await fetch(url, { ca, versions, signal: AbortSignal.timeout(30_000) });
  assert.equal(res.status, 200, url);
  return new Uint8Array(await res.arrayBuffer());
}

const clientCases: { name: string; extra: string[]; paths: string[]; versions?: number[]; log?: RegExp }[] = [
  { name: "handshake and 1 MiB", extra: [], paths: ["/1m"], log: /the negotiated version is 0x00000001/ },
  { name: "32 MiB", extra: [], paths: ["/32m"] },
  { name: "ChaCha20-Poly1305 only", extra: [CHACHA], paths: ["/1m"] },
  { name: "Retry (gtlsserver -V)", extra: ["-V"], paths: ["/1m"] },
  { name: "QUIC v2", extra: [], paths: ["/1m"], versions: [QUIC_V2], log: /the negotiated version is 0x6b3343cf/ },
  {
    name: "compatible upgrade v1 → v2 (gtlsserver prefers v2)",
    extra: ["--preferred-versions=v2,v1"],
    paths: ["/1m"],
    versions: [QUIC_V1, QUIC_V2],
    log: /the negotiated version is 0x6b3343cf/,
  },
];

for (const c of clientCases) {
  test(`interop: our fetch() → gtlsserver: ${c.name}`, async () => {
    await withGtlsserver(c.extra, async (origin, ca, log) => {
      for (const p of c.paths) {
        assert.equal(sha256(await download(origin + p, ca, c.versions)), sha256(files[p as "/1m"]));
      }
      if (c.log) assert.match(log(), c.log);
    });
  }, skip);
}

test("interop: our fetch() → gtlsserver: 50 requests on one connection, concurrently", async () => {
  await withGtlsserver([], async (origin, ca) => {
    const got = await Promise.all(Array.from({ length: 50 }, (_, i) => download(`${origin}/s${i}`, ca)));
    got.forEach((bytes, i) => assert.equal(sha256(bytes), sha256(small(i)), `/s${i}`));
  });
}, skip);

/** Waits (at most 5 s) until a peer's log, which trails what the peer did, matches `re`. */
async function logMatches(log: () => string, re: RegExp): Promise<void> {
  for (let i = 0; i < 100 && !re.test(log()); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Our connect() to a gtlsserver origin, with HTTP/3 on it: for acting on the connection mid-download. */
async function h3To(origin: string, ca: string, options: Partial<Parameters<typeof connect>[1]> = {}) {
  const url = new URL(origin);
  const quic = await connect({ hostname: url.hostname, port: Number(url.port) }, { alpn: "h3", ca, ...options });
  return { quic, h3: await h3Client(quic, url.host) };
}

test("interop: our client → gtlsserver: key update initiated by us during 32 MiB, byte-exact", async () => {
  // --show-secret makes gtlsserver print the secrets of each key phase as it derives them:
  // phase 1 in advance after the handshake, phase 2 once the peer has moved to phase 1
  await withGtlsserver(["--show-secret"], async (origin, ca, log) => {
    const { quic, h3 } = await h3To(origin, ca);
    try {
      let updated = false;
      const { status, body } = await h3.get("/32m", (n) => {
        if (!updated && n >= 8 * MiB) {
          quic.requestKeyUpdate(); // throws (QuicError "local") if refused
          updated = true;
        }
      });
      assert.equal(status, 200);
      assert.ok(updated, "the download ended before 8 MiB");
      assert.equal(body.length, BIG.length);
      assert.equal(sha256(body), sha256(BIG));
      // gtlsserver's log trails what it did (as for the migration case below)
      const phase2 = /application_traffic rx secret 2\b/;
      await logMatches(log, phase2);
      assert.match(log(), phase2, "gtlsserver saw no key update");
    } finally {
      await quic.close();
    }
  });
}, skip);

for (const io of ["runtime", "native"] as const) {
  const why = io === "native"
    ? nativeIoUnavailable(defaultLibrary()) ??
      (defaultLibrary().extensions.nativeMigration ? undefined : "needs the nativeMigration extension")
    : undefined;
  test(`interop: our client (${io} I/O) → gtlsserver: conn.migrate() during 32 MiB, byte-exact`, async () => {
    // Without the path-validation effects (core ABI) migrate() can only wait for the new socket
    // to hear from the peer, and about one run in fifteen on runtime sockets it hears nothing
    // within 10 s (cause not found yet; never seen with the effects): such a run is repeated,
    // at most three in all. With the effects a single failure fails the test.
    const attempts = defaultLibrary().extensions.pathEffects ? 1 : 3;
    for (let attempt = 1;; attempt++) {
      try {
        await migrateDuring32MiB(io);
        return;
      } catch (e) {
        const kind = (e as { kind?: string }).kind;
        const timedOut = e instanceof Error &&
          (kind === "timeout" || kind === "aborted" || e.name === "TimeoutError" ||
            /timed? ?out|abort/i.test(e.message));
        if (attempt >= attempts || !timedOut) throw e;
        console.log(`  [retry] core-ABI migration heard nothing on the new socket (${(e as Error).message})`);
      }
    }
  }, why ? { ...skip, skip: why, timeout: 200_000 } : { ...skip, timeout: 200_000 });
}

/** One 32 MiB download from gtlsserver with a conn.migrate() at 8 MiB, checked byte by byte. */
async function migrateDuring32MiB(io: "runtime" | "native"): Promise<void> {
  await withGtlsserver([], async (origin, ca, log) => {
    const { quic, h3 } = await h3To(origin, ca, { io });
    try {
      const before = quic.observe().localAddress.port;
      let migration: Promise<void> | undefined;
      const { status, body } = await h3.get("/32m", (n) => {
        if (!migration && n >= 8 * MiB) migration = quic.migrate({ signal: AbortSignal.timeout(10_000) });
      });
      assert.equal(status, 200);
      assert.ok(migration, "the download ended before 8 MiB");
      await migration;
      const after = quic.observe().localAddress.port;
      assert.notEqual(after, before);
      assert.equal(body.length, BIG.length);
      assert.equal(sha256(body), sha256(BIG));
      // gtlsserver validated the client's new address (its port is the new socket's); its log
      // may trail (and without path effects, core ABI, migrate() resolved on the first datagram)
      const validated = new RegExp(`Path validation against path \\{local:[^,]+, remote:[^}]*:${after}\\} succeeded`);
      await logMatches(log, validated);
      assert.match(log(), validated);
    } finally {
      await quic.close();
    }
  });
}

// ---- resumption and 0-RTT -------------------------------------------------------------------

/** Two gtlsclient runs sharing a session and transport-parameter file: ticket, then resumption. */
async function resumeTwice(port: number) {
  const dir = mkdtempSync(join(tmpdir(), "coquic-resume-"));
  try {
    const files = [`--session-file=${join(dir, "session")}`, `--tp-file=${join(dir, "tp")}`];
    const first = await runGtlsclient(port, ["/s3"], [...files, "--wait-for-ticket"]);
    assertSaved(first.saved, "/s3", small(3), first.log);
    assert.ok(existsSync(join(dir, "session")), `no ticket from our server; log tail:\n${first.log.slice(-1500)}`);
    const second = await runGtlsclient(port, ["/s4"], files);
    assertSaved(second.saved, "/s4", small(4), second.log);
    return second.log;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("interop: gtlsclient → our serve(): resumption with 0-RTT accepted", async () => {
  await withOurServer({ earlyData: true }, async (port) => {
    const log = await resumeTwice(port);
    assert.match(log, /0RTT STREAM\(0x0b\) id=0x0 fin=1/, "the request went out as 0-RTT");
    assert.doesNotMatch(log, /Early data was rejected/);
  });
}, skip);

test("interop: gtlsclient → our serve() without earlyData: 0-RTT rejected, the request still answered", async () => {
  await withOurServer({}, async (port) => {
    const log = await resumeTwice(port);
    assert.match(log, /0RTT STREAM\(0x0b\) id=0x0 fin=1/);
    assert.match(log, /Early data was rejected by server/);
  });
}, skip);

test("interop: our fetch() → gtlsserver twice: the second connection resumes and sends its GET as 0-RTT", async () => {
  await withGtlsserver([], async (origin, ca, log) => {
    assert.equal(sha256(await download(`${origin}/s5`, ca)), sha256(small(5)));
    // the ticket comes right after the handshake; give it a moment before the first connection goes
    await new Promise((r) => setTimeout(r, 100));
    // Early data is opportunistic: a request written after the server's handshake reply was
    // read goes in 1-RTT. On a loaded machine that can happen, so up to three resumed
    // connections are tried (each resumes the ticket of the one before); one must carry it.
    let second = "";
    for (let attempt = 0; attempt < 3; attempt++) {
      await closeAll();
      const before = log().length;
      assert.equal(sha256(await download(`${origin}/s6`, ca)), sha256(small(6)));
      // its log trails (a pipe: written in blocks): wait for the request's frame, either way
      await logMatches(() => log().slice(before), /frm rx \d+ (0RTT|1RTT) STREAM\(0x0b\) id=0x0/);
      second = log().slice(before);
      if (/frm rx \d+ 0RTT STREAM\(0x0b\) id=0x0/.test(second)) break;
      await new Promise((r) => setTimeout(r, 100)); // this connection's ticket
    }
    assert.match(
      second,
      /frm rx \d+ 0RTT STREAM\(0x0b\) id=0x0/,
      `gtlsserver got no 0-RTT request:\n${second.slice(-1500)}`,
    );
  });
}, skip);

test("interop: gtlsclient → our serve() with Retry: a returning client's NEW_TOKEN skips the Retry", async () => {
  await withOurServer({ retry: true }, async (port) => {
    const dir = mkdtempSync(join(tmpdir(), "coquic-token-"));
    try {
      const token = `--token-file=${join(dir, "token")}`;
      const first = await runGtlsclient(port, ["/s3"], [token]);
      assertSaved(first.saved, "/s3", small(3), first.log);
      assert.match(first.log, /retry_source_connection_id=0x[0-9a-f]+/, "the first connection went through a Retry");
      assert.ok(existsSync(join(dir, "token")), "gtlsclient got no NEW_TOKEN");
      const second = await runGtlsclient(port, ["/s4"], [token]);
      assertSaved(second.saved, "/s4", small(4), second.log);
      assert.doesNotMatch(second.log, /retry_source_connection_id=0x[0-9a-f]+/, "the token took the Retry's place");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}, skip);
