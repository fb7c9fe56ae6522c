/**
 * Stack config for workloads (`kuar:workloads`). Owned by workloads/. Every key has a default, so
 * `kuar:workloads` may be omitted; each app is switched on with `<app>.enabled`.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { parseCidr, quantity } from "../config/fields.js";
import { fix } from "../config/toolkit.js";
import { ghostWorkload } from "./ghost.js";
import { kuardWorkload } from "./kuard.js";
import { parseWorkload } from "./parse.js";
import { redisWorkload } from "./redis.js";
import type { WorkloadDefinition } from "./workload.js";

/** `"500m"` -> 0.5, `"1Gi"` -> 1073741824; undefined for anything that is not a quantity. */
export function quantityValue(q: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/.exec(q);
  if (!m) return undefined;
  const scale: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * (m[2] ? scale[m[2]]! : 1);
}

export interface ResourceDefaults {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** Requests and limits of an app's main container, shaped like a Kubernetes `resources` block. */
function resources(d: ResourceDefaults) {
  const pair = (cpu: string, memory: string) =>
    z.strictObject({ cpu: quantity.default(cpu), memory: quantity.default(memory) }).prefault({});
  return z
    .strictObject({
      /** Scheduling requests. @default per app, see docs/workloads.md */
      requests: pair(d.requests.cpu, d.requests.memory),
      /** Hard limits; each must be at least its request. @default per app, see docs/workloads.md */
      limits: pair(d.limits.cpu, d.limits.memory),
    })
    .prefault({})
    .superRefine((r, ctx) => {
      for (const k of ["cpu", "memory"] as const) {
        const req = quantityValue(r.requests[k]);
        const lim = quantityValue(r.limits[k]);
        if (req !== undefined && lim !== undefined && lim < req) {
          ctx.addIssue({
            code: "custom",
            path: ["limits", k],
            input: r.limits[k],
            message: `must be at least the ${k} request (${r.requests[k]})`,
            ...fix(`Raise limits.${k} or lower requests.${k}.`),
          });
        }
      }
    });
}

const replicas = (def: number, max = 20) =>
  z
    .number()
    .int()
    .min(1, { message: "must be at least 1; use enabled: false to turn the app off" })
    .max(max)
    .default(def);

const ipOrCidr = z.string().refine(
  (s) => {
    if (isIP(s) !== 0 || parseCidr(s)) return true;
    const [addr, prefix] = s.split("/");
    return isIP(addr ?? "") === 6 && /^\d{1,3}$/.test(prefix ?? "") && Number(prefix) <= 128;
  },
  { message: 'expected an IP address or CIDR such as "10.0.0.0/8" or "::1"', ...fix("Write an address or a CIDR.") },
);

export const kuardSchema = z
  .strictObject({
    /** Deploy kuard, the book's demo app. @default true */
    enabled: z.boolean().default(true),
    /** Pods in the kuard Deployment. @default 2 */
    replicas: replicas(2),
    /** Image tag, which is also the colour of its page. @default "blue" */
    color: z.enum(["blue", "green"]).default("blue"),
    /** Requests and limits of each kuard pod. @default requests 100m/64Mi, limits 500m/128Mi */
    resources: resources({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } }),
    /** The Jobs chapter's parallel key-generation Job. */
    keygen: z
      .strictObject({
        /** Run the Job. @default true */
        enabled: z.boolean().default(true),
        /** Pods that must finish successfully. @default 5 */
        completions: z.number().int().min(1).max(100).default(5),
        /** Pods running at once; at most `completions`. @default 2 */
        parallelism: z.number().int().min(1).max(100).default(2),
        /** RSA keys each pod generates before it exits (`--keygen-num-to-gen`). @default 10 */
        keysPerPod: z.number().int().min(1).max(1000).default(10),
      })
      .prefault({})
      .superRefine((k, ctx) => {
        if (k.parallelism > k.completions) {
          ctx.addIssue({
            code: "custom",
            path: ["parallelism"],
            input: k.parallelism,
            message: `must be at most completions (${k.completions}); extra parallel pods would never start`,
            ...fix("Lower parallelism or raise completions."),
          });
        }
      }),
  })
  .prefault({});

