// QUIC varints (RFC 9000 §16, examples from Appendix A.1) and the byte reader/writer.
import assert from "node:assert/strict";
import { ByteReader, ByteWriter, TruncatedInputError } from "../http3/bytes.ts";
import {
  decodeVarint,
  decodeVarintBigInt,
  encodeVarint,
  readVarint,
  varintLength,
  VarintRangeError,
} from "../http3/varint.ts";
import { hex, test, toHex } from "./_h3_test.ts";

const enc = (v: number | bigint) => {
  const w = new ByteWriter(1);
  encodeVarint(w, v);
  return toHex(w.toBytes());
};

test("varint: RFC 9000 A.1 examples decode", () => {
  assert.deepEqual(decodeVarintBigInt(hex("c2197c5eff14e88c"), 0), { value: 151288809941952652n, length: 8 });
  assert.deepEqual(decodeVarint(hex("9d7f3e7d"), 0), { value: 494878333, length: 4 });
  assert.deepEqual(decodeVarint(hex("7bbd"), 0), { value: 15293, length: 2 });
  assert.deepEqual(decodeVarint(hex("25"), 0), { value: 37, length: 1 });
  assert.deepEqual(decodeVarint(hex("4025"), 0), { value: 37, length: 2 }); // non-minimal is valid
});

test("varint: shortest encodings and boundaries", () => {
  assert.equal(enc(151288809941952652n), "c2197c5eff14e88c");
  assert.equal(enc(494878333), "9d7f3e7d");
  assert.equal(enc(15293), "7bbd");
  assert.equal(enc(37), "25");
  assert.equal(enc(63), "3f");
  assert.equal(enc(64), "4040");
  assert.equal(enc(16383), "7fff");
  assert.equal(enc(16384), "80004000");
  assert.equal(enc(2 ** 30 - 1), "bfffffff");
  assert.equal(enc(2 ** 30), "c000000040000000");
  assert.equal(enc(Number.MAX_SAFE_INTEGER), "c01fffffffffffff");
  assert.equal(enc((1n << 62n) - 1n), "ffffffffffffffff");
  for (const v of [0, 1, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
    const w = new ByteWriter();
    encodeVarint(w, v);
    assert.equal(w.length, varintLength(v));
    assert.deepEqual(decodeVarint(w.view(), 0), { value: v, length: w.length });
  }
});

test("varint: out-of-range values are rejected", () => {
  assert.throws(() => enc(-1), VarintRangeError);
  assert.throws(() => enc(1.5), VarintRangeError);
  assert.throws(() => enc(1n << 62n), VarintRangeError);
  assert.throws(() => enc(2 ** 60), VarintRangeError); // beyond safe integers as a number
});

test("varint: truncated input", () => {
  assert.equal(decodeVarint(new Uint8Array(0), 0), undefined);
  assert.equal(decodeVarint(hex("9d7f3e"), 0), undefined);
  assert.equal(decodeVarint(hex("9d7f3e7d"), 0, 3), undefined); // end bound honoured
  const r = new ByteReader(hex("c2197c"));
  assert.throws(() => readVarint(r), (e) => e instanceof TruncatedInputError && e.missing === 5);
  assert.equal(r.offset, 0);
  const ok = new ByteReader(hex("4025 07"));
  assert.equal(readVarint(ok), 37);
  assert.equal(readVarint(ok), 7);
  assert.throws(() => readVarint(ok), TruncatedInputError);
});

test("bytes: writer grows, reader bounds", () => {
  const w = new ByteWriter(1);
  for (let i = 0; i < 1000; i++) w.writeByte(i);
  w.writeLatin1("\u00ff!");
  assert.equal(w.length, 1002);
  assert.equal(w.view()[999], 999 & 0xff);
  assert.equal(w.view()[1000], 0xff);
  assert.throws(() => w.writeLatin1("\u0100"), TypeError);
  const r = new ByteReader(hex("010203"), 1, 2);
  assert.equal(r.readByte(), 2);
  assert.throws(() => r.readByte(), TruncatedInputError);
  assert.throws(() => r.readBytes(1), TruncatedInputError);
});
