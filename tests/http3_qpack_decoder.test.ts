// The QPACK decoder against RFC 9204 Appendix B, plus blocking, limits and malformed input.
import assert from "node:assert/strict";
import { FieldSectionTooLargeError, H3Error, H3ErrorCode } from "../http3/errors.ts";
import { QpackDecoder } from "../http3/qpack/decoder.ts";
import type { HeaderField } from "../http3/qpack/field.ts";
import { assertH3Error, hex, test, toHex } from "./_h3_test.ts";

const f = (name: string, value: string, neverIndexed = false): HeaderField => ({ name, value, neverIndexed });
const decoded = (r: ReturnType<QpackDecoder["decodeFieldSection"]>) => {
  assert.equal(r.status, "decoded");
  return (r as { fields: HeaderField[] }).fields;
};
const tableDump = (d: QpackDecoder) => {
  const out: [number, string, string][] = [];
  for (let i = d.table.droppedCount; i < d.table.insertCount; i++) {
    const e = d.table.get(i)!;
    out.push([i, e.name, e.value]);
  }
  return out;
};

// RFC 9204 Appendix B, typed from the RFC.
const B2_ENCODER = hex(`
  3fbd01
  c00f7777772e6578 616d706c652e636f 6d
  c10c2f73616d706c 652f70617468`);
const B2_STREAM4 = hex("0381 10 11");
const B3_ENCODER = hex("4a637573746f6d2d 6b65790c63757374 6f6d2d76616c7565");
const B4_ENCODER = hex("02");
const B4_STREAM8 = hex("0500 80 c1 81");
const B5_ENCODER = hex("810d637573746f6d 2d76616c756532");

test("qpack B.1: literal field line with static name reference", () => {
  const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
  const fields = decoded(d.decodeFieldSection(0, hex("0000 510b2f696e646578 2e68746d6c")));
  assert.deepEqual(fields, [f(":path", "/index.html")]);
  assert.equal(d.drainDecoderStream().length, 0); // nothing to acknowledge: RIC = 0
});

test("qpack B.2-B.5: dynamic table, speculative insert, duplicate + cancellation, eviction", async () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });

  // B.2
  d.feedEncoderStream(B2_ENCODER);
  assert.equal(d.table.capacity, 220);
  assert.deepEqual(tableDump(d), [[0, ":authority", "www.example.com"], [1, ":path", "/sample/path"]]);
  assert.equal(d.table.size, 106);
  const r4 = d.decodeFieldSection(4, B2_STREAM4);
  assert.equal(r4.requiredInsertCount, 2);
  assert.deepEqual(decoded(r4), [f(":authority", "www.example.com"), f(":path", "/sample/path")]);
  assert.equal(toHex(d.drainDecoderStream()), "84"); // Section Acknowledgment (stream=4)
  assert.equal(d.knownReceivedCount, 2);

  // B.3
  d.feedEncoderStream(B3_ENCODER);
  assert.deepEqual(tableDump(d)[2], [2, "custom-key", "custom-value"]);
  assert.equal(d.table.size, 160);
  assert.equal(toHex(d.drainDecoderStream()), "01"); // Insert Count Increment (1)

  // B.4: the field section on stream 8 arrives before the encoder stream's Duplicate, blocks,
  // and the decoder cancels the stream.
  const r8 = d.decodeFieldSection(8, B4_STREAM8);
  assert.equal(r8.status, "blocked");
  assert.equal(r8.requiredInsertCount, 4);
  assert.equal(d.blockedStreamCount, 1);
  const wait8 = r8.status === "blocked" ? r8.section.wait() : Promise.resolve([]);
  d.cancelStream(8);
  assert.equal(toHex(d.drainDecoderStream()), "48"); // Stream Cancellation (Stream=8)
  await assert.rejects(wait8, (e) => e instanceof H3Error && e.code === H3ErrorCode.H3_REQUEST_CANCELLED);
  assert.equal(d.blockedStreamCount, 0);
  d.feedEncoderStream(B4_ENCODER);
  assert.deepEqual(tableDump(d)[3], [3, ":authority", "www.example.com"]);
  assert.equal(d.table.size, 217);

  // B.5: insert with a dynamic name reference evicts entry 0.
  d.feedEncoderStream(B5_ENCODER);
  assert.deepEqual(tableDump(d), [
    [1, ":path", "/sample/path"],
    [2, "custom-key", "custom-value"],
    [3, ":authority", "www.example.com"],
    [4, "custom-key", "custom-value2"],
  ]);
  assert.equal(d.table.size, 215);
  assert.equal(d.table.get(0), undefined);
  // Not shown in the RFC (it leaves the timing open): inserts 3 and 4 are acknowledged now.
  assert.equal(toHex(d.drainDecoderStream()), "02");
});

