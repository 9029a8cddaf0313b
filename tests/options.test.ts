// The high-level API's option errors: every mistake is a QuicError that names the option as
// the user wrote it and says what it takes; an engine refusal and a runtime's bind error are
// wrapped (kind invalid_argument / address_in_use) with the original as the cause.
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { connect, CoquicStatusError, listen, type ListenOptions, QuicError } from "../mod.ts";
import { needs } from "./_ext.ts";

const bad: [Partial<ListenOptions>, RegExp][] = [
  [{ idleTimeoutMs: -1 }, /^idleTimeoutMs must be an integer in 0\.\.\d+, got -1$/],
  [{ idleTimeoutMs: "10" as unknown as number }, /^idleTimeoutMs .* got "10"$/],
  [{ maxStreams: 1.5 }, /^maxStreams .* got 1\.5$/],
  [{ maxUniStreams: -2 }, /^maxUniStreams /],
  [{ streamWindow: 2 ** 70 }, /^streamWindow /],
  [{ connectionWindow: NaN }, /^connectionWindow /],
  [
    { congestionControl: "toString" as "cubic" },
    /^congestionControl must be one of newreno, cubic, bbr, got "toString"$/,
  ],
  [{ maxDatagramSize: 100 }, /^maxDatagramSize must be an integer in 1200\.\.1500, got 100$/],
  [{ lossAccounting: 1 as unknown as boolean }, /^lossAccounting must be true or false/],
  [{ qlogDir: "" }, /^qlogDir must be a non-empty string/],
  [{ port: 65536 }, /^port must be an integer in 0\.\.65535, got 65536$/],
  [{ port: -1 }, /^port /],
  [{ hostname: "" }, /^hostname must be a non-empty string/],
  [{ maxConnections: -1 }, /^maxConnections /],
  [{ retry: "yes" as unknown as boolean }, /^retry must be true or false/],
];

test("options: each bad option is a QuicError invalid_argument naming it", async () => {
  for (const [o, reason] of bad) {
    await assert.rejects(
      listen({ alpn: "x", ...o }),
      (e: unknown) => e instanceof QuicError && e.kind === "invalid_argument" && reason.test(e.reason),
      JSON.stringify(o),
    );
  }
});

test("options: a taken port is address_in_use with the runtime's error as the cause", async () => {
  const first = await listen({ alpn: "x" });
  try {
    await assert.rejects(
      listen({ alpn: "x", port: first.addr.port }),
      (e: unknown) =>
        e instanceof QuicError && e.kind === "address_in_use" && e.reason.includes(String(first.addr.port)) &&
        e.cause !== undefined,
    );
    await assert.rejects(
      listen({ alpn: "x", hostname: "no such address" }),
      (e: unknown) => e instanceof QuicError && e.kind === "invalid_argument" && /^cannot bind /.test(e.reason),
    );
  } finally {
    await first.close();
  }
});

test(
  "options: an engine refusal is a QuicError invalid_argument with the engine's reason and error as cause",
  async () => {
    await assert.rejects(
      listen({ alpn: "x", configure: (c) => (c.transport.congestionControl = 3) }), // copa: our engine refuses it
      (e: unknown) =>
        e instanceof QuicError && e.kind === "invalid_argument" && /copa/.test(e.reason) &&
        e.cause instanceof CoquicStatusError,
    );
  },
  needs("lastError"),
);

test("options: observe() after close() says closed; a listener's snapshot too", async () => {
  const listener = await listen({ alpn: "x" });
  const conn = await connect(listener.addr, { alpn: "x", ca: listener.certificatePem });
  await conn.close();
  assert.equal(conn.observe().state, "closed");
  await listener.close();
  assert.equal(listener.observe().closed, true);
});
