/**
 * The interactive flow: what a newcomer is asked, in order. Every typed answer is checked by
 * putting it into the draft config and running the program's schema; problems at the question's
 * path are shown under the prompt, which asks again. Nothing is written here (see write.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { addonsSchema } from "../bootstrap/schema.js";
import { DEFAULT_NODE_GROUPS } from "../providers/eks/schema.js";
import { targets } from "../providers/registry.js";
import { workloadsSchema } from "../workloads/schema.js";
import type { SecretKey } from "../config/schema.js";
import {
  check,
  getIn,
  list,
  problemsAt,
  promptError,
  relevantSecrets,
  setIn,
  stackNameProblem,
  toStackConfig,
  type Answers,
  type Path,
} from "./answers.js";
import { fingerprintOf, type Keyscan } from "./hostkey.js";
import { formatChecks, verdict, type Check } from "./preflight.js";
import type { Prompter } from "./prompts.js";
import { renderStackYaml, summaryText } from "./render.js";
import { stackFile } from "./write.js";

export interface FlowDeps {
  prompter: Prompter;
  stacksDir: string;
  keyscan: Keyscan;
  preflight: (config: Record<string, unknown>) => Promise<Check[]>;
  /** Answers given as flags (`kuar init --target gke --set gke.region=...`): asked no more, or offered as defaults. */
  prefill?: Prefill;
}

export interface Prefill {
  stack?: string;
  target?: string;
  /** `--set` values (`kuar:*` keys without namespace), offered as each question's default. */
  config?: Record<string, unknown>;
}

/** A prefilled value as the text a prompt would take. */
export function prefillText(config: Record<string, unknown> | undefined, path: Path): string | undefined {
  const v = config ? getIn(config, path) : undefined;
  if (v === undefined || v === null || typeof v === "object") return Array.isArray(v) ? v.join(", ") : undefined;
  return String(v);
}

export interface FlowResult {
  answers: Answers;
  /** The user confirmed replacing an existing stack file. */
  overwrite: boolean;
}

type Kind = "string" | "int" | "list" | "optional";

export interface Field {
  id: string;
  /** Where the answer goes in the config (`kuar:*` keys without namespace). */
  path: Path;
  message: string;
  default?: string;
  kind?: Kind;
  /** Other paths whose problems this answer can cause (e.g. maxNodes for minNodes <= maxNodes). */
  also?: Path[];
  /** A wizard-only check for what the schema allows but the wizard should not write. */
  extra?: (value: unknown) => string | undefined;
}

export function parseAnswer(kind: Kind, raw: string): unknown {
  const s = raw.trim();
  switch (kind) {
    case "int":
      return /^-?\d+$/.test(s) ? Number(s) : s;
    case "list":
      return list(s);
    case "optional":
      return s === "" ? undefined : s;
    default:
      return s;
  }
}

/** The validate function of a field's prompt: the schema's messages for this path, or true. */
export function fieldValidator(draft: () => Record<string, unknown>, f: Field): (raw: string) => true | string {
  return (raw) => {
    const value = parseAnswer(f.kind ?? "string", raw);
    const problems = problemsAt(check(setIn(draft(), f.path, value)), [f.path, ...(f.also ?? [])]);
    if (problems.length) return problems.map(promptError).join("\n");
    return f.extra?.(value) ?? true;
  };
}

const DEV = /(^|[-_.])(dev|test|tmp|ci|sandbox|play)([-_.]|$)/i;

