/**
 * The kuar program compiled ahead of time, so that `pulumi preview/up` runs plain JavaScript:
 * no TypeScript loader in the engine's Node process (tsx's ESM hooks thread, its transforms and
 * the source maps it switches on for every SDK module cost more than the program itself).
 *
 * esbuild (the compiler tsx itself ships, resolved through tsx so no extra dependency) bundles
 * kuar's own modules into ESM under `.kuar/build/<key>/`; the npm packages stay external and are
 * loaded from node_modules as before (one @pulumi/pulumi for the SDKs and the program), except
 * the small pure ones in BUNDLED. Each target's module stays a separate chunk, loaded only when
 * chosen (providers/registry.ts).
 *
 * <key> is a hash of every input file's content (from the last build's metafile), of this file
 * and of esbuild's version: a changed source rebuilds (about a second), an unchanged one costs
 * a few milliseconds of hashing. A build is written to a temporary directory and renamed into
 * place, so concurrent runs never see half a build. Plain JavaScript so that it runs without tsx.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(import.meta.url);
/** The project root (where Pulumi.yaml and node_modules are). */
export const projectRoot = resolve(dirname(here), "..", "..");
/** Pure-JavaScript packages only kuar uses: one bundled file instead of dozens of module loads. */
const BUNDLED = new Set(["zod", "yaml"]);
/**
 * The name each bundled module's own `import.meta` values are kept under. esbuild's define
 * replaces `import.meta.url` (and dirname, filename) in the syntax tree, never inside a string,
 * and binds the name to the constant the loader puts at the top of that same module.
 */
const META = "__kuarImportMeta";
/** Builds older than this and no longer current are removed. */
const KEEP_MS = 60 * 60 * 1000;

/** esbuild as tsx resolves it: its version (read from its manifest, without loading it) and a loader. */
function esbuildOf(root) {
  const req = createRequire(createRequire(join(root, "package.json")).resolve("tsx/package.json"));
  const { version } = JSON.parse(readFileSync(req.resolve("esbuild/package.json"), "utf8"));
  return { version, load: () => req("esbuild") };
}

const sha = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
};

/** The key of a build from its inputs (paths relative to the root), or undefined if one is gone. */
function keyOf(root, entries, inputs, esbuildVersion) {
  const parts = [readFileSync(here), esbuildVersion, entries.join(",")];
  for (const input of inputs) {
    const file = join(root, input);
    if (!existsSync(file)) return undefined;
    parts.push(input, readFileSync(file));
  }
  return sha(...parts).slice(0, 16);
}

/** A bare import `pkg/sub/path` of a package without an exports map, as a file Node's ESM resolver accepts. */
export function externalPath(spec, importer) {
  const m = /^(@[^/]+\/[^/]+|[^/]+)(\/.*)?$/.exec(spec);
  if (!m) return spec;
  const [, pkg, sub] = m;
  if (!sub) return spec;
  const req = createRequire(importer);
  const manifest = JSON.parse(readFileSync(req.resolve(`${pkg}/package.json`), "utf8"));
  if (manifest.exports) return spec;
  // `@pulumi/aws/eks` is a directory (CommonJS resolves it to eks/index.js; ESM does not).
  const file = req.resolve(spec);
  const at = file.lastIndexOf(`/node_modules/${pkg}/`);
  return `${pkg}/${file.slice(at + `/node_modules/${pkg}/`.length)}`;
}

const kuarPlugin = {
  name: "kuar",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || args.kind === "entry-point") return undefined;
      const pkg = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0];
      if (BUNDLED.has(pkg)) return undefined;
      return { path: externalPath(args.path, args.importer), external: true };
    });
    // A module that finds files beside itself (config/contracts, test fixtures) keeps its source
    // location: `import.meta.*` becomes a constant of that module (see META), so its text, strings
    // included, is left as written.
    b.onLoad({ filter: /\.(ts|mjs|js)$/ }, (args) => {
      if (args.path.includes("/node_modules/")) return undefined;
      const source = readFileSync(args.path, "utf8");
      const loader = args.path.endsWith(".ts") ? "ts" : "js";
      if (!source.includes("import.meta")) return { contents: source, loader };
      const meta = `const ${META} = ${JSON.stringify({ url: pathToFileURL(args.path).href, dirname: dirname(args.path), filename: args.path })};`;
      // After a shebang line, on the first line otherwise (line numbers stay the source's).
      const at = source.startsWith("#!") ? source.indexOf("\n") + 1 : 0;
      return { contents: `${source.slice(0, at)}${meta} ${source.slice(at)}`, loader };
    });
  },
};

/** Removes old builds that no entry set points at any more. */
function prune(buildRoot) {
  const names = readdirSync(buildRoot);
  const keep = new Set(
    names
      .filter((n) => /^current-.*\.json$/.test(n))
      .map((n) => JSON.parse(readFileSync(join(buildRoot, n), "utf8")).key),
  );
  for (const name of names) {
    const p = join(buildRoot, name);
    if (keep.has(name) || name.endsWith(".json")) continue;
    if (Date.now() - statSync(p).mtimeMs > KEEP_MS) rmSync(p, { recursive: true, force: true });
  }
}

/**
 * Builds `entries` (paths relative to `root`, e.g. "index.ts") unless the current build of them
 * is fresh, and returns the directory holding them as `.js` at the same relative paths.
 */
export async function buildProgram(entries, root = projectRoot) {
  const buildRoot = join(root, ".kuar", "build");
  mkdirSync(buildRoot, { recursive: true });
  const esbuild = esbuildOf(root);
  const pointer = join(buildRoot, `current-${sha(entries.join(",")).slice(0, 8)}.json`);
  if (existsSync(pointer)) {
    const current = JSON.parse(readFileSync(pointer, "utf8"));
    const dir = join(buildRoot, current.key);
    if (existsSync(dir) && keyOf(root, entries, current.inputs, esbuild.version) === current.key) return dir;
  }
  const tmp = join(buildRoot, `tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const result = await esbuild.load().build({
      absWorkingDir: root,
      entryPoints: entries.map((e) => join(root, e)),
      outbase: root,
      outdir: tmp,
      entryNames: "[dir]/[name]",
      chunkNames: "chunks/[name]-[hash]",
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "linked",
      metafile: true,
      logLevel: "silent",
      // CommonJS packages bundled into ESM (yaml) call require.
      banner: {
        js: 'import { createRequire as __kuarRequire } from "node:module"; const require = __kuarRequire(import.meta.url);',
      },
      define: Object.fromEntries(["url", "dirname", "filename"].map((k) => [`import.meta.${k}`, `${META}.${k}`])),
      plugins: [kuarPlugin],
    });
    const inputs = Object.keys(result.metafile.inputs).sort();
    const key = keyOf(root, entries, inputs, esbuild.version);
    if (!key) throw new Error("an input of the program build disappeared while building; run again");
    const dir = join(buildRoot, key);
    if (existsSync(dir)) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, dir);
    const next = `${pointer}.${process.pid}.tmp`;
    writeFileSync(next, JSON.stringify({ key, entries, inputs: inputs.map((i) => relative(root, join(root, i))) }));
    renameSync(next, pointer);
    prune(buildRoot);
    return dir;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
