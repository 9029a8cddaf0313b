// Huffman code (RFC 7541 §5.2, Appendix B) checked against the RFC 7541 C.4 examples.
import assert from "node:assert/strict";
import { latin1 } from "../http3/bytes.ts";
import {
  HUFFMAN_CODES,
  HUFFMAN_LENGTHS,
  huffmanDecode,
  HuffmanDecodeError,
  huffmanEncode,
  huffmanEncodedLength,
} from "../http3/qpack/huffman.ts";
import { hex, test, toHex } from "./_h3_test.ts";

const VECTORS: [string, string][] = [
  ["www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"], // C.4.1
  ["no-cache", "a8eb10649cbf"], // C.4.2
  ["custom-key", "25a849e95ba97d7f"], // C.4.3
  ["custom-value", "25a849e95bb8e8b4bf"], // C.4.3
];

test("huffman: RFC 7541 C.4 vectors encode", () => {
  for (const [text, h] of VECTORS) {
    assert.equal(toHex(huffmanEncode(text)), h, text);
    assert.equal(toHex(huffmanEncode(new TextEncoder().encode(text))), h, text);
    assert.equal(huffmanEncodedLength(text), h.length / 2);
  }
});

test("huffman: RFC 7541 C.4 vectors decode", () => {
  for (const [text, h] of VECTORS) assert.equal(latin1(huffmanDecode(hex(h))), text);
});

test("huffman: the code table is a complete canonical prefix code with the RFC's shape", () => {
  // Kraft sum exactly 1 (complete), and codes are canonical: sorted by (length, symbol) they count up.
  let kraft = 0;
  for (let s = 0; s <= 256; s++) kraft += 2 ** -HUFFMAN_LENGTHS[s];
  assert.equal(kraft, 1);
  const order = [...Array(257).keys()].sort((a, b) => HUFFMAN_LENGTHS[a] - HUFFMAN_LENGTHS[b] || a - b);
  let code = 0;
  for (let i = 0; i < order.length; i++) {
    const s = order[i];
    if (i > 0) code = (code + 1) * 2 ** (HUFFMAN_LENGTHS[s] - HUFFMAN_LENGTHS[order[i - 1]]);
    assert.equal(HUFFMAN_CODES[s], code, `symbol ${s}`);
  }
  // Spot checks straight from Appendix B.
  assert.deepEqual([HUFFMAN_CODES[0], HUFFMAN_LENGTHS[0]], [0x1ff8, 13]);
  assert.deepEqual([HUFFMAN_CODES[0x20], HUFFMAN_LENGTHS[0x20]], [0x14, 6]);
  assert.deepEqual([HUFFMAN_CODES[0x58], HUFFMAN_LENGTHS[0x58]], [0xfc, 8]); // 'X'
  assert.deepEqual([HUFFMAN_CODES[0x7f], HUFFMAN_LENGTHS[0x7f]], [0xffffffc, 28]);
  assert.deepEqual([HUFFMAN_CODES[0xd0], HUFFMAN_LENGTHS[0xd0]], [0x7fff2, 19]);
  assert.deepEqual([HUFFMAN_CODES[0xff], HUFFMAN_LENGTHS[0xff]], [0x3ffffee, 26]);
  assert.deepEqual([HUFFMAN_CODES[256], HUFFMAN_LENGTHS[256]], [0x3fffffff, 30]);
});

test("huffman: every byte value round-trips, alone and together", () => {
  for (let b = 0; b < 256; b++) {
    const one = new Uint8Array([b]);
    assert.deepEqual(huffmanDecode(huffmanEncode(one)), one, `byte ${b}`);
    const three = new Uint8Array([b, 255 - b, b]);
    assert.deepEqual(huffmanDecode(huffmanEncode(three)), three, `bytes around ${b}`);
  }
  const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => (i * 7) & 0xff);
  assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
  assert.equal(huffmanEncode(new Uint8Array(0)).length, 0);
  assert.equal(huffmanDecode(new Uint8Array(0)).length, 0);
});

test("huffman: EOS inside the string is rejected", () => {
  // EOS (30 one-bits) followed by two padding one-bits.
  assert.throws(() => huffmanDecode(hex("ffffffff")), HuffmanDecodeError);
  // 'a' (00011) then EOS then padding.
  assert.throws(() => huffmanDecode(hex("1fffffff ff")), HuffmanDecodeError);
});

test("huffman: padding longer than 7 bits or not all ones is rejected", () => {
  // "no-cache" plus a whole byte of one-bit padding (8 + 2 bits).
  assert.throws(() => huffmanDecode(hex("a8eb10649cbf ff")), HuffmanDecodeError);
  // A full byte of padding on its own.
  assert.throws(() => huffmanDecode(hex("ff")), HuffmanDecodeError);
  // 'a' = 00011 then padding 000 (zeros) instead of 111.
  assert.throws(() => huffmanDecode(hex("18")), HuffmanDecodeError);
  // 'a' then 101 padding.
  assert.throws(() => huffmanDecode(hex("1d")), HuffmanDecodeError);
  // The valid form: 'a' + 111.
  assert.equal(latin1(huffmanDecode(hex("1f"))), "a");
  // '0' (00000) + 11 padding... is not byte aligned; 'e' '0' = 00101 00000 + 111111 → two bytes.
  assert.equal(latin1(huffmanDecode(hex("283f"))), "e0");
});

test("huffman: encoder rejects non-byte characters", () => {
  assert.throws(() => huffmanEncode("\u20ac"), TypeError);
});
