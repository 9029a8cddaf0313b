// Every error the public API throws for a user's mistake is a QuicError with a `kind` (issue
// 17 item 14): bad options of listen/connect/serve/fetch/WebTransport, bad URLs and ports,
// calls after close. Runtime errors (URL parsing, RangeError, a taken port) are wrapped with
// the original as `cause`; messages name the option as the user wrote it and do not repeat
// the kind. Deno and Bun.
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { connect, listen, QuicClient, QuicError, type QuicErrorKind } from "../mod.ts";
import { closeAll, fetch, serve, WebTransport } from "../http3/mod.ts";
import { echoServer } from "./_echo.ts";

/** Mistakes whose error was not as expected, reported together at the end of each test. */
let wrong: string[] = [];

/** Checks that `run` throws or rejects with a QuicError of `kind` whose reason matches `reason`. */
async function fails(what: string, run: () => unknown, kind: QuicErrorKind, reason?: RegExp): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  const problem = error === undefined
    ? "did not fail"
    : !(error instanceof QuicError)
    ? `${(error as Error)?.name}: ${(error as Error)?.message ?? error} is not a QuicError`
    : error.kind !== kind
    ? `kind ${error.kind} (${error.reason}), not ${kind}`
    : reason && !reason.test(error.reason)
    ? `reason ${JSON.stringify(error.reason)} does not match ${reason}`
    : error.reason.startsWith(`${kind}:`) || error.reason.startsWith(`${kind} `)
    ? `the reason repeats the kind: ${error.reason}`
    : error.reason !== error.reason.trim()
    ? `untrimmed reason ${JSON.stringify(error.reason)}`
    : undefined;
  if (problem) wrong.push(`${what}: ${problem}`);
}

function done(): void {
  const found = wrong;
  wrong = [];
  assert.deepEqual(found, []);
}

test("api errors: listen() and connect() misuse", async () => {
  await fails("listen without alpn", () => listen({} as never), "invalid_argument", /alpn/);
  await fails("listen cert without key", () => listen({ alpn: "x", cert: "-----" }), "invalid_argument", /cert/);
  await fails("listen versions", () => listen({ alpn: "x", versions: [7] }), "invalid_argument", /versions/);
  await fails("listen io", () => listen({ alpn: "x", io: "fast" as never }), "invalid_argument", /^io /);
  await fails(
    "listen maxConnectionSendBuffer",
    () => listen({ alpn: "x", maxConnectionSendBuffer: 0 }),
    "invalid_argument",
    /^maxConnectionSendBuffer /,
  );
  await fails("listen bad certificate", () => listen({ alpn: "x", cert: "junk", key: "junk" }), "invalid_argument");
  await fails(
    "connect port 0",
    () => connect({ hostname: "127.0.0.1", port: 0 }, { alpn: "x" }),
    "invalid_argument",
    /port/,
  );
  await fails(
    "connect port 70000",
    () => connect({ hostname: "127.0.0.1", port: 70000 }, { alpn: "x" }),
    "invalid_argument",
    /port/,
  );
  await fails(
    "connect empty host",
    () => connect({ hostname: "", port: 443 }, { alpn: "x" }),
    "invalid_argument",
    /hostname/,
  );
  await fails(
    "connect no alpn",
    () => connect({ hostname: "127.0.0.1", port: 443 }, {} as never),
    "invalid_argument",
    /alpn/,
  );
  await fails(
    "connect idleTimeoutMs",
    () => connect({ hostname: "127.0.0.1", port: 443 }, { alpn: "x", idleTimeoutMs: -5 }),
    "invalid_argument",
    /^idleTimeoutMs /,
  );
  await fails(
    "connect unresolvable",
    () => connect({ hostname: "no-such-host.invalid", port: 443 }, { alpn: "x" }),
    "name_not_resolved",
  );
  await fails(
    "connect aborted",
    () => connect({ hostname: "127.0.0.1", port: 443 }, { alpn: "x", signal: AbortSignal.abort() }),
    "aborted",
  );
  await fails("QuicClient family", () => QuicClient.create({ alpn: "x", family: "ipx" as never }), "invalid_argument");
  done();
});

