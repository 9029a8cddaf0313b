/**
 * The header/trailer field type shared by the QPACK encoder and decoder.
 *
 * @module
 */

/**
 * One field line. Names and values are byte strings (one character per byte, U+0000..U+00FF),
 * as in the Fetch API's ByteString. `neverIndexed` mirrors QPACK's N bit: the field must stay
 * a literal on every hop (use it for secrets such as short cookies or authorization values).
 *
 * @example
 * ```ts
 * import type { HeaderField } from "./field.ts";
 * const f: HeaderField = { name: ":method", value: "GET", neverIndexed: false };
 * ```
 */
export interface HeaderField {
  /** Lowercase field name (pseudo-headers start with ':'). */
  name: string;
  /** Field value. */
  value: string;
  /** The N bit: intermediaries must not add this field to a dynamic table. */
  neverIndexed?: boolean;
}

/**
 * The size a field counts for SETTINGS_MAX_FIELD_SECTION_SIZE: name + value + 32
 * (RFC 9114 §4.2.2).
 *
 * @example
 * ```ts
 * import { fieldSize } from "./field.ts";
 * fieldSize({ name: ":path", value: "/" }); // 38
 * ```
 */
export function fieldSize(f: HeaderField): number {
  return f.name.length + f.value.length + 32;
}

/**
 * The size of a whole field section (sum of {@link fieldSize}).
 *
 * @example
 * ```ts
 * import { fieldSectionSize } from "./field.ts";
 * fieldSectionSize([{ name: ":path", value: "/" }, { name: ":method", value: "GET" }]); // 80
 * ```
 */
export function fieldSectionSize(fields: Iterable<HeaderField>): number {
  let n = 0;
  for (const f of fields) n += fieldSize(f);
  return n;
}
