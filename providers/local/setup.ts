/** `kuar init` for the local target: how many simulated nodes; preflight: is the toolchain built. */
import type { TargetSetup } from "../setup.js";

export const setup: TargetSetup = {
  async ask(w) {
    await w.ask({ id: "local.nodes", path: ["local", "nodes"], message: "Simulated nodes", default: "3", kind: "int" });
  },
  async preflight(_settings, deps) {
    if (!deps.toolchainReady) return [];
    return [
      deps.toolchainReady()
        ? { status: "PASS", name: "toolchain", detail: "built (~/.cache/kuar/toolchain)" }
        : {
            status: "WARN",
            name: "toolchain",
            detail: "not built yet; npm run up builds it the first time (several minutes)",
          },
    ];
  },
};
