/** The CLI's pure pieces: kubeconfig merge and write, app reach lines, engine error summaries, run processes. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parse } from "yaml";
import { describeError, errorLines } from "../../../cli/errors.js";
import { installContext, mergeKubeconfig, userKubeconfigPath } from "../../../cli/kubeconfig.js";
import { endRun, isEngineProcess, ppidFromStat, processesOfRun, RUN_MARKER } from "../../../cli/processes.js";
import { reachEndpoints, reachText } from "../../../cli/reach.js";
import { colourOn } from "../../../cli/ui.js";
import { root } from "../../../cli/engine.js";

const stackKubeconfig = [
  "apiVersion: v1",
  "kind: Config",
  "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443', certificate-authority-data: Q0E=}}]",
  "users: [{name: u, user: {client-key-data: S0VZ}}]",
  "contexts: [{name: x, context: {cluster: c, user: u}}]",
  "current-context: x",
].join("\n");

describe("kubeconfig merge", () => {
  const dir = mkdtempSync(join(tmpdir(), "kuar-kc-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("keeps the user's other contexts and replaces only its own name", () => {
    const mine =
      "apiVersion: v1\nkind: Config\nclusters: [{name: work, cluster: {server: https://w}}]\nusers: [{name: work, user: {token: t}}]\ncontexts: [{name: work, context: {cluster: work, user: work}}]\ncurrent-context: work\n";
    const once = mergeKubeconfig(mine, stackKubeconfig, "kuar-dev");
    const twice = parse(mergeKubeconfig(once, stackKubeconfig, "kuar-dev"));
    assert.deepEqual(
      twice.contexts.map((c: { name: string }) => c.name),
      ["work", "kuar-dev"],
    );
    assert.equal(
      twice.clusters.find((c: { name: string }) => c.name === "kuar-dev").cluster.server,
      "https://127.0.0.1:6443",
    );
    assert.equal(twice.users.find((u: { name: string }) => u.name === "work").user.token, "t");
    assert.equal(twice["current-context"], "kuar-dev");
  });

  test("fails when the stack's kubeconfig has no context", () => {
    assert.throws(() => mergeKubeconfig(undefined, "apiVersion: v1\nkind: Config\n", "x"), /has no context/);
  });

  test("writes the file with mode 600 through a rename, leaving no temp file", () => {
    const file = join(dir, "sub", "config");
    installContext(file, stackKubeconfig, "kuar-local");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(file, readFileSync(file, "utf8"), { mode: 0o644 });
    installContext(file, stackKubeconfig, "kuar-local");
    assert.equal(statSync(file).mode & 0o777, 0o600, "an existing looser file ends up 600");
    assert.deepEqual(readdirSync(join(dir, "sub")), ["config"]);
  });

  test("writes to the first $KUBECONFIG entry, else ~/.kube/config", () => {
    assert.equal(userKubeconfigPath({ KUBECONFIG: "/a:/b" }, "/home/u"), "/a");
    assert.equal(userKubeconfigPath({}, "/home/u"), "/home/u/.kube/config");
  });
});

describe("how to reach the apps", () => {
  test("an in-cluster URL becomes the exact port-forward line; a gateway URL is printed as is", () => {
    const r = reachEndpoints({
      kuard: "http://kuar-kuard.apps.svc.cluster.local",
      redisPrimary: "redis://kuar-redis.apps.svc.cluster.local:6379",
      ghost: "https://ghost.kuar.local",
      parseDashboard: "",
    });
    assert.deepEqual(r[0], {
      app: "kuard",
      url: "http://127.0.0.1:8080",
      command: "kubectl -n apps port-forward svc/kuar-kuard 8080:80",
    });
    assert.equal(r[1]!.command, "kubectl -n apps port-forward svc/kuar-redis 8081:6379");
    assert.deepEqual(r[2], { app: "ghost", url: "https://ghost.kuar.local" });
    assert.equal(r.length, 3, "empty endpoints are left out");
    assert.match(reachText(r).join("\n"), /kubectl get gateway -A/);
  });

  test("fails when a TCP endpoint without a scheme (as workloads/index.ts prints redis) gets no port-forward line", () => {
    const r = reachEndpoints({
      redisSentinel: "kuar-redis-sentinel.apps.svc.cluster.local:26379",
      redisPrimary: "kuar-redis.apps.svc.cluster.local:6379",
    });
    assert.deepEqual(r, [
      {
        app: "redisSentinel",
        url: "127.0.0.1:8080",
        command: "kubectl -n apps port-forward svc/kuar-redis-sentinel 8080:26379",
      },
      { app: "redisPrimary", url: "127.0.0.1:8081", command: "kubectl -n apps port-forward svc/kuar-redis 8081:6379" },
    ]);
    assert.doesNotMatch(reachText(r).join("\n"), /Gateway/);
  });
});

describe("engine errors", () => {
  const log =
    "Updating (dev)\n  + kubernetes:apps/v1:Deployment creating\nerror: update failed\n  kubernetes:apps/v1:Deployment (x):\n    error: 1 error occurred\n";
  // The shape the Automation API throws (automation/errors.js, cmd.js at @pulumi/pulumi 3.248.0).
  const commandError = Object.assign(new Error(`code: -2\n stdout: \n stderr: Command failed\n${log}${log}`), {
    name: "CommandError",
    commandResult: {
      code: -2,
      stdout: "",
      stderr: `Command failed\n${log}`,
      err: { exitCode: 255, stdout: log, stderr: "" },
    },
  });

  test("fails when a failed up is summarised: no code -2 dump, no doubled log, the exit and the error lines", () => {
    const text = describeError(commandError, "pulumi up");
    assert.doesNotMatch(text, /code: -2|stdout:|stderr:/);
    assert.match(text, /^pulumi up exit 255:/);
    assert.equal(text.split("error: update failed").length - 1, 1, "each error line once");
    assert.ok(text.length < 400);
  });

  test("picks error lines and kuar's config problems", () => {
    assert.deepEqual(errorLines("x\n\u001b[31merror:\u001b[0m boom\nkuar found 1 problem\n  kuar:local.nodes: bad\n"), [
      "error: boom",
      "kuar found 1 problem",
      "kuar:local.nodes: bad",
    ]);
  });
});

describe("processes of a run", () => {
  test("parses the parent pid from /proc/<pid>/stat, even with spaces in the name", () => {
    assert.equal(ppidFromStat("123 (a b) S 1 123 123 0"), 1);
  });

  test("engine processes are pulumi's and their node programs, never the control plane", () => {
    assert.ok(isEngineProcess("/h/.kuar/pulumi-home/plugins/resource-kubernetes-v4.25.0/pulumi-resource-kubernetes"));
    assert.ok(isEngineProcess("pulumi-language-nodejs localhost:1234"));
    assert.ok(isEngineProcess("/usr/bin/node /p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"));
    assert.equal(isEngineProcess("/root/.cache/kuar/toolchain/bin/kube-apiserver --etcd-servers=x"), false);
    assert.equal(isEngineProcess("/usr/bin/node /p/cli/main.ts up"), false);
  });

  test("fails when a plugin outlives its run: endRun finds it by marker, even with parent 1, and ends it", async () => {
    const id = `test${process.pid}`;
    // A stand-in plugin, detached through a shell that exits at once, so its parent becomes 1 (or a subreaper).
    const sh = spawn("bash", ["-c", "(exec -a pulumi-resource-standin sleep 60) & exit 0"], {
      env: { ...process.env, [RUN_MARKER]: id },
      stdio: "ignore",
    });
    await new Promise((r) => sh.on("close", r));
    let found = processesOfRun(id);
    for (let i = 0; i < 50 && !found.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      found = processesOfRun(id);
    }
    assert.equal(found.length, 1, "the stand-in is found by its marker");
    assert.notEqual(found[0]!.ppid, sh.pid, "its parent is gone");
    const ended = await endRun(id, 2000);
    assert.equal(ended.length, 1);
    assert.deepEqual(processesOfRun(id), []);
  });
});

describe("colour", () => {
  test("only on a terminal, never with NO_COLOR or TERM=dumb", () => {
    assert.equal(colourOn(true, {}), true);
    assert.equal(colourOn(false, {}), false);
    assert.equal(colourOn(true, { NO_COLOR: "1" }), false);
    assert.equal(colourOn(true, { TERM: "dumb" }), false);
  });
});

describe("npm run cluster", () => {
  test("fails when kubeconfig is asked for with no cluster: one clear line, exit 1, no stack trace", () => {
    const home = mkdtempSync(join(tmpdir(), "kuar-cluster-"));
    try {
      // A toolchain with a kwokctl, and a home with no control plane in it.
      const bin = join(home, "toolchain", "bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, "kwokctl"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
      const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts", "cluster.ts"), "kubeconfig"], {
        cwd: root,
        encoding: "utf8",
        env: { PATH: process.env["PATH"] ?? "", HOME: home, KUAR_TOOLCHAIN_DIR: join(home, "toolchain") },
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(
        r.stderr,
        /no local control plane "kuar-local" for stack local, so there is no kubeconfig\. Run: npm run up/,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      const usage = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts", "cluster.ts"), "bogus"], {
        cwd: root,
        encoding: "utf8",
      });
      assert.equal(usage.status, 2);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
