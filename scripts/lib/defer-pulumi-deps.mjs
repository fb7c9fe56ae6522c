/**
 * Preloaded into the Node process that runs the program (Pulumi.yaml `nodeargs: --import`):
 * defers four modules @pulumi/pulumi 3.248.0 loads at startup but kuar's program never uses,
 * until something first touches them. runtime/index.js loads the closure serializer eagerly
 * (runtime/closure/parseFunction.js requires the whole TypeScript compiler through
 * typescript-shim.js; runtime/closure/codePaths.js requires @npmcli/arborist and its tree), and
 * index.js loads the Automation API. kuar serializes no closure (common/dynamic.ts) and runs no
 * automation inside the program; compiling those modules is most of the SDK's load time.
 *
 * Each stands in require's cache as a proxy that loads the real module on first use, so a
 * program that does use them still works, only later. Nothing is deferred when the files are not
 * where this version keeps them. `--import` runs before Pulumi's `cmd/run` requires the SDK.
 */
import { existsSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

function pulumiDir() {
  try {
    // From this file's own place: the project's SDK, whichever directory the process runs in.
    return dirname(require.resolve("@pulumi/pulumi/package.json"));
  } catch {
    return undefined;
  }
}

/**
 * Puts a lazy stand-in for `file` (a module whose exports are an object) into require's cache.
 * Reading one of `functions` (exports known to be functions) gives a function that loads the
 * module when called, so a module that only copies such an export at startup loads nothing.
 */
function defer(file, functions = []) {
  if (!existsSync(file) || require.cache[file]) return;
  let real;
  const load = () => {
    if (real === undefined) {
      delete require.cache[file];
      real = require(file);
    }
    return real;
  };
  const stand = new Module(file);
  stand.filename = file;
  stand.loaded = true;
  stand.exports = new Proxy(
    {},
    {
      // TypeScript's __importStar returns an object marked __esModule as it is, without reading it.
      get: (_, key) =>
        key === "__esModule" ? true : functions.includes(key) ? (...args) => load()[key](...args) : load()[key],
      has: (_, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(load(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
  require.cache[file] = stand;
}

const dir = pulumiDir();
if (dir && require(join(dir, "package.json")).version === "3.248.0") {
  defer(join(dir, "typescript-shim.js"));
  defer(join(dir, "automation", "index.js"));
  // runtime/index.js copies computeCodePaths at startup; the module loads fdir and
  // normalize-package-data (and arborist) for closure serialization, which kuar never does.
  defer(join(dir, "runtime", "closure", "codePaths.js"), ["computeCodePaths"]);
  try {
    defer(require.resolve("@npmcli/arborist", { paths: [dir] }));
  } catch {
    // not installed where @pulumi/pulumi looks: nothing to defer
  }
}