test("qpack B.4 field section decodes when the Duplicate arrives first", () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
  d.feedEncoderStream(B2_ENCODER);
  d.feedEncoderStream(B3_ENCODER);
  d.feedEncoderStream(B4_ENCODER);
  const fields = decoded(d.decodeFieldSection(8, B4_STREAM8));
  assert.deepEqual(fields, [f(":authority", "www.example.com"), f(":path", "/"), f("custom-key", "custom-value")]);
  assert.equal(toHex(d.drainDecoderStream()), "88"); // Section Acknowledgment (stream=8), RIC 4 covers all
});

test("qpack: encoder stream split at every byte boundary gives the same table", () => {
  const all = new Uint8Array([...B2_ENCODER, ...B3_ENCODER, ...B4_ENCODER, ...B5_ENCODER]);
  const reference = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
  reference.feedEncoderStream(all);
  const want = tableDump(reference);
  assert.equal(want.length, 4);
  for (let cut = 0; cut <= all.length; cut++) {
    const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
    d.feedEncoderStream(all.subarray(0, cut));
    d.feedEncoderStream(all.subarray(cut));
    assert.deepEqual(tableDump(d), want, `cut at ${cut}`);
  }
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
  for (const b of all) d.feedEncoderStream(new Uint8Array([b]));
  assert.deepEqual(tableDump(d), want);
  assert.equal(d.insertCount, 5);
});

test("qpack: a blocked section resumes when the insert arrives", async () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 2 });
  d.feedEncoderStream(hex("3fbd01")); // capacity 220
  // RIC = 1 (encoded 2), Base = 1; Indexed Field Line, dynamic, relative 0 → absolute 0.
  const r = d.decodeFieldSection(0, hex("0200 80"));
  assert.equal(r.status, "blocked");
  if (r.status !== "blocked") return;
  let viaCallback: HeaderField[] | undefined;
  r.section.onSettled((o) => (viaCallback = o.fields));
  const waited = r.section.wait();
  assert.equal(d.drainDecoderStream().length, 0); // nothing acknowledged while blocked
  // Insert With Literal Name "x-token: abc", split in two chunks.
  d.feedEncoderStream(hex("4778 2d746f6b"));
  assert.equal(viaCallback, undefined);
  d.feedEncoderStream(hex("656e 03616263"));
  assert.deepEqual(viaCallback, [f("x-token", "abc")]);
  assert.deepEqual(await waited, [f("x-token", "abc")]);
  assert.equal(d.blockedStreamCount, 0);
  assert.equal(toHex(d.drainDecoderStream()), "80"); // Section Acknowledgment (stream=0), no increment needed
});

test("qpack: sections of one stream settle in order behind a blocked one", () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
  d.feedEncoderStream(hex("3fbd01"));
  const first = d.decodeFieldSection(4, hex("0200 80")); // needs insert 1
  const second = d.decodeFieldSection(4, hex("0000 d1")); // static only, but queued behind
  assert.equal(first.status, "blocked");
  assert.equal(second.status, "blocked");
  const order: string[] = [];
  if (first.status === "blocked") first.section.onSettled(() => order.push("first"));
  if (second.status === "blocked") second.section.onSettled((o) => order.push(`second:${o.fields?.[0].value}`));
  d.feedEncoderStream(hex("4161 0162")); // a: b
  assert.deepEqual(order, ["first", "second:GET"]);
});

