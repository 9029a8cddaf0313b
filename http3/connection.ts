/**
 * One HTTP/3 connection (RFC 9114) over a `QuicConnection`: our control stream with
 * SETTINGS, the QPACK encoder and decoder streams, the peer's unidirectional streams, and
 * the per-request frame plumbing shared by the client and the server.
 *
 * @module
 */
import { type QuicConnection, QuicError, type QuicStream } from "../quic/mod.ts";
import { ByteWriter, concat } from "./bytes.ts";
import { FieldSectionTooLargeError, H3Error, H3ErrorCode } from "./errors.ts";
import { type FrameBudget, FrameReader } from "./frame_reader.ts";
import { checkFrameAllowed, encodeFrameTo, FrameType } from "./frames.ts";
import { encodeFieldSectionTo } from "./qpack/encoder.ts";
import { QpackDecoder } from "./qpack/decoder.ts";
import { DecoderStreamChecker } from "./qpack/decoder_stream_checker.ts";
import { fieldSectionSize, type HeaderField } from "./qpack/field.ts";
import { messageError } from "./message.ts";
import type { Settings } from "./settings.ts";
import { classifyUniStream, encodeUniStreamType, UniStreamType } from "./stream_types.ts";
import { decodeVarint } from "./varint.ts";
import { writeData } from "./data_writer.ts";

/** Our HTTP/3 settings. */
export interface H3Options {
  /** SETTINGS_MAX_FIELD_SECTION_SIZE we accept (default 64 KiB). */
  maxFieldSectionSize?: number;
  /** QPACK dynamic table capacity we offer the peer's encoder (default 4096). */
  qpackMaxTableCapacity?: number;
  /** QPACK blocked streams we allow (default 16). */
  qpackBlockedStreams?: number;
  /**
   * Bytes that incomplete HEADERS frames may hold across all request streams of one
   * connection (default 1 MiB); beyond it the connection closes with H3_EXCESSIVE_LOAD.
   */
  maxBufferedHeaderBytes?: number;
}

/** Writes one HTTP/3 frame to a stream. */
export async function writeFrame(
  stream: QuicStream,
  frame: Parameters<typeof encodeFrameTo>[1],
  fin = false,
): Promise<void> {
  const w = new ByteWriter(frame.type === "data" ? frame.payload.length + 16 : 64);
  encodeFrameTo(w, frame);
  await stream.write(w.toBytes(), { fin });
}

/** An HTTP/3 connection. */
export class H3Connection {
  /** Our QPACK decoder (its dynamic table follows the peer's encoder stream). */
  readonly decoder: QpackDecoder;
  /** The largest field section we accept (our SETTINGS_MAX_FIELD_SECTION_SIZE). */
  readonly maxFieldSectionSize: number;
  /** Bytes held by incomplete HEADERS frames of this connection's request streams, and their limit. */
  readonly headerBudget: FrameBudget;
  /** The peer's SETTINGS once received. */
  peerSettings?: Settings;
  /** The peer's GOAWAY id, once received. */
  goawayId?: number;
  readonly #settingsReceived: Promise<Settings>;
  #resolveSettings!: (s: Settings) => void;
  #decoderStream?: QuicStream;
  #control?: QuicStream;
  #failed: H3Error | undefined;
  /** The peer's critical streams seen so far: each may exist once (RFC 9114 §6.2.1, RFC 9204 §4.2). */
  readonly #peerCritical = new Set<"control" | "qpack_encoder" | "qpack_decoder">();

  /** Settings we send beyond QPACK's and the field section limit (extended CONNECT, datagrams, WebTransport); set before `start()`. */
  extraSettings: Partial<Settings> = {};
  /**
   * Claims a peer's unidirectional stream of a type HTTP/3 does not know (an extension's, e.g.
   * WebTransport's): returns true when it took the stream (and `reader`, after the type's `rest`).
   */
  uniStreamHandler?: (
    type: number,
    stream: QuicStream,
    reader: ReadableStreamDefaultReader<Uint8Array>,
    rest: Uint8Array,
  ) => boolean;

