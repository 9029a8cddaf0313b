// Connecting by host name (issue 17 item 1): names are resolved (runtime DNS, /etc/hosts, or
// an injected `lookup`), their addresses raced across families, the name kept for SNI and
// verification; bad ports, empty and unresolvable names and refused ports fail at once.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ext } from "./_ext.ts";
import { test } from "./_harness.ts";
import { connect, listen, QuicClient, type QuicConnection, QuicError, type QuicListener } from "../mod.ts";
import { closeAll, fetch, serve } from "../http3/mod.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import { defaultLibrary } from "../ffi/loader.ts";
import { nativeIoUnavailable } from "../quic/driver_factory.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

async function echoServer(hostname = "127.0.0.1"): Promise<QuicListener> {
  const listener = await listen({ hostname, alpn: "echo" });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        for await (const s of conn) s.readable!.pipeTo(s.writable!).catch(() => {});
      })();
    }
  })();
  return listener;
}

async function echo(conn: QuicConnection, text: string): Promise<string> {
  const s = conn.openStream();
  await s.write(new TextEncoder().encode(text), { fin: true });
  return new TextDecoder().decode(await s.bytes({ signal: AbortSignal.timeout(5000) }));
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = await bindUdp({ hostname: "127.0.0.1", port: 0 });
  const port = s.localAddress.port;
  s.close();
  return port;
}

/** Milliseconds `p` takes to settle, and its error (if it rejected). */
async function timed(p: Promise<unknown>): Promise<{ ms: number; error?: unknown }> {
  const t = performance.now();
  try {
    await p;
    return { ms: performance.now() - t };
  } catch (error) {
    return { ms: performance.now() - t, error };
  }
}

const isKind = (kind: string) => (e: unknown) => e instanceof QuicError && e.kind === kind;

