/**
 * `kuar init` for Raspberry Pis: one host at a time (address, SSH, host key pinned), then which
 * run the control plane. Preflight connects to each with its pinned key, read-only, and reads
 * what k3s needs (architecture, memory cgroup, passwordless sudo).
 */
import type { Check, PreflightDeps, TargetSetup, WizardContext } from "../setup.js";
import { fingerprintOf, keyscan } from "./hostkey.js";
import type { HostSettings } from "./schema.js";

export const setup: TargetSetup = {
  ask: askPis,
  async preflight(settings, deps: PreflightDeps): Promise<Check[]> {
    const hosts = (Array.isArray(settings["hosts"]) ? settings["hosts"] : []) as Partial<HostSettings>[];
    // The SSH session (and node-ssh) loads only when there is a host to check.
    const run = deps.sshChecks ?? (hosts.length ? (await import("./preflight.js")).piChecks : undefined);
    if (!run) return [];
    return (await Promise.all(hosts.map((h) => run(withDefaults(h))))).flat();
  },
};

function withDefaults(h: Partial<HostSettings>): HostSettings {
  return { port: 22, user: "pi", agent: false, role: "agent", labels: {}, arch: "arm64", ...h } as HostSettings;
}

async function askPis(w: WizardContext): Promise<void> {
  w.say("Raspberry Pis: one host at a time. Each needs SSH with a key, and passwordless sudo.");
  for (let i = 0; ; i++) {
    const h = ["raspberrypi", "hosts", i] as const;
    w.put(h, { role: i === 0 ? "server" : "agent" });
    const address = (await w.ask({
      id: `hosts[${i}].address`,
      path: [...h, "address"],
      message: `Pi ${i + 1}: address (IPv4 or host name)`,
    })) as string;
    const port = (await w.ask({
      id: `hosts[${i}].port`,
      path: [...h, "port"],
      message: `Pi ${i + 1}: SSH port`,
      default: "22",
      kind: "int",
    })) as number;
    await w.ask({
      id: `hosts[${i}].user`,
      path: [...h, "user"],
      message: `Pi ${i + 1}: login user (passwordless sudo)`,
      default: "pi",
    });
    const auth = await w.select({
      id: `hosts[${i}].auth`,
      message: `Pi ${i + 1}: authenticate with`,
      choices: [
        { name: "a private key file", value: "key" },
        { name: "the SSH agent ($SSH_AUTH_SOCK)", value: "agent" },
      ],
      default: "key",
    });
    if (auth === "agent") w.put([...h, "agent"], true);
    else
      await w.ask({
        id: `hosts[${i}].privateKeyPath`,
        path: [...h, "privateKeyPath"],
        message: `Pi ${i + 1}: private key file`,
        default: "~/.ssh/id_ed25519",
      });
    await pinHostKey(w, i, address, port);
    if (!(await w.confirm({ id: "hosts.more", message: "Add another Pi?", default: false }))) break;
  }
  const hosts = w.get(["raspberrypi", "hosts"]) as Record<string, unknown>[];
  if (hosts.length > 1) {
    const servers = await w.multi({
      id: "servers",
      message: "Which Pis run the k3s control plane (server)? 1, or an odd number from 3 for high availability",
      choices: hosts.map((host, i) => ({ name: String(host["address"]), value: i, checked: i === 0 })),
      validate: (chosen) => {
        const draftHosts = hosts.map((host, i) => ({ ...host, role: chosen.includes(i) ? "server" : "agent" }));
        const problems = w
          .problemsIf(["raspberrypi", "hosts"], draftHosts)
          .filter((x) => x.path === "kuar:raspberrypi.hosts");
        return problems.length ? problems.map((x) => x.text).join("\n") : true;
      },
    });
    hosts.forEach((_, i) => w.put(["raspberrypi", "hosts", i, "role"], servers.includes(i) ? "server" : "agent"));
  }
}

async function pinHostKey(w: WizardContext, i: number, address: string, port: number): Promise<void> {
  const path = ["raspberrypi", "hosts", i, "hostKey"] as const;
  if (
    await w.confirm({
      id: `hosts[${i}].scan`,
      message: `Read ${address}'s host key now with ssh-keyscan? (on a network you trust)`,
      default: true,
    })
  ) {
    const r = await (w.keyscan ?? keyscan)(address, port);
    if (r.key) {
      w.say(`${address}:${port} presents ${fingerprintOf(r.key)}`);
      w.say("Compare it with the Pi's own: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub (on its console).");
      if (await w.confirm({ id: `hosts[${i}].pin`, message: "Pin this host key?", default: true })) {
        w.put(path, r.key);
        return;
      }
    } else w.say(`Could not read the host key: ${r.error ?? "no answer"}.`);
  }
  const key = await w.ask({
    id: `hosts[${i}].hostKey`,
    path,
    message: `Pi ${i + 1}: paste its ed25519 host key line (ssh-ed25519 AAAA...)`,
  });
  w.say(`Pinned ${fingerprintOf(String(key))}`);
}
