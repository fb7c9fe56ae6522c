/**
 * The wizard in a real terminal: tmux runs `kuar init` once per target (inquirer's real prompts,
 * keys sent as a person would type them), with flags pre-filling what has no default, and the
 * file it writes must parse with the program's schema. Needs tmux, not the toolchain: the
 * wizard never builds anything when no secret is set.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { parseConfig } from "../../config/load.js";
import { stackFileConfig } from "../../config/stack-file.js";
import { engineEnv, removeStack, root, toolchainBinDir } from "../../cli/engine.js";
import { assertNothingLeft, cannotRun, caseEnv, caseProcesses, seconds } from "../../kit/e2e/harness.js";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const hasTmux = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0;
const reason = hasTmux ? undefined : "tmux is not installed";
if (reason) console.log(`# tmux wizard walk not run: ${reason}`);

/** A tmux server of this test's own (its socket name is the case's id), gone once its sessions are. */
const socket = `kuar-test-${process.pid}`;
const tmux = (...args: string[]) => spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The answer for the active prompt (the last `?` line), or undefined to accept its default. */
function answerFor(prompt: string): string | undefined {
  if (/Run preflight checks/.test(prompt)) return "n";
  if (/host key now with ssh-keyscan/.test(prompt)) return "n";
  return undefined;
}

/**
 * Runs `kuar init <flags>` in a detached tmux session and answers every prompt; resolves with
 * the screen once the wizard printed "Wrote", or rejects with the screen after `timeoutMs`.
 */
async function walk(session: string, flags: string[], timeoutMs = 120_000): Promise<string> {
  const cmd = [process.execPath, "--import", "tsx", join(root, "cli", "main.ts"), "init", ...flags]
    .map(quote)
    .join(" ");
  const started = tmux("new-session", "-d", "-s", session, "-x", "220", "-y", "60", "-c", root, `${cmd}; sleep 30`);
  assert.equal(started.status, 0, started.stderr);
  const t0 = Date.now();
  let answered = "";
  let screen = "";
  try {
    while (Date.now() - t0 < timeoutMs) {
      await new Promise((r) => setTimeout(r, 250));
      screen = tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session).stdout;
      if (/^Wrote /m.test(screen)) return screen;
      const lines = screen.split("\n");
      const done = lines.filter((l) => /^✔ /.test(l)).length;
      const active = [...lines].reverse().find((l) => /^\? /.test(l));
      // One key press per new prompt: a prompt is identified by its text and how many came before.
      const id = `${done}:${active ?? ""}`;
      if (!active || id === answered) continue;
      answered = id;
      const a = answerFor(active);
      if (a !== undefined) tmux("send-keys", "-t", session, "-l", a);
      tmux("send-keys", "-t", session, "Enter");
    }
    throw new Error(`the wizard did not finish within ${timeoutMs / 1000}s; screen:\n${screen}`);
  } finally {
    tmux("kill-session", "-t", session);
  }
}

