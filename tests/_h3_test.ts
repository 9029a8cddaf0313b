/**
 * Test helpers for the http3 suites: one `test()` for Deno and Bun, hex parsing, and an
 * assertion for typed HTTP/3 errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import { H3Error } from "../http3/errors.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/**
 * Registers a test under Deno.test or bun:test.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * test("adds", () => assert.equal(1 + 1, 2));
 * ```
 */
export const test: (name: string, fn: () => void | Promise<void>) => void = g.Bun
  ? (await import("bun:test" as string)).test
  : (name, fn) => g.Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });

/**
 * Bytes from hex text; spaces, newlines and `|` are ignored.
 *
 * @example
 * ```ts
 * hex("00 01 | ff"); // Uint8Array [0, 1, 255]
 * ```
 */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s|]/g, "");
  if (clean.length % 2) throw new Error(`odd hex length: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Hex text of bytes.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0, 255])); // "00ff"
 * ```
 */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Asserts that `fn` throws an H3Error with `code` (and, if given, connection scope).
 *
 * @example
 * ```ts
 * import { H3Error } from "../http3/errors.ts";
 * assertH3Error(() => { throw new H3Error(0x106, "x"); }, 0x106);
 * ```
 */
export function assertH3Error(fn: () => unknown, code: number, isConnectionError?: boolean): H3Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof H3Error, `expected H3Error 0x${code.toString(16)}, got ${caught}`);
  assert.equal(caught.code, code, `expected code 0x${code.toString(16)}, got ${caught.message}`);
  if (isConnectionError !== undefined) assert.equal(caught.isConnectionError, isConnectionError);
  return caught;
}
