/** `kuar init` for AKS: location and the workload pool; preflight: az, kubelogin and the login. */
import { askPoolSize, cliCredentials, toolCheck, type TargetSetup } from "../setup.js";

export const setup: TargetSetup = {
  async ask(w) {
    await w.ask({
      id: "aks.location",
      path: ["aks", "location"],
      message: "Azure region (programmatic name)",
      default: "westeurope",
    });
    const pool = ["aks", "workloadPools", 0] as const;
    w.put(pool, { name: "general" });
    await w.ask({
      id: "aks.vmSize",
      path: [...pool, "vmSize"],
      message: "VM size of the workload pool",
      default: "Standard_D4s_v5",
    });
    await askPoolSize(w, {
      pool,
      prefix: "aks",
      spotMessage: "Spot VMs for the workload pool? (up to 90% cheaper, evicted when Azure needs capacity)",
      onSpot: (on) => {
        w.put([...pool, "spot"], on);
        // AKS taints spot nodes and kuar taints the system pool CriticalAddonsOnly; kuar's pods
        // tolerate neither, so with a spot pool the system pool must take workloads too.
        if (on) w.put(["aks", "systemPool", "criticalAddonsOnly"], false);
      },
      max: "maxCount",
      min: "minCount",
    });
  },
  async preflight(_settings, deps) {
    return [
      toolCheck(deps, "az", "Install the Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli"),
      toolCheck(deps, "kubelogin", "Install it: az aks install-cli (installs kubectl and kubelogin)"),
      await cliCredentials(deps, "az", ["account", "show", "--output", "none"], "Azure login", "Run: az login"),
    ];
  },
};
