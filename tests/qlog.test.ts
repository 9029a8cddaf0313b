// qlog: one JSON-SEQ file per connection (qvis's format) from the `qlogDir` option and from
// the QLOGDIR environment variable; an unusable directory is a typed error.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { connect, listen, QuicError } from "../mod.ts";
import { defaultLibrary } from "../ffi/loader.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const noQlog = defaultLibrary().extensions.qlog ? "" : "the loaded libcoquic has no coquic_x_endpoint_set_qlog_dir";

interface QlogRecord {
  qlog_format?: string;
  qlog_version?: string;
  trace?: { vantage_point?: { type?: string } };
  name?: string;
  time?: number;
}

/** Parses a JSON-SEQ file (RFC 7464: each record starts with RS, 0x1e). */
function records(path: string): QlogRecord[] {
  const text = readFileSync(path, "utf8");
  assert.equal(text[0], "\x1e", "a JSON-SEQ file starts with RS");
  return text.split("\x1e").filter((r) => r.trim()).map((r) => JSON.parse(r));
}

/** Checks one connection's qlog: the header qvis needs, then timed transport events. */
function checkQlog(path: string, vantage: "client" | "server"): void {
  const [header, ...events] = records(path);
  assert.equal(header.qlog_format, "JSON-SEQ");
  assert.match(header.qlog_version ?? "", /^0\.\d+$/);
  assert.equal(header.trace?.vantage_point?.type, vantage);
  const names = new Set(events.map((e) => e.name));
  for (const name of ["transport:packet_sent", "transport:packet_received", "transport:parameters_set"]) {
    assert.ok(names.has(name), `${vantage} qlog lacks ${name}: ${[...names].join(", ")}`);
  }
  for (const e of events) assert.equal(typeof e.time, "number");
}

function qlogFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".sqlog")).sort();
}

/** The files once complete: each is closed (flushed) when the engine frees its connection,
 * which follows the closing period, so a file read earlier may end mid-record. */
async function completeQlogFiles(dir: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const files = qlogFiles(dir);
    const complete = files.length === count && files.every((f) => {
      try {
        records(join(dir, f));
        return true;
      } catch {
        return false;
      }
    });
    if (complete || Date.now() > deadline) return files;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("qlog: the qlogDir option writes one qvis-readable file per connection", async () => {
  const dir = mkdtempSync(join(tmpdir(), "coquic-qlog-"));
  try {
    const logs = join(dir, "logs"); // made by the engine
    const server = await listen({ hostname: "127.0.0.1", port: 0, alpn: "qlog", qlogDir: logs });
    const serving = (async () => {
      for await (const conn of server) {
        for await (const s of conn) await s.readable!.pipeTo(s.writable!).catch(() => {});
      }
    })();
    const conn = await connect(server.addr, { alpn: "qlog", ca: server.certificatePem, qlogDir: logs });
    const stream = conn.openStream();
    await stream.write(new TextEncoder().encode("qlog"), { fin: true });
    assert.equal(new TextDecoder().decode(await stream.bytes()), "qlog");
    await conn.close({ code: 0, reason: "done" });
    await server.close();
    await serving;
    const files = await completeQlogFiles(logs, 2);
    assert.equal(files.length, 2, files.join(", "));
    assert.match(files[0], /^client-[0-9a-f]+\.sqlog$/);
    assert.match(files[1], /^server-[0-9a-f]+\.sqlog$/);
    checkQlog(join(logs, files[0]), "client");
    checkQlog(join(logs, files[1]), "server");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, { ignore: noQlog !== "" });

test("qlog: QLOGDIR in the environment is honoured without any option", () => {
  const dir = mkdtempSync(join(tmpdir(), "coquic-qlogdir-"));
  try {
    const exe = g.Bun ? process.execPath : g.Deno.execPath();
    const script = "tests/fixtures/echo_once.ts";
    const args = g.Bun ? [script, "0", "env"] : ["run", "-A", script, "0", "env"];
    const r = spawnSync(exe, args, {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, QLOGDIR: dir },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "env");
    const files = qlogFiles(dir);
    assert.equal(files.length, 2, files.join(", "));
    checkQlog(join(dir, files[0]), "client");
    checkQlog(join(dir, files[1]), "server");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, { ignore: noQlog !== "" });

test("qlog: a qlogDir that cannot be made is an invalid_argument QuicError", async () => {
  const dir = mkdtempSync(join(tmpdir(), "coquic-qlogbad-"));
  try {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    await assert.rejects(
      listen({ hostname: "127.0.0.1", port: 0, alpn: "qlog", qlogDir: join(file, "sub") }),
      (e: unknown) => e instanceof QuicError && e.kind === "invalid_argument" && /qlogDir/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, { ignore: noQlog !== "" });