  /** Wraps a QUIC connection (call `start()` to open the control and QPACK streams). */
  constructor(readonly quic: QuicConnection, readonly isServer: boolean, options: H3Options = {}) {
    this.maxFieldSectionSize = options.maxFieldSectionSize ?? 64 << 10;
    this.headerBudget = { used: 0, limit: options.maxBufferedHeaderBytes ?? 1 << 20 };
    this.decoder = new QpackDecoder({
      maxTableCapacity: options.qpackMaxTableCapacity ?? 4096,
      maxBlockedStreams: options.qpackBlockedStreams ?? 16,
      maxFieldSectionSize: this.maxFieldSectionSize,
    });
    this.#settingsReceived = new Promise((r) => (this.#resolveSettings = r));
    this.#settingsReceived.catch(() => {});
  }

  /** Opens our control and QPACK streams and starts reading the peer's. */
  async start(): Promise<void> {
    this.#control = this.quic.openStream({ unidirectional: true });
    const w = new ByteWriter(64);
    w.writeBytes(encodeUniStreamType(UniStreamType.CONTROL));
    encodeFrameTo(w, {
      type: "settings",
      settings: {
        qpackMaxTableCapacity: this.decoder.maxTableCapacity,
        qpackBlockedStreams: this.decoder.maxBlockedStreams,
        maxFieldSectionSize: this.maxFieldSectionSize,
        ...this.extraSettings,
      },
    });
    await this.#control.write(w.toBytes());
    const encoderStream = this.quic.openStream({ unidirectional: true });
    await encoderStream.write(encodeUniStreamType(UniStreamType.QPACK_ENCODER)); // static-only encoder: nothing more
    this.#decoderStream = this.quic.openStream({ unidirectional: true });
    await this.#decoderStream.write(encodeUniStreamType(UniStreamType.QPACK_DECODER));
  }

  /** Settings of the peer (waits for its control stream). */
  settings(): Promise<Settings> {
    return this.#settingsReceived;
  }

