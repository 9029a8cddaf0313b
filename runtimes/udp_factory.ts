/**
 * The UDP socket factory of the current runtime.
 *
 * @module
 */
import { runtimeName } from "./detect.ts";
import type { UdpBindOptions, UdpSocket } from "./udp.ts";

/**
 * Binds a UDP socket with the current runtime's API.
 *
 * @example
 * ```ts
 * const sock = await bindUdp({ hostname: "127.0.0.1", port: 0 });
 * console.log(sock.localAddress.port);
 * ```
 */
export async function bindUdp(options: UdpBindOptions): Promise<UdpSocket> {
  switch (runtimeName()) {
    case "bun":
      return (await import("./udp_bun.ts")).bunUdp(options);
    case "deno":
      return (await import("./udp_deno.ts")).denoUdp(options);
    default:
      throw new Error("coquic-ts: no UDP adapter for this runtime (supported: Deno, Bun)");
  }
}