export async function runFlow(deps: FlowDeps): Promise<FlowResult | undefined> {
  const p = deps.prompter;
  let config: Record<string, unknown> = {};
  const draft = () => config;
  const pre = deps.prefill ?? {};
  const ask = async (f: Field): Promise<unknown> => {
    const given = prefillText(pre.config, f.path) ?? f.default;
    const raw = await p.text({
      id: f.id,
      message: f.message,
      ...(given !== undefined ? { default: given } : {}),
      validate: fieldValidator(draft, f),
    });
    const value = parseAnswer(f.kind ?? "string", raw);
    config = setIn(config, f.path, value);
    return value;
  };
  const put = (path: Path, value: unknown) => (config = setIn(config, path, value));

  p.say("kuar init: a few questions, then a summary. Nothing is created; this writes a stack file.");

  // Stack name: Pulumi's rules, and an existing file only on confirmation.
  let stack: string;
  let overwrite = false;
  let preStack = pre.stack !== undefined && !stackNameProblem(pre.stack) ? pre.stack : undefined;
  for (;;) {
    if (preStack !== undefined) p.say(`Stack name: ${preStack} (from --stack)`);
    stack =
      preStack ??
      (
        await p.text({
          id: "stack",
          message: "Stack name",
          default: "dev",
          validate: (v) => stackNameProblem(v.trim()) ?? true,
        })
      ).trim();
    preStack = undefined;
    if (!existsSync(stackFile(deps.stacksDir, stack))) break;
    overwrite = await p.confirm({
      id: "overwrite",
      message: `${stackFile(deps.stacksDir, stack)} exists. Replace it? (its encryption salt and encrypted secrets are kept)`,
      default: false,
    });
    if (overwrite) break;
  }
  const dev = DEV.test(stack);

  const preTarget = targets.find((t) => t.name === pre.target)?.name;
  if (preTarget) p.say(`Target: ${preTarget} (from --target)`);
  const target =
    preTarget ??
    (await p.select({
      id: "target",
      message: "Where should the cluster run?",
      choices: targets.map((t) => ({ name: t.name, value: t.name, description: t.description })),
      default: "local",
    }));
  put(["target"], target);
  await askTarget(target, { p, ask, put, draft, dev, keyscan: deps.keyscan });

  await askAddons(target, { p, ask, put, draft });
  await askWorkloads({ p, put, draft });
  const secrets = await askSecrets(p, config);

  const final = check(config);
  if (final.length) {
    // Every question validates its own path; this catches what no single answer could.
    p.say(`The answers do not make a valid stack config:\n${final.map((x) => `  ${promptError(x)}`).join("\n")}`);
    p.say("Nothing was written. Run kuar init again, or write the file by hand (docs/configuration.md).");
    return undefined;
  }

  const file = stackFile(deps.stacksDir, stack);
  const stackConfig = toStackConfig({ config });
  const kept = overwrite ? renderStackYaml(stackConfig, readFileSync(file, "utf8")).kept : undefined;
  p.say("");
  p.say(
    summaryText({
      stack,
      file,
      exists: overwrite,
      config: stackConfig,
      secretsSet: Object.keys(secrets) as SecretKey[],
      secretsUsed: relevantSecrets(stackConfig),
      ...(kept ? { kept } : {}),
    }),
  );
  p.say("");

  if (
    await p.confirm({
      id: "preflight",
      message: "Run preflight checks (read-only: tools, credentials, SSH)?",
      default: true,
    })
  ) {
    const checks = await deps.preflight(stackConfig);
    p.say(checks.length ? formatChecks(checks) : "no checks apply to this target");
    p.say(verdict(checks));
  }

  if (!(await p.confirm({ id: "write", message: `Write ${file}?`, default: true }))) {
    p.say("Nothing was written.");
    return undefined;
  }
  return { answers: { stack, config: stackConfig, secrets }, overwrite };
}

interface Ctx {
  p: Prompter;
  ask: (f: Field) => Promise<unknown>;
  put: (path: Path, value: unknown) => void;
  draft: () => Record<string, unknown>;
  dev?: boolean;
  keyscan?: Keyscan;
}

