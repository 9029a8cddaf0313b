// Every ```ts block of README.md and every program in examples/ runs to a clean exit 0
// (issue 17 item 2), on the runtime running this test, each bounded in time.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const EXE: string = g.Bun ? process.execPath : g.Deno.execPath();
const RUN: string[] = g.Bun ? [] : ["run", "-A"];

interface Exit {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Starts `file` with `args` under this runtime; `exit` settles when it ends or after `ms` (then it is killed). */
function start(
  file: string,
  args: string[],
  ms: number,
): { child: ChildProcess; exit: Promise<Exit>; line: Promise<string> } {
  const child = spawn(EXE, [...RUN, file, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "", stderr = "";
  let firstLine!: (l: string) => void;
  const line = new Promise<string>((r) => (firstLine = r));
  child.stdout!.on("data", (d) => {
    stdout += d;
    if (stdout.includes("\n")) firstLine(stdout.slice(0, stdout.indexOf("\n")));
  });
  child.stderr!.on("data", (d) => (stderr += d));
  const exit = new Promise<Exit>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("exit", (status, signal) => {
      clearTimeout(timer);
      firstLine(stdout);
      resolve({ status, signal, stdout, stderr });
    });
  });
  return { child, exit, line };
}

const show = (what: string, e: Exit) =>
  `${what}: exit ${e.status} signal ${e.signal}\n--- stdout\n${e.stdout}\n--- stderr\n${e.stderr}`;

/** The ```ts blocks of README.md. */
function readmeSnippets(): string[] {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

test("readme: every ```ts block of README.md is a complete program that exits 0", async () => {
  const snippets = readmeSnippets();
  assert.ok(snippets.length >= 2, "README.md has its QUIC and HTTP/3 examples");
  const dir = join(ROOT, ".tmp", `readme-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    for (const [i, code] of snippets.entries()) {
      // The snippets import "./mod.ts" as if they sat at the repository root.
      const file = join(dir, `snippet_${i + 1}.ts`);
      writeFileSync(file, code.replaceAll(/from "\.\//g, `from "${ROOT}`));
      const { exit } = start(file, [], 20_000);
      const e = await exit;
      assert.equal(e.status, 0, show(`README snippet ${i + 1}\n${code}`, e));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, { timeout: 90_000 });

/** Runs a server example on a free port, a client example against it, then stops the server with SIGTERM. */
async function serverAndClient(
  server: string,
  client: (port: number, certFile: string) => string[],
  clientFile: string,
  portOf: (line: string) => number,
  expect: RegExp,
): Promise<void> {
  const dir = join(ROOT, ".tmp", `examples-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, "cert.pem");
  const srv = start(join(ROOT, "examples", server), ["--port", "0", "--cert-out", cert], 30_000);
  try {
    const port = portOf(await srv.line);
    assert.ok(port > 0, `${server} printed its port: ${await srv.line}`);
    const c = await start(join(ROOT, "examples", clientFile), client(port, cert), 20_000).exit;
    assert.equal(c.status, 0, show(clientFile, c));
    assert.match(c.stdout, expect);
    // process.kill, not child.kill: Deno's child_process reports a child that child.kill()
    // signalled as killed by that signal even when it handled it and exited 0.
    process.kill(srv.child.pid!, "SIGTERM");
    const s = await srv.exit;
    assert.equal(s.status, 0, show(`${server} after SIGTERM`, s));
  } finally {
    srv.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

test("readme: examples/echo_server.ts and echo_client.ts run and exit 0", async () => {
  await serverAndClient(
    "echo_server.ts",
    (port, cert) => ["--host", "localhost", "--port", String(port), "--ca", cert, "hello", "examples"],
    "echo_client.ts",
    (line) => JSON.parse(line).listening.port,
    /^hello examples$/m,
  );
}, { timeout: 90_000 });

test("readme: examples/h3_server.ts and h3_fetch.ts run and exit 0", async () => {
  await serverAndClient(
    "h3_server.ts",
    (port, cert) => [`https://localhost:${port}/hello`, "--ca", cert],
    "h3_fetch.ts",
    (line) => Number(/:(\d+)\/$/.exec(line)?.[1] ?? 0),
    /you asked for \/hello/,
  );
}, { timeout: 90_000 });
