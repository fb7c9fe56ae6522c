/**
 * Tier "contracts" (runs with the unit tier): every pinned image has a record read for exactly
 * that pin, every fact cites its source, and every container of every workload, in every shape
 * the config can give it, holds to its image's record.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadContracts, sourceProblem, versionOf } from "../../../config/contracts/index.js";
import { imageContractSchema } from "../../../config/contracts/images/schema.js";
import { images } from "../../../config/versions.js";
import { useMocks } from "../../../kit/mocks.js";
import { container, deploy, podSpec, secretData, T, type Deployed } from "../workloads/harness.js";
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

/**
 * Images whose pinned source is not in the stored sources; each of their facts says so
 * (`notAtPin`). Keep this list exact: a record read at its pin again must leave it.
 */
const NOT_AT_PIN = ["kuard", "parseDashboard", "parseServer", "redis"];

test("every fact is read at the pinned version, or says why it could not be", () => {
  const problems: string[] = [];
  const unpinned = new Set<string>();
  for (const [key, r] of Object.entries(records)) {
    const pin = versionOf(typeof r.pin === "string" ? r.pin : r.pin.amd64);
    for (const [name, fact] of Object.entries(r.facts)) {
      if (!fact) continue;
      const bad = sourceProblem(`config/contracts/images/${key}.json facts.${name}`, pin, fact.source);
      if (bad) problems.push(bad);
      if (fact.source.notAtPin !== undefined) unpinned.add(key);
    }
  }
  assert.deepEqual(problems, []);
  assert.deepEqual([...unpinned].sort(), NOT_AT_PIN, "the images with facts not read at their pin");
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

/**
 * Ghost reads every setting from the environment through nconf with parseValues (recorded in
 * config/contracts/images/ghost.json: loader.js and nconf 0.13.0's common.parseValues), which
 * JSON-parses each value. Every setting kuar gives it, literal or from a Secret, must arrive as
 * what kuar meant, even for values that look like JSON (a password of digits, "true", "null").
 * parseValues below is nconf 0.13.0's: JSON where it parses, "undefined" as undefined, else the string.
 */
function parseValues(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value === "undefined" ? undefined : value;
  }
}

test("fails when Ghost would misread a setting: strings that look like JSON arrive as the same strings", async () => {
  const pulumi = await import("@pulumi/pulumi");
  const dbPassword = "20261201";
  const smtpPassword = "true";
  const d = await deploy(mocks, "gs", {
    workloads: {
      kuard: { enabled: false },
      ghost: { enabled: true, mail: { host: "smtp.example.com", user: "12345", from: '"Blog" <b@example.com>' } },
    },
    gateway: "https",
    secrets: { ghostDatabasePassword: pulumi.output(dbPassword), ghostSmtpPassword: pulumi.output(smtpPassword) },
  });
  const c = container(d.one(T.deployment, "gs-ghost"));
  const read: Record<string, unknown> = {};
  for (const e of c.env as Record<string, any>[]) {
    const ref = e["valueFrom"]?.secretKeyRef;
    const raw: string = ref ? (await secretData(d, ref.name))[ref.key]!.value : e["value"];
    read[e["name"]] = parseValues(raw);
  }
  assert.deepEqual(read, {
    url: "https://ghost.example.test",
    NODE_ENV: "production",
    database__client: "mysql",
    database__connection__host: "gs-ghost-mysql",
    database__connection__port: 3306,
    database__connection__user: "ghost",
    database__connection__password: dbPassword,
    database__connection__database: "ghost",
    mail__transport: "SMTP",
    mail__options__host: "smtp.example.com",
    mail__options__port: 587,
    mail__options__secure: false,
    mail__options__auth__user: "12345",
    mail__options__auth__pass: smtpPassword,
    mail__from: '"Blog" <b@example.com>',
    security__staffDeviceVerification: true,
  });
  // MySQL itself reads the password as is.
  assert.equal((await secretData(d, "gs-ghost-db"))["password"]!.value, dbPassword);
});

/**
 * Which commit built kuard's :blue is not recorded (config/contracts/images/kuard.json): at v0.9
 * Dockerfile.kuard had ENTRYPOINT ["/kuard"], from 7711cb4 on CMD ["/kuard"]. kuard's containers
 * must start under either layout.
 */
test("kuard's containers hold to both layouts its :blue image may have (v0.9 ENTRYPOINT, later CMD)", async () => {
  const d = await deploy(mocks, "kl", { workloads: { kuard: {} } });
  const pods = (await rendered(d)).filter((p) => JSON.stringify(p.spec).includes("kuar-demo/kuard"));
  assert.ok(pods.length >= 2, `rendered ${pods.length} kuard pods (the Deployment and the keygen Job)`);
  const k = records["kuard"]!;
  const v09 = {
    ...k,
    facts: {
      ...k.facts,
      entrypoint: { ...k.facts.entrypoint, value: ["/kuard"] },
      cmd: { ...k.facts.cmd, value: null },
      entrypointArgs: { ...k.facts.entrypointArgs, value: { mode: "flags" as const } },
    },
  };
  for (const layout of [records, { ...records, kuard: v09 }])
    assert.deepEqual(
      pods.flatMap((p) => checkPod(p, layout)),
      [],
    );
});
