// Property-based fuzzing of the HTTP/3 and QPACK parsers (frames, the incremental frame
// reader, SETTINGS, unidirectional stream types, field sections, the QPACK encoder stream,
// Huffman), bounded in time like the engine's libFuzzer run. Two kinds of property:
// - round trips: whatever we encode decodes to the same value, however the bytes are split;
// - hostile input: random bytes and mutations of valid encodings either parse or throw the
//   typed error a connection turns into an HTTP/3 error code (H3Error; HuffmanDecodeError for
//   the bare Huffman decoder), never a TypeError, RangeError or a hang.
// The seed is random per run and printed with every failure; COQUIC_H3_FUZZ_SEED replays one,
// COQUIC_H3_FUZZ_MS sets each property's time budget (default 700 ms).
import assert from "node:assert/strict";
import { test } from "./_harness.ts";
import { ByteWriter } from "../http3/bytes.ts";
import { H3Error } from "../http3/errors.ts";
import { decodeFrame, encodeFrame, type Frame, FrameType } from "../http3/frames.ts";
import { FrameReader } from "../http3/frame_reader.ts";
import { decodeSettingsPayload, encodeSettingsPayload, type Settings } from "../http3/settings.ts";
import { readUniStreamType } from "../http3/stream_types.ts";
import { QpackDecoder } from "../http3/qpack/decoder.ts";
import { encodeFieldSection } from "../http3/qpack/encoder.ts";
import type { HeaderField } from "../http3/qpack/field.ts";
import { huffmanDecode, HuffmanDecodeError, huffmanEncode } from "../http3/qpack/huffman.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const env = (name: string): string | undefined => g.Deno?.env.get(name) ?? g.process?.env?.[name];
const BUDGET_MS = Number(env("COQUIC_H3_FUZZ_MS") ?? 700);
const MAX_RUNS = 20_000;

