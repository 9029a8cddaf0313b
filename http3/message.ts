/**
 * HTTP semantics over HTTP/3 field sections: pseudo-headers, validation, trailers.
 *
 * @module
 */
import { H3Error, H3ErrorCode } from "./errors.ts";
import type { HeaderField } from "./qpack/field.ts";

const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** A malformed request or response (RFC 9114 §4.1.2): a stream error H3_MESSAGE_ERROR. */
export function messageError(why: string): H3Error {
  return new H3Error(H3ErrorCode.H3_MESSAGE_ERROR, why, false);
}

/** Splits a field section into pseudo-headers and regular headers, validating both. */
export function splitFields(
  fields: HeaderField[],
  allowed: readonly string[],
): { pseudo: Map<string, string>; headers: Headers } {
  const pseudo = new Map<string, string>();
  const headers = new Headers();
  let regular = false;
  for (const f of fields) {
    if (f.name.startsWith(":")) {
      if (regular) throw messageError("pseudo-header after a regular header");
      if (!allowed.includes(f.name)) throw messageError(`pseudo-header ${f.name} not allowed here`);
      if (pseudo.has(f.name)) throw messageError(`duplicate ${f.name}`);
      pseudo.set(f.name, f.value);
      continue;
    }
    regular = true;
    if (f.name !== f.name.toLowerCase()) throw messageError("uppercase field name");
    if (CONNECTION_SPECIFIC.has(f.name)) throw messageError(`connection-specific field ${f.name}`);
    if (f.name === "te" && f.value !== "trailers") throw messageError("TE other than trailers");
    try {
      headers.append(f.name, f.value);
    } catch {
      throw messageError(`invalid field ${f.name}`);
    }
  }
  return { pseudo, headers };
}

/** Regular header fields of a Headers object for sending (lowercase, no connection-specific). */
export function headerFields(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  headers.forEach((value, name) => {
    if (!CONNECTION_SPECIFIC.has(name) && name !== "host") out.push([name, value]);
  });
  return out;
}

const responseTrailers = new WeakMap<Response, Promise<HeadersInit>>();
const requestTrailers = new WeakMap<Request, Promise<Headers>>();

/**
 * Attaches trailers to a Response returned by a `serve` handler (WHATWG Response has no
 * trailers of its own); they are sent after the body.
 *
 * @example
 * ```ts
 * import type { Handler } from "./server.ts";
 * const handler: Handler = () => withTrailers(new Response("body"), { "x-checksum": "abc" });
 * ```
 */
export function withTrailers(response: Response, trailers: HeadersInit | Promise<HeadersInit>): Response {
  responseTrailers.set(response, Promise.resolve(trailers));
  return response;
}

/** @internal The trailers attached with withTrailers. */
export function trailersOfResponse(response: Response): Promise<HeadersInit> | undefined {
  return responseTrailers.get(response);
}

/**
 * The trailers of a request received by `serve` (or of a response from `fetch`), resolved
 * once its body has been read to the end; empty Headers when there were none.
 *
 * @example
 * ```ts
 * declare const request: Request;
 * const body = await request.arrayBuffer();
 * const t = await trailers(request);
 * ```
 */
export function trailers(message: Request | Response): Promise<Headers> {
  return (message instanceof Request ? requestTrailers.get(message) : responseTrailerPromises.get(message)) ??
    Promise.resolve(new Headers());
}

const responseTrailerPromises = new WeakMap<Response, Promise<Headers>>();

/** @internal */
export function setRequestTrailers(request: Request, p: Promise<Headers>): void {
  requestTrailers.set(request, p);
}

/** @internal */
export function setResponseTrailers(response: Response, p: Promise<Headers>): void {
  responseTrailerPromises.set(response, p);
}

/** Headers from decoded trailer fields (pseudo-headers are not allowed there). */
export function trailerHeaders(fields: HeaderField[] | undefined): Headers {
  if (!fields) return new Headers();
  return splitFields(fields, []).headers;
}

/**
 * The value of an `Alt-Svc` header announcing HTTP/3 on `port` (for a TCP server's responses).
 *
 * @example
 * ```ts
 * const headers = new Headers();
 * headers.set("alt-svc", altSvc(443)); // h3=":443"; ma=86400
 * ```
 */
export function altSvc(port: number, maxAgeSeconds = 86400): string {
  return `h3=":${port}"; ma=${maxAgeSeconds}`;
}
