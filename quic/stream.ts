/**
 * `QuicStream`: one QUIC stream as WHATWG streams. Reading returns flow-control credit
 * only for bytes the reader has taken (when the engine supports it), so a slow reader
 * slows the peer; writing waits while too many bytes are unacknowledged.
 *
 * @module
 */
import { QuicError } from "./quic_error.ts";
import { withSignal } from "./with_signal.ts";
import { checkCode } from "./options.ts";

/** Unacknowledged bytes above which `write()` waits. */
const WRITE_HIGH_WATER = 4 << 20;

/**
 * What a stream needs of its connection: the only way a `QuicStream` reaches it. A
 * `QuicConnection` makes one for all its streams.
 *
 * @example
 * ```ts
 * declare const host: StreamHost;
 * host.send(0n, new TextEncoder().encode("hi"), true, 0);
 * ```
 */
export interface StreamHost {
  /**
   * Resolves when the connection's unacknowledged bytes leave room for `bytes` more
   * (`maxConnectionSendBuffer`; at once, without a promise, when they do and nobody waits
   * before us), with the room granted, which `send` (or `releaseRoom`) then takes.
   */
  sendRoom(bytes: number, signal?: AbortSignal): Promise<number> | number;
  /** Gives back a granted room that will not be used (the write failed before sending). */
  releaseRoom(granted: number): void;
  /** Queues `bytes` (and FIN) on stream `id`; throws a `QuicError` when the engine refuses. */
  send(id: bigint, bytes: Uint8Array, fin: boolean, priority: number, granted?: number): void;
  /** `bytes` of stream `id` were read (`finished`: its last ones): their credit is owed. */
  consume(id: bigint, bytes: number, finished: boolean): void;
  /** Both halves of `stream` ended here (once per stream). */
  ended(stream: QuicStream): void;
  /** Bytes of stream `id` not yet acknowledged (0n once the endpoint closed; undefined when unknown). */
  sendBuffered(id: bigint): bigint | undefined;
  /** Resolves after the next engine call. */
  progress(): Promise<void>;
  /** Resets our sending side of stream `id`. */
  resetStream(id: bigint, code: bigint): void;
  /** Asks the peer to stop sending on stream `id`. */
  stopSending(id: bigint, code: bigint): void;
  /** Whether the endpoint (and so the engine) is closed: nothing more will be reported. */
  readonly closed: boolean;
  /** Whether writers are woken by the engine's acknowledgement effects (else they poll). */
  readonly ackSignals: boolean;
}

/**
 * What the connection reports to a stream. Not re-exported by `quic/mod.ts`: the methods are
 * the stream's private ones, reachable only through this object.
 */
export interface StreamInbound {
  /** Bytes (and FIN) arrived. */
  data(stream: QuicStream, bytes: Uint8Array, fin: boolean): void;
  /** The receive side ended with `error`. */
  readFailed(stream: QuicStream, error: QuicError): void;
  /** The send side ended with `error`. */
  writeFailed(stream: QuicStream, error: QuicError): void;
  /** The peer acknowledged data; `unacknowledged` bytes remain. */
  acked(stream: QuicStream, unacknowledged: bigint): void;
  /** The engine closed the stream (everything sent is acknowledged, or it was reset). */
  engineClosed(stream: QuicStream): void;
}

/** The connection's way into its streams (set when the class is defined). */
export let streamInbound!: StreamInbound;

/**
 * A snapshot of a stream.
 *
 * @example
 * ```ts
 * declare const stream: QuicStream;
 * const snap: StreamSnapshot = stream.observe();
 * console.log(snap.bytesRead, snap.bytesWritten);
 * ```
 */
export interface StreamSnapshot {
  /** Stream ID. */
  id: bigint;
  /** Whether it is bidirectional. */
  bidirectional: boolean;
  /** Whether this side opened it. */
  locallyInitiated: boolean;
  /** Bytes read so far. */
  bytesRead: number;
  /** Bytes written so far. */
  bytesWritten: number;
  /** Whether the readable side ended. */
  readClosed: boolean;
  /** Whether the writable side ended. */
  writeClosed: boolean;
  /** The error that ended it, if any. */
  lastError?: QuicError;
}

