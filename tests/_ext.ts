/**
 * What the loaded libcoquic offers, for tests that need one of our engine's `coquic_x_`
 * extensions or behaviour: `needs("closeInfos")` gives test options that skip, with the
 * reason, when the library lacks it (an upstream libcoquic, or `COQUIC_CORE_ABI_ONLY=1`).
 *
 * @module
 */
import { defaultLibrary, type Extensions } from "../ffi/loader.ts";
import type { TestOptions } from "./_harness.ts";

/** The extensions of the library the tests load. */
export const ext: Readonly<Extensions> = defaultLibrary().extensions;

/** Test options skipping when any of `names` is missing; `more` is merged in. */
export function needs(names: keyof Extensions | (keyof Extensions)[], more: TestOptions = {}): TestOptions {
  const missing = (Array.isArray(names) ? names : [names]).filter((n) => !ext[n]);
  return missing.length ? { ...more, skip: `needs the ${missing.join(", ")} extension` } : more;
}
