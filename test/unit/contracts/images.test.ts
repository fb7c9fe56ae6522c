/**
 * Tier "contracts" (runs with the unit tier): every pinned image has a record read for exactly
 * that pin, every fact cites its source, and every container of every workload, in every shape
 * the config can give it, holds to its image's record.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadContracts } from "../../../config/contracts/index.js";
import { imageContractSchema } from "../../../config/contracts/images/schema.js";
import { images } from "../../../config/versions.js";
import { useMocks } from "../../../kit/mocks.js";
import { deploy, podSpec, T, type Deployed } from "../workloads/harness.js";
import { checkPod } from "./image-check.js";

const mocks = await useMocks();
const records = loadContracts("images", imageContractSchema);

test("every pinned image has a record read for exactly its pin, and every record belongs to a pin", () => {
  assert.deepEqual(Object.keys(records).sort(), Object.keys(images).sort());
  for (const [key, pin] of Object.entries(images)) {
    assert.deepEqual(
      records[key]!.pin,
      pin,
      `config/versions.json images.${key} changed: re-read its upstream sources and update config/contracts/images/${key}.json`,
    );
  }
});

test("every fact cites a repository, a path and a tag", () => {
  for (const [key, r] of Object.entries(records)) {
    for (const [name, fact] of Object.entries(r.facts)) {
      if (!fact) continue;
      const s = fact.source;
      assert.ok(s.repo.includes("/") && s.path && s.tag, `${key}.${name}`);
    }
  }
});

async function rendered(d: Deployed) {
  const configMaps = Object.fromEntries(
    d.ofType(T.configMap).map((r) => [r.inputs["metadata"].name as string, r.inputs["data"] as Record<string, string>]),
  );
  return [...d.ofType(T.deployment), ...d.ofType(T.statefulSet), ...d.ofType(T.job)].map((r) => ({
    owner: `${r.type.split(":").pop()} ${r.name}`,
    spec: podSpec(r),
    configMaps,
  }));
}

const shapes = [
  {
    name: "all apps behind an https Gateway",
    o: {
      workloads: {
        kuard: {},
        parse: { enabled: true, dashboard: true },
        ghost: { enabled: true },
        redis: { enabled: true },
      },
      gateway: "https" as const,
    },
  },
  {
    name: "all apps without a Gateway, Ghost with SMTP, parse trusting a proxy CIDR",
    o: {
      workloads: {
        kuard: { color: "green" },
        parse: { enabled: true, dashboard: true, trustProxy: ["10.42.0.0/16"], masterKeyIps: ["10.42.0.0/16", "::1"] },
        ghost: { enabled: true, mail: { host: "smtp.example.com", user: "blog", from: "Blog <b@example.com>" } },
        redis: { enabled: true, replicas: 0, sentinels: 1, quorum: 1 },
      },
    },
    smtp: true,
  },
  {
    name: "all apps on arm64 behind an http Gateway",
    o: {
      workloads: {
        parse: { enabled: true, dashboard: true, mongoMembers: 1 },
        ghost: { enabled: true },
        redis: { enabled: true },
      },
      gateway: "http" as const,
      arch: "arm64" as const,
    },
  },
];

for (const [i, shape] of shapes.entries()) {
  test(`every rendered container holds to its image's record: ${shape.name}`, async () => {
    const pulumi = await import("@pulumi/pulumi");
    const secrets = shape.smtp ? { ghostSmtpPassword: pulumi.output("x") } : undefined;
    const d = await deploy(mocks, `c${i}`, { ...shape.o, secrets });
    const pods = await rendered(d);
    assert.ok(pods.length >= 8, `rendered ${pods.length} pods`);
    const problems = pods.flatMap((p) => checkPod(p, records));
    assert.deepEqual(problems, []);
  });
}