/**
 * A QUIC stream.
 *
 * @example
 * ```ts
 * import type { QuicConnection } from "./connection.ts";
 * declare const conn: QuicConnection;
 * const stream = conn.openStream();
 * const writer = stream.writable!.getWriter();
 * await writer.write(new TextEncoder().encode("ping"));
 * await writer.close();
 * for await (const chunk of stream.readable!) console.log(chunk.length);
 * ```
 */
export class QuicStream {
  static {
    streamInbound = {
      data: (s, bytes, fin) => s.#data(bytes, fin),
      readFailed: (s, error) => s.#readFailed(error),
      writeFailed: (s, error) => s.#writeFailed(error),
      acked: (s, unacknowledged) => s.#wakeWriter(unacknowledged),
      engineClosed: (s) => s.#wakeWriter(0n),
    };
  }

  #host: StreamHost;
  #chunks: Uint8Array[] = [];
  #fin = false;
  #readError: QuicError | undefined;
  #writeError: QuicError | undefined;
  #wake: (() => void) | undefined;
  #resetCode: bigint | undefined;
  /** Writers waiting for acknowledgements: called with the unacknowledged byte count. */
  #ackWaiters = new Set<(unacknowledged: bigint) => void>();
  #ended = false;
  #readClosed = false;
  #writeClosed = false;
  #bytesRead = 0;
  #bytesWritten = 0;
  #priority: number;
  readonly #canRead: boolean;
  readonly #canWrite: boolean;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** Made by its connection (`openStream()`, incoming streams): stream `id` reached through `host`, and its send priority. */
  constructor(host: StreamHost, readonly id: bigint, readonly locallyInitiated: boolean, priority = 0) {
    this.#host = host;
    this.#priority = priority;
    const uni = (id & 2n) !== 0n;
    this.#canRead = !uni || !locallyInitiated;
    this.#canWrite = !uni || locallyInitiated;
  }

