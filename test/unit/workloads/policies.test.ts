/**
 * The apps' own ingress policies, evaluated: which pod may open which port of which pod. Only
 * the workloads' policies are read here (the namespace defaults are bootstrap's); since policies
 * add up, these must never admit more than each app needs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { useMocks } from "../../../kit/mocks.js";
import { deploy, podSpec, T } from "./harness.js";

const mocks = await useMocks();

type Labels = Record<string, string>;
const matches = (sel: Labels | undefined, l: Labels) => Object.entries(sel ?? {}).every(([k, v]) => l[k] === v);

test("each database admits only its app's pods (and its own members and init Job); app ports are open only to the Gateway's proxies", async () => {
  const d = await deploy(mocks, "n1", {
    workloads: {
      kuard: {},
      parse: { enabled: true, dashboard: true },
      ghost: { enabled: true },
      redis: { enabled: true },
    },
    gateway: "https",
  });
  const pods = [...d.ofType(T.deployment), ...d.ofType(T.statefulSet), ...d.ofType(T.job)].map((r) => ({
    name: r.name,
    labels: r.inputs["spec"].template.metadata.labels as Labels,
    ports: (podSpec(r).containers as Record<string, any>[]).flatMap((c) =>
      ((c["ports"] ?? []) as { containerPort: number }[]).map((p) => p.containerPort),
    ),
  }));
  const policies = d.ofType(T.netpol).map((r) => r.inputs["spec"]);
  /** Sources ("*" for anyone, "gateway" for the Gateway's proxies, else pod names) allowed to each `pod:port`. */
  const allowed = new Map<string, Set<string>>();
  for (const dst of pods) {
    for (const port of dst.ports) {
      const key = `${dst.name}:${port}`;
      const from = new Set<string>();
      for (const p of policies.filter((x) => matches(x.podSelector.matchLabels, dst.labels))) {
        for (const rule of (p.ingress ?? []) as Record<string, any>[]) {
          if (!(rule["ports"] as { port: number }[]).some((x) => x.port === port)) continue;
          if (!rule["from"]) from.add("*");
          else
            for (const peer of rule["from"] as Record<string, any>[]) {
              // A peer in another namespace: the Gateway's proxies (bootstrap/network.ts).
              if (peer["namespaceSelector"]) from.add("gateway");
              else for (const src of pods) if (matches(peer["podSelector"].matchLabels, src.labels)) from.add(src.name);
            }
        }
      }
      allowed.set(key, from);
    }
  }
  const sorted = (k: string) => [...(allowed.get(k) ?? [])].sort();
  assert.deepEqual(sorted("n1-parse-mongo:27017"), ["n1-parse", "n1-parse-mongo", "n1-parse-mongo-init"]);
  assert.deepEqual(sorted("n1-ghost-mysql:3306"), ["n1-ghost"]);
  for (const open of ["n1-kuard:8080", "n1-parse:1337", "n1-parse-dashboard:4040", "n1-ghost:2368"]) {
    assert.deepEqual(sorted(open), ["gateway"], open);
  }
  const everyPod = pods.map((p) => p.name).sort();
  assert.deepEqual(sorted("n1-redis:6379"), everyPod, "Redis is the namespace's shared service");
  assert.deepEqual(sorted("n1-redis-sentinel:26379"), everyPod);
  assert.equal(allowed.size, 8, [...allowed.keys()].join(", "));
});
