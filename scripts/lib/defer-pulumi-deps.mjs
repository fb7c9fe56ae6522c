/**
 * Preloaded into the Node processes that run the program and kuar's dynamic provider host
 * (Pulumi.yaml `nodeargs: --import`, scripts/plugins/pulumi-resource-pulumi-nodejs). It takes
 * out costs that @pulumi/pulumi 3.248.0 and @pulumi/kubernetes 4.25.0 pay on every engine run for
 * things kuar never uses.
 *
 * 1. Modules loaded at startup and never used, deferred until something first touches them:
 *    - the closure serializer: runtime/closure/parseFunction.js requires the whole TypeScript
 *      compiler through typescript-shim.js, and runtime/closure/codePaths.js requires
 *      @npmcli/arborist and its tree (kuar serializes no closure: common/dynamic.ts);
 *    - the Automation API, loaded by index.js (kuar runs no automation inside the program);
 *    - js-yaml, loaded by runtime/manifest.js only to read a pnpm package.yaml (kuar has a
 *      package.json);
 *    - the OpenTelemetry SDK that cmd/run/tracing.js loads at the top for `--tracing` (its
 *      exporter, tracer provider and gRPC instrumentation), unless this run traces;
 *    - @pulumi/kubernetes's yaml (v1 ConfigFile and its glob), helm/v3 and kustomize modules,
 *      which its index.js loads although kuar uses helm/v4 and typed classes only.
 *    Each stands in require's cache as a proxy that loads the real module on first use, so a
 *    program that does use them still works, only later.
 * 2. The stack of every promise: runtime/debuggable.js takes `new Error().stack` for each promise
 *    it tracks, and cmd/run's source-map-support maps every frame of it through the source maps,
 *    about 0.4 s of CPU in a no-op `up` of the quick-start stack. That stack is read only when
 *    PULUMI_DEBUG_PROMISE_LEAKS is set (runtime/debuggable.js promiseDebugString), so unless it
 *    is, it is not formatted at all. Every other stack (errors, resource source positions) is
 *    formatted by whatever formatter is installed, source maps included, exactly as before.
 * 3. The debugger: before the program starts, cmd/run opens an inspector session and enables the
 *    debugger so that closure serialization can later map script ids to files; V8 then reports
 *    every script it compiles. The session is opened when closure serialization first asks for
 *    it instead (inspectOnFirstUse).
 *
 * Nothing is changed when the files are not where this version keeps them. `--import` runs
 * before Pulumi's `cmd/run` requires the SDK.
 */
import { existsSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";

const require = createRequire(import.meta.url);

/** The directory of an installed package, found from this file's own place, if it is installed. */
function packageDir(name) {
  try {
    // From this file's own place: the project's copy, whichever directory the process runs in.
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** Puts a loaded module with `exports` into require's cache as `file`, unless `file` is absent or loaded. */
function standIn(file, exports) {
  if (!existsSync(file) || require.cache[file]) return;
  const stand = new Module(file);
  stand.filename = file;
  stand.loaded = true;
  stand.exports = exports;
  require.cache[file] = stand;
}

/**
 * Puts a lazy stand-in for `file` (a module whose exports are an object) into require's cache.
 * Reading one of `functions` (exports known to be functions) gives a function that loads the
 * module when called, so a module that only copies such an export at startup loads nothing.
 */
function defer(file, functions = []) {
  let real;
  const load = () => {
    if (real === undefined) {
      delete require.cache[file];
      real = require(file);
    }
    return real;
  };
  standIn(
    file,
    new Proxy(
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
    ),
  );
}

/** What a promise's unread debugging stack says instead of its frames (see 2. above). */
const PROMISE_STACK_NOT_KEPT = "(stack not kept: set PULUMI_DEBUG_PROMISE_LEAKS=1 to keep promise stacks)";

/**
 * Makes any installed Error.prepareStackTrace skip the stacks debuggablePromise (in `file`)
 * takes. The property stays an ordinary-looking one: reading it gives a wrapper of what was set,
 * the same wrapper each time, and setting a wrapper back (the save-and-restore others do) sets
 * what it wraps. With nothing installed, V8's own formatting runs as before.
 */
function keepNoPromiseStacks(file) {
  const wrappers = new WeakMap();
  const wrapped = new WeakMap();
  let current = Error.prepareStackTrace;
  const wrap = (format) => {
    if (typeof format !== "function") return format;
    let w = wrappers.get(format);
    if (!w) {
      w = function prepareStackTrace(error, frames) {
        const top = frames[0];
        if (top && top.getFunctionName() === "debuggablePromise" && top.getFileName() === file) {
          return PROMISE_STACK_NOT_KEPT;
        }
        return format.call(this, error, frames);
      };
      wrappers.set(format, w);
      wrapped.set(w, format);
    }
    return w;
  };
  Object.defineProperty(Error, "prepareStackTrace", {
    configurable: true,
    get: () => wrap(current),
    set: (format) => {
      current = wrapped.get(format) ?? format;
    },
  });
}

/**
 * Puts a stand-in for runtime/closure/v8Hooks.js (`file`) into require's cache: the same three
 * exports, with the inspector session made on first use instead of before the program starts.
 * cmd/run awaits isInitializedAsync() before it runs the program, and the real module then opens
 * an inspector session and enables the debugger, so that V8 reports every script compiled from
 * then on (about 90 ms of CPU in a no-op `up` of the quick-start stack, for some 400 scripts).
 * Only closure serialization reads those reports (runtime/closure/v8.js, which awaits
 * getSessionAsync() before each getScriptUrl). The stand-in listens before it enables the
 * debugger, and V8 reports the scripts it already has on enabling, so a program that does
 * serialize a closure gets every script's address, the ones loaded earlier too.
 */
function inspectOnFirstUse(file) {
  if (!existsSync(file) || require.cache[file]) return;
  // What the real module does on loading, for closure serialization's native calls.
  setFlagsFromString("--allow-natives-syntax");
  const urls = new Map();
  let session;
  const getSessionAsync = () =>
    (session ??= (async () => {
      const inspector = require("node:inspector");
      const s = new inspector.Session();
      s.connect();
      s.on("Debugger.scriptParsed", (event) => urls.set(event.params.scriptId, event.params.url));
      await new Promise((resolve, reject) => s.post("Debugger.enable", (err) => (err ? reject(err) : resolve())));
      return s;
    })());
  standIn(file, {
    getSessionAsync,
    isInitializedAsync: async () => {},
    getScriptUrl: (id) => urls.get(id),
  });
}

/** True when this run sends traces (the engine passes `--tracing` to cmd/run, or TRACEPARENT). */
const tracing = () => Boolean(process.env["TRACEPARENT"]) || process.argv.some((a) => a.startsWith("--tracing"));

/** Defers `spec` as resolved from `from` (a directory), if it is installed there. */
function deferFrom(spec, from) {
  try {
    defer(require.resolve(spec, { paths: [from] }));
  } catch {
    // not installed where it would be looked up from: nothing to defer
  }
}

const dir = packageDir("@pulumi/pulumi");
if (dir && require(join(dir, "package.json")).version === "3.248.0") {
  defer(join(dir, "typescript-shim.js"));
  defer(join(dir, "automation", "index.js"));
  // runtime/index.js copies computeCodePaths at startup; the module loads fdir and
  // normalize-package-data (and arborist) for closure serialization, which kuar never does.
  defer(join(dir, "runtime", "closure", "codePaths.js"), ["computeCodePaths"]);
  deferFrom("@npmcli/arborist", dir);
  deferFrom("js-yaml", join(dir, "runtime"));
  inspectOnFirstUse(join(dir, "runtime", "closure", "v8Hooks.js"));
  if (!tracing()) {
    // cmd/run/tracing.js uses these only in start(), which runs only with --tracing.
    for (const m of [
      "@opentelemetry/resources",
      "@opentelemetry/sdk-trace-base",
      "@opentelemetry/exporter-zipkin",
      "@opentelemetry/instrumentation-grpc",
      "@opentelemetry/sdk-trace-node",
      "@opentelemetry/instrumentation",
    ]) {
      deferFrom(m, join(dir, "cmd", "run"));
    }
  }
  if (!process.env["PULUMI_DEBUG_PROMISE_LEAKS"]) keepNoPromiseStacks(join(dir, "runtime", "debuggable.js"));
}

const k8sDir = packageDir("@pulumi/kubernetes");
if (k8sDir && require(join(k8sDir, "package.json")).version === "4.25.0") {
  // index.js requires every API group and three modules kuar never uses: the v3 Chart and
  // kustomize classes extend yaml/yaml.js's collection class when they load, and yaml/yaml.js
  // loads glob. Deferred, the package loads in about 50 ms instead of 90 here. Until first used
  // they also leave unregistered their resource modules (yaml/v2, helm.sh/v3, kustomize/v2),
  // which only deserialize references to resources of those types.
  for (const m of ["yaml", join("helm", "v3"), "kustomize"]) defer(join(k8sDir, m, "index.js"));
}