async function askTarget(target: string, c: Ctx): Promise<void> {
  const { p, ask, put } = c;
  const dev = c.dev ?? false;
  switch (target) {
    case "local":
      await ask({ id: "local.nodes", path: ["local", "nodes"], message: "Simulated nodes", default: "3", kind: "int" });
      return;
    case "gke": {
      await ask({ id: "gke.project", path: ["gke", "project"], message: "Google Cloud project id" });
      await ask({
        id: "gke.region",
        path: ["gke", "region"],
        message: "Region (regional cluster)",
        default: "europe-west1",
      });
      const pool = ["gke", "workloadPools", 0] as const;
      put(pool, { name: "general" });
      await ask({
        id: "gke.machineType",
        path: [...pool, "machineType"],
        message: "Machine type of the workload pool",
        default: "e2-standard-4",
      });
      const spot = await p.confirm({
        id: "gke.spot",
        message: "Spot VMs for the workload pool? (60-91% cheaper, reclaimable at any time)",
        default: dev,
      });
      put([...pool, "spot"], spot);
      // The ceiling first: the schema checks the floor against it.
      await ask({
        id: "gke.maxNodes",
        path: [...pool, "maxNodes"],
        message: "Most workload nodes",
        default: "3",
        kind: "int",
        also: [["gke", "network", "podsCidr"]],
      });
      await ask({
        id: "gke.minNodes",
        path: [...pool, "minNodes"],
        message: "Fewest workload nodes",
        default: spot ? "0" : "1",
        kind: "int",
      });
      return;
    }
    case "aks": {
      await ask({
        id: "aks.location",
        path: ["aks", "location"],
        message: "Azure region (programmatic name)",
        default: "westeurope",
      });
      const pool = ["aks", "workloadPools", 0] as const;
      put(pool, { name: "general" });
      await ask({
        id: "aks.vmSize",
        path: [...pool, "vmSize"],
        message: "VM size of the workload pool",
        default: "Standard_D4s_v5",
      });
      const spot = await p.confirm({
        id: "aks.spot",
        message: "Spot VMs for the workload pool? (up to 90% cheaper, evicted when Azure needs capacity)",
        default: dev,
      });
      put([...pool, "spot"], spot);
      // AKS taints spot nodes and kuar taints the system pool CriticalAddonsOnly; kuar's pods
      // tolerate neither, so with a spot pool the system pool must take workloads too.
      if (spot) put(["aks", "systemPool", "criticalAddonsOnly"], false);
      await ask({
        id: "aks.maxCount",
        path: [...pool, "maxCount"],
        message: "Most workload nodes",
        default: "3",
        kind: "int",
      });
      await ask({
        id: "aks.minCount",
        path: [...pool, "minCount"],
        message: "Fewest workload nodes",
        default: spot ? "0" : "1",
        kind: "int",
      });
      return;
    }
    case "eks": {
      const region = (await ask({
        id: "eks.region",
        path: ["eks", "region"],
        message: "AWS region",
        default: "eu-west-1",
      })) as string;
      await ask({
        id: "eks.availabilityZones",
        path: ["eks", "availabilityZones"],
        message: "Availability zones (2 or 3, comma-separated)",
        default: `${region}a, ${region}b`,
        kind: "list",
      });
      const group = ["eks", "nodeGroups", 1] as const;
      put(["eks", "nodeGroups"], [DEFAULT_NODE_GROUPS[0], { name: "workload" }]);
      await ask({
        id: "eks.instanceTypes",
        path: [...group, "instanceTypes"],
        message: "Instance types of the workload group (comma-separated, one architecture)",
        default: "m7i.large",
        kind: "list",
      });
      const spot = await p.confirm({
        id: "eks.spot",
        message: "Spot capacity for the workload group? (cheaper, 2 minutes' notice before reclaim)",
        default: dev,
      });
      put([...group, "capacityType"], spot ? "SPOT" : "ON_DEMAND");
      await ask({
        id: "eks.maxSize",
        path: [...group, "maxSize"],
        message: "Most workload nodes",
        default: "3",
        kind: "int",
      });
      await ask({
        id: "eks.minSize",
        path: [...group, "minSize"],
        message: "Fewest workload nodes",
        default: spot ? "0" : "1",
        kind: "int",
      });
      await ask({
        id: "eks.publicAccessCidrs",
        path: ["eks", "publicAccessCidrs"],
        message: "Who may reach the public API endpoint? CIDRs, comma-separated (your office, VPN or CI egress)",
        kind: "list",
      });
      return;
    }
    case "raspberrypi":
      await askPis(c);
      return;
  }
}

