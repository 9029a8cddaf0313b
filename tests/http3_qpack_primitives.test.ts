// QPACK primitives (RFC 7541 §5.1/§5.2 as used by RFC 9204 §4.1) and the static table.
import assert from "node:assert/strict";
import { ByteWriter } from "../http3/bytes.ts";
import {
  decodePrefixedInt,
  decodeStringLiteral,
  encodePrefixedInt,
  encodeStringLiteral,
  isIncomplete,
  PrimitiveDecodeError,
} from "../http3/qpack/primitives.ts";
import { findStaticExact, findStaticName, STATIC_TABLE } from "../http3/qpack/static_table.ts";
import { hex, test, toHex } from "./_h3_test.ts";

const encInt = (v: number, n: number, flags = 0) => {
  const w = new ByteWriter();
  encodePrefixedInt(w, v, n, flags);
  return toHex(w.toBytes());
};

test("prefixed int: RFC 7541 C.1 examples", () => {
  // C.1.1: 10 with a 5-bit prefix; C.1.2: 1337 with a 5-bit prefix; C.1.3: 42 at an octet boundary.
  assert.equal(encInt(10, 5), "0a");
  assert.equal(encInt(1337, 5), "1f9a0a");
  assert.equal(encInt(42, 8), "2a");
  assert.deepEqual(decodePrefixedInt(hex("0a"), 0, 5), { value: 10, next: 1 });
  assert.deepEqual(decodePrefixedInt(hex("1f9a0a"), 0, 5), { value: 1337, next: 3 });
  assert.deepEqual(decodePrefixedInt(hex("2a"), 0, 8), { value: 42, next: 1 });
  // Flag bits above the prefix are kept on encode and ignored on decode.
  assert.equal(encInt(10, 5, 0xe0), "ea");
  assert.deepEqual(decodePrefixedInt(hex("ea"), 0, 5), { value: 10, next: 1 });
});

test("prefixed int: boundaries for every prefix size round-trip", () => {
  for (let n = 1; n <= 8; n++) {
    const max = (1 << n) - 1;
    for (const v of [0, max - 1, max, max + 1, max + 127, max + 128, 1 << 20, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      if (v < 0) continue;
      const w = new ByteWriter();
      encodePrefixedInt(w, v, n);
      assert.deepEqual(decodePrefixedInt(w.view(), 0, n), { value: v, next: w.length }, `v=${v} n=${n}`);
    }
  }
  assert.equal(encInt(31, 5), "1f00"); // exactly 2^N-1 needs a zero continuation byte
});

test("prefixed int: incomplete input reports what is needed", () => {
  const r = decodePrefixedInt(hex("1f9a"), 0, 5);
  assert.ok(isIncomplete(r));
  assert.equal(r.need, 3);
  assert.ok(isIncomplete(decodePrefixedInt(new Uint8Array(0), 0, 5)));
});

test("prefixed int: overflow is rejected", () => {
  const isOverflow = (e: unknown) => e instanceof PrimitiveDecodeError && e.kind === "overflow";
  // 2^53 and beyond.
  assert.throws(() => decodePrefixedInt(hex("1f ffffffffffffff7f"), 0, 5), isOverflow);
  // Too many continuation bytes, even if they are zeros.
  assert.throws(() => decodePrefixedInt(hex("1f 808080808080808000"), 0, 5), isOverflow);
  // Just below the limit still decodes: 2^53 - 1 = 31 + rest.
  const w = new ByteWriter();
  encodePrefixedInt(w, Number.MAX_SAFE_INTEGER, 5);
  assert.equal((decodePrefixedInt(w.view(), 0, 5) as { value: number }).value, Number.MAX_SAFE_INTEGER);
  assert.throws(() => encodePrefixedInt(new ByteWriter(), 2 ** 53, 5), RangeError);
  assert.throws(() => encodePrefixedInt(new ByteWriter(), -1, 5), RangeError);
});

test("string literal: raw and Huffman, H flag and prefix sizes", () => {
  const w = new ByteWriter();
  encodeStringLiteral(w, "custom-key", 7, 0, false);
  assert.equal(toHex(w.toBytes()), "0a637573746f6d2d6b6579");
  w.reset();
  encodeStringLiteral(w, "custom-key", 7); // auto: Huffman is shorter (8 < 10)
  assert.equal(toHex(w.toBytes()), "8825a849e95ba97d7f");
  w.reset();
  encodeStringLiteral(w, "custom-key", 5, 0x40); // 01 H len(5+) as in Insert With Literal Name
  assert.equal(toHex(w.toBytes()), "6825a849e95ba97d7f");
  w.reset();
  encodeStringLiteral(w, "\u00ff\u00fe", 7); // Huffman would be longer: raw
  assert.equal(toHex(w.toBytes()), "02fffe");
  assert.deepEqual(decodeStringLiteral(hex("6825a849e95ba97d7f"), 0, 5), { value: "custom-key", next: 9 });
  assert.deepEqual(decodeStringLiteral(hex("0a637573746f6d2d6b6579"), 0, 7), { value: "custom-key", next: 11 });
  assert.deepEqual(decodeStringLiteral(hex("00"), 0, 7), { value: "", next: 1 });
});

test("string literal: incomplete, too long and bad Huffman", () => {
  const r = decodeStringLiteral(hex("0a6375"), 0, 7);
  assert.ok(isIncomplete(r));
  assert.equal(r.need, 11);
  assert.throws(
    () => decodeStringLiteral(hex("0a6375"), 0, 7, 3, 5),
    (e) => e instanceof PrimitiveDecodeError && e.kind === "too_long",
  );
  assert.throws(
    () => decodeStringLiteral(hex("81ff"), 0, 7), // Huffman, 1 byte of all ones: 8 bits of padding
    (e) => e instanceof PrimitiveDecodeError && e.kind === "huffman",
  );
});

test("static table: size and RFC 9204 Appendix A spot checks", () => {
  assert.equal(STATIC_TABLE.length, 99);
  assert.deepEqual(STATIC_TABLE[0], [":authority", ""]);
  assert.deepEqual(STATIC_TABLE[1], [":path", "/"]);
  assert.deepEqual(STATIC_TABLE[17], [":method", "GET"]);
  assert.deepEqual(STATIC_TABLE[25], [":status", "200"]);
  assert.deepEqual(STATIC_TABLE[31], ["accept-encoding", "gzip, deflate, br"]);
  assert.deepEqual(STATIC_TABLE[52], ["content-type", "text/html; charset=utf-8"]);
  assert.deepEqual(STATIC_TABLE[63], [":status", "100"]);
  assert.deepEqual(STATIC_TABLE[73], ["access-control-allow-credentials", "FALSE"]);
  assert.deepEqual(STATIC_TABLE[85], [
    "content-security-policy",
    "script-src 'none'; object-src 'none'; base-uri 'none'",
  ]);
  assert.deepEqual(STATIC_TABLE[98], ["x-frame-options", "sameorigin"]);
  assert.equal(findStaticExact(":method", "GET"), 17);
  assert.equal(findStaticExact(":status", "418"), -1);
  assert.equal(findStaticName(":status"), 24);
  assert.equal(findStaticName("x-unknown"), -1);
  for (const e of STATIC_TABLE) assert.equal(e[0], e[0].toLowerCase());
});