/** mulberry32: small, fast, good enough to explore parsers; reproducible from its seed. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
  /** Varint-sized values, biased towards the encoding boundaries. */
  varint(): number {
    const edges = [0, 1, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, Number.MAX_SAFE_INTEGER];
    if (this.chance(0.3)) return edges[this.int(edges.length)];
    return [this.int(64), this.int(16384), this.u32() >>> 2, this.u32() * 2 ** 21 + this.int(2 ** 21)][this.int(4)];
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

/**
 * Runs `property(rng, run)` until the time budget or MAX_RUNS, each run with its own seed so
 * a failure names the one to replay.
 */
function fuzz(name: string, property: (rng: Rng) => void): void {
  test(`http3 fuzz: ${name}`, () => {
    const fixed = env("COQUIC_H3_FUZZ_SEED");
    const base = fixed !== undefined ? Number(fixed) : (Math.random() * 2 ** 32) >>> 0;
    const deadline = performance.now() + BUDGET_MS;
    let runs = 0;
    for (; runs < (fixed !== undefined ? 1 : MAX_RUNS) && performance.now() < deadline; runs++) {
      const seed = (base + runs) >>> 0;
      try {
        property(new Rng(seed));
      } catch (e) {
        throw new Error(`${name}: failed with COQUIC_H3_FUZZ_SEED=${seed}: ${(e as Error).stack ?? e}`);
      }
    }
    assert.ok(runs > 0);
  }, { timeout: BUDGET_MS + 30_000 });
}

/** Calls `f`; anything thrown must be one of `allowed`. */
function onlyTyped(f: () => void, allowed: (abstract new (...a: never[]) => Error)[] = [H3Error]): void {
  try {
    f();
  } catch (e) {
    if (!allowed.some((k) => e instanceof k)) throw e;
  }
}

/** A mutation of `b`: bit flips, byte changes, truncation, insertion or duplication. */
function mutate(rng: Rng, b: Uint8Array): Uint8Array {
  let out: Uint8Array = b.slice();
  for (let n = 1 + rng.int(4); n > 0; n--) {
    switch (rng.int(5)) {
      case 0:
        if (out.length) out[rng.int(out.length)] ^= 1 << rng.int(8);
        break;
      case 1:
        if (out.length) out[rng.int(out.length)] = rng.pick([0x00, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xff]);
        break;
      case 2:
        out = out.subarray(0, rng.int(out.length + 1));
        break;
      case 3: {
        const at = rng.int(out.length + 1);
        out = concat([out.subarray(0, at), rng.bytes(1 + rng.int(8)), out.subarray(at)]);
        break;
      }
      default: {
        const at = rng.int(out.length + 1);
        out = concat([out.subarray(0, at), out.subarray(at, at + rng.int(16)), out.subarray(at)]);
      }
    }
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

/** Splits `b` into 1..n chunks at random points. */
function split(rng: Rng, b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < b.length) {
    const n = 1 + rng.int(Math.max(1, rng.chance(0.5) ? 4 : b.length - at));
    out.push(b.subarray(at, at + n));
    at += n;
  }
  return out;
}

const TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789-_";
function token(rng: Rng, max = 12): string {
  let s = "";
  for (let n = 1 + rng.int(max); n > 0; n--) s += TOKEN[rng.int(TOKEN.length)];
  return s;
}
function visible(rng: Rng, max = 40): string {
  let s = "";
  for (let n = rng.int(max); n > 0; n--) s += String.fromCharCode(0x20 + rng.int(0x5f));
  return s;
}

function randomSettings(rng: Rng): Settings {
  const s: Settings = {};
  if (rng.chance(0.5)) s.qpackMaxTableCapacity = rng.varint();
  if (rng.chance(0.5)) s.maxFieldSectionSize = rng.varint();
  if (rng.chance(0.5)) s.qpackBlockedStreams = rng.varint();
  if (rng.chance(0.3)) s.enableConnectProtocol = rng.chance(0.5);
  if (rng.chance(0.3)) s.h3Datagram = rng.chance(0.5);
  if (rng.chance(0.3)) s.other = [[0x1f * rng.int(1000) + 0x21, rng.varint()]]; // a reserved (GREASE) id
  return s;
}

function randomFrame(rng: Rng): Frame {
  switch (rng.int(7)) {
    case 0:
      return { type: "data", payload: rng.bytes(rng.int(300)) };
    case 1:
      return { type: "headers", fieldSection: rng.bytes(rng.int(100)) };
    case 2:
      return { type: "cancel_push", pushId: rng.varint() };
    case 3:
      return { type: "settings", settings: randomSettings(rng) };
    case 4:
      return { type: "goaway", id: rng.varint() };
    case 5:
      return { type: "max_push_id", pushId: rng.varint() };
    default:
      return { type: "unknown", frameType: 0x1f * rng.int(1000) + 0x21, payload: rng.bytes(rng.int(50)) };
  }
}

/** Settings compared as the decoder reports them (booleans read back from 0/1). */
function normalSettings(s: Settings): Settings {
  const out: Settings = {};
  for (const [k, v] of Object.entries(s)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function sameFrame(got: Frame, want: Frame): void {
  if (want.type === "settings" && got.type === "settings") {
    assert.deepEqual(normalSettings(got.settings), normalSettings(want.settings));
  } else assert.deepEqual(got, want);
}

function randomFields(rng: Rng): HeaderField[] {
  const common = [":method", ":path", ":status", "content-type", "accept", "user-agent", "cache-control"];
  const fields: HeaderField[] = [];
  for (let n = rng.int(12); n > 0; n--) {
    const name = rng.chance(0.5) ? rng.pick(common) : token(rng);
    const value = rng.chance(0.2) ? rng.pick(["GET", "200", "/", "text/html", "*/*", ""]) : visible(rng);
    fields.push(rng.chance(0.1) ? { name, value, neverIndexed: true } : { name, value });
  }
  return fields;
}

// ---- round trips -------------------------------------------------------------------------------

fuzz("frames round-trip through encodeFrame/decodeFrame", (rng) => {
  const f = randomFrame(rng);
  const bytes = encodeFrame(f);
  const d = decodeFrame(bytes, 0);
  assert.ok(d, "a whole frame decodes");
  assert.equal(d.next, bytes.length);
  sameFrame(d.frame, f);
  for (let cut = 0; cut < bytes.length; cut += 1 + rng.int(8)) {
    assert.equal(decodeFrame(bytes.subarray(0, cut), 0), undefined, `a frame cut at ${cut} is incomplete`);
  }
});

fuzz("a frame sequence split anywhere reads back frame by frame", (rng) => {
  const frames = Array.from({ length: 1 + rng.int(6) }, () => randomFrame(rng));
  const reader = new FrameReader({ maxFrameSize: 1 << 16 });
  const data: Uint8Array[][] = [];
  const got: { kind: string; frame?: Frame; frameType?: number; length?: number }[] = [];
  for (const chunk of split(rng, concat(frames.map(encodeFrame)))) {
    for (const ev of reader.push(chunk)) {
      if (ev.kind === "header") {
        if (ev.frameType === FrameType.DATA) data.push([]);
      } else if (ev.kind === "data") data[data.length - 1].push(ev.chunk.slice());
      else if (ev.kind === "frame") got.push({ kind: "frame", frame: ev.frame });
      else got.push({ kind: "unknown", frameType: ev.frameType, length: ev.length });
    }
  }
  reader.end();
  assert.ok(reader.atFrameBoundary);
  let di = 0, gi = 0;
  for (const f of frames) {
    if (f.type === "data") assert.deepEqual(concat(data[di++]), f.payload);
    else if (f.type === "unknown") {
      assert.deepEqual(got[gi++], { kind: "unknown", frameType: f.frameType, length: f.payload.length });
    } else sameFrame(got[gi++].frame!, f);
  }
  assert.equal(di, data.length);
  assert.equal(gi, got.length);
});

fuzz("SETTINGS payloads round-trip", (rng) => {
  const s = randomSettings(rng);
  const w = new ByteWriter();
  encodeSettingsPayload(w, s);
  assert.deepEqual(normalSettings(decodeSettingsPayload(w.toBytes())), normalSettings(s));
});

fuzz("field sections round-trip through the static-table encoder and the decoder", (rng) => {
  const fields = randomFields(rng);
  const bytes = encodeFieldSection(fields, { huffman: rng.pick(["auto", true, false] as const) });
  const r = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 }).decodeFieldSection(0, bytes);
  assert.equal(r.status, "decoded");
  if (r.status !== "decoded") return;
  assert.deepEqual(
    r.fields.map((f) => [f.name, f.value, f.neverIndexed === true]),
    fields.map((f) => [f.name, f.value, f.neverIndexed === true]),
  );
});

fuzz("Huffman round-trips", (rng) => {
  const s = rng.bytes(rng.int(200));
  assert.deepEqual(huffmanDecode(huffmanEncode(s)), s);
});

// ---- hostile input -----------------------------------------------------------------------------

fuzz("random and mutated frames only throw H3Error", (rng) => {
  const input = rng.chance(0.5) ? rng.bytes(rng.int(64)) : mutate(rng, encodeFrame(randomFrame(rng)));
  onlyTyped(() => {
    for (let at = 0, d; at < input.length && (d = decodeFrame(input, at)); at = d.next);
  });
  const reader = new FrameReader({ maxFrameSize: 1 << 12 });
  onlyTyped(() => {
    for (const chunk of split(rng, input)) reader.push(chunk);
    reader.end();
  });
});

fuzz("random and mutated SETTINGS payloads only throw H3Error", (rng) => {
  const w = new ByteWriter();
  encodeSettingsPayload(w, randomSettings(rng));
  const input = rng.chance(0.5) ? rng.bytes(rng.int(40)) : mutate(rng, w.toBytes());
  onlyTyped(() => decodeSettingsPayload(input));
});

fuzz("unidirectional stream type prefixes never throw", (rng) => {
  const r = readUniStreamType(rng.bytes(rng.int(10)));
  if (r) assert.ok(r.length >= 1 && r.length <= 8);
});

fuzz("random and mutated field sections only throw H3Error", (rng) => {
  const input = rng.chance(0.3)
    ? rng.bytes(rng.int(80))
    : mutate(rng, encodeFieldSection(randomFields(rng), { huffman: rng.pick(["auto", true] as const) }));
  const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 2, maxFieldSectionSize: 1 << 14 });
  for (let stream = 0; stream < 3; stream++) onlyTyped(() => d.decodeFieldSection(stream * 4, input));
  onlyTyped(() => d.feedEncoderStream(rng.bytes(rng.int(16)))); // may unblock, or fail, the sections above
});

fuzz("random encoder-stream instructions only throw H3Error, split anywhere", (rng) => {
  const d = new QpackDecoder({ maxTableCapacity: rng.pick([0, 64, 4096]), maxBlockedStreams: 4 });
  const input = rng.bytes(rng.int(120));
  onlyTyped(() => {
    for (const chunk of split(rng, input)) d.feedEncoderStream(chunk);
  });
  onlyTyped(() => d.decodeFieldSection(0, rng.bytes(rng.int(30))));
  onlyTyped(() => d.drainDecoderStream());
});

fuzz("random Huffman input only throws HuffmanDecodeError", (rng) => {
  onlyTyped(() => huffmanDecode(rng.bytes(rng.int(64))), [HuffmanDecodeError]);
});
