/**
 * Builds the npm package `@coquic/coquic` into `npm/` (what @deno/dnt would do, without it:
 * dnt lives on JSR, which this build environment cannot reach).
 *
 *   deno run -A scripts/build_npm.ts      (or: bun scripts/build_npm.ts)
 *
 * Steps:
 * 1. the TypeScript compiler from `node_modules/typescript` (`tsc`, with
 *    `rewriteRelativeImportExtensions`, so `./x.ts` specifiers become `./x.js`) emits ESM `.js`
 *    and `.d.ts` for `mod.ts`, `quic/mod.ts`, `http3/mod.ts`, `ffi/mod.ts`, every runtime
 *    adapter, the perf runner (`scripts/perf.ts`, the `coquic-ts-perf` bin) and the examples;
 * 2. a `package.json` (name `@coquic/coquic`, the version of `deno.json`, `"type": "module"`,
 *    `exports`, `engines.node >= 20`, `bin`, dependency `koffi`), README;
 * 3. the relocatable engine of `make -C native dist` (RPATH `$ORIGIN`) with ngtcp2's shared
 *    libraries beside it in `npm/native/linux-x64/`, which the loader finds after the
 *    environment variables.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(ROOT, "npm");
const TMP = join(ROOT, ".tmp");

/** The modules compiled into the package (their imports follow). */
export const ENTRY_POINTS: readonly string[] = [
  "mod.ts",
  "quic/mod.ts",
  "http3/mod.ts",
  "ffi/mod.ts",
  "runtimes/deno_ffi.ts",
  "runtimes/bun_ffi.ts",
  "runtimes/node_ffi.ts",
  "runtimes/udp_deno.ts",
  "runtimes/udp_bun.ts",
  "runtimes/udp_node.ts",
  "runtimes/io_waiter_deno.ts",
  "runtimes/io_waiter_bun.ts",
  "runtimes/io_waiter_node.ts",
  "scripts/perf.ts",
  "examples/echo_server.ts",
  "examples/echo_client.ts",
];

function run(cmd: string, args: string[], cwd = ROOT): void {
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`build_npm: ${cmd} ${args.join(" ")} failed (exit ${r.status})`);
}

function main(): void {
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  const devPkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });

  // 1. TypeScript → ESM .js + .d.ts
  const tsconfig = join(TMP, "tsconfig.npm.json");
  writeFileSync(
    tsconfig,
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2023", "DOM", "DOM.Iterable", "ESNext.Disposable"],
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules/@types")],
          rootDir: "..",
          outDir: "../npm",
          declaration: true,
          allowImportingTsExtensions: true,
          rewriteRelativeImportExtensions: true,
          strict: true,
          skipLibCheck: true,
          noEmitOnError: true,
          removeComments: false,
        },
        files: ENTRY_POINTS.map((f) => `../${f}`),
      },
      null,
      2,
    ),
  );
  run(join(ROOT, "node_modules/.bin/tsc"), ["-p", tsconfig]);
  const perf = join(OUT, "scripts/perf.js");
  writeFileSync(perf, "#!/usr/bin/env node\n" + readFileSync(perf, "utf8"));
  chmodSync(perf, 0o755);

  // 2. package.json, README
  const koffiVersion: string = devPkg.devDependencies?.koffi ?? "^3.3.4";
  const exportsMap: Record<string, { types: string; default: string }> = {};
  for (const [key, value] of Object.entries(deno.exports as Record<string, string>)) {
    const js = value.replace(/\.ts$/, ".js");
    exportsMap[key] = { types: js.replace(/\.js$/, ".d.ts"), default: js };
  }
  const pkg = {
    name: "@coquic/coquic",
    version: deno.version,
    description: "QUIC for Node.js, Deno and Bun on a sans-I/O native engine (libcoquic-ngtcp2, CoQUIC C ABI v12).",
    type: "module",
    main: "./mod.js",
    types: "./mod.d.ts",
    exports: { ...exportsMap, "./package.json": "./package.json" },
    bin: { "coquic-ts-perf": "./scripts/perf.js" },
    engines: { node: ">=20" },
    os: ["linux"],
    cpu: ["x64"],
    dependencies: { koffi: koffiVersion },
    files: ["**/*.js", "**/*.d.ts", "native/", "README.md"],
    license: "MIT",
  };
  writeFileSync(join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  copyFileSync(join(ROOT, "README.md"), join(OUT, "README.md"));

  // 3. the relocatable engine and ngtcp2's libraries
  run("make", ["-s", "-C", "native", "dist"]);
  const dist = join(ROOT, "native/build/dist/linux-x64");
  const target = join(OUT, "native/linux-x64");
  mkdirSync(target, { recursive: true });
  for (const f of readdirSync(dist)) copyFileSync(join(dist, f), join(target, f));
  if (!existsSync(join(target, "libcoquic-ngtcp2.so"))) throw new Error("build_npm: the engine is missing");
  console.log(`build_npm: ${pkg.name}@${pkg.version} in ${OUT} (${readdirSync(target).join(", ")})`);
}

if (
  import.meta.main ??
    (globalThis as { process?: { argv?: string[] } }).process?.argv?.[1] === fileURLToPath(import.meta.url)
) {
  main();
}
