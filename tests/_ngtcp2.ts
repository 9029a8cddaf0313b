/**
 * ngtcp2's example tools as independent peers: `gtlsclient` against our `serve()`, and
 * `gtlsserver` for our `fetch()`. Verdicts come from the bytes saved and the tool's log, never
 * from its exit status (gtlsclient exits 0 when the server kills the connection).
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDevCertificate } from "../quic/devcert.ts";

function has(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why the ngtcp2 cases are skipped, or "" when both tools are installed. */
export const ngtcp2Missing: string = has("gtlsclient") && has("gtlsserver")
  ? ""
  : "gtlsclient/gtlsserver missing (Debian packages ngtcp2-client, ngtcp2-server; scripts/setup installs them)";

/** What one gtlsclient run left: the files it saved (by URL path) and its log. */
export interface GtlsclientRun {
  saved: Map<string, Uint8Array>;
  log: string;
}

/**
 * Runs gtlsclient against 127.0.0.1:`port` for `paths`, saving the responses. `extra` flags go
 * before the address (e.g. `--ciphers=…`, `--key-update=…`). Frame dumps stay off; the log keeps
 * connection lines ("the negotiated version is …", "Negotiated cipher suite is …").
 */
export async function runGtlsclient(
  port: number,
  paths: string[],
  extra: string[] = [],
  timeoutMs = 30_000,
): Promise<GtlsclientRun> {
  const dir = mkdtempSync(join(tmpdir(), "coquic-gtlsclient-"));
  try {
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const child = spawn("gtlsclient", [
        "--no-quic-dump",
        "--no-http-dump",
        "--exit-on-all-streams-close",
        `--download=${dir}`,
        "--timeout=5s",
        ...extra,
        "127.0.0.1",
        String(port),
        ...paths.map((p) => `https://127.0.0.1:${port}${p}`),
      ], { stdio: ["ignore", "pipe", "pipe"] });
      const keep = (chunk: Uint8Array) => {
        log += new TextDecoder().decode(chunk).replace(/^.* pkt .*$\n?/gm, ""); // packet lines are bulky
      };
      child.stdout!.on("data", keep);
      child.stderr!.on("data", keep);
      const timer = setTimeout(
        () => (child.kill(), reject(new Error(`gtlsclient timed out; log:\n${log.slice(-2000)}`))),
        timeoutMs,
      );
      child.on("exit", () => (clearTimeout(timer), resolve()));
      child.on("error", (e) => (clearTimeout(timer), reject(e)));
    });
    const saved = new Map<string, Uint8Array>();
    for (const p of paths) {
      const file = join(dir, p.slice(1));
      if (existsSync(file)) saved.set(p, new Uint8Array(readFileSync(file)));
    }
    return { saved, log };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A running gtlsserver and what a client needs to reach and trust it. */
export interface Gtlsserver {
  port: number;
  certificatePem: string;
  /** Its log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts gtlsserver on 127.0.0.1 serving `files` (path → bytes); `extra` flags as for gtlsclient. */
export async function startGtlsserver(files: Record<string, Uint8Array>, extra: string[] = []): Promise<Gtlsserver> {
  const dir = mkdtempSync(join(tmpdir(), "coquic-gtlsserver-"));
  const cert = await generateDevCertificate();
  writeFileSync(join(dir, "cert.pem"), cert.certPem);
  writeFileSync(join(dir, "key.pem"), cert.keyPem);
  mkdirSync(join(dir, "htdocs"));
  for (const [path, bytes] of Object.entries(files)) writeFileSync(join(dir, "htdocs", path.slice(1)), bytes);
  for (let attempt = 0;; attempt++) {
    // below the kernel's ephemeral range (32768–60999), where port-0 sockets of other tests live
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const child = spawn("gtlsserver", [
      "--no-quic-dump",
      "--no-http-dump",
      "-d",
      join(dir, "htdocs"),
      ...extra,
      "127.0.0.1",
      String(port),
      join(dir, "key.pem"),
      join(dir, "cert.pem"),
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    const keep = (chunk: Uint8Array) => (log += new TextDecoder().decode(chunk).replace(/^.* pkt .*$\n?/gm, ""));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    const early = await Promise.race([
      exited.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 400)),
    ]);
    if (early) {
      if (attempt < 5) continue; // the port was taken
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`gtlsserver did not start:\n${log}`);
    }
    return {
      port,
      certificatePem: cert.certPem,
      log: () => log,
      stop: async () => {
        child.kill();
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