async function askPis(c: Ctx): Promise<void> {
  const { p, ask, put, draft } = c;
  p.say("Raspberry Pis: one host at a time. Each needs SSH with a key, and passwordless sudo.");
  for (let i = 0; ; i++) {
    const h = ["raspberrypi", "hosts", i] as const;
    put(h, { role: i === 0 ? "server" : "agent" });
    const address = (await ask({
      id: `hosts[${i}].address`,
      path: [...h, "address"],
      message: `Pi ${i + 1}: address (IPv4 or host name)`,
    })) as string;
    const port = (await ask({
      id: `hosts[${i}].port`,
      path: [...h, "port"],
      message: `Pi ${i + 1}: SSH port`,
      default: "22",
      kind: "int",
    })) as number;
    await ask({
      id: `hosts[${i}].user`,
      path: [...h, "user"],
      message: `Pi ${i + 1}: login user (passwordless sudo)`,
      default: "pi",
    });
    const auth = await p.select({
      id: `hosts[${i}].auth`,
      message: `Pi ${i + 1}: authenticate with`,
      choices: [
        { name: "a private key file", value: "key" },
        { name: "the SSH agent ($SSH_AUTH_SOCK)", value: "agent" },
      ],
      default: "key",
    });
    if (auth === "agent") put([...h, "agent"], true);
    else
      await ask({
        id: `hosts[${i}].privateKeyPath`,
        path: [...h, "privateKeyPath"],
        message: `Pi ${i + 1}: private key file`,
        default: "~/.ssh/id_ed25519",
      });
    await pinHostKey(c, i, address, port);
    if (!(await p.confirm({ id: "hosts.more", message: "Add another Pi?", default: false }))) break;
  }
  const hosts = getIn(draft(), ["raspberrypi", "hosts"]) as Record<string, unknown>[];
  if (hosts.length > 1) {
    const servers = await p.multi({
      id: "servers",
      message: "Which Pis run the k3s control plane (server)? 1, or an odd number from 3 for high availability",
      choices: hosts.map((host, i) => ({ name: String(host["address"]), value: i, checked: i === 0 })),
      validate: (chosen) => {
        const draftHosts = hosts.map((host, i) => ({ ...host, role: chosen.includes(i) ? "server" : "agent" }));
        const problems = problemsAt(check(setIn(draft(), ["raspberrypi", "hosts"], draftHosts)), [
          ["raspberrypi", "hosts"],
        ]).filter((x) => x.path === "kuar:raspberrypi.hosts");
        return problems.length ? problems.map(promptError).join("\n") : true;
      },
    });
    hosts.forEach((_, i) => put(["raspberrypi", "hosts", i, "role"], servers.includes(i) ? "server" : "agent"));
  }
}

async function pinHostKey(c: Ctx, i: number, address: string, port: number): Promise<void> {
  const { p, ask, put } = c;
  const path = ["raspberrypi", "hosts", i, "hostKey"] as const;
  if (
    c.keyscan &&
    (await p.confirm({
      id: `hosts[${i}].scan`,
      message: `Read ${address}'s host key now with ssh-keyscan? (on a network you trust)`,
      default: true,
    }))
  ) {
    const r = await c.keyscan(address, port);
    if (r.key) {
      p.say(`${address}:${port} presents ${fingerprintOf(r.key)}`);
      p.say("Compare it with the Pi's own: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub (on its console).");
      if (await p.confirm({ id: `hosts[${i}].pin`, message: "Pin this host key?", default: true })) {
        put(path, r.key);
        return;
      }
    } else p.say(`Could not read the host key: ${r.error ?? "no answer"}.`);
  }
  const key = await ask({
    id: `hosts[${i}].hostKey`,
    path,
    message: `Pi ${i + 1}: paste its ed25519 host key line (ssh-ed25519 AAAA...)`,
  });
  p.say(`Pinned ${fingerprintOf(String(key))}`);
}