export const parseSchema = z
  .strictObject({
    /** Deploy parse-server with a MongoDB replica set. @default false */
    enabled: z.boolean().default(false),
    /** parse-server pods. @default 2 */
    replicas: replicas(2),
    /** MongoDB replica-set members: an odd number so a majority survives a loss. @default 3 */
    mongoMembers: z
      .number()
      .int()
      .min(1)
      .max(7)
      .default(3)
      .refine((n) => n % 2 === 1, {
        message: "must be odd (1, 3, 5 or 7): an even replica set cannot elect a primary after losing half",
        ...fix("Use 3 members (or 1 for a throwaway stack)."),
      }),
    /** Also deploy parse-dashboard (port 4040). @default false */
    dashboard: z.boolean().default(false),
    /** Parse application id (`PARSE_SERVER_APPLICATION_ID`). @default "kuar" */
    appId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, {
        message: "expected 1 to 64 letters, digits, '_' or '-'",
        ...fix('Pick a short id such as "kuar".'),
      })
      .default("kuar"),
    /**
     * Addresses or CIDRs allowed to use the master key (`PARSE_SERVER_MASTER_KEY_IPS`), compared
     * with the client address parse-server sees: behind the Gateway that is the proxy's pod unless
     * `trustProxy` names the proxies. @default localhost only, so only a port-forward can use it
     */
    masterKeyIps: z.array(ipOrCidr).min(1).default(["127.0.0.1", "::1"]),
    /**
     * Proxies whose X-Forwarded-For parse-server believes (`PARSE_SERVER_TRUST_PROXY`): the Gateway
     * proxies' pod CIDR, so `masterKeyIps` is matched against the real client. @default [] (none)
     */
    trustProxy: z.array(ipOrCidr).default([]),
    /** Size of each MongoDB member's volume. @default "1Gi" */
    storage: quantity.default("1Gi"),
    /** Requests and limits of each parse-server pod. @default requests 250m/256Mi, limits 1/512Mi */
    resources: resources({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } }),
    /** Requests and limits of each MongoDB member. @default requests 250m/512Mi, limits 1/1Gi */
    mongoResources: resources({ requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } }),
  })
  .prefault({});

const ghostMail = z
  .strictObject({
    /**
     * SMTP server Ghost sends through (`mail__options__host`). Without one Ghost cannot send mail:
     * staff device verification is turned off, and invites, password resets and member emails fail.
     * @default none
     */
    host: z
      .string()
      .regex(/^[A-Za-z0-9]([-A-Za-z0-9.]{0,251}[A-Za-z0-9])?$/, {
        message: "expected a host name such as smtp.example.com",
        ...fix("Write the SMTP server's host name without scheme or port."),
      })
      .optional(),
    /** SMTP port: 587 (submission, STARTTLS) or 465 (TLS from the start, with `secure: true`). @default 587 */
    port: z.number().int().min(1).max(65535).default(587),
    /** TLS from the first byte (port 465); false upgrades with STARTTLS when offered. @default false */
    secure: z.boolean().default(false),
    /** SMTP user; its password is the secret `kuar:ghostSmtpPassword`. @default none: no SMTP authentication */
    user: z.string().min(1).optional(),
    /** Sender address (`mail__from`), e.g. `"Blog" <noreply@example.com>`. @default Ghost's noreply@<site host> */
    from: z.string().min(3).optional(),
  })
  .prefault({})
  .superRefine((m, ctx) => {
    if (m.user !== undefined && m.host === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["host"],
        input: m.host,
        message: `is required with an SMTP user (mail.user is "${m.user}")`,
        ...fix(
          "Set the SMTP server: pulumi config set --path 'kuar:workloads.ghost.mail.host' smtp.example.com, or remove mail.user.",
        ),
      });
    }
  });

export const ghostSchema = z
  .strictObject({
    /** Deploy Ghost with a MySQL singleton. @default false */
    enabled: z.boolean().default(false),
    /** Ghost pods; must be 1. @default 1 */
    replicas: z
      .number()
      .int()
      .min(1)
      .default(1)
      .refine((n) => n === 1, {
        message: "must be 1: Ghost keeps state in process and cannot run more than one instance against one database",
        ...fix("Set replicas to 1 and scale reads with a cache or CDN in front of Ghost."),
      }),
    /** Outgoing mail (SMTP). @default none: Ghost sends no mail and staff device verification is off */
    mail: ghostMail,
    /** Size of the content volume (`/var/lib/ghost/content`). @default "1Gi" */
    storage: quantity.default("1Gi"),
    /** Size of the MySQL data volume. @default "2Gi" */
    mysqlStorage: quantity.default("2Gi"),
    /** Requests and limits of the Ghost pod. @default requests 250m/384Mi, limits 1/768Mi */
    resources: resources({ requests: { cpu: "250m", memory: "384Mi" }, limits: { cpu: "1", memory: "768Mi" } }),
    /** Requests and limits of the MySQL pod. @default requests 250m/512Mi, limits 1/1Gi */
    mysqlResources: resources({ requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } }),
  })
  .prefault({});