test('names: connect({ hostname: "localhost" }) resolves, verifies the name and echoes', async () => {
  const listener = await echoServer();
  const conn = await connect({ hostname: "localhost", port: listener.addr.port }, {
    alpn: "echo",
    ca: listener.certificatePem,
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(conn.remoteAddress.hostname, "127.0.0.1", "the resolved address is the peer");
  assert.equal(await echo(conn, "by name"), "by name");
  await conn.close();
  await listener.close();
});

test('names: fetch("https://localhost:PORT/") over HTTP/3', async () => {
  const server = await serve({}, (req) => new Response(`hi ${new URL(req.url).host}`));
  try {
    const res = await fetch(`https://localhost:${server.addr.port}/`, {
      ca: server.certificatePem,
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), `hi localhost:${server.addr.port}`);
  } finally {
    await closeAll();
    await server.close();
  }
});

/** A name other than localhost that /etc/hosts maps to 127.0.0.1, if there is one. */
function hostsName(): string | undefined {
  let text = "";
  try {
    text = readFileSync("/etc/hosts", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (address !== "127.0.0.1") continue;
    const name = names.find((n) => n && n !== "localhost" && !n.startsWith("localhost."));
    if (name) return name;
  }
  return undefined;
}

const HOSTS_NAME = hostsName();

test("names: a name from /etc/hosts resolves (the system lookup reads it)", async () => {
  const listener = await echoServer();
  const conn = await connect({ hostname: HOSTS_NAME!, port: listener.addr.port }, {
    alpn: "echo",
    ca: listener.certificatePem,
    serverName: "localhost", // the development certificate's name
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(conn.remoteAddress.hostname, "127.0.0.1");
  assert.equal(await echo(conn, HOSTS_NAME!), HOSTS_NAME);
  await conn.close();
  await listener.close();
}, { ignore: HOSTS_NAME === undefined }); // no extra 127.0.0.1 name in this machine's /etc/hosts

test("names: IP literals in any spelling match the replies (canonical route keys)", async () => {
  const listener = await echoServer("::1");
  for (const hostname of ["0:0:0:0:0:0:0:1", "[::1]", "0::0001"]) {
    const conn = await connect({ hostname, port: listener.addr.port }, {
      alpn: "echo",
      ca: listener.certificatePem,
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(conn.remoteAddress.hostname, "::1");
    assert.equal(await echo(conn, hostname), hostname);
    await conn.close();
  }
  await listener.close();
});

test("names: bad ports and empty host names are invalid_argument at once", async () => {
  for (const port of [0, -1, 65536, 1.5, Number.NaN, "443" as unknown as number]) {
    const r = await timed(connect({ hostname: "127.0.0.1", port }, { alpn: "echo" }));
    assert.ok(isKind("invalid_argument")(r.error), `port ${String(port)}: ${r.error}`);
    assert.ok(r.ms < 1000, `port ${String(port)} took ${r.ms} ms`);
  }
  for (const hostname of ["", "  "]) {
    const r = await timed(connect({ hostname, port: 4433 }, { alpn: "echo" }));
    assert.ok(isKind("invalid_argument")(r.error), `hostname "${hostname}": ${r.error}`);
  }
});

test("names: an unresolvable name is name_not_resolved at once, not a handshake timeout", async () => {
  const r = await timed(connect({ hostname: "no-such-host.invalid", port: 4433 }, { alpn: "echo" }));
  assert.ok(isKind("name_not_resolved")(r.error), String(r.error));
  assert.ok(r.ms < 3000, `took ${r.ms} ms`);
  const failing = await timed(
    connect({ hostname: "example.test", port: 4433 }, {
      alpn: "echo",
      lookup: () => Promise.reject(Object.assign(new Error("boom"), { code: "ENOTFOUND" })),
    }),
  );
  assert.ok(isKind("name_not_resolved")(failing.error), String(failing.error));
  assert.match((failing.error as QuicError).reason, /example\.test: ENOTFOUND/);
  const empty = await timed(
    connect({ hostname: "example.test", port: 4433 }, { alpn: "echo", lookup: () => Promise.resolve([]) }),
  );
  assert.ok(isKind("name_not_resolved")(empty.error), String(empty.error));
});

test("names: an injected lookup's addresses are raced; a dead IPv6 address loses to a live IPv4 one", async () => {
  const listener = await echoServer("127.0.0.1");
  const client = await QuicClient.create({
    alpn: "echo",
    ca: listener.certificatePem,
    lookup: (name) => {
      assert.equal(name, "dual.example");
      return Promise.resolve([{ address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }]);
    },
  });
  const conn = await client.connect({ hostname: "dual.example", port: listener.addr.port }, {
    serverName: "localhost",
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(conn.remoteAddress.hostname, "127.0.0.1");
  assert.equal(await echo(conn, "raced"), "raced");
  // The losing IPv6 attempt was closed: only the winner remains once it has ended.
  for (let i = 0; i < 100 && client.connectionCount > 1; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(client.connectionCount, 1);
  await client.close();
  await listener.close();
});

test("names: one QuicClient reaches IPv4 and IPv6 servers (an endpoint per family)", async () => {
  const v4 = await echoServer("127.0.0.1");
  const v6 = await echoServer("::1");
  const client = await QuicClient.create({ alpn: "echo", ca: [v4.certificatePem, v6.certificatePem] });
  const a = await client.connect(v4.addr, { signal: AbortSignal.timeout(5000) });
  const b = await client.connect(v6.addr, { signal: AbortSignal.timeout(5000) });
  assert.equal(await echo(a, "four"), "four");
  assert.equal(await echo(b, "six"), "six");
  assert.equal(client.connectionCount, 2);
  await client.close();
  await v4.close();
  await v6.close();
});

// ICMP errors: the engine's own socket reads them (IP_RECVERR) and names the refusing address,
// on every runtime; of the runtime sockets only Bun's reports them (Deno's listenDatagram and
// Node's dgram give none for unconnected sockets, so there the attempt runs until its signal or
// the handshake timeout).
for (const io of ["native", "runtime"] as const) {
  test(
    `names: an ICMP port unreachable ends the attempt at once (kind unreachable; io ${io})`,
    async () => {
      const port = await closedPort();
      const r = await timed(
        connect({ hostname: "127.0.0.1", port }, { alpn: "echo", io, signal: AbortSignal.timeout(5000) }),
      );
      assert.ok(isKind("unreachable")(r.error), String(r.error));
      assert.ok(r.ms < 2000, `took ${r.ms} ms`);
    },
    {
      skip: io === "native"
        ? nativeIoUnavailable(defaultLibrary())
        : g.Bun
        ? undefined
        : "only Bun's runtime UDP socket reports ICMP errors",
    },
  );
}

test("names: on the native socket an ICMP error from one server ends only the attempt to it", async () => {
  const server = await listen({ hostname: "127.0.0.1", port: 0, alpn: "echo", io: "native" });
  const client = await QuicClient.create({ alpn: "echo", io: "native", ca: server.certificatePem });
  try {
    const dead = await closedPort();
    const [refused, live] = await Promise.allSettled([
      client.connect({ hostname: "127.0.0.1", port: dead }, { signal: AbortSignal.timeout(5000) }),
      client.connect(server.addr, { signal: AbortSignal.timeout(5000) }),
    ]);
    assert.equal(refused.status, "rejected");
    assert.ok(isKind("unreachable")((refused as PromiseRejectedResult).reason));
    assert.equal(live.status, "fulfilled", String((live as PromiseRejectedResult).reason));
  } finally {
    await client.close();
    await server.close();
  }
}, { skip: nativeIoUnavailable(defaultLibrary()) });

test("names: fetch() takes a lookup; the URL's name is what the certificate is checked against", async () => {
  const server = await serve({}, () => new Response("resolved"));
  const asked: string[] = [];
  const lookup = (name: string) => (asked.push(name), Promise.resolve([{ address: "127.0.0.1", family: 4 as const }]));
  try {
    const url = `https://h3.example:${server.addr.port}/`;
    const res = await fetch(url, { insecure: true, lookup, signal: AbortSignal.timeout(5000) });
    assert.equal(await res.text(), "resolved");
    // The development certificate names localhost, not h3.example: verification refuses it.
    await assert.rejects(
      fetch(url, { ca: server.certificatePem, lookup, signal: AbortSignal.timeout(5000) }),
      (e: unknown) =>
        e instanceof QuicError && e.kind === "handshake_failed" && (!ext.closeInfos || /name/i.test(e.reason)),
    );
  } finally {
    await closeAll();
    await server.close();
  }
  assert.deepEqual(asked, ["h3.example", "h3.example"]);
});
