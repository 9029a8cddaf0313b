// HTTP/3 frames, SETTINGS, stream types and the incremental FrameReader.
import assert from "node:assert/strict";
import { ByteWriter } from "../http3/bytes.ts";
import { errorCodeName, H3Error, H3ErrorCode, isReservedErrorCode } from "../http3/errors.ts";
import { type FrameEvent, FrameReader } from "../http3/frame_reader.ts";
import {
  checkFrameAllowed,
  decodeFrame,
  decodeFramePayload,
  encodeFrame,
  type Frame,
  FrameType,
} from "../http3/frames.ts";
import { reservedCodepoint } from "../http3/grease.ts";
import { decodeSettingsPayload, encodeSettingsPayload } from "../http3/settings.ts";
import { classifyUniStream, encodeUniStreamType, readUniStreamType, UniStreamType } from "../http3/stream_types.ts";
import { encodeVarint } from "../http3/varint.ts";
import { assertH3Error, hex, test, toHex } from "./_h3_test.ts";

const SAMPLE: Frame[] = [
  {
    type: "settings",
    settings: {
      qpackMaxTableCapacity: 4096,
      maxFieldSectionSize: 16384,
      qpackBlockedStreams: 16,
      enableConnectProtocol: true,
      h3Datagram: true,
      other: [[0x21, 7]],
    },
  },
  { type: "headers", fieldSection: hex("0000d1d7c1") },
  { type: "data", payload: new TextEncoder().encode("hello, world") },
  { type: "data", payload: new Uint8Array(0) },
  { type: "unknown", frameType: 0x21, payload: hex("deadbeef") },
  { type: "data", payload: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff) },
  { type: "push_promise", pushId: 3, fieldSection: hex("0000d1") },
  { type: "cancel_push", pushId: 70000 },
  { type: "goaway", id: 0x3fffffff + 1 },
  { type: "max_push_id", pushId: 12 },
  { type: "headers", fieldSection: hex("0000d9") },
];

test("frames: exact encodings", () => {
  assert.equal(toHex(encodeFrame({ type: "data", payload: hex("0102") })), "00020102");
  assert.equal(toHex(encodeFrame({ type: "goaway", id: 4 })), "070104");
  assert.equal(toHex(encodeFrame({ type: "max_push_id", pushId: 64 })), "0d024040");
  assert.equal(toHex(encodeFrame({ type: "cancel_push", pushId: 1 })), "030101");
  assert.equal(toHex(encodeFrame({ type: "push_promise", pushId: 1, fieldSection: hex("0000d1") })), "0504010000d1");
  assert.equal(
    toHex(encodeFrame({ type: "settings", settings: { qpackMaxTableCapacity: 0, qpackBlockedStreams: 0 } })),
    "040401000700",
  );
  assert.equal(toHex(encodeFrame({ type: "settings", settings: {} })), "0400");
  assert.throws(() => encodeFrame({ type: "unknown", frameType: FrameType.DATA, payload: hex("") }), RangeError);
});

test("frames: whole-buffer decode round-trips every sample", () => {
  for (const frame of SAMPLE) {
    const bytes = encodeFrame(frame);
    const d = decodeFrame(bytes, 0);
    assert.ok(d);
    assert.equal(d.next, bytes.length);
    assert.deepEqual(d.frame, frame);
    assert.equal(decodeFrame(bytes.subarray(0, bytes.length - 1), 0), undefined);
  }
});

test("frames: payload layout errors", () => {
  assertH3Error(() => decodeFramePayload(FrameType.GOAWAY, hex("")), H3ErrorCode.H3_FRAME_ERROR, true);
  assertH3Error(() => decodeFramePayload(FrameType.GOAWAY, hex("0400")), H3ErrorCode.H3_FRAME_ERROR);
  assertH3Error(() => decodeFramePayload(FrameType.CANCEL_PUSH, hex("40")), H3ErrorCode.H3_FRAME_ERROR);
  assertH3Error(() => decodeFramePayload(FrameType.MAX_PUSH_ID, hex("0101")), H3ErrorCode.H3_FRAME_ERROR);
  assertH3Error(() => decodeFramePayload(FrameType.PUSH_PROMISE, hex("")), H3ErrorCode.H3_FRAME_ERROR);
  assertH3Error(() => decodeFramePayload(FrameType.SETTINGS, hex("01")), H3ErrorCode.H3_FRAME_ERROR);
  assertH3Error(() => decodeFramePayload(0x06, hex("")), H3ErrorCode.H3_FRAME_UNEXPECTED); // HTTP/2 PING
});

