/**
 * The local control plane survives kwokctl's port race: a component that exited right after
 * `kwokctl create cluster` (seen on this machine: the kwok controller lost its port to another
 * cluster's etcd, so nodes never turned Ready) makes ensure() delete and create the cluster again.
 * kwokctl and kubectl are stand-in scripts here; the real ones run in the e2e tier.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { deadComponents, lastError } from "../../../providers/local/kwok-health.js";
import { Kwok } from "../../../providers/local/kwok.js";

const BIND =
  '{"time":"t","level":"ERROR","msg":"Failed to run server","err":"listen tcp 127.0.0.1:32763: bind: address already in use"}';

/** A kwokctl whose first `create cluster` leaves a dead kwok-controller (as the race does), later ones a live one. */
const fakeKwokctl = `#!/bin/bash
name=$2; verb=$3
dir="$HOME/.kwok/clusters/$name"
echo "$verb" >> "$HOME/calls"
case "$verb" in
  create)
    mkdir -p "$dir/pids" "$dir/logs"; touch "$dir/kwok.yaml"
    n=$(grep -c create "$HOME/calls")
    if [ "$n" = 1 ]; then
      sh -c 'exit 0' & dead=$!; wait $dead
      echo $dead > "$dir/pids/kwok-controller.pid"
      echo '${BIND}' > "$dir/logs/kwok-controller.log"
    else
      echo "$LIVE_PID" > "$dir/pids/kwok-controller.pid"
      echo '{"msg":"Watch nodes"}' > "$dir/logs/kwok-controller.log"
    fi
    echo "$LIVE_PID" > "$dir/pids/etcd.pid" ;;
  delete) rm -rf "$dir" ;;
esac
exit 0
`;

describe("local control plane health", () => {
  const home = mkdtempSync(join(tmpdir(), "kuar-kwok-health-"));
  const bin = join(home, "bin");
  const saved = { HOME: process.env["HOME"], LIVE_PID: process.env["LIVE_PID"] };
  before(() => {
    mkdirSync(bin);
    writeFileSync(join(bin, "kwokctl"), fakeKwokctl, { mode: 0o755 });
    writeFileSync(join(bin, "kubectl"), '#!/bin/sh\ncase "$*" in *apply*) cat >/dev/null ;; esac\n', { mode: 0o755 });
    process.env["HOME"] = home;
    process.env["LIVE_PID"] = String(process.pid);
  });
  after(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    rmSync(home, { recursive: true, force: true });
  });

  test("finds a component whose pid is gone, with the reason from its log", () => {
    const dir = join(home, "c1");
    mkdirSync(join(dir, "pids"), { recursive: true });
    mkdirSync(join(dir, "logs"));
    writeFileSync(join(dir, "pids", "kwok-controller.pid"), "111\n");
    writeFileSync(join(dir, "pids", "etcd.pid"), "222\n");
    writeFileSync(join(dir, "logs", "kwok-controller.log"), `{"msg":"Watch nodes"}\n${BIND}\n`);
    assert.deepEqual(
      deadComponents(dir, (pid) => pid === 222),
      [
        {
          component: "kwok-controller",
          why: "Failed to run server: listen tcp 127.0.0.1:32763: bind: address already in use",
        },
      ],
    );
    assert.equal(lastError("I1201 started\nE1201 boom\nI1201 more\n"), "E1201 boom");
  });

  test("fails when a component died right after create: ensure() deletes and creates the cluster again", async () => {
    const logs: string[] = [];
    const kwok = new Kwok({ name: "kuar-race", kubeVersion: "1.34.4", bin, log: (m) => logs.push(m) });
    await kwok.ensure(1);
    const calls = readFileSync(join(home, "calls"), "utf8").trim().split("\n");
    assert.deepEqual(calls.slice(0, 3), ["create", "delete", "create"], "recreated once, then kept");
    assert.ok(
      logs.some((l) => /kwok-controller: .*address already in use; deleting it and creating it again/.test(l)),
      logs.join("\n"),
    );
    assert.deepEqual(deadComponents(join(home, ".kwok", "clusters", "kuar-race")), []);
  });
});
