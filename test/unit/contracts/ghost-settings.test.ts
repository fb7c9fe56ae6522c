/**
 * Ghost reads every setting from the environment through nconf with parseValues (recorded in
 * config/contracts/images/ghost.json: loader.js and nconf 0.13.0's common.parseValues), which
 * JSON-parses each value. Every setting kuar gives it, literal or from a Secret, must arrive as
 * what kuar meant, even for values that look like JSON (a password of digits, "true", "null").
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { useMocks } from "../../kit/mocks.js";
import { container, deploy, secretData, T } from "../workloads/harness.js";

const mocks = await useMocks();
const pulumi = await import("@pulumi/pulumi");

/** nconf 0.13.0 common.parseValues: JSON where it parses, "undefined" as undefined, else the string. */
function parseValues(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value === "undefined" ? undefined : value;
  }
}

test("fails when Ghost would misread a setting: strings that look like JSON arrive as the same strings", async () => {
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
