/**
 * One `test(name, fn)` for both runtimes: Deno.test under Deno, bun:test under Bun.
 * Every test file imports this instead of a runtime's own test API.
 *
 * @module
 */
// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** A test body; may be async. */
export type TestFn = () => void | Promise<void>;

/** Options: a per-test time limit in ms (default 60 s). */
export interface TestOptions {
  timeout?: number;
  ignore?: boolean;
  /** Skip with this reason (shown in the test's name), e.g. a missing engine extension. */
  skip?: string;
}

// deno-lint-ignore no-explicit-any
const bunTest: any = g.Bun ? (await import("bun:test" as string)).test : undefined;

/**
 * Registers a test.
 *
 * @example
 * ```ts
 * test("adds", () => assert.equal(1 + 1, 2));
 * ```
 */
export function test(name: string, fn: TestFn, options: TestOptions = {}): void {
  const timeout = options.timeout ?? 60_000;
  if (options.skip) {
    name = `${name} [skipped: ${options.skip}]`;
    options = { ...options, ignore: true };
  }
  if (bunTest) {
    if (options.ignore) bunTest.skip(name, fn);
    else bunTest(name, fn, timeout);
    return;
  }
  g.Deno.test({
    name,
    ignore: options.ignore ?? false,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => withTimeout(fn, timeout, name),
  });
}

async function withTimeout(fn: TestFn, ms: number, name: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test "${name}" exceeded ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(fn), limit]);
  } finally {
    clearTimeout(timer);
  }
}