export const redisSchema = z
  .strictObject({
    /** Deploy Redis with replication and Sentinel. @default false */
    enabled: z.boolean().default(false),
    /** Replicas besides the primary (the StatefulSet has replicas + 1 pods). @default 2 */
    replicas: z.number().int().min(0).max(10).default(2),
    /** Sentinel pods. At least 3 so a failover can be agreed while one is down. @default 3 */
    sentinels: z.number().int().min(1).max(9).default(3),
    /** Sentinels that must agree the primary is down. At most `sentinels`. @default 2 */
    quorum: z.number().int().min(1).default(2),
    /** Sentinel master set name clients ask for. @default "mymaster" */
    masterName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, {
        message: "expected 1 to 64 letters, digits, '.', '_' or '-'",
        ...fix('Use a simple name such as "mymaster".'),
      })
      .default("mymaster"),
    /** Size of each Redis pod's data volume. @default "1Gi" */
    storage: quantity.default("1Gi"),
    /** Requests and limits of each Redis server container. @default requests 100m/128Mi, limits 500m/256Mi */
    resources: resources({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } }),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    if (r.quorum > r.sentinels) {
      ctx.addIssue({
        code: "custom",
        path: ["quorum"],
        input: r.quorum,
        message: `must be at most sentinels (${r.sentinels}): a failover could never be agreed`,
        ...fix(`Lower quorum to ${Math.floor(r.sentinels / 2) + 1} or add sentinels.`),
      });
    }
  });

export const workloadsSchema = z.strictObject({
  /** kuard, the book's demo app, with its key-generation Job. */
  kuard: kuardSchema.meta({ title: "kuard, the book's demo app (and its key-generation Job)" }),
  /** parse-server, MongoDB replica set and optional parse-dashboard. */
  parse: parseSchema.meta({ title: "parse-server with a MongoDB replica set", secrets: ["parseMasterKey"] }),
  /** Ghost blog with a MySQL singleton. */
  ghost: ghostSchema.meta({ title: "Ghost with MySQL", secrets: ["ghostDatabasePassword"] }),
  /** Redis primary, replicas and Sentinel. */
  redis: redisSchema.meta({ title: "Redis with replicas and Sentinel", secrets: ["redisPassword"] }),
});

export type WorkloadsConfig = z.output<typeof workloadsSchema>;

/** A problem in the shape config/errors.ts reports. */
export interface SecretProblem {
  path: string;
  received: unknown;
  message: string;
  fix: string;
}

/**
 * Checks that need both the workloads config and which secrets are set (`has` says whether
 * `kuar:<key>` is present), run with the other config checks before anything is registered.
 */
export function workloadSecretProblems(w: WorkloadsConfig, has: (key: string) => boolean): SecretProblem[] {
  const out: SecretProblem[] = [];
  const mail = w.ghost.mail;
  if (w.ghost.enabled && mail.user !== undefined && !has("ghostSmtpPassword")) {
    out.push({
      path: "kuar:ghostSmtpPassword",
      received: "(not set)",
      message: `required because workloads.ghost.mail.user is set (${JSON.stringify(mail.user)})`,
      fix: "Run: pulumi config set --secret kuar:ghostSmtpPassword <the SMTP password>",
    });
  }
  if (has("ghostSmtpPassword") && mail.user === undefined) {
    out.push({
      path: "kuar:workloads.ghost.mail.user",
      received: undefined,
      message: "kuar:ghostSmtpPassword is set but no SMTP user would use it",
      fix: "Run: pulumi config set --path 'kuar:workloads.ghost.mail.user' <SMTP user>, or pulumi config rm kuar:ghostSmtpPassword",
    });
  }
  return out;
}
/**
 * The workloads in deploy order, each defined beside its component (workload.ts says what a
 * definition holds). A new workload adds its section to workloadsSchema and its entry here; the
 * Workloads component walks this list and names none of them. A function, because the components
 * import this module too: the list is built once every module has loaded.
 */
export function workloadRegistry(): readonly WorkloadDefinition[] {
  return [kuardWorkload, parseWorkload, ghostWorkload, redisWorkload];
}

export type KuardConfig = z.output<typeof kuardSchema>;
export type ParseConfig = z.output<typeof parseSchema>;
export type GhostConfig = z.output<typeof ghostSchema>;
export type RedisConfig = z.output<typeof redisSchema>;
export type ResourcesConfig = KuardConfig["resources"];
