/**
 * A static-table-only QPACK encoder (RFC 9204 §4.5): it never inserts into the dynamic table,
 * so it needs no encoder stream, its field sections never block, and Required Insert Count and
 * Base are always 0. Each field becomes, in order of preference:
 *
 * - an indexed field line (static) for an exact static match,
 * - a literal field line with a static name reference when only the name matches,
 * - a literal field line with a literal name otherwise;
 *
 * string literals are Huffman-coded when that is strictly shorter (configurable). A field with
 * `neverIndexed` is always sent as a literal with the N bit set.
 *
 * @module
 */
import { ByteWriter } from "../bytes.ts";
import type { HeaderField } from "./field.ts";
import { encodePrefixedInt, encodeStringLiteral, type HuffmanMode } from "./primitives.ts";
import { findStaticExact, findStaticName } from "./static_table.ts";

/**
 * Options for {@link encodeFieldSection}.
 *
 * @example
 * ```ts
 * import type { EncodeOptions } from "./encoder.ts";
 * const o: EncodeOptions = { huffman: false };
 * ```
 */
export interface EncodeOptions {
  /** Huffman use for names and values: "auto" (default, when shorter), true, or false. */
  huffman?: HuffmanMode;
}

const UPPER = /[A-Z]/;

/**
 * Appends the encoded field section (prefix and field lines) to `w`. Field names are
 * lowercased (HTTP/3 requires lowercase names); names and values must be byte strings.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "../bytes.ts";
 * import { encodeFieldSectionTo } from "./encoder.ts";
 * const w = new ByteWriter();
 * encodeFieldSectionTo(w, [{ name: ":method", value: "GET" }]);
 * w.toBytes(); // 00 00 d1
 * ```
 */
export function encodeFieldSectionTo(
  w: ByteWriter,
  fields: Iterable<HeaderField | readonly [string, string]>,
  options: EncodeOptions = {},
): void {
  const huffman = options.huffman ?? "auto";
  w.writeByte(0x00); // Required Insert Count = 0
  w.writeByte(0x00); // S = 0, Delta Base = 0
  for (const f of fields) {
    let name: string;
    let value: string;
    let never = false;
    if (Array.isArray(f)) {
      name = f[0];
      value = f[1];
    } else {
      const field = f as HeaderField;
      name = field.name;
      value = field.value;
      never = field.neverIndexed === true;
    }
    if (UPPER.test(name)) name = name.toLowerCase();
    if (!never) {
      const exact = findStaticExact(name, value);
      if (exact >= 0) {
        encodePrefixedInt(w, exact, 6, 0xc0); // 1 T=1 index(6+)
        continue;
      }
    }
    const nameIndex = findStaticName(name);
    if (nameIndex >= 0) {
      encodePrefixedInt(w, nameIndex, 4, 0x50 | (never ? 0x20 : 0)); // 01 N T=1 index(4+)
    } else {
      encodeStringLiteral(w, name, 3, 0x20 | (never ? 0x10 : 0), huffman); // 001 N H len(3+)
    }
    encodeStringLiteral(w, value, 7, 0, huffman); // H len(7+)
  }
}

/**
 * Encodes a field section (the payload of a HEADERS frame) using only the static table.
 *
 * @example
 * ```ts
 * import { encodeFieldSection } from "./encoder.ts";
 * const block = encodeFieldSection([
 *   [":method", "GET"], [":scheme", "https"], [":authority", "example.com"], [":path", "/"],
 * ]);
 * ```
 */
export function encodeFieldSection(
  fields: Iterable<HeaderField | readonly [string, string]>,
  options: EncodeOptions = {},
): Uint8Array {
  const w = new ByteWriter(256);
  encodeFieldSectionTo(w, fields, options);
  return w.toBytes();
}
