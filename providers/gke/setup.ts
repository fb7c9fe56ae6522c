/** `kuar init` for GKE: project, region and the workload pool; preflight: gcloud and credentials. */
import { join } from "node:path";
import { askPoolSize, toolCheck, type Check, type PreflightDeps, type TargetSetup } from "../setup.js";

export const setup: TargetSetup = {
  async ask(w) {
    await w.ask({ id: "gke.project", path: ["gke", "project"], message: "Google Cloud project id" });
    await w.ask({
      id: "gke.region",
      path: ["gke", "region"],
      message: "Region (regional cluster)",
      default: "europe-west1",
    });
    const pool = ["gke", "workloadPools", 0] as const;
    w.put(pool, { name: "general" });
    await w.ask({
      id: "gke.machineType",
      path: [...pool, "machineType"],
      message: "Machine type of the workload pool",
      default: "e2-standard-4",
    });
    await askPoolSize(w, {
      pool,
      prefix: "gke",
      spotMessage: "Spot VMs for the workload pool? (60-91% cheaper, reclaimable at any time)",
      onSpot: (on) => w.put([...pool, "spot"], on),
      max: "maxNodes",
      min: "minNodes",
      maxAlso: [["gke", "network", "podsCidr"]],
    });
  },
  async preflight(_settings, deps) {
    return [
      toolCheck(deps, "gcloud", "Install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install"),
      toolCheck(
        deps,
        "gke-gcloud-auth-plugin",
        "Install it: gcloud components install gke-gcloud-auth-plugin (or apt install google-cloud-cli-gke-gcloud-auth-plugin)",
      ),
      gcpCredentials(deps),
    ];
  },
};

function gcpCredentials(deps: PreflightDeps): Check {
  const explicit = deps.env["GOOGLE_APPLICATION_CREDENTIALS"];
  const configDir = deps.env["CLOUDSDK_CONFIG"] ?? join(deps.home, ".config", "gcloud");
  const file = explicit ?? join(configDir, "application_default_credentials.json");
  const name = "Google credentials";
  if (deps.exists(file)) return { status: "PASS", name, detail: `application default credentials at ${file}` };
  return {
    status: "FAIL",
    name,
    detail: explicit
      ? `GOOGLE_APPLICATION_CREDENTIALS points at ${file}, which does not exist. Fix the path or unset it.`
      : `no application default credentials (${file}). Run: gcloud auth application-default login`,
  };
}