describe("kuar init in a terminal (tmux), once per target", { skip: reason }, () => {
  const dir = mkdtempSync(join(tmpdir(), "kuar-tmux-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const common = ["--stacks-dir", dir];
  const cases: [string, string[]][] = [
    ["local", ["--stack", "t-local", "--target", "local"]],
    ["gke", ["--stack", "t-gke", "--target", "gke", "--set", "gke.project=my-proj-123"]],
    ["aks", ["--stack", "t-aks", "--target", "aks"]],
    ["eks", ["--stack", "t-eks", "--target", "eks", "--set", 'eks.publicAccessCidrs=["198.51.100.0/24"]']],
    [
      "raspberrypi",
      [
        "--stack",
        "t-pi",
        "--target",
        "raspberrypi",
        "--set",
        "raspberrypi.hosts[0].address=192.168.1.21",
        "--set",
        `raspberrypi.hosts[0].hostKey=${HOST_KEY}`,
      ],
    ],
  ];
  // All five sessions at once: each waits mostly on node starting up.
  const walks = cases.map(([target, flags]) =>
    walk(`${socket}-${target}`, [...flags, ...common]).then(
      (screen) => ({ screen }),
      (error: Error) => ({ error }),
    ),
  );

  for (const [i, [target, flags]] of cases.entries()) {
    test(`walks the ${target} wizard with real prompts and writes a valid ${target} stack`, async () => {
      const r = await walks[i]!;
      if ("error" in r) throw r.error;
      const stack = flags[flags.indexOf("--stack") + 1]!;
      const file = join(dir, `Pulumi.${stack}.yaml`);
      assert.ok(existsSync(file), r.screen);
      const { raw } = stackFileConfig(file);
      const config = parseConfig(raw);
      assert.equal(config.target, target);
      assert.match(r.screen, new RegExp(`Target: ${target} \\(from --target\\)`), "the flag pre-filled the target");
      assert.match(r.screen, new RegExp(`kuar preview --stack ${stack}`), "Next: suggests a command that works");
      if (target === "gke") assert.equal((config.settings as { project: string }).project, "my-proj-123");
      if (target === "raspberrypi")
        assert.equal((config.settings as { hosts: { address: string }[] }).hosts[0]!.address, "192.168.1.21");
    });
  }

  test("leaves no tmux server, wizard process or stack file behind", async () => {
    await Promise.all(walks);
    const files = readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    // The server exits once its last session is killed; give it a moment.
    for (let i = 0; i < 20 && caseProcesses({ stacks: [], dirs: [dir, socket] }).length; i++)
      await new Promise((r) => setTimeout(r, 250));
    assertNothingLeft({ stacks: cases.map(([, f]) => f[f.indexOf("--stack") + 1]!), dirs: [dir, socket] });
    assert.equal(files.length, cases.length, `one stack file per target: ${files.join(", ")}`);
  });
});

/**
 * `kuar up`, `status` and `kubeconfig` on the real engine against a local stack of their own,
 * with a temporary HOME (so the control plane lives there) and KUBECONFIG, never the user's.
 */
const engineReason = cannotRun();
if (engineReason) console.log(`# kuar up/status/kubeconfig on the real engine not run: ${engineReason}`);

describe("kuar up, status and kubeconfig on a real local stack", { skip: engineReason }, () => {
  const id = `${process.pid}`;
  const stack = `e2e-cli-${id}`;
  const cluster = `kuar-${stack}`;
  const file = join(root, "stacks", `Pulumi.${stack}.yaml`);
  // Made only when the suite runs (a skipped suite runs no after hook to remove it).
  const home = engineReason ? join(tmpdir(), "kuar-cli-home-unused") : mkdtempSync(join(tmpdir(), "kuar-cli-home-"));
  const kubeconfig = join(home, "kube", "config");
  const env = caseEnv(stack, {
    ...process.env,
    HOME: home,
    KUBECONFIG: kubeconfig,
    // The built toolchain, found through the real HOME's cache (a fresh HOME would build it again).
    KUAR_TOOLCHAIN_DIR: join(toolchainBinDir(), ".."),
  });
  const kuar = (...args: string[]) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "cli", "main.ts"), ...args], {
      cwd: root,
      env,
      encoding: "utf8",
      timeout: 1_500_000,
    });
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  };
  const kubectl = (...args: string[]) =>
    spawnSync(
      join(toolchainBinDir(), "kubectl"),
      ["--kubeconfig", join(home, ".kwok", "clusters", cluster, "kubeconfig.yaml"), ...args],
      {
        encoding: "utf8",
        timeout: 120_000,
      },
    );
  const timings: Record<string, number> = {};
  let upOut = "";

  // The user's own kubeconfig, with a context kuar must keep.
  const work = [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{name: work, cluster: {server: 'https://192.0.2.10:6443'}}]",
    "users: [{name: work, user: {token: keep-me}}]",
    "contexts: [{name: work, context: {cluster: work, user: work}}]",
    "current-context: work",
    "",
  ].join("\n");

  after(() => {
    const t = Date.now();
    if (existsSync(file)) {
      const d = kuar("destroy", "--stack", stack);
      if (d.status !== 0) console.log(`# destroy failed:\n${d.stderr.slice(-2000)}`);
      removeStack(engineEnv(toolchainBinDir(), env), stack, { quiet: true, allowFailure: true });
      rmSync(file, { force: true });
    }
    // A control plane destroy could not remove (a failed up) goes by its name.
    spawnSync(join(toolchainBinDir(), "kwokctl"), ["--name", cluster, "delete", "cluster"], { env, stdio: "ignore" });
    rmSync(home, { recursive: true, force: true });
    timings["destroy"] = seconds(t);
    console.log(`# kuar cli e2e timings (s): ${JSON.stringify(timings)}`);
    assertNothingLeft({ stacks: [stack], clusters: [cluster], dirs: [home], tag: stack, home });
  });

  test("fails when kubeconfig is asked for a stack with no cluster yet: one clear line, exit 1, no stack trace", () => {
    writeFileSync(
      file,
      stringifyYaml({
        config: {
          "kuar:target": "local",
          "kuar:local": { nodes: 1, clusterName: cluster },
          "kuar:workloads": { kuard: { enabled: true }, redis: { enabled: true } },
        },
      }),
    );
    const r = kuar("kubeconfig", "--stack", stack);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`stack ${stack} is not deployed, so it has no kubeconfig yet\\. Run: kuar up --stack ${stack}`),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.equal(existsSync(kubeconfig), false, "nothing written");
  });

  test("up deploys, and every printed port-forward line names a Service and port that exist", () => {
    const t = Date.now();
    const r = kuar("up", "--stack", stack);
    timings["up"] = seconds(t);
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    upOut = r.stdout;
    assert.match(r.stdout, /^How to reach the apps:$/m);
    assert.match(r.stdout, new RegExp(`^Kubeconfig: kuar kubeconfig --stack ${stack}$`, "m"));
    const forwards = [...r.stdout.matchAll(/first: kubectl -n (\S+) port-forward svc\/(\S+) (\d+):(\d+)$/gm)];
    // kuard over HTTP, redis primary and sentinel over TCP.
    assert.equal(forwards.length, 3, r.stdout);
    for (const [line, ns, svc, , port] of forwards) {
      const got = kubectl("-n", ns!, "get", "service", svc!, "-o", "jsonpath={.spec.ports[*].port}");
      assert.equal(got.status, 0, `${line}: ${got.stderr}`);
      assert.ok(got.stdout.split(" ").includes(port!), `${line}: the Service's ports are ${got.stdout}`);
    }
    const locals = forwards.map((f) => f[3]);
    assert.equal(new Set(locals).size, locals.length, "each app gets its own local port");
  });

  test("status shows the stack's cluster and apps", () => {
    const r = kuar("status", "--stack", stack);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Stack +${stack} \\(target local\\)$`, "m"));
    assert.match(r.stdout, /^Deployed +yes, \d+ resources$/m);
    assert.match(r.stdout, new RegExp(`^Control +${cluster}: running$`, "m"));
    // The same reach lines as after up.
    for (const l of upOut.split("\n").filter((x) => /port-forward/.test(x))) assert.ok(r.stdout.includes(l), l);
    const j = JSON.parse(kuar("status", "--stack", stack, "--json").stdout) as {
      deployed: boolean;
      resources: number;
      endpoints: Record<string, string>;
      controlPlane: { name: string; state: string };
    };
    assert.equal(j.deployed, true);
    assert.ok(j.resources > 10);
    assert.deepEqual(Object.keys(j.endpoints).sort(), ["kuard", "redisPrimary", "redisSentinel"]);
    assert.deepEqual(j.controlPlane, { name: cluster, state: "running" });
  });

  test("kubeconfig merges a mode-600 context into $KUBECONFIG, keeps the user's, is idempotent, and reaches the cluster", () => {
    mkdirSync(join(home, "kube"), { recursive: true });
    writeFileSync(kubeconfig, work);
    chmodSync(kubeconfig, 0o644);
    const r = kuar("kubeconfig", "--stack", stack);
    assert.equal(r.status, 0, r.stderr);
    const context = `kuar-${stack}`;
    assert.match(r.stdout, new RegExp(`^export KUBECONFIG=${kubeconfig}$`, "m"));
    assert.match(r.stdout, new RegExp(`^kubectl config use-context ${context}$`, "m"));
    assert.equal(statSync(kubeconfig).mode & 0o777, 0o600);
    const once = readFileSync(kubeconfig, "utf8");
    const cfg = parseYaml(once) as {
      contexts: { name: string }[];
      users: { name: string; user: { token?: string } }[];
    };
    assert.deepEqual(cfg.contexts.map((c) => c.name).sort(), [context, "work"].sort());
    assert.equal(cfg.users.find((u) => u.name === "work")?.user.token, "keep-me");
    assert.equal(kuar("kubeconfig", "--stack", stack).status, 0);
    assert.equal(readFileSync(kubeconfig, "utf8"), once, "a second run changes nothing");
    const nodes = spawnSync(join(toolchainBinDir(), "kubectl"), ["--context", context, "get", "nodes", "-o", "name"], {
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(nodes.status, 0, nodes.stderr);
    assert.match(nodes.stdout, /^node\//m);
    // --file writes a new file of its own.
    const own = join(home, "own", "kubeconfig");
    const f = kuar("kubeconfig", "--stack", stack, "--file", own, "--context", "mine");
    assert.equal(f.status, 0, f.stderr);
    assert.match(f.stdout, new RegExp(`^export KUBECONFIG=${own}$`, "m"));
    assert.equal(statSync(own).mode & 0o777, 0o600);
    assert.deepEqual(
      (parseYaml(readFileSync(own, "utf8")) as { contexts: { name: string }[] }).contexts.map((c) => c.name),
      ["mine"],
    );
  });
});