test("qpack: exceeding the blocked-streams limit is QPACK_DECOMPRESSION_FAILED", () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1 });
  d.feedEncoderStream(hex("3fbd01"));
  assert.equal(d.decodeFieldSection(0, hex("0200 80")).status, "blocked");
  assertH3Error(() => d.decodeFieldSection(4, hex("0200 80")), H3ErrorCode.QPACK_DECOMPRESSION_FAILED, true);
  const none = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
  none.feedEncoderStream(hex("3fbd01"));
  assertH3Error(() => none.decodeFieldSection(0, hex("0200 80")), H3ErrorCode.QPACK_DECOMPRESSION_FAILED, true);
});

test("qpack: post-base references, literal names and the N bit", () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
  d.feedEncoderStream(B2_ENCODER); // entries 0 (:authority) and 1 (:path)
  // RIC = 2 (encoded 3), S=1 Delta Base=1 → Base = 0.
  // 0x10: Indexed post-base 0 → abs 0. 0x09: Literal post-base name ref, N=1, index 1 → :path.
  // 0x7f 0x11? no: 0x71 = 01 N=1 T=1 index 1 (static :path) with value "/x".
  // 0x3b...: 001 N=1 H=0 name length 3 "abc", value "d".
  const section = hex(`
    0381
    10
    09 022f61
    71 022f78
    33 616263 0164`);
  const fields = decoded(d.decodeFieldSection(0, section));
  assert.deepEqual(fields, [
    f(":authority", "www.example.com"),
    f(":path", "/a", true),
    f(":path", "/x", true),
    f("abc", "d", true),
  ]);
  // Dynamic relative name reference: Base = 2 (S=0), 0x41 = 01 N=0 T=0 index 1 → abs 0;
  // 0x80 = indexed, relative 0 → abs 1.
  const fields2 = decoded(d.decodeFieldSection(4, hex("0300 41 0161 80")));
  assert.deepEqual(fields2, [f(":authority", "a"), f(":path", "/sample/path")]);
  assert.equal(toHex(d.drainDecoderStream()), "8084");
});

test("qpack: Huffman-coded literals in field sections and encoder stream", () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0 });
  // Insert With Literal Name, both Huffman (RFC 7541 C.4.3 strings): 01 H=1 len 8.
  d.feedEncoderStream(hex("3fbd01 68 25a849e95ba97d7f 89 25a849e95bb8e8b4bf"));
  assert.deepEqual(tableDump(d), [[0, "custom-key", "custom-value"]]);
  // Literal with static name ref :authority (0x50), Huffman value "www.example.com".
  const fields = decoded(d.decodeFieldSection(0, hex("0000 50 8c f1e3c2e5f23a6ba0ab90f4ff")));
  assert.deepEqual(fields, [f(":authority", "www.example.com")]);
});

