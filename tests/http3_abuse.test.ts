// HTTP/3 protocol violations that must end the connection (RFC 9114 §6.2, RFC 9204 §4.2) and
// content-length checks (RFC 9114 §4.1.2), driven by a raw HTTP/3 peer over our QUIC.
import assert from "node:assert/strict";
import { ext } from "./_ext.ts";
import { test } from "./_harness.ts";
import { closeAll, fetch, H3Connection, H3ErrorCode, MessageReader, serve, writeFrame } from "../http3/mod.ts";
import { connect, type QuicConnection, QuicError } from "../mod.ts";

type Server = Awaited<ReturnType<typeof serve>>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withServer(handler: Parameters<typeof serve>[1], body: (s: Server) => Promise<void>): Promise<void> {
  const s = await serve({ hostname: "127.0.0.1", port: 0 }, handler);
  try {
    await body(s);
  } finally {
    await closeAll();
    await s.shutdown({ timeoutMs: 500 });
  }
}

/** A raw client: a QUIC connection with our H3Connection's control and QPACK streams open. */
async function rawClient(s: Server): Promise<{ quic: QuicConnection; h3: H3Connection }> {
  const quic = await connect(s.addr, { alpn: "h3", ca: s.certificatePem, signal: AbortSignal.timeout(5000) });
  const h3 = new H3Connection(quic, false);
  await h3.start();
  await sleep(100); // the server has classified our critical streams before the next ones
  return { quic, h3 };
}

/**
 * Asserts that the server closes `quic` within 5 s with application code `want` (the code is
 * read only when the close-info extension reports it; on the core ABI alone, that it closed).
 */
async function assertClosedWith(quic: QuicConnection, want: number): Promise<void> {
  const code = await closeCode(quic);
  if (ext.closeInfos) assert.equal(code, want);
}

/** The application code the server closed `quic` with, within 5 s (NaN without the close-info extension). */
async function closeCode(quic: QuicConnection): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    quic.closed,
    new Promise<never>((
      _,
      reject,
    ) => (timer = setTimeout(() => reject(new Error("the server left the connection open")), 5000))),
  ]);
  clearTimeout(timer);
  if (!ext.closeInfos) return NaN;
  assert.equal(closed.isApplicationError, true, closed.reason);
  return Number(closed.code);
}

const hello = () => new Response("hello");

/** Opens a unidirectional stream of `type` carrying `payload`, optionally ended. */
async function uniStream(quic: QuicConnection, bytes: number[], fin = false) {
  const stream = quic.openStream({ unidirectional: true });
  await stream.write(new Uint8Array(bytes), { fin });
  return stream;
}

const SETTINGS_FRAME = [0x04, 0x00]; // an empty SETTINGS frame

const violations: { name: string; code: number; act: (quic: QuicConnection) => Promise<unknown> }[] = [
  {
    name: "a second control stream",
    code: H3ErrorCode.H3_STREAM_CREATION_ERROR,
    act: (q) => uniStream(q, [0x00, ...SETTINGS_FRAME]),
  },
  {
    name: "a second QPACK encoder stream",
    code: H3ErrorCode.H3_STREAM_CREATION_ERROR,
    act: (q) => uniStream(q, [0x02]),
  },
  {
    name: "a second QPACK decoder stream",
    code: H3ErrorCode.H3_STREAM_CREATION_ERROR,
    act: (q) => uniStream(q, [0x03]),
  },
  {
    name: "a client-initiated push stream",
    code: H3ErrorCode.H3_STREAM_CREATION_ERROR,
    act: (q) => uniStream(q, [0x01, 0x00]),
  },
];

for (const v of violations) {
  test(`http3 abuse: ${v.name} closes the connection with ${v.code.toString(16)}`, async () => {
    await withServer(hello, async (s) => {
      const { quic } = await rawClient(s);
      await v.act(quic);
      await assertClosedWith(quic, v.code);
    });
  });
}

/** A raw client whose own critical streams the test controls (no H3Connection). */
async function bareClient(s: Server) {
  const quic = await connect(s.addr, { alpn: "h3", ca: s.certificatePem, signal: AbortSignal.timeout(5000) });
  const control = await uniStream(quic, [0x00, ...SETTINGS_FRAME]);
  await sleep(100);
  return { quic, control };
}

