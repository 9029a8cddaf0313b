// The static-only QPACK encoder: exact representations, and round trips through the decoder.
import assert from "node:assert/strict";
import { QpackDecoder } from "../http3/qpack/decoder.ts";
import { encodeFieldSection } from "../http3/qpack/encoder.ts";
import type { HeaderField } from "../http3/qpack/field.ts";
import { test, toHex } from "./_h3_test.ts";

const decode = (bytes: Uint8Array) => {
  const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
  const r = d.decodeFieldSection(0, bytes);
  assert.equal(r.status, "decoded");
  assert.equal(d.drainDecoderStream().length, 0);
  return (r as { fields: HeaderField[] }).fields;
};
const plain = (fields: HeaderField[]) => fields.map((x) => [x.name, x.value]);

test("qpack encoder: representation choice", () => {
  // Exact static match → indexed field line 11xxxxxx.
  assert.equal(toHex(encodeFieldSection([[":method", "GET"]])), "0000d1");
  assert.equal(toHex(encodeFieldSection([[":status", "200"]])), "0000d9");
  assert.equal(toHex(encodeFieldSection([["x-frame-options", "sameorigin"]])), "0000ff23"); // 98 = 63 + 35
  // Name-only match → literal with static name ref 0101xxxx, value Huffman when shorter (RFC 9204 B.1 raw form).
  assert.equal(
    toHex(encodeFieldSection([[":path", "/index.html"]], { huffman: false })),
    "0000510b2f696e6465782e68746d6c",
  );
  assert.equal(toHex(encodeFieldSection([[":authority", "www.example.com"]])), "0000508cf1e3c2e5f23a6ba0ab90f4ff");
  // No match → literal with literal name 001NHxxx.
  assert.equal(
    toHex(encodeFieldSection([["custom-key", "custom-value"]])),
    "00002f0125a849e95ba97d7f8925a849e95bb8e8b4bf",
  );
  assert.equal(
    toHex(encodeFieldSection([["custom-key", "custom-value"]], { huffman: false })),
    "0000 2703 637573746f6d2d6b6579 0c 637573746f6d2d76616c7565".replace(/ /g, ""),
  );
});

test("qpack encoder: realistic request and response round-trip through the decoder", () => {
  const request: [string, string][] = [
    [":method", "POST"],
    [":scheme", "https"],
    [":authority", "api.example.com:8443"],
    [":path", "/v1/items?filter=active&page=2"],
    ["user-agent", "coquic-ts/0.1 (Deno 2.9)"],
    ["accept", "application/json"],
    ["accept-encoding", "gzip, deflate, br"],
    ["accept-language", "en-US,en;q=0.9"],
    ["content-type", "application/json"],
    ["content-length", "1234"],
    ["cookie", "session=abc123; theme=dark"],
    ["authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"],
    ["x-request-id", "7f3c1e2a-9b4d-4c8e-a1f0-123456789abc"],
    ["if-none-match", '"etag-value"'],
    ["te", "trailers"],
    ["x-empty", ""],
    ["x-bytes", "caf\u00e9 \u00ff\u0080"],
  ];
  const response: [string, string][] = [
    [":status", "200"],
    ["content-type", "application/json"],
    ["content-length", "0"],
    ["cache-control", "no-store"],
    ["date", "Tue, 03 Jun 2025 12:00:00 GMT"],
    ["server", "coquic"],
    ["strict-transport-security", "max-age=31536000; includesubdomains"],
    ["vary", "accept-encoding"],
    ["set-cookie", "id=a3fWa; Expires=Thu, 21 Oct 2025 07:28:00 GMT; Secure; HttpOnly"],
    ["alt-svc", 'h3=":443"; ma=86400'],
    [":status", "103"],
  ];
  for (const fields of [request, response]) {
    for (const huffman of ["auto", true, false] as const) {
      const bytes = encodeFieldSection(fields, { huffman });
      assert.deepEqual(plain(decode(bytes)), fields, `huffman=${huffman}`);
    }
  }
  // Auto Huffman is never longer than either fixed choice.
  const auto = encodeFieldSection(request).length;
  assert.ok(auto <= encodeFieldSection(request, { huffman: true }).length);
  assert.ok(auto <= encodeFieldSection(request, { huffman: false }).length);
});

test("qpack encoder: lowercases names and keeps the never-indexed bit", () => {
  const bytes = encodeFieldSection([
    { name: "Content-Type", value: "text/plain" },
    { name: "authorization", value: "secret", neverIndexed: true },
    { name: "x-secret", value: "s3cr3t", neverIndexed: true },
    { name: ":method", value: "GET", neverIndexed: true }, // exact match still sent as a literal
  ]);
  assert.deepEqual(decode(bytes), [
    { name: "content-type", value: "text/plain", neverIndexed: false },
    { name: "authorization", value: "secret", neverIndexed: true },
    { name: "x-secret", value: "s3cr3t", neverIndexed: true },
    { name: ":method", value: "GET", neverIndexed: true },
  ]);
  assert.equal(bytes[2], 0xf5); // content-type: text/plain is static index 53 (0xc0 | 53)
});

test("qpack encoder: long values use multi-byte lengths", () => {
  const value = "v".repeat(5000);
  const bytes = encodeFieldSection([["x-long", value]]);
  assert.deepEqual(plain(decode(bytes)), [["x-long", value]]);
  assert.throws(() => encodeFieldSection([["x-utf16", "\u20ac"]]), TypeError);
});
