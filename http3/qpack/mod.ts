/**
 * QPACK (RFC 9204): static table, Huffman code, primitives, a static-only encoder, the dynamic
 * table and a full decoder.
 *
 * @example
 * ```ts
 * import { encodeFieldSection, QpackDecoder } from "./mod.ts";
 * const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
 * d.decodeFieldSection(0, encodeFieldSection([[":method", "GET"]]));
 * ```
 *
 * @module
 */
export * from "./static_table.ts";
export * from "./huffman.ts";
export * from "./primitives.ts";
export * from "./field.ts";
export * from "./encoder.ts";
export * from "./dynamic_table.ts";
export * from "./decoder.ts";