test("api errors: calls after close", async () => {
  const listener = await echoServer({ alpn: "x" });
  const conn = await connect(listener.addr, { alpn: "x", ca: listener.certificatePem });
  const s = conn.openStream();
  s.reset(1n);
  await fails("write after reset", () => s.write(new Uint8Array(1)), "stream_reset");
  const uni = conn.openStream({ unidirectional: true });
  await fails("read on a send-only stream", () => uni.read(), "invalid_argument");
  await fails("write a string", () => conn.openStream().write("x" as never), "invalid_argument");
  await fails("sendOrder", () => conn.openStream({ sendOrder: 0.5 }), "invalid_argument", /sendOrder/);
  await fails("reset code 1.5", () => conn.openStream().reset(1.5), "invalid_argument", /code/);
  await fails("stopSending code -1", () => conn.openStream().stopSending(-1), "invalid_argument", /code/);
  await fails("close code 1.5", () => conn.close({ code: 1.5 }), "invalid_argument", /code/);
  await fails("close code -1", () => conn.close({ code: -1 }), "invalid_argument", /code/);
  await fails("close reason", () => conn.close({ reason: 7 as never }), "invalid_argument", /reason/);
  await fails("sendDatagram a string", () => conn.sendDatagram("x" as never), "invalid_argument");
  await fails(
    "bytes beyond maxBytes",
    async () => {
      const e = conn.openStream();
      const got = e.bytes({ maxBytes: 2 });
      await e.write(new Uint8Array(10), { fin: true });
      await got;
    },
    "invalid_argument",
    /maxBytes|longer/,
  );
  await conn.close();
  await fails("openStream after close", () => conn.openStream(), "closed");
  await fails("createStream after close", () => conn.createStream(), "closed");
  await fails("sendDatagram after close", () => conn.sendDatagram(new Uint8Array(1)), "closed");
  await fails("acceptStream after close", () => conn.acceptStream(), "closed");
  await fails("requestKeyUpdate after close", () => conn.requestKeyUpdate(), "closed");
  await listener.close();
  await fails("accept after close", () => listener.accept(), "closed");
  const client = await QuicClient.create({ alpn: "x", ca: listener.certificatePem });
  client.close();
  await fails("client connect after close", () => client.connect(listener.addr), "closed");
  await fails("connect ca", () => connect(listener.addr, { alpn: "x", ca: 5 as never }), "invalid_argument", /ca/);
  await fails(
    "connect session",
    () => connect(listener.addr, { alpn: "x", ca: listener.certificatePem, session: "s" as never }),
    "invalid_argument",
    /session/,
  );
  await fails("listen port text", () => listen({ alpn: "x", port: "80" as never }), "invalid_argument", /port/);
  done();
});

test("api errors: serve(), fetch() and WebTransport misuse", async () => {
  await fails("serve options", () => serve(null as never, () => new Response()), "invalid_argument", /options/);
  await fails("serve port", () => serve({ port: 70000 }, () => new Response()), "invalid_argument", /port/);
  await fails("serve handler", () => serve({}, "nope" as never), "invalid_argument", /handler/);
  await fails(
    "serve headersTimeoutMs",
    () => serve({ headersTimeoutMs: -1 }, () => new Response()),
    "invalid_argument",
    /headersTimeoutMs/,
  );
  await fails("fetch bad URL", () => fetch("not a url"), "invalid_argument", /URL/);
  await fails("fetch http URL", () => fetch("http://127.0.0.1:1/"), "invalid_argument", /https/);
  await fails("fetch port 0", () => fetch("https://127.0.0.1:0/"), "invalid_argument", /port/);
  await fails("fetch bad method", () => fetch("https://127.0.0.1:1/", { method: "BAD METHOD" }), "invalid_argument");
  await fails("fetch unresolvable", () => fetch("https://no-such-host.invalid:4433/"), "name_not_resolved");
  // WebTransport keeps the W3C API's errors: its constructor throws a SyntaxError for a bad URL
  for (const url of ["not a url", "http://127.0.0.1:1/"]) {
    assert.throws(() => new WebTransport(url), (e: unknown) => (e as Error).name === "SyntaxError", url);
  }
  await closeAll();
  done();
});