test("settings: decode, defaults, unknown ids kept, errors", () => {
  assert.deepEqual(decodeSettingsPayload(hex("")), {});
  assert.deepEqual(decodeSettingsPayload(hex("0140640700 0800 3301 2105")), {
    qpackMaxTableCapacity: 100,
    qpackBlockedStreams: 0,
    enableConnectProtocol: false,
    h3Datagram: true,
    other: [[0x21, 5]],
  });
  const se = H3ErrorCode.H3_SETTINGS_ERROR;
  assertH3Error(() => decodeSettingsPayload(hex("0100 0101")), se, true); // duplicate
  assertH3Error(() => decodeSettingsPayload(hex("2101 2102")), se); // duplicate reserved id
  for (const id of [0x02, 0x03, 0x04, 0x05]) assertH3Error(() => decodeSettingsPayload(hex(`0${id}00`)), se);
  assertH3Error(() => decodeSettingsPayload(hex("0802")), se); // ENABLE_CONNECT_PROTOCOL must be 0/1
  assertH3Error(() => decodeSettingsPayload(hex("3302")), se); // H3_DATAGRAM must be 0/1
  assertH3Error(() => decodeSettingsPayload(hex("0600 07")), H3ErrorCode.H3_FRAME_ERROR); // truncated pair
  assert.throws(() => encodeSettingsPayload(new ByteWriter(), { other: [[0x02, 1]] }), RangeError);
});

/** Feeds `chunks` and folds the events into frames, concatenating DATA pieces. */
function collect(reader: FrameReader, chunks: Uint8Array[]) {
  const frames: Frame[] = [];
  const headers: number[] = [];
  let data: number[] | undefined;
  let unknownSeen: number[] = [];
  for (const chunk of chunks) {
    for (const ev of reader.push(chunk)) fold(ev);
  }
  reader.end();
  return { frames, headers, unknownSeen };

  function fold(ev: FrameEvent) {
    switch (ev.kind) {
      case "header":
        headers.push(ev.frameType);
        if (ev.frameType === FrameType.DATA) data = [];
        break;
      case "data":
        assert.ok(data, "data before its header");
        data.push(...ev.chunk);
        if (ev.frameEnd) {
          frames.push({ type: "data", payload: Uint8Array.from(data) });
          data = undefined;
        }
        break;
      case "frame":
        frames.push(ev.frame);
        break;
      case "unknown":
        unknownSeen = [...unknownSeen, ev.frameType];
        break;
    }
  }
}

test("frame reader: split at every byte boundary gives the same frames", () => {
  const stream = new Uint8Array(SAMPLE.flatMap((fr) => [...encodeFrame(fr)]));
  const known = SAMPLE.filter((fr) => fr.type !== "unknown");
  const whole = collect(new FrameReader(), [stream]);
  assert.deepEqual(whole.frames, known);
  assert.deepEqual(whole.unknownSeen, [0x21]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const r = collect(new FrameReader(), [stream.subarray(0, cut), stream.subarray(cut)]);
    assert.deepEqual(r.frames, known, `cut at ${cut}`);
    assert.deepEqual(r.unknownSeen, [0x21]);
  }
  // Two cuts and byte-at-a-time.
  for (let a = 0; a < stream.length; a += 7) {
    for (let b = a; b <= stream.length; b += 5) {
      const r = collect(new FrameReader(), [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]);
      assert.deepEqual(r.frames, known, `cuts at ${a}, ${b}`);
    }
  }
  const bytewise = collect(new FrameReader(), Array.from(stream, (b) => new Uint8Array([b])));
  assert.deepEqual(bytewise.frames, known);
});

test("frame reader: unknown and reserved frame types are skipped without buffering", () => {
  const w = new ByteWriter();
  // A reserved type with an 8-byte varint and a large declared length, then a GOAWAY.
  encodeVarint(w, reservedCodepoint(2 ** 40));
  encodeVarint(w, 1_000_000);
  const head = w.toBytes();
  const reader = new FrameReader({ maxFrameSize: 100 });
  const events = reader.push(head);
  assert.deepEqual(events, [{ kind: "unknown", frameType: reservedCodepoint(2 ** 40), length: 1_000_000 }]);
  for (let i = 0; i < 100; i++) assert.deepEqual(reader.push(new Uint8Array(10_000)), []);
  assert.ok(reader.atFrameBoundary);
  // An unassigned non-reserved type (0x54) is skipped too.
  const tail = reader.push(hex("4054 02 abcd 070100"));
  assert.deepEqual(tail, [
    { kind: "unknown", frameType: 0x54, length: 2 },
    { kind: "header", frameType: FrameType.GOAWAY, length: 1 },
    { kind: "frame", frame: { type: "goaway", id: 0 } },
  ]);
});

