/**
 * The arrays of the batched input extensions (`coquic_x_endpoint_input_datagrams` and
 * `coquic_x_endpoint_input_datagrams_identified`): datagram bytes back to back with their
 * lengths and routes, and each datagram's address-validation identity back to back with
 * its length. The arrays are reused and only grow, so steady-state batches allocate nothing.
 *
 * @module
 */
import { NO_ROUTE } from "../ffi/abi.ts";
import { InvalidArgumentError } from "./errors.ts";
import { u64 } from "./args.ts";

/** The longest identity (IPv6: 0x06, 16 address bytes, 2 port bytes). */
const IDENTITY_MAX = 19;

/**
 * A reusable batch of inbound datagrams in the extensions' array layout.
 *
 * @example
 * ```ts
 * import { BatchInput } from "./batch_input.ts";
 * const packet = new Uint8Array(1200);
 * const batch = new BatchInput();
 * batch.encode([packet], [1n], 1, [new Uint8Array([4, 127, 0, 0, 1, 0x11, 0x51])]);
 * console.log(batch.count, batch.hasIdentities); // 1 true
 * ```
 */
export class BatchInput {
  /** Datagram bytes, back to back. */
  data: Uint8Array = new Uint8Array(64 * 1500);
  /** Byte length of each datagram. */
  lengths: Uint32Array = new Uint32Array(64);
  /** Route of each datagram, or `NO_ROUTE`. */
  routes: BigUint64Array = new BigUint64Array(64);
  /** Identities, back to back. */
  identities: Uint8Array = new Uint8Array(64 * IDENTITY_MAX);
  /** Identity length of each datagram (0 = unknown). */
  identityLengths: Uint8Array = new Uint8Array(64);
  /** Datagrams encoded by the last `encode`. */
  count = 0;
  /** Whether any datagram of the last `encode` has an identity. */
  hasIdentities = false;

  /**
   * Encodes `count` datagrams; `routes[i]` undefined means no route, `identities[i]`
   * undefined or empty means an unknown address. Throws `InvalidArgumentError` on a
   * non-byte datagram or identity, or an identity longer than 255 bytes.
   */
  encode(
    datagrams: readonly Uint8Array[],
    routes: readonly (bigint | undefined)[],
    count: number,
    identities?: readonly (Uint8Array | undefined)[],
  ): void {
    let total = 0, identityTotal = 0;
    for (let i = 0; i < count; i++) {
      const d = datagrams[i];
      if (!(d instanceof Uint8Array)) throw new InvalidArgumentError("datagrams", "must hold Uint8Arrays");
      total += d.length;
      const id = identities?.[i];
      if (id === undefined) continue;
      if (!(id instanceof Uint8Array)) {
        throw new InvalidArgumentError("identities", "must hold Uint8Arrays or undefined");
      }
      if (id.length > 255) {
        throw new InvalidArgumentError("identities", `an identity has ${id.length} bytes, at most 255`);
      }
      identityTotal += id.length;
    }
    if (this.data.length < total) this.data = new Uint8Array(total * 2);
    if (this.identities.length < identityTotal) this.identities = new Uint8Array(identityTotal * 2);
    if (this.lengths.length < count) {
      this.lengths = new Uint32Array(count * 2);
      this.routes = new BigUint64Array(count * 2);
      this.identityLengths = new Uint8Array(count * 2);
    }
    let at = 0, idAt = 0;
    for (let i = 0; i < count; i++) {
      const d = datagrams[i];
      this.data.set(d, at);
      at += d.length;
      this.lengths[i] = d.length;
      this.routes[i] = routes[i] === undefined ? NO_ROUTE : u64(routes[i]!, "route");
      const id = identities?.[i];
      const n = id?.length ?? 0;
      if (n > 0) this.identities.set(id!, idAt);
      idAt += n;
      this.identityLengths[i] = n;
    }
    this.count = count;
    this.hasIdentities = identityTotal > 0;
  }
}
