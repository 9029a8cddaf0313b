/**
 * What our encoder reads on the peer's QPACK decoder stream (RFC 9204 §4.4). Our encoder is
 * static-only: it never inserts into the dynamic table and never references it, so the only
 * valid instruction is Stream Cancellation. A Section Acknowledgment (no field section of ours
 * has a non-zero Required Insert Count, §4.4.1) and an Insert Count Increment (we inserted
 * nothing, §4.4.3) are connection errors of type QPACK_DECODER_STREAM_ERROR, as is a
 * malformed integer.
 *
 * @module
 */
import { H3Error, H3ErrorCode } from "../errors.ts";
import { decodePrefixedInt, isIncomplete, PrimitiveDecodeError } from "./primitives.ts";

/** A prefixed integer is at most 1 + 8 continuation bytes (primitives.ts). */
const MAX_INSTRUCTION_BYTES = 9;

const decoderStreamError = (message: string) => new H3Error(H3ErrorCode.QPACK_DECODER_STREAM_ERROR, message, true);

/**
 * Checks a peer's decoder stream, chunk by chunk (instructions may be split anywhere).
 *
 * @example
 * ```ts
 * import { DecoderStreamChecker } from "./decoder_stream_checker.ts";
 * const checker = new DecoderStreamChecker();
 * checker.push(new Uint8Array([0x44])); // Stream Cancellation of stream 4: fine
 * // checker.push(new Uint8Array([0x84])) throws: Section Acknowledgment of stream 4
 * ```
 */
export class DecoderStreamChecker {
  #partial = new Uint8Array(MAX_INSTRUCTION_BYTES);
  #partialLength = 0;

  /** Consumes `chunk`; throws {@link H3Error} QPACK_DECODER_STREAM_ERROR on an invalid instruction. */
  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#partialLength > 0) {
        // Finish a split instruction one byte at a time (it is at most 9 bytes long).
        this.#partial[this.#partialLength++] = chunk[pos++];
        if (this.#instruction(this.#partial, 0, this.#partialLength) !== undefined) this.#partialLength = 0;
        else if (this.#partialLength === MAX_INSTRUCTION_BYTES) throw decoderStreamError("instruction too long");
        continue;
      }
      const next = this.#instruction(chunk, pos, chunk.length);
      if (next === undefined) {
        const rest = chunk.subarray(pos);
        if (rest.length >= MAX_INSTRUCTION_BYTES) throw decoderStreamError("instruction too long");
        this.#partial.set(rest);
        this.#partialLength = rest.length;
        return;
      }
      pos = next;
    }
  }

  /** Validates the instruction at buf[at]; returns the offset after it, or undefined if incomplete. */
  #instruction(buf: Uint8Array, at: number, end: number): number | undefined {
    const first = buf[at];
    const isSectionAck = (first & 0x80) !== 0;
    const isCancellation = !isSectionAck && (first & 0x40) !== 0;
    let decoded;
    try {
      decoded = decodePrefixedInt(buf, at, isSectionAck ? 7 : 6, end);
    } catch (e) {
      if (e instanceof PrimitiveDecodeError) throw decoderStreamError(`malformed instruction: ${e.message}`);
      throw e;
    }
    if (isIncomplete(decoded)) return undefined;
    if (isSectionAck) {
      throw decoderStreamError(`Section Acknowledgment for stream ${decoded.value}, which has no dynamic references`);
    }
    if (!isCancellation) throw decoderStreamError(`Insert Count Increment of ${decoded.value}: nothing was inserted`);
    return decoded.next;
  }
}