test("qpack: malformed field sections are QPACK_DECOMPRESSION_FAILED", () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 4 });
  d.feedEncoderStream(B2_ENCODER);
  const fails = (bytes: Uint8Array) =>
    assertH3Error(() => d.decodeFieldSection(0, bytes), H3ErrorCode.QPACK_DECOMPRESSION_FAILED, true);
  fails(hex("")); // no prefix
  fails(hex("00")); // no Base
  fails(hex("0000 ff")); // truncated index
  fails(hex("0000 ff64")); // static index 163 out of range
  fails(hex("0000 51 05 2f")); // truncated value
  fails(hex("0000 80")); // dynamic reference with RIC = 0
  fails(hex("0381 12")); // post-base index 2 ≥ RIC 2
  fails(hex("0382 80")); // negative Base (RIC 2, Delta Base 2)
  fails(hex("0d00")); // encoded RIC 13 > FullRange 12
  fails(hex("0300 81")); // RIC 2 but only entry 0 referenced (RIC larger than needed)
  fails(hex("0000 51 81ff")); // invalid Huffman padding in value
  // Evicted entry: RIC 2 references absolute 0 after the table moved on.
  const e = new QpackDecoder({ maxTableCapacity: 100, maxBlockedStreams: 0 });
  e.feedEncoderStream(hex("3f45 4161 0162 4163 0164 4165 0166")); // cap 100: 34-byte entries, 2 fit
  assert.equal(e.table.droppedCount, 1);
  assertH3Error(() => e.decodeFieldSection(0, hex("0201 80")), H3ErrorCode.QPACK_DECOMPRESSION_FAILED, true);
});

test("qpack: bad encoder stream instructions are QPACK_ENCODER_STREAM_ERROR", () => {
  const mk = () => new QpackDecoder({ maxTableCapacity: 100, maxBlockedStreams: 0 });
  const code = H3ErrorCode.QPACK_ENCODER_STREAM_ERROR;
  assertH3Error(() => mk().feedEncoderStream(hex("3f46")), code, true); // capacity 101 > 100
  assertH3Error(() => mk().feedEncoderStream(hex("3f45 4161 46" + "78".repeat(70))), code); // 1+70+32 > 100
  assertH3Error(() => mk().feedEncoderStream(hex("3f45 00")), code); // Duplicate with an empty table
  assertH3Error(() => mk().feedEncoderStream(hex("3f45 810162")), code); // dynamic name ref, no entry
  assertH3Error(() => mk().feedEncoderStream(hex("3f45 ff240162")), code); // static index 99 out of range
  assertH3Error(() => mk().feedEncoderStream(hex("4161 0162")), code); // insert with capacity 0
  assertH3Error(() => mk().feedEncoderStream(hex("3f45 6181ff")), code); // bad Huffman name
  // A failed decoder stays failed.
  const d = mk();
  assertH3Error(() => d.feedEncoderStream(hex("3f46")), code);
  assertH3Error(() => d.feedEncoderStream(hex("3f00")), code);
});

test("qpack: max field section size is enforced, the section still acknowledged", () => {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0, maxFieldSectionSize: 100 });
  d.feedEncoderStream(B2_ENCODER);
  // :authority=www.example.com (57) + :path=/sample/path (49) = 106 > 100.
  let caught: unknown;
  try {
    d.decodeFieldSection(4, B2_STREAM4);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof FieldSectionTooLargeError);
  assert.equal(caught.size, 106);
  assert.equal(caught.limit, 100);
  assert.equal(caught.isConnectionError, false);
  assert.equal(toHex(d.drainDecoderStream()), "84");
  // Exactly at the limit is fine.
  const ok = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 0, maxFieldSectionSize: 106 });
  ok.feedEncoderStream(B2_ENCODER);
  assert.equal(decoded(ok.decodeFieldSection(4, B2_STREAM4)).length, 2);
});

test("qpack: Required Insert Count wraps around (RFC 9204 §4.5.1.1)", () => {
  // Capacity 64 → MaxEntries 2, FullRange 4. Six 34-byte inserts (each evicts the previous one).
  const d = new QpackDecoder({ maxTableCapacity: 64, maxBlockedStreams: 0 });
  d.feedEncoderStream(hex("3f21")); // capacity 64
  for (let i = 0; i < 6; i++) d.feedEncoderStream(hex(`4161 01${(0x30 + i).toString(16)}`)); // a: '0'..'5'
  assert.equal(d.insertCount, 6);
  // RIC 6 encodes as 6 mod 4 + 1 = 3; Base = 6 (S=0, delta 0); relative 0 → absolute 5.
  assert.deepEqual(decoded(d.decodeFieldSection(0, hex("0300 80"))), [f("a", "5")]);
});