  /** A connection error: closes the QUIC connection with the HTTP/3 code. */
  fail(error: H3Error): void {
    if (this.#failed) return;
    this.#failed = error;
    void this.quic.close({ code: error.code, reason: error.message.slice(0, 100) });
  }

  /** Handles one incoming unidirectional stream of the peer. */
  async acceptUniStream(stream: QuicStream): Promise<void> {
    const reader = stream.readable!.getReader();
    let head: Uint8Array = new Uint8Array(0);
    let type: number | undefined;
    let rest: Uint8Array = new Uint8Array(0);
    while (type === undefined) {
      const { value, done } = await reader.read();
      if (done) return;
      head = concat(head, value);
      const d = decodeVarint(head, 0);
      if (d) {
        type = d.value;
        rest = head.subarray(d.length);
      }
    }
    const kind = classifyUniStream(type);
    if (kind === "control" || kind === "qpack_encoder" || kind === "qpack_decoder") {
      if (this.#peerCritical.has(kind)) {
        reader.releaseLock();
        return this.fail(
          new H3Error(H3ErrorCode.H3_STREAM_CREATION_ERROR, `a second ${kind.replace("_", " ")} stream`, true),
        );
      }
      this.#peerCritical.add(kind);
    }
    if (kind === "control") await this.#readCritical(reader, rest, "control", this.#controlHandler());
    else if (kind === "qpack_encoder") {
      await this.#readCritical(reader, rest, "QPACK encoder", (chunk) => this.#onEncoderChunk(chunk));
    } else if (kind === "qpack_decoder") {
      const checker = new DecoderStreamChecker();
      await this.#readCritical(reader, rest, "QPACK decoder", (chunk) => checker.push(chunk));
    } else if (kind === "push") {
      // Only servers push (§6.2.2), and we never sent MAX_PUSH_ID, so no push ID is valid (§4.6).
      reader.releaseLock();
      this.fail(
        this.isServer
          ? new H3Error(H3ErrorCode.H3_STREAM_CREATION_ERROR, "a client-initiated push stream", true)
          : new H3Error(H3ErrorCode.H3_ID_ERROR, "a push stream although no MAX_PUSH_ID was sent", true),
      );
    } else if (this.uniStreamHandler?.(type, stream, reader, rest)) {
      // an extension's stream (WebTransport): it reads the rest
    } else {
      // reserved or unknown: not interested (RFC 9114 §6.2)
      reader.releaseLock();
      stream.stopSending(BigInt(H3ErrorCode.H3_STREAM_CREATION_ERROR));
    }
  }

  /**
   * Reads one of the peer's critical streams to its end, passing each chunk to `handle`. Its
   * end, a reset by the peer, or an error thrown by `handle` is a connection error
   * (H3_CLOSED_CRITICAL_STREAM for the first two, RFC 9114 §6.2.1).
   */
  async #readCritical(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    first: Uint8Array,
    name: string,
    handle: (chunk: Uint8Array) => void | Promise<void>,
  ): Promise<void> {
    try {
      if (first.length > 0) await handle(first);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new H3Error(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `the peer closed its ${name} stream`, true);
        await handle(value);
      }
    } catch (e) {
      if (e instanceof H3Error) this.fail(e);
      else if (e instanceof QuicError && e.kind === "stream_reset") {
        this.fail(new H3Error(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `the peer reset its ${name} stream`, true));
      }
      // other QuicErrors: the connection itself ended, nothing to report on it
    }
  }

  /** The control stream's frame handler: SETTINGS first and once, then GOAWAY and others. */
  #controlHandler(): (chunk: Uint8Array) => void {
    const frames = new FrameReader({ maxFrameSize: 1 << 16 });
    let sawSettings = false;
    return (chunk) => {
      for (const ev of frames.push(chunk)) {
        if (ev.kind === "unknown") continue;
        const type = ev.kind === "frame"
          ? frameTypeOf(ev.frame.type)
          : ev.kind === "header"
          ? ev.frameType
          : FrameType.DATA;
        checkFrameAllowed("control", type);
        if (ev.kind === "header") continue; // the complete frame follows as a "frame" event
        if (!sawSettings) {
          if (!(ev.kind === "frame" && ev.frame.type === "settings")) {
            throw new H3Error(H3ErrorCode.H3_MISSING_SETTINGS, "the control stream must start with SETTINGS", true);
          }
          sawSettings = true;
          this.peerSettings = ev.frame.settings;
          this.#resolveSettings(ev.frame.settings);
          continue;
        }
        if (ev.kind === "frame" && ev.frame.type === "settings") {
          throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, "a second SETTINGS frame", true);
        }
        if (ev.kind === "frame" && ev.frame.type === "goaway") this.goawayId = ev.frame.id;
      }
    };
  }

  async #onEncoderChunk(chunk: Uint8Array): Promise<void> {
    this.decoder.feedEncoderStream(chunk);
    await this.flushDecoderStream();
  }

  /** Sends pending QPACK decoder instructions (acknowledgments, increments). */
  async flushDecoderStream(): Promise<void> {
    const out = this.decoder.drainDecoderStream();
    if (out.length > 0 && this.#decoderStream) await this.#decoderStream.write(out).catch(() => {});
  }

  /**
   * Encodes a header block into a HEADERS frame on a stream. A block larger than the peer's
   * SETTINGS_MAX_FIELD_SECTION_SIZE is refused (H3_EXCESSIVE_LOAD) instead of being sent.
   */
  async writeHeaders(stream: QuicStream, fields: Iterable<readonly [string, string]>, fin = false): Promise<void> {
    const list = [...fields];
    const limit = this.peerSettings?.maxFieldSectionSize;
    if (limit !== undefined) {
      const size = fieldSectionSize(list.map(([name, value]) => ({ name, value })));
      if (size > limit) {
        throw new H3Error(
          H3ErrorCode.H3_EXCESSIVE_LOAD,
          `header section of ${size} bytes exceeds the peer's limit ${limit}`,
          false,
        );
      }
    }
    fields = list;
    const section = new ByteWriter(256);
    encodeFieldSectionTo(section, fields);
    await writeFrame(stream, { type: "headers", fieldSection: section.toBytes() }, fin);
  }

  /** Decodes a HEADERS payload for a request stream (waits if it is blocked on the encoder stream). */
  async decodeHeaders(streamId: bigint, fieldSection: Uint8Array): Promise<HeaderField[]> {
    const r = this.decoder.decodeFieldSection(Number(streamId), fieldSection);
    const fields = r.status === "decoded" ? r.fields : await r.section.wait();
    await this.flushDecoderStream();
    return fields;
  }

  /** Sends GOAWAY with `id` on our control stream. */
  async goaway(id: number): Promise<void> {
    if (this.#control) await writeFrame(this.#control, { type: "goaway", id }).catch(() => {});
  }
}

function frameTypeOf(t: string): number {
  switch (t) {
    case "data":
      return FrameType.DATA;
    case "headers":
      return FrameType.HEADERS;
    case "cancel_push":
      return FrameType.CANCEL_PUSH;
    case "settings":
      return FrameType.SETTINGS;
    case "push_promise":
      return FrameType.PUSH_PROMISE;
    case "goaway":
      return FrameType.GOAWAY;
    default:
      return FrameType.MAX_PUSH_ID;
  }
}

/**
 * Reads a request or response stream: the HEADERS, then DATA as a byte stream, then
 * optional trailers. Returns the first header block; the body and trailers follow.
 */
export class MessageReader {
  readonly #frames: FrameReader;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #pending: Uint8Array[] = [];
  #done = false;
  /** The trailer fields, once the message ended with a trailing HEADERS frame. */
  trailers?: HeaderField[];
  /** Resolves when the whole message (body and trailers) has been read; rejects on errors. */
  readonly finished: Promise<void>;
  #finish!: () => void;
  #fail!: (e: unknown) => void;

  /** Reads one message's frames from `stream` on `h3`; `first` are bytes of it already read. */
  constructor(
    private h3: H3Connection,
    private stream: QuicStream,
    first?: Uint8Array,
  ) {
    if (first && first.length > 0) this.#pending.push(first);
    // Only HEADERS frames are buffered on these streams: none may exceed our advertised field
    // section limit (the encoded size is below the decoded size that limit counts), and
    // incomplete ones share the connection's budget.
    this.#frames = new FrameReader({ maxFrameSize: h3.maxFieldSectionSize, budget: h3.headerBudget });
    this.#reader = stream.readable!.getReader();
    this.finished = new Promise((resolve, reject) => ((this.#finish = resolve), (this.#fail = reject)));
    this.finished.catch(() => {});
  }

  /** Marks a message without a body as complete. */
  noBody(): void {
    this.#finish();
  }

  /** Gives up on the message: frees what its reader holds (e.g. after a header timeout). */
  abandon(): void {
    this.#frames.release();
  }

  #bodyController: ReadableStreamDefaultController<Uint8Array> | undefined;
  #abortReason: { reason: unknown } | undefined;

  /**
   * Ends the message now with `reason` (an aborted fetch): the body stream errors with it at
   * once, whether or not a read is pending, and `finished` rejects with it.
   */
  abort(reason: unknown): void {
    if (this.#abortReason) return;
    this.#abortReason = { reason };
    try {
      this.#bodyController?.error(reason);
    } catch {
      // the body had already ended
    }
    this.#fail(reason);
    this.#frames.release();
  }

  /** The next HEADERS block (interim responses included), or undefined at FIN. */
  async headers(): Promise<HeaderField[] | undefined> {
    for (;;) {
      this.#parse();
      while (this.#queue.length > 0) {
        const ev = this.#queue.shift()!;
        if (ev.kind === "frame" && ev.frame.type === "headers") {
          return await this.h3.decodeHeaders(this.stream.id, ev.frame.fieldSection);
        }
        if ((ev.kind === "header" && ev.frameType === FrameType.DATA) || ev.kind === "data") {
          throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, "DATA before HEADERS", false);
        }
      }
      if (this.#done) return undefined;
      await this.#fill();
    }
  }

  #queue: ReturnType<FrameReader["push"]> = [];

  /** Parses pending bytes into the event queue (events are consumed one by one, never dropped). */
  #parse(): void {
    while (this.#pending.length > 0) {
      let events;
      try {
        events = this.#frames.push(this.#pending.shift()!);
      } catch (e) {
        // A HEADERS frame announced above our limit: the request's fault (431), not the connection's.
        if (e instanceof H3Error && e.code === H3ErrorCode.H3_EXCESSIVE_LOAD && this.#frames.oversizedFrame) {
          throw new FieldSectionTooLargeError(this.#frames.oversizedFrame.length, this.h3.maxFieldSectionSize);
        }
        throw e;
      }
      for (const ev of events) {
        if (ev.kind === "unknown") continue;
        const type = ev.kind === "frame"
          ? frameTypeOf(ev.frame.type)
          : ev.kind === "header"
          ? ev.frameType
          : FrameType.DATA;
        checkFrameAllowed("request", type); // request and response streams carry the same frames
        this.#queue.push(ev);
      }
    }
  }

  async #fill(): Promise<void> {
    let read;
    try {
      read = await this.#reader.read();
    } catch (e) {
      this.#frames.release(); // the stream is gone: so are its incomplete frames
      throw e;
    }
    const { value, done } = read;
    if (done) {
      this.#done = true;
      if (!this.#frames.atFrameBoundary) {
        this.#frames.release();
        throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, "stream ended inside a frame", false);
      }
      return;
    }
    this.#pending.push(value);
  }

  #expectedLength: number | undefined;
  #bodyLength = 0;

  /**
   * Holds the body to the message's `content-length` (RFC 9114 §4.1.2): an invalid value now,
   * and a body longer or shorter than declared when it is read, are H3_MESSAGE_ERROR (a
   * request-smuggling risk behind a proxy otherwise).
   */
  expectContentLength(headers: Headers): void {
    const declared = headers.get("content-length");
    if (declared === null) return;
    const values = declared.split(",").map((v) => v.trim());
    if (!values.every((v) => /^\d{1,15}$/.test(v)) || new Set(values).size !== 1) {
      throw messageError(`invalid content-length: ${declared}`);
    }
    this.#expectedLength = Number(values[0]);
  }

  #countBody(bytes: number, ended: boolean): void {
    this.#bodyLength += bytes;
    const expected = this.#expectedLength;
    if (expected === undefined) return;
    if (this.#bodyLength > expected || (ended && this.#bodyLength !== expected)) {
      throw messageError(
        `content-length ${expected} but the body has ${ended ? "" : "at least "}${this.#bodyLength} bytes`,
      );
    }
  }

  /** The body as a ReadableStream of DATA payload bytes; trailers are captured on the way. */
  body(): ReadableStream<Uint8Array> {
    const queue: Uint8Array[] = [];
    return new ReadableStream<Uint8Array>({
      start: (controller) => void (this.#bodyController = controller),
      pull: async (controller) => {
        try {
          for (;;) {
            if (this.#abortReason) throw this.#abortReason.reason;
            if (queue.length > 0) {
              controller.enqueue(queue.shift()!);
              return;
            }
            this.#parse();
            while (this.#queue.length > 0) {
              const ev = this.#queue.shift()!;
              if (ev.kind === "data" && ev.chunk.length > 0) {
                this.#countBody(ev.chunk.length, false);
                queue.push(ev.chunk.slice());
              } else if (ev.kind === "frame" && ev.frame.type === "headers") {
                if (this.trailers) throw new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, "HEADERS after trailers", false);
                this.trailers = await this.h3.decodeHeaders(this.stream.id, ev.frame.fieldSection);
              }
            }
            if (queue.length > 0) continue;
            if (this.#done) {
              this.#countBody(0, true);
              controller.close();
              this.#finish();
              return;
            }
            await this.#fill();
          }
        } catch (e) {
          if (e instanceof H3Error && e.code === H3ErrorCode.H3_MESSAGE_ERROR) {
            // A malformed message is a stream error: abort both directions (RFC 9114 §4.1.2).
            this.stream.stopSending(BigInt(e.code));
            this.stream.reset(BigInt(e.code));
          }
          controller.error(e);
          this.#fail(e);
        }
      },
      cancel: () => {
        this.stream.stopSending(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
        this.#fail(new H3Error(H3ErrorCode.H3_REQUEST_CANCELLED, "body cancelled", false));
      },
    }, { highWaterMark: 0 });
  }
}

/** Streams a body as DATA frames, then optional trailers, then FIN. */
export async function writeBody(
  h3: H3Connection,
  stream: QuicStream,
  body: ReadableStream<Uint8Array> | null,
  trailers?: Promise<Iterable<readonly [string, string]> | undefined>,
): Promise<void> {
  if (body) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) throw new TypeError("a body chunk is not a Uint8Array");
        await writeData(stream, value);
      }
    } catch (e) {
      await reader.cancel(e).catch(() => {}); // the peer went away: stop producing the body
      throw e;
    }
  }
  const t = trailers ? await trailers : undefined;
  const list = t ? [...t] : [];
  if (list.length > 0) await h3.writeHeaders(stream, list, true);
  else await stream.write(new Uint8Array(0), { fin: true });
}