const TOGGLES = [
  { key: "dns", name: "CoreDNS (when the cluster runs no DNS of its own)" },
  { key: "dashboard", name: "Headlamp dashboard (read-only)" },
  { key: "gateway", name: "Gateway API: Envoy Gateway and a shared Gateway" },
  { key: "certManager", name: "cert-manager with a private CA issuer" },
  { key: "metrics", name: "metrics-server (when the cluster has none)" },
  { key: "storage", name: "local-path storage (when there is no default StorageClass)" },
  { key: "metallb", name: "MetalLB load balancer (bare metal)" },
  { key: "externalDns", name: "external-dns (publishes routes to your DNS provider)" },
] as const;

async function askAddons(target: string, c: Ctx): Promise<void> {
  const { p, ask, put } = c;
  await ask({
    id: "addons.domain",
    path: ["addons", "domain"],
    message: "Base DNS domain for app hostnames",
    default: "kuar.local",
  });
  const defaults = addonsSchema.parse({}) as unknown as Record<string, { enabled: boolean }>;
  const shown = TOGGLES.filter((t) => t.key !== "metallb" || target === "raspberrypi");
  const chosen = await p.multi({
    id: "addons",
    message: "Add-ons (each installs only where the cluster needs it)",
    choices: shown.map((t) => ({ name: t.name, value: t.key, checked: defaults[t.key]!.enabled })),
  });
  for (const t of shown) {
    const on = chosen.includes(t.key);
    if (on !== defaults[t.key]!.enabled) put(["addons", t.key, "enabled"], on);
  }
  if (chosen.includes("externalDns")) {
    await ask({
      id: "addons.externalDns.provider",
      path: ["addons", "externalDns", "provider"],
      message: "external-dns provider (cloudflare, aws, google, azure, ...)",
    });
  }
  if (target === "raspberrypi" && chosen.includes("metallb")) {
    await ask({
      id: "addons.metallb.addresses",
      path: ["addons", "metallb", "addresses"],
      message: "MetalLB address pool: free addresses on your LAN outside DHCP (ranges or CIDRs, comma-separated)",
      default: "192.168.1.240-192.168.1.250",
      kind: "list",
      extra: (v) =>
        Array.isArray(v) && v.length === 0
          ? "kuar:addons.metallb.addresses: MetalLB needs at least one range. Reserve a few addresses outside your router's DHCP range, e.g. 192.168.1.240-192.168.1.250."
          : undefined,
    });
  }
}

const APPS = [
  { key: "kuard", name: "kuard, the book's demo app (and its key-generation Job)" },
  { key: "parse", name: "parse-server with a MongoDB replica set" },
  { key: "ghost", name: "Ghost with MySQL" },
  { key: "redis", name: "Redis with replicas and Sentinel" },
] as const;

async function askWorkloads(c: Pick<Ctx, "p" | "put" | "draft">): Promise<void> {
  const defaults = workloadsSchema.parse({}) as unknown as Record<string, { enabled: boolean }>;
  const chosen = await c.p.multi({
    id: "workloads",
    message: "Workloads to deploy",
    choices: APPS.map((a) => ({ name: a.name, value: a.key, checked: defaults[a.key]!.enabled })),
  });
  for (const a of APPS) c.put(["workloads", a.key, "enabled"], chosen.includes(a.key));
}

async function askSecrets(p: Prompter, config: Record<string, unknown>): Promise<Partial<Record<SecretKey, string>>> {
  const used = relevantSecrets(config);
  if (!used.length) return {};
  p.say(
    `Secrets this stack uses: ${used.join(", ")}. By default each is generated at deploy time and kept encrypted in the stack's state.`,
  );
  if (
    !(await p.confirm({
      id: "secrets",
      message: "Set any of them yourself now? (stored encrypted by Pulumi)",
      default: false,
    }))
  )
    return {};
  const which = await p.multi({
    id: "secrets.which",
    message: "Which secrets do you want to set?",
    choices: used.map((k) => ({ name: k, value: k })),
  });
  const out: Partial<Record<SecretKey, string>> = {};
  for (const key of which) {
    out[key] = await p.secret({
      id: `secret.${key}`,
      message: `${key} (hidden)`,
      validate: (v) =>
        v.length > 0
          ? true
          : `kuar:${key}: expected a value, got nothing. Type it, or leave ${key} out to generate it.`,
    });
  }
  return out;
}
