/**
 * Picks and builds the driver of an endpoint: the engine's own socket (`NativeDriver`) when
 * the loaded library exports the native I/O extension and this runtime can wait for it,
 * otherwise the runtime's UDP socket (`Driver`). `io: "native" | "runtime"` (an option of
 * listen/connect/serve/fetch/QuicClient) or the environment variable `COQUIC_IO` force one;
 * forcing the native path where it is unavailable is a `QuicError` of kind "unsupported".
 *
 * @module
 */
import type { CoquicLibrary } from "../ffi/loader.ts";
import { envVar } from "../runtimes/env.ts";
import { ioWaiterUnsupported } from "../runtimes/io_waiter.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import { Driver } from "./driver.ts";
import type { Endpoint } from "./endpoint.ts";
import { ipBytes } from "./native_io.ts";
import { NativeDriver } from "./native_driver.ts";
import { QuicError } from "./quic_error.ts";
import type { QuicDriver } from "./quic_driver.ts";

/**
 * Which socket moves the datagrams: the engine's own (`"native"`) or the runtime's (`"runtime"`).
 *
 * @example
 * ```ts
 * import { listen } from "../mod.ts";
 * const listener = await listen({ alpn: "echo", io: "runtime" });
 * ```
 */
export type IoMode = "native" | "runtime";

/**
 * Why the native path is unavailable with `lib` on this runtime, or undefined when it is available.
 *
 * @example
 * ```ts
 * import { defaultLibrary } from "../mod.ts";
 * console.log(nativeIoUnavailable(defaultLibrary()) ?? "native sockets available");
 * ```
 */
export function nativeIoUnavailable(lib: CoquicLibrary): string | undefined {
  if (!lib.extensions.nativeIo) return `${lib.path} does not export the native I/O extension (coquic_x_io_*)`;
  return ioWaiterUnsupported();
}

function requested(io: IoMode | undefined): IoMode | undefined {
  const mode = io ?? (envVar("COQUIC_IO") || undefined);
  if (mode !== undefined && mode !== "native" && mode !== "runtime") {
    throw new QuicError(
      "invalid_argument",
      `io must be "native" or "runtime", got ${JSON.stringify(mode)}` + (io === undefined ? " (COQUIC_IO)" : ""),
    );
  }
  return mode as IoMode | undefined;
}

/**
 * The path an endpoint bound on `hostname` would use (throws for a forced native path that
 * is unavailable).
 *
 * @example
 * ```ts
 * import { defaultLibrary } from "../mod.ts";
 * const lib = defaultLibrary();
 * chooseIo(lib, "127.0.0.1"); // "native" with our engine on Deno, Bun and Node
 * ```
 */
export function chooseIo(lib: CoquicLibrary, hostname: string, io?: IoMode): IoMode {
  const mode = requested(io);
  if (mode === "runtime") return "runtime";
  const why = nativeIoUnavailable(lib) ?? (ipBytes(hostname) ? undefined : `${hostname} is not an IP address`);
  if (mode === "native" && why) throw new QuicError("unsupported", `native socket unavailable: ${why}`);
  return why ? "runtime" : "native";
}

/**
 * Binds a socket for `endpoint` and returns its driver. On failure the endpoint is closed.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "./endpoint.ts";
 * declare const endpoint: Endpoint;
 * const driver = await createDriver(endpoint, { hostname: "127.0.0.1", port: 0 });
 * ```
 */
export async function createDriver(
  endpoint: Endpoint,
  bind: { hostname: string; port: number; io?: IoMode },
): Promise<QuicDriver> {
  try {
    if (chooseIo(endpoint.library, bind.hostname, bind.io) === "native") {
      return await NativeDriver.create(endpoint, bind.hostname, bind.port);
    }
    return new Driver(endpoint, await bindUdp({ hostname: bind.hostname, port: bind.port }));
  } catch (e) {
    endpoint.close();
    throw e;
  }
}
