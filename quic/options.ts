/**
 * The high-level API's options checked by the names users write (`idleTimeoutMs`, not the
 * engine field it becomes), so a mistake is a `QuicError` "invalid_argument" that says which
 * option and what it takes, before any engine config is built.
 *
 * @module
 */
import { CoquicStatusError } from "./errors.ts";
import { QuicError } from "./quic_error.ts";

/** Throws unless `value` is undefined or an integer in `min..max`. */
export function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new QuicError("invalid_argument", `${name} must be an integer in ${min}..${max}, got ${describe(value)}`);
  }
}

/** Throws unless `value` is undefined or a boolean. */
export function checkBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new QuicError("invalid_argument", `${name} must be true or false, got ${describe(value)}`);
  }
}

/** Throws unless `value` is undefined or one of `choices` (own names only: "toString" is no choice). */
export function checkChoice(name: string, value: unknown, choices: readonly string[]): void {
  if (value !== undefined && !(typeof value === "string" && choices.includes(value))) {
    throw new QuicError("invalid_argument", `${name} must be one of ${choices.join(", ")}, got ${describe(value)}`);
  }
}

/** Throws unless `value` is undefined or a non-empty string. */
export function checkName(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "string" || value.length === 0)) {
    throw new QuicError("invalid_argument", `${name} must be a non-empty string, got ${describe(value)}`);
  }
}

/** Throws unless `value` is undefined or a Uint8Array. */
export function checkBytes(name: string, value: unknown): void {
  if (value !== undefined && !(value instanceof Uint8Array)) {
    throw new QuicError("invalid_argument", `${name} must be a Uint8Array, got ${describe(value)}`);
  }
}

/** Throws unless `value` is undefined or a string. */
export function checkString(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") {
    throw new QuicError("invalid_argument", `${name} must be a string, got ${describe(value)}`);
  }
}

/** An application error code (a QUIC varint, 0..2^62-1) as a number or bigint; returns it as a bigint. */
export function checkCode(name: string, value: unknown): bigint {
  const ok = typeof value === "bigint"
    ? value >= 0n && value < 1n << 62n
    : typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
  if (!ok) throw new QuicError("invalid_argument", `${name} must be an integer in 0..2^62-1, got ${describe(value)}`);
  return BigInt(value as number | bigint);
}

/** A UDP port: 0 (any free port, where a port is bound) to 65535. */
export function checkPort(name: string, value: unknown): void {
  checkInteger(name, value, 0, 65535);
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/**
 * Runs `create` (an engine call that takes a config); an engine refusal becomes a QuicError
 * "invalid_argument" carrying the engine's reason, with the original error as its cause.
 */
export function engineCall<T>(create: () => T): T {
  try {
    return create();
  } catch (e) {
    if (e instanceof CoquicStatusError) {
      throw new QuicError("invalid_argument", e.detail ?? e.message, undefined, { cause: e });
    }
    throw e;
  }
}

/**
 * A runtime's error from binding a UDP socket as a QuicError: "address_in_use" when the
 * address is taken (Deno's AddrInUse, Node's and Bun's EADDRINUSE), else "invalid_argument";
 * the runtime's error is the cause.
 */
export function bindError(e: unknown, hostname: string, port: number): QuicError {
  const err = e as { name?: string; code?: string; message?: string };
  const where = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  const why = e instanceof QuicError ? e.reason : String(err?.message ?? e).split("\n")[0];
  // Deno's AddrInUse, Node's and Bun's EADDRINUSE, the engine's own socket ("Address already in use").
  if (err?.name === "AddrInUse" || err?.code === "EADDRINUSE" || /address already in use/i.test(why)) {
    return new QuicError("address_in_use", `${where} is already in use`, undefined, { cause: e });
  }
  if (e instanceof QuicError) return e;
  return new QuicError("invalid_argument", `cannot bind ${where}: ${why}`, undefined, { cause: e });
}
