import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, type ConfigProblem } from "../../../config/errors.js";
import { parseObject } from "../../../config/load.js";
import { quantityValue } from "../../../workloads/schema.js";

function problems(workloads: Record<string, unknown>): ConfigProblem[] {
  try {
    parseObject({ workloads });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

function only(workloads: Record<string, unknown>, path: string): ConfigProblem {
  const found = problems(workloads);
  const p = found.find((x) => x.path === path);
  assert.ok(p, `no problem at ${path}; got ${found.map((x) => x.path).join(", ")}`);
  assert.ok(p.fix.length > 0, "every problem says how to fix it");
  return p;
}

test("defaults: kuard on with 2 blue replicas and the keygen Job; parse, ghost and redis off", () => {
  const w = parseObject({}).workloads;
  assert.equal(w.kuard.enabled, true);
  assert.equal(w.kuard.replicas, 2);
  assert.equal(w.kuard.color, "blue");
  assert.deepEqual(w.kuard.keygen, { enabled: true, completions: 5, parallelism: 2, keysPerPod: 10 });
  assert.equal(w.parse.enabled, false);
  assert.equal(w.parse.mongoMembers, 3);
  assert.equal(w.ghost.enabled, false);
  assert.equal(w.ghost.replicas, 1);
  assert.equal(w.redis.enabled, false);
  assert.equal(w.redis.quorum, 2);
  assert.equal(w.redis.sentinels, 3);
  assert.equal(w.redis.masterName, "mymaster");
  assert.deepEqual(w.parse.resources, {
    requests: { cpu: "250m", memory: "256Mi" },
    limits: { cpu: "1", memory: "512Mi" },
  });
});

test("partial resources keep the other defaults", () => {
  const w = parseObject({ workloads: { kuard: { resources: { limits: { memory: "1Gi" } } } } }).workloads;
  assert.deepEqual(w.kuard.resources, {
    requests: { cpu: "100m", memory: "64Mi" },
    limits: { cpu: "500m", memory: "1Gi" },
  });
});

test("all four apps on, as the local example stack does", () => {
  const w = parseObject({
    workloads: {
      kuard: {},
      parse: { enabled: true, mongoMembers: 1 },
      ghost: { enabled: true },
      redis: { enabled: true },
    },
  }).workloads;
  assert.equal(w.parse.mongoMembers, 1);
  assert.ok(w.kuard.enabled && w.parse.enabled && w.ghost.enabled && w.redis.enabled);
});

test("fails when Ghost has more than one replica, and says why", () => {
  const p = only({ ghost: { replicas: 2 } }, "kuar:workloads.ghost.replicas");
  assert.equal(p.received, 2);
  assert.match(p.message, /cannot run more than one instance against one database/);
  assert.match(p.fix, /cache or CDN/);
});

test("fails when the Mongo replica set has an even number of members", () => {
  const p = only({ parse: { mongoMembers: 2 } }, "kuar:workloads.parse.mongoMembers");
  assert.equal(p.received, 2);
  assert.match(p.message, /must be odd/);
});

test("fails when the Mongo replica set has more than 7 members", () => {
  const p = only({ parse: { mongoMembers: 9 } }, "kuar:workloads.parse.mongoMembers");
  assert.match(p.message, /at most 7/);
});

test("fails when the Redis quorum is larger than the number of sentinels", () => {
  const p = only({ redis: { sentinels: 3, quorum: 4 } }, "kuar:workloads.redis.quorum");
  assert.equal(p.received, 4);
  assert.match(p.message, /at most sentinels \(3\)/);
  assert.match(p.fix, /Lower quorum to 2/);
});

test("fails when a quantity is not a Kubernetes quantity", () => {
  const p = only({ parse: { storage: "10 gigs" } }, "kuar:workloads.parse.storage");
  assert.equal(p.received, "10 gigs");
  assert.match(p.message, /Kubernetes quantity/);
});

test("fails when kuard's colour is not blue or green, suggesting the closest", () => {
  const p = only({ kuard: { color: "gren" } }, "kuar:workloads.kuard.color");
  assert.match(p.message, /"blue", "green"/);
  assert.match(p.fix, /Did you mean "green"/);
});

test("fails when a memory limit is below its request", () => {
  const p = only(
    { redis: { resources: { requests: { memory: "512Mi" }, limits: { memory: "256Mi" } } } },
    "kuar:workloads.redis.resources.limits.memory",
  );
  assert.equal(p.received, "256Mi");
  assert.match(p.message, /at least the memory request \(512Mi\)/);
});

test("fails when keygen parallelism exceeds its completions", () => {
  const p = only({ kuard: { keygen: { completions: 2, parallelism: 4 } } }, "kuar:workloads.kuard.keygen.parallelism");
  assert.match(p.message, /at most completions \(2\)/);
});

test("fails when the Sentinel master name has spaces", () => {
  const p = only({ redis: { masterName: "my master" } }, "kuar:workloads.redis.masterName");
  assert.match(p.message, /letters, digits/);
});

test("fails when the parse app id is empty", () => {
  only({ parse: { appId: "" } }, "kuar:workloads.parse.appId");
});

test("fails when a master-key address is not an IP or CIDR", () => {
  const p = only({ parse: { masterKeyIps: ["10.0.0.0/8", "pods"] } }, "kuar:workloads.parse.masterKeyIps[1]");
  assert.equal(p.received, "pods");
});

test("fails when replicas is zero, pointing at enabled: false", () => {
  const p = only({ kuard: { replicas: 0 } }, "kuar:workloads.kuard.replicas");
  assert.match(p.message, /enabled: false/);
});

test("fails when a key is misspelt, suggesting the right one", () => {
  const p = only({ redis: { sentinals: 3 } }, "kuar:workloads.redis.sentinals");
  assert.match(p.fix, /Did you mean "sentinels"/);
});

test("fails with every problem at once", () => {
  const found = problems({ ghost: { replicas: 3 }, parse: { mongoMembers: 4 }, kuard: { color: "red" } });
  assert.deepEqual(found.map((p) => p.path).sort(), [
    "kuar:workloads.ghost.replicas",
    "kuar:workloads.kuard.color",
    "kuar:workloads.parse.mongoMembers",
  ]);
});

test("quantityValue reads Kubernetes quantities", () => {
  assert.equal(quantityValue("500m"), 0.5);
  assert.equal(quantityValue("2"), 2);
  assert.equal(quantityValue("1Gi"), 2 ** 30);
  assert.ok(quantityValue("1G")! < quantityValue("1Gi")!);
  assert.equal(quantityValue("lots"), undefined);
});

test("fails when Ghost has an SMTP user but kuar:ghostSmtpPassword is not set", () => {
  const e = (() => {
    try {
      parseObject({ workloads: { ghost: { enabled: true, mail: { host: "smtp.example.com", user: "blog" } } } });
    } catch (err) {
      return err as ConfigError;
    }
    return assert.fail("expected a ConfigError");
  })();
  const p = e.problems.find((x) => x.path === "kuar:ghostSmtpPassword");
  assert.ok(p, e.message);
  assert.match(p.message, /workloads\.ghost\.mail\.user is set/);
  assert.match(p.fix, /pulumi config set --secret kuar:ghostSmtpPassword/);
  assert.doesNotThrow(() =>
    parseObject({
      workloads: { ghost: { enabled: true, mail: { host: "smtp.example.com", user: "blog" } } },
      ghostSmtpPassword: "x",
    }),
  );
});

test("fails when kuar:ghostSmtpPassword is set without an SMTP user, or a user without a host", () => {
  const p = (() => {
    try {
      parseObject({ workloads: { ghost: { enabled: true } }, ghostSmtpPassword: "x" });
    } catch (err) {
      return (err as ConfigError).problems;
    }
    return assert.fail("expected a ConfigError");
  })();
  assert.ok(
    p.some((x) => x.path === "kuar:workloads.ghost.mail.user" && /--path 'kuar:workloads.ghost.mail.user'/.test(x.fix)),
  );
  const noHost = only({ ghost: { enabled: true, mail: { user: "blog" } } }, "kuar:workloads.ghost.mail.host");
  assert.match(noHost.message, /is required with an SMTP user/);
  assert.match(noHost.fix, /--path 'kuar:workloads.ghost.mail.host'/);
});

test("fails when parse.trustProxy holds something that is not an address or CIDR", () => {
  const p = only({ parse: { trustProxy: ["gateway"] } }, "kuar:workloads.parse.trustProxy[0]");
  assert.match(p.message, /IP address or CIDR/);
});
