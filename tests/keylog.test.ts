// SSLKEYLOGFILE: the engine's TLS secrets in the NSS key log format decrypt a real capture.
// dumpcap records one echo exchange on the loopback interface; tshark decrypts it with the key
// log the child wrote and must find the marker in the QUIC STREAM frames; without the key log
// the same capture must not show it (so the check cannot pass on plaintext).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// deno-lint-ignore no-explicit-any
const g = globalThis as any;

function has(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const skipReason = !has("tshark") || !has("dumpcap")
  ? "tshark/dumpcap not installed (Debian package tshark)"
  : !isRoot
  ? "capturing on the loopback interface needs root"
  : "";
if (skipReason) console.log(`keylog test skipped: ${skipReason}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Decrypted (with `keylog`) or raw STREAM payloads tshark finds in `pcap`, as hex strings. */
function streamPayloads(pcap: string, keylog?: string): string[] {
  const args = ["-r", pcap, "-Y", "quic.stream_data", "-T", "fields", "-e", "quic.stream_data"];
  if (keylog) args.unshift("-o", `tls.keylog_file:${keylog}`);
  const r = spawnSync("tshark", args, { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter((line) => /^[0-9a-f]+$/.test(line));
}

test("keylog: SSLKEYLOGFILE lets tshark decrypt a capture of our handshake and stream", async () => {
  const dir = mkdtempSync(join(tmpdir(), "coquic-keylog-"));
  try {
    // below the kernel's ephemeral range (32768–60999), where port-0 sockets of other tests live
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const pcap = join(dir, "cap.pcapng");
    const keylog = join(dir, "keys.log");
    const marker = `coquic-keylog-${port}-${Date.now()}`;
    const capture = spawn("dumpcap", ["-q", "-i", "lo", "-f", `udp port ${port}`, "-w", pcap], { stdio: "ignore" });
    const captureEnded = new Promise((resolve) => capture.on("exit", resolve));
    await sleep(1000); // dumpcap needs a moment before it sees packets
    const exe = g.Bun ? process.execPath : g.Deno.execPath();
    const script = "tests/fixtures/echo_once.ts";
    const args = g.Bun ? [script, String(port), marker] : ["run", "-A", script, String(port), marker];
    const child = spawnSync(exe, args, {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, SSLKEYLOGFILE: keylog },
    });
    await sleep(300);
    capture.kill("SIGINT");
    await captureEnded;
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), marker);

    const lines = readFileSync(keylog, "utf8").trim().split("\n");
    const labels = new Set(lines.map((line) => line.split(" ")[0]));
    for (
      const label of [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
      ]
    ) {
      assert.ok(labels.has(label), `key log lacks ${label}`);
    }
    for (const line of lines) assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/);

    const markerHex = Array.from(new TextEncoder().encode(marker), (b) => b.toString(16).padStart(2, "0")).join("");
    assert.ok(!streamPayloads(pcap).includes(markerHex), "the marker is readable without the key log");
    const decrypted = streamPayloads(pcap, keylog);
    // Once from client to server and once echoed back.
    assert.equal(decrypted.filter((hex) => hex === markerHex).length, 2, decrypted.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, { ignore: skipReason !== "", timeout: 60_000 });
