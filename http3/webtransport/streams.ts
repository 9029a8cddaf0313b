/**
 * Session-bound streams as the W3C API shapes them: a `QuicStream`'s receive side as a
 * `ReadableStream<Uint8Array>`, its send side as a `WritableStream<Uint8Array>`, with resets
 * and stop-sending carried as WebTransport application error codes (mapped into the HTTP/3
 * error space on the wire). Backpressure is the QUIC stream's: a write resolves once the
 * unacknowledged backlog is below its high-water mark, and reading is what returns flow
 * control credit to the peer.
 *
 * @module
 */
import { QuicError, type QuicStream } from "../../quic/mod.ts";
import { http3ToWtCode, WebTransportError, wtToHttp3Code } from "./protocol.ts";

/** A bidirectional session stream, as the W3C `WebTransportBidirectionalStream`. */
export interface WebTransportBidirectionalStream {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
}

/** The bytes of a chunk written by an application (the W3C API takes any BufferSource). */
export function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError("WebTransport writes take an ArrayBuffer or an ArrayBufferView");
}

/** The WebTransportError for a QuicError that ended a stream's side. */
export function streamError(e: unknown): unknown {
  if (!(e instanceof QuicError)) return e;
  if ((e.kind === "stream_reset" || e.kind === "stop_sending") && e.code !== undefined) {
    const what = e.kind === "stream_reset" ? "the peer reset the stream" : "the peer stopped reading the stream";
    return new WebTransportError(what, { source: "stream", streamErrorCode: http3ToWtCode(e.code) });
  }
  return new WebTransportError(`the session's connection ended: ${e.message}`, { source: "session" });
}

/** The application code in an abort/cancel reason (a WebTransportError's streamErrorCode), default 0. */
function codeOf(reason: unknown): number {
  const code = (reason as { streamErrorCode?: unknown } | undefined)?.streamErrorCode;
  return typeof code === "number" && Number.isInteger(code) && code >= 0 && code <= 0xffffffff ? code : 0;
}

/**
 * A session's open streams, so that closing the session can end them: each side of a stream
 * reports once when it is done, and a stream with no open side leaves the set.
 */
export class StreamSet {
  readonly #open = new Map<QuicStream, number>();

  /** A new stream of the session, with its sides open. */
  add(stream: QuicStream): void {
    const sides = stream.bidirectional ? 2 : 1;
    this.#open.set(stream, sides);
  }

  /** A callback that marks one side of `stream` done (only its first call counts). */
  sideDone(stream: QuicStream): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.#open.get(stream) ?? 1) - 1;
      if (left <= 0) this.#open.delete(stream);
      else this.#open.set(stream, left);
    };
  }

  /** Takes every stream still open out of the set. */
  drain(): QuicStream[] {
    const all = [...this.#open.keys()];
    this.#open.clear();
    return all;
  }
}

/**
 * The receive side of `stream` as a ReadableStream, its chunks from `read`; `first` are bytes
 * already read past the stream's header.
 */
export function receiveStream(
  stream: QuicStream,
  read: () => Promise<Uint8Array | undefined>,
  first: Uint8Array,
  set: StreamSet,
): ReadableStream<Uint8Array> {
  let pending: Uint8Array | undefined = first.length > 0 ? first : undefined;
  const done = set.sideDone(stream);
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      if (pending) {
        controller.enqueue(pending);
        pending = undefined;
        return;
      }
      try {
        const chunk = await read();
        if (chunk === undefined) {
          controller.close();
          done();
        } else controller.enqueue(chunk);
      } catch (e) {
        done();
        controller.error(streamError(e));
      }
    },
    cancel: (reason) => {
      done();
      stream.stopSending(wtToHttp3Code(codeOf(reason)));
    },
  }, { highWaterMark: 0 });
}

/** The send side of `stream` as a WritableStream. */
export function sendStream(stream: QuicStream, set: StreamSet): WritableStream<Uint8Array> {
  const done = set.sideDone(stream);
  return new WritableStream<Uint8Array>({
    write: async (chunk) => {
      const bytes = toBytes(chunk);
      try {
        await stream.write(bytes);
      } catch (e) {
        done();
        throw streamError(e);
      }
    },
    close: async () => {
      try {
        await stream.write(new Uint8Array(0), { fin: true });
      } catch (e) {
        throw streamError(e);
      } finally {
        done();
      }
    },
    abort: (reason) => {
      done();
      stream.reset(wtToHttp3Code(codeOf(reason)));
    },
  }, { highWaterMark: 1 });
}
