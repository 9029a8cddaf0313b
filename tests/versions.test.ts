// QUIC versions and key updates through the high-level API (listen/connect), over loopback
// sockets: the `versions` option, RFC 9368 negotiation (a Version Negotiation packet makes the
// client start over in a common version), and `requestKeyUpdate()`. The versions on the wire
// are checked against ngtcp2's tools in interop.test.ts.
import assert from "node:assert/strict";
import { ext } from "./_ext.ts";
import { test } from "./_harness.ts";
import { echo, echoServer } from "./_echo.ts";
import { connect, listen, QUIC_V1, QUIC_V2, QuicError } from "../mod.ts";
import { pattern } from "./_pair.ts";

for (
  const [name, server, client] of [
    ["a v1+v2 client (v1 first) reaches a v2-only server", [QUIC_V2], [QUIC_V1, QUIC_V2]],
    ["a v2+v1 client (v2 first) reaches a v1-only server", [QUIC_V1], [QUIC_V2, QUIC_V1]],
    ["v2 on both sides", [QUIC_V2], [QUIC_V2]],
    ["a v1 client reaches a v2+v1 server", [QUIC_V2, QUIC_V1], [QUIC_V1]],
  ] as const
) {
  test(`versions: ${name} and echoes byte-exact`, async () => {
    const listener = await echoServer({ versions: [...server] });
    try {
      const conn = await connect(listener.addr, {
        alpn: "echo",
        ca: listener.certificatePem,
        versions: [...client],
        signal: AbortSignal.timeout(5000),
      });
      const data = pattern(300_000, 3);
      assert.deepEqual(await echo(conn, data), data);
      await conn.close();
    } finally {
      await listener.close();
    }
  });
}

test("versions: without a common version the connect fails with a QuicError, not a timeout", async () => {
  const listener = await echoServer({ versions: [QUIC_V2] });
  try {
    const started = Date.now();
    await assert.rejects(
      connect(listener.addr, {
        alpn: "echo",
        ca: listener.certificatePem,
        versions: [QUIC_V1],
        signal: AbortSignal.timeout(8000),
      }),
      (e: unknown) => e instanceof QuicError && e.kind !== "timeout" && (!ext.closeInfos || /version/i.test(e.message)),
    );
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  } finally {
    await listener.close();
  }
});

test("versions: bad lists are invalid_argument errors", async () => {
  for (const versions of [[], [0x1a2a3a4a], [QUIC_V1, QUIC_V1], "v1" as unknown as number[]]) {
    await assert.rejects(
      listen({ port: 0, alpn: "echo", versions }),
      (e: unknown) => e instanceof QuicError && e.kind === "invalid_argument" && /versions/.test(e.message),
      JSON.stringify(versions),
    );
  }
});

test("key update: requestKeyUpdate() after the handshake; data keeps flowing; a second one waits for the first", async () => {
  const listener = await echoServer();
  try {
    const conn = await connect(listener.addr, { alpn: "echo", ca: listener.certificatePem });
    const before = pattern(100_000, 1);
    assert.deepEqual(await echo(conn, before), before); // the handshake is confirmed by now
    conn.requestKeyUpdate();
    // RFC 9001 §6.1: no new update until the peer has answered the current one.
    assert.throws(() => conn.requestKeyUpdate(), (e: unknown) => e instanceof QuicError && e.kind === "local");
    const after = pattern(2_000_000, 2);
    assert.deepEqual(await echo(conn, after), after);
    await conn.close();
    assert.throws(() => conn.requestKeyUpdate(), QuicError);
  } finally {
    await listener.close();
  }
});