test("http3 abuse: the peer resetting its control stream is H3_CLOSED_CRITICAL_STREAM", async () => {
  await withServer(hello, async (s) => {
    const { quic, control } = await bareClient(s);
    control.reset(0x10cn);
    await assertClosedWith(quic, H3ErrorCode.H3_CLOSED_CRITICAL_STREAM);
  });
});

test("http3 abuse: the peer ending its QPACK decoder stream is H3_CLOSED_CRITICAL_STREAM", async () => {
  await withServer(hello, async (s) => {
    const { quic } = await bareClient(s);
    await uniStream(quic, [0x03], true);
    await assertClosedWith(quic, H3ErrorCode.H3_CLOSED_CRITICAL_STREAM);
  });
});

for (
  const [what, bytes] of [
    ["a Section Acknowledgment", [0x84]],
    ["an Insert Count Increment", [0x01]],
    ["a truncated-then-overlong integer", [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
  ] as const
) {
  test(`http3 abuse: ${what} on the QPACK decoder stream of a static-only encoder is QPACK_DECODER_STREAM_ERROR`, async () => {
    await withServer(hello, async (s) => {
      const { quic } = await bareClient(s);
      await uniStream(quic, [0x03, ...bytes]);
      await assertClosedWith(quic, H3ErrorCode.QPACK_DECODER_STREAM_ERROR);
    });
  });
}

test("http3 abuse: Stream Cancellation on the decoder stream is valid; the connection keeps serving", async () => {
  await withServer(hello, async (s) => {
    const bare = await bareClient(s);
    await uniStream(bare.quic, [0x02]); // encoder stream
    await uniStream(bare.quic, [0x03, 0x44, 0x48]); // Stream Cancellation of streams 4 and 8
    const h3b = new H3Connection(bare.quic, false);
    const stream = bare.quic.openStream();
    await h3b.writeHeaders(
      stream,
      [[":method", "GET"], [":scheme", "https"], [":authority", "x"], [":path", "/"]],
      true,
    );
    const reader = new MessageReader(h3b, stream);
    const fields = await reader.headers();
    assert.equal(fields?.find((f) => f.name === ":status")?.value, "200");
    assert.equal(new TextDecoder().decode(await new Response(reader.body()).arrayBuffer()), "hello");
    await bare.quic.close();
  });
});

/** Sends a POST whose content-length says `declared` with `sent` body bytes; returns the stream. */
async function post(s: Server, declared: string, sent: number) {
  const { quic, h3 } = await rawClient(s);
  const stream = quic.openStream();
  await h3.writeHeaders(stream, [
    [":method", "POST"],
    [":scheme", "https"],
    [":authority", "x"],
    [":path", "/"],
    ["content-length", declared],
  ]);
  await writeFrame(stream, { type: "data", payload: new Uint8Array(sent).fill(0x61) }, true);
  return { quic, h3, stream };
}

for (const [declared, sent] of [["10", 3], ["3", 10], ["3, 4", 3], ["-1", 0]] as const) {
  test(`http3: a request body of ${sent} bytes under content-length "${declared}" is H3_MESSAGE_ERROR, never a complete body`, async () => {
    const bodies: string[] = [];
    const failures: unknown[] = [];
    await withServer(async (req) => {
      try {
        bodies.push(await req.text());
      } catch (e) {
        failures.push(e);
      }
      return new Response("handled");
    }, async (s) => {
      const { quic, stream } = await post(s, declared, sent);
      await assert.rejects(
        stream.bytes({ signal: AbortSignal.timeout(5000) }),
        (e: unknown) =>
          e instanceof QuicError && e.kind === "stream_reset" && e.code === BigInt(H3ErrorCode.H3_MESSAGE_ERROR),
      );
      assert.deepEqual(bodies, []);
      await quic.close();
    });
  });
}

test("http3: a request body matching its content-length reaches the handler", async () => {
  await withServer(async (req) => new Response(`got ${(await req.text()).length}`), async (s) => {
    const { quic, h3, stream } = await post(s, "5", 5);
    const reader = new MessageReader(h3, stream);
    assert.equal((await reader.headers())?.find((f) => f.name === ":status")?.value, "200");
    assert.equal(await new Response(reader.body()).text(), "got 5");
    await quic.close();
  });
});

test("http3: fetch rejects a response body shorter than its content-length", async () => {
  await withServer(() => new Response("abc", { headers: { "content-length": "10" } }), async (s) => {
    const res = await fetch(`https://127.0.0.1:${s.addr.port}/`, { ca: s.certificatePem });
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), (e: unknown) => e instanceof Error && /content-length 10/.test(e.message));
  });
});