test("frame reader: DATA is streamed as it arrives, never buffered", () => {
  const reader = new FrameReader({ maxFrameSize: 16 }); // limit does not apply to DATA
  const w = new ByteWriter();
  encodeVarint(w, FrameType.DATA);
  encodeVarint(w, 1 << 20);
  assert.deepEqual(reader.push(w.toBytes()), [{ kind: "header", frameType: 0, length: 1 << 20 }]);
  let total = 0;
  const piece = new Uint8Array(4096).fill(7);
  for (let i = 0; i < 256; i++) {
    const evs = reader.push(piece);
    assert.equal(evs.length, 1);
    const ev = evs[0];
    assert.equal(ev.kind, "data");
    if (ev.kind !== "data") return;
    assert.equal(ev.chunk.buffer, piece.buffer); // a view into the pushed chunk, not a copy
    total += ev.chunk.length;
    assert.equal(ev.frameEnd, i === 255);
  }
  assert.equal(total, 1 << 20);
  reader.end();
});

test("frame reader: limits and truncation", () => {
  assertH3Error(
    () => new FrameReader({ maxFrameSize: 16 }).push(hex("0111")), // HEADERS of 17 bytes
    H3ErrorCode.H3_EXCESSIVE_LOAD,
    true,
  );
  assertH3Error(() => new FrameReader().push(hex("0600")), H3ErrorCode.H3_FRAME_UNEXPECTED); // HTTP/2 PING
  assertH3Error(() => new FrameReader().push(hex("0404 0100 0101")), H3ErrorCode.H3_SETTINGS_ERROR); // duplicate
  for (const partial of ["00", "0005", "000501", "4000", "0102d1"]) {
    const r = new FrameReader();
    r.push(hex(partial));
    assert.equal(r.atFrameBoundary, false, partial);
    assertH3Error(() => r.end(), H3ErrorCode.H3_FRAME_ERROR, true);
  }
  const ok = new FrameReader();
  ok.push(hex("0000"));
  ok.end();
});

test("frame placement rules per stream kind", () => {
  checkFrameAllowed("control", FrameType.SETTINGS);
  checkFrameAllowed("control", FrameType.GOAWAY);
  checkFrameAllowed("control", 0x21);
  checkFrameAllowed("request", FrameType.HEADERS);
  checkFrameAllowed("request", FrameType.PUSH_PROMISE);
  checkFrameAllowed("push", FrameType.DATA);
  const unexpected = H3ErrorCode.H3_FRAME_UNEXPECTED;
  assertH3Error(() => checkFrameAllowed("control", FrameType.DATA), unexpected);
  assertH3Error(() => checkFrameAllowed("control", FrameType.HEADERS), unexpected);
  assertH3Error(() => checkFrameAllowed("request", FrameType.SETTINGS), unexpected);
  assertH3Error(() => checkFrameAllowed("request", FrameType.GOAWAY), unexpected);
  assertH3Error(() => checkFrameAllowed("push", FrameType.PUSH_PROMISE), unexpected);
  assertH3Error(() => checkFrameAllowed("request", 0x09), unexpected);
});

test("unidirectional stream types", () => {
  assert.equal(classifyUniStream(UniStreamType.CONTROL), "control");
  assert.equal(classifyUniStream(0x01), "push");
  assert.equal(classifyUniStream(0x02), "qpack_encoder");
  assert.equal(classifyUniStream(0x03), "qpack_decoder");
  assert.equal(classifyUniStream(0x21), "reserved");
  assert.equal(classifyUniStream(0x1f * 9 + 0x21), "reserved");
  assert.equal(classifyUniStream(0x04), "unknown");
  assert.deepEqual(readUniStreamType(hex("4021 ff")), { type: 0x21, kind: "reserved", length: 2 });
  assert.equal(readUniStreamType(hex("40")), undefined);
  assert.equal(toHex(encodeUniStreamType(UniStreamType.QPACK_DECODER)), "03");
});

test("error codes", () => {
  assert.equal(H3ErrorCode.H3_NO_ERROR, 0x100);
  assert.equal(H3ErrorCode.H3_SETTINGS_ERROR, 0x109);
  assert.equal(H3ErrorCode.H3_VERSION_FALLBACK, 0x110);
  assert.equal(H3ErrorCode.QPACK_DECOMPRESSION_FAILED, 0x200);
  assert.equal(H3ErrorCode.QPACK_ENCODER_STREAM_ERROR, 0x201);
  assert.equal(H3ErrorCode.QPACK_DECODER_STREAM_ERROR, 0x202);
  assert.equal(Object.keys(H3ErrorCode).length, 20);
  assert.equal(errorCodeName(0x10c), "H3_REQUEST_CANCELLED");
  assert.equal(errorCodeName(0x21), "H3_RESERVED(0x21)");
  assert.equal(errorCodeName(0x999), "UNKNOWN(0x999)");
  assert.ok(isReservedErrorCode(0x1f * 3 + 0x21));
  assert.equal(new H3Error(H3ErrorCode.H3_MESSAGE_ERROR, "x").isConnectionError, false);
  assert.equal(new H3Error(H3ErrorCode.H3_FRAME_ERROR, "x").isConnectionError, true);
  assert.equal(new H3Error(H3ErrorCode.H3_FRAME_ERROR, "x", false).isConnectionError, false);
});