  /**
   * Incoming bytes as a WHATWG stream (absent on our own unidirectional streams). Made on
   * first use: a request/response exchange that only calls `read()`/`bytes()` and `write()`
   * never pays for it. Once made, it is the only way to read.
   */
  get readable(): ReadableStream<Uint8Array> | undefined {
    if (!this.#canRead) return undefined;
    return this.#readable ??= new ReadableStream<Uint8Array>(
      {
        pull: async (c) => {
          const chunk = await this.#next();
          if (chunk) c.enqueue(chunk);
          else if (this.#readError) c.error(this.#readError);
          else c.close();
        },
        cancel: () => {
          this.stopSending(0n);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Outgoing bytes as a WHATWG stream (absent on the peer's unidirectional streams); made on first use. */
  get writable(): WritableStream<Uint8Array> | undefined {
    if (!this.#canWrite) return undefined;
    return this.#writable ??= new WritableStream<Uint8Array>(
      {
        write: (chunk) => this.write(chunk),
        close: () => this.#finish(),
        abort: () => this.reset(0n),
      },
      { highWaterMark: 1 },
    );
  }

  /** Whether data flows both ways. */
  get bidirectional(): boolean {
    return (this.id & 2n) === 0n;
  }

  // ---- reading -------------------------------------------------------------------------

  /** Resolves once a chunk, the end or an error is there (consumes nothing: safe to abandon). */
  async #ready(): Promise<void> {
    while (this.#chunks.length === 0 && !this.#fin && !this.#readError) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Takes the next chunk (its credit returned to the peer), or undefined at the end or on an error. */
  #take(): Uint8Array | undefined {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#bytesRead += chunk.length;
      const last = this.#fin && this.#chunks.length === 0;
      this.#host.consume(this.id, chunk.length, last);
      if (last) this.#checkEnded();
      return chunk;
    }
    if (!this.#readError) this.#readClosed = true;
    this.#checkEnded();
    return undefined;
  }

  async #next(): Promise<Uint8Array | undefined> {
    await this.#ready();
    return this.#take();
  }

  #directRead(): void {
    if (!this.#canRead) throw new QuicError("invalid_argument", "this stream has no receive side");
    if (this.#readable) throw new QuicError("invalid_argument", "this stream is read through its readable");
  }

  /**
   * Reads the next chunk without a WHATWG reader: resolves with the bytes, or `undefined` once
   * the peer finished the stream; rejects with the `QuicError` that ended it.
   *
   * @example
   * ```ts
   * declare const stream: QuicStream;
   * for (let chunk; (chunk = await stream.read()) !== undefined;) console.log(chunk.length);
   * ```
   */
  async read(options: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    this.#directRead();
    await withSignal(this.#ready(), options.signal);
    const chunk = this.#take();
    if (chunk === undefined && this.#readError) throw this.#readError;
    return chunk;
  }

  /** Reads the rest of the stream into one array (until FIN). */
  async bytes(options: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<Uint8Array> {
    if (!this.#canRead) throw new QuicError("invalid_argument", "this stream has no receive side");
    const reader = this.#readable?.getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        let value: Uint8Array | undefined;
        if (reader) value = (await withSignal(reader.read(), options.signal)).value;
        else value = await this.read(options);
        if (value === undefined) break;
        parts.push(value);
        total += value.length;
        if (options.maxBytes !== undefined && total > options.maxBytes) {
          throw new QuicError("invalid_argument", `stream longer than ${options.maxBytes} bytes`);
        }
      }
    } finally {
      reader?.releaseLock();
    }
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  #data(bytes: Uint8Array, fin: boolean): void {
    if (bytes.length > 0) this.#chunks.push(bytes);
    if (fin) this.#fin = true;
    this.#wakeReader();
    if (fin) this.#checkEnded();
  }

  #readFailed(error: QuicError): void {
    this.#readError ??= error;
    this.#wakeReader();
    this.#checkEnded();
  }

  #writeFailed(error: QuicError): void {
    this.#writeError ??= error;
    this.#wakeWriter(0n);
    this.#checkEnded();
  }

  #wakeWriter(unacknowledged: bigint): void {
    if (this.#ackWaiters.size === 0) return;
    const waiters = [...this.#ackWaiters];
    this.#ackWaiters.clear();
    for (const w of waiters) w(unacknowledged);
  }

  /** Tells the connection, once, that both halves have ended here (its active-stream count). */
  #checkEnded(): void {
    if (this.#ended) return;
    const readDone = !this.#canRead || this.#readClosed || this.#readError !== undefined ||
      (this.#fin && this.#chunks.length === 0);
    const writeDone = !this.#canWrite || this.#writeClosed || this.#writeError !== undefined;
    if (!readDone || !writeDone) return;
    this.#ended = true;
    this.#host.ended(this);
  }

  #wakeReader(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  // ---- writing -------------------------------------------------------------------------

  /**
   * Writes bytes: waits while the connection's unacknowledged bytes leave no room for them
   * (`maxConnectionSendBuffer`), then hands them to the engine; resolves once this stream's
   * unacknowledged backlog is below its high-water mark (4 MiB).
   */
  async write(chunk: Uint8Array, options: { signal?: AbortSignal; fin?: boolean } = {}): Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw new QuicError("invalid_argument", "stream data must be a Uint8Array");
    this.#checkWritable();
    const room = this.#host.sendRoom(chunk.length, options.signal);
    const granted = typeof room === "number" ? room : await room;
    try {
      this.#checkWritable(); // the stream may have ended while it waited
    } catch (e) {
      this.#host.releaseRoom(granted);
      throw e;
    }
    this.#host.send(this.id, chunk, options.fin === true, this.#priority, granted);
    this.#bytesWritten += chunk.length;
    if (options.fin) {
      this.#writeClosed = true; // data and FIN left in one call; nothing more to wait for
      this.#checkEnded();
    } else await withSignal(this.#drainBelow(WRITE_HIGH_WATER), options.signal);
  }

  #checkWritable(): void {
    if (this.#writeError) throw this.#writeError;
    if (this.#resetCode !== undefined) {
      throw new QuicError("stream_reset", "the stream was reset locally", this.#resetCode);
    }
    if (this.#writeClosed) throw new QuicError("invalid_argument", "the stream's send side is finished");
  }

  /**
   * Waits until at most `limit` bytes are unacknowledged: asks the engine once, then (with
   * the acknowledgement extension) sleeps until an acknowledgement says so, else asks again
   * after each engine call.
   */
  async #drainBelow(limit: number): Promise<void> {
    const max = BigInt(limit);
    let buffered = this.#host.sendBuffered(this.id);
    for (;;) {
      if (this.#writeError) throw this.#writeError;
      if (this.#resetCode !== undefined) {
        throw new QuicError("stream_reset", "the stream was reset locally", this.#resetCode);
      }
      if (buffered === undefined || buffered <= max) return;
      if (this.#host.ackSignals) buffered = await this.#ackSignal();
      else {
        await this.#host.progress();
        buffered = this.#host.sendBuffered(this.id);
      }
    }
  }

  /** The next acknowledgement's unacknowledged count (0n when the connection's driver closed). */
  #ackSignal(): Promise<bigint> {
    return new Promise<bigint>((resolve) => {
      this.#ackWaiters.add(resolve);
      // an endpoint closed under us reports nothing more: notice it without asking the engine
      const poll = (): void => {
        if (!this.#ackWaiters.has(resolve)) return;
        if (!this.#host.closed) return void this.#host.progress().then(poll);
        this.#ackWaiters.delete(resolve);
        resolve(0n);
      };
      void this.#host.progress().then(poll);
    });
  }

  /**
   * The writer's close: queues FIN and returns (as quinn's `finish()` and Deno's writer close
   * do). Waiting for the peer's acknowledgement here made a close reject whenever the peer
   * closed the connection right after reading everything; {@link acknowledged} is that wait.
   */
  #finish(): void {
    if (this.#writeError) throw this.#writeError;
    if (!this.#writeClosed) this.#host.send(this.id, new Uint8Array(0), true, this.#priority);
    this.#writeClosed = true;
    this.#checkEnded();
  }

  /**
   * Bytes written on this stream that the peer has not acknowledged yet, as the engine counts
   * them (0n once the connection's endpoint closed); undefined without the engine's
   * `coquic_x_stream_send_buffered`.
   *
   * @example
   * ```ts
   * declare const stream: QuicStream;
   * console.log(`${stream.unacknowledgedBytes ?? "?"} bytes in flight or queued`);
   * ```
   */
  get unacknowledgedBytes(): bigint | undefined {
    return this.#host.sendBuffered(this.id);
  }

  /**
   * Resolves once every byte written so far has been acknowledged by the peer (the engine
   * counts bytes: a FIN is covered with the data before it, not on its own); rejects with the
   * error that ended the send side first (a STOP_SENDING, our reset, the connection closing).
   * Call it before closing the connection when the last bytes must arrive: a
   * CONNECTION_CLOSE discards unacknowledged stream data. Without the engine's
   * `coquic_x_stream_send_buffered` it resolves at once.
   *
   * @example
   * ```ts
   * declare const stream: QuicStream;
   * await stream.write(new TextEncoder().encode("bye"), { fin: true });
   * await stream.acknowledged({ signal: AbortSignal.timeout(5000) });
   * ```
   */
  async acknowledged(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this.#canWrite) throw new QuicError("invalid_argument", "this stream has no send side");
    await withSignal(this.#drainBelow(0), options.signal);
  }

  /** Resets our sending side with an application error code. */
  reset(code: bigint | number = 0n): void {
    const c = checkCode("code", code);
    this.#resetCode ??= c;
    this.#writeClosed = true;
    this.#host.resetStream(this.id, c);
    this.#wakeWriter(0n);
    this.#checkEnded();
  }

  /** Asks the peer to stop sending, with an application error code. */
  stopSending(code: bigint | number = 0n): void {
    const c = checkCode("code", code);
    this.#readClosed = true;
    this.#host.stopSending(this.id, c);
    this.#checkEnded();
  }

  /** A snapshot of this stream. */
  observe(): StreamSnapshot {
    return {
      id: this.id,
      bidirectional: this.bidirectional,
      locallyInitiated: this.locallyInitiated,
      bytesRead: this.#bytesRead,
      bytesWritten: this.#bytesWritten,
      readClosed: this.#readClosed || this.#fin && this.#chunks.length === 0,
      writeClosed: this.#writeClosed,
      lastError: this.#readError ?? this.#writeError,
    };
  }
}