/** Bytes of a HEADERS frame header announcing `length` payload bytes (type 0x01, varint length). */
function headersFrameHeader(length: number): Uint8Array {
  if (length < 64) return new Uint8Array([0x01, length]);
  if (length < 16384) return new Uint8Array([0x01, 0x40 | (length >> 8), length & 0xff]);
  return new Uint8Array([0x01, 0x80 | (length >>> 24), (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff]);
}

test("http3 slowloris: a frame reader holds only the bytes that arrived, never the announced size", async () => {
  const { FrameReader } = await import("../http3/frame_reader.ts");
  const budget = { used: 0, limit: 1 << 20 };
  const reader = new FrameReader({ maxFrameSize: 64 << 10, budget });
  reader.push(headersFrameHeader(60_000));
  assert.equal(reader.bufferedBytes, 0);
  reader.push(new Uint8Array(10));
  assert.equal(reader.bufferedBytes, 10);
  assert.equal(budget.used, 10);
  reader.release();
  assert.equal(budget.used, 0);
});

test("http3 slowloris: incomplete headers are cancelled after headersTimeoutMs", async () => {
  const s = await serve({ hostname: "127.0.0.1", port: 0, headersTimeoutMs: 300 }, hello);
  try {
    const { quic } = await rawClient(s);
    const stream = quic.openStream();
    await stream.write(headersFrameHeader(1000)); // and nothing more
    const started = Date.now();
    await assert.rejects(
      stream.bytes({ signal: AbortSignal.timeout(5000) }),
      (e: unknown) =>
        e instanceof QuicError && e.kind === "stream_reset" && e.code === BigInt(H3ErrorCode.H3_REQUEST_CANCELLED),
    );
    const waited = Date.now() - started;
    assert.ok(waited >= 250 && waited < 3000, `cancelled after ${waited} ms`);
    const ok = await fetch(`https://127.0.0.1:${s.addr.port}/`, { ca: s.certificatePem });
    assert.equal(await ok.text(), "hello"); // the server keeps serving
    await quic.close();
  } finally {
    await closeAll();
    await s.shutdown({ timeoutMs: 500 });
  }
});

test("http3 slowloris: a HEADERS frame announced above the field-section limit gets 431 before any payload", async () => {
  await withServer(hello, async (s) => {
    const { quic, h3 } = await rawClient(s);
    const stream = quic.openStream();
    await stream.write(headersFrameHeader(1 << 20)); // 1 MiB announced, nothing sent
    const reply = await new MessageReader(h3, stream).headers();
    assert.equal(reply?.find((f) => f.name === ":status")?.value, "431");
    await quic.close();
  });
});

test("http3 slowloris: incomplete HEADERS beyond the connection's buffer budget close it with H3_EXCESSIVE_LOAD", async () => {
  const s = await serve({
    hostname: "127.0.0.1",
    port: 0,
    maxFieldSectionSize: 16 << 10,
    maxBufferedHeaderBytes: 64 << 10,
  }, hello);
  try {
    const { quic } = await rawClient(s);
    for (let i = 0; i < 8; i++) { // 8 × 10 KiB held > 64 KiB
      const stream = quic.openStream();
      await stream.write(headersFrameHeader(15_000));
      await stream.write(new Uint8Array(10 << 10));
    }
    await assertClosedWith(quic, H3ErrorCode.H3_EXCESSIVE_LOAD);
  } finally {
    await closeAll();
    await s.shutdown({ timeoutMs: 500 });
  }
});

test("http3: serve() without a port gets a free one", async () => {
  const s = await serve({ hostname: "127.0.0.1" }, hello);
  try {
    assert.ok(s.addr.port > 0 && s.addr.port !== 443, String(s.addr.port));
    const res = await fetch(`https://127.0.0.1:${s.addr.port}/`, { ca: s.certificatePem });
    assert.equal(await res.text(), "hello");
  } finally {
    await closeAll();
    await s.shutdown({ timeoutMs: 500 });
  }
});
