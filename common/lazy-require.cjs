// Defers two heavy modules that @pulumi/pulumi loads at import time but needs only when it
// serializes a function (a dynamic provider's closure): TypeScript, through
// @pulumi/pulumi/typescript-shim.js (runtime/closure/parseFunction.js), and @npmcli/arborist
// (runtime/closure/codePaths.js). Measured here: together they are about two thirds of the
// time `require("@pulumi/pulumi")` takes. Loaded with `node --require`, this hook hands
// @pulumi/pulumi a proxy for each that loads the real module on first use, so a process that
// never serializes a closure never pays for them, and one that does gets the real module.
"use strict";
const Module = require("node:module");
const path = require("node:path");

const pulumiDir = `${path.sep}@pulumi${path.sep}pulumi${path.sep}`;
const lazy = new Map([
  [`${pulumiDir}typescript-shim.js`, false],
  [`${path.sep}@npmcli${path.sep}arborist${path.sep}`, true],
]);

/** A stand-in for a module's exports that loads the module on first use. */
function deferred(load, esModule) {
  let real;
  const get = () => (real ??= load());
  // A function target, so `new` and calls can be forwarded as well as property reads.
  return new Proxy(function () {}, {
    get: (_t, key) => (key === "__esModule" && esModule ? true : Reflect.get(get(), key)),
    has: (_t, key) => Reflect.has(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key);
      return d && { ...d, configurable: true };
    },
    apply: (_t, self, args) => Reflect.apply(get(), self, args),
    construct: (_t, args) => Reflect.construct(get(), args),
  });
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (parent && parent.filename && parent.filename.includes(pulumiDir)) {
    let file;
    try {
      file = Module._resolveFilename(request, parent, isMain);
    } catch {
      return load.call(this, request, parent, isMain);
    }
    for (const [marker, esModule] of lazy) {
      // __importStar returns a module marked __esModule as it is, without reading its keys;
      // codePaths.js reads arborist through __importStar, so its proxy says it is one.
      if (file.includes(marker)) return deferred(() => load.call(this, request, parent, isMain), esModule);
    }
  }
  return load.call(this, request, parent, isMain);
};
