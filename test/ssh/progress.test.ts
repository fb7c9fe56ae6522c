/**
 * Per-host step lines reach Pulumi's engine as info messages attributed to the host's resource:
 * a real sshd host (harness.ts) is prepared and joined while the providers talk to a gRPC server
 * on 127.0.0.1 that implements the engine's Log call from Pulumi's own generated service
 * definition (@pulumi/pulumi proto/engine_grpc_pb), so the messages are checked on the wire.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import engrpc from "@pulumi/pulumi/proto/engine_grpc_pb.js";
import engproto from "@pulumi/pulumi/proto/engine_pb.js";
import empty from "google-protobuf/google/protobuf/empty_pb.js";
import { applyHost } from "../../providers/raspberrypi/host.provider.js";
import { hostSpecOf, nodeSpecs } from "../../providers/raspberrypi/inventory.js";
import { applyNode } from "../../providers/raspberrypi/node.provider.js";
import { SessionPool } from "../../providers/raspberrypi/pool.js";
import { engineAddress, engineProgress } from "../../providers/raspberrypi/progress.js";
import { settings } from "../../providers/raspberrypi/schema.js";
import { defaultTuning, type SessionOptions } from "../../providers/raspberrypi/ssh.js";
import { Harness, skipReason } from "../../kit/ssh/harness.js";

const BUNDLE = fileURLToPath(new URL("../../kit/ssh/fixtures/k3s-bundle", import.meta.url));
const reason = skipReason();
if (reason) console.log(`# ssh tier progress test SKIPPED: ${reason}`);

test("the engine address is taken only inside Pulumi's dynamic provider host, after any flags", () => {
  const host = "/x/node_modules/@pulumi/pulumi/cmd/dynamic-provider";
  assert.equal(engineAddress(["node", host, "127.0.0.1:40123"]), "127.0.0.1:40123");
  assert.equal(engineAddress(["node", host, "--logtostderr", "-v=9", "127.0.0.1:40123"]), "127.0.0.1:40123");
  assert.equal(engineAddress(["node", "/x/scripts/pi-bench.ts", "127.0.0.1:40123"]), undefined);
});

describe("raspberrypi over ssh: step lines through the engine's Log call", { skip: reason }, () => {
  let h: Harness;
  let server: grpc.Server;
  let port = 0;
  const got: { urn: string; message: string; severity: number }[] = [];
  before(async () => {
    h = await Harness.start(1);
    server = new grpc.Server();
    server.addService(engrpc.EngineService, {
      log: (call: grpc.ServerUnaryCall<engproto.LogRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        got.push({
          urn: call.request.getUrn(),
          message: call.request.getMessage(),
          severity: call.request.getSeverity(),
        });
        cb(null, new empty.Empty());
      },
    } as unknown as grpc.UntypedServiceImplementation);
    port = await new Promise<number>((res, rej) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
  });
  after(() => {
    server?.forceShutdown();
    h?.stop();
  });

  test("every step of a fresh host arrives in order, on its resource's URN, with the elapsed time", async () => {
    const logged: string[] = [];
    const progress = engineProgress(`127.0.0.1:${port}`, (l) => logged.push(l));
    const pool = new SessionPool();
    const opts: SessionOptions = {
      tuning: { ...defaultTuning, rebootDelayMs: 1_000, rebootPollMs: 250, readyPollMs: 200, retryDelayMs: 200 },
      logger: (l) => logged.push(l),
      progress,
      pool,
    };
    const x = h.hosts[0]!;
    const s = settings.parse({
      airgapBundleDir: BUNDLE,
      hosts: [
        {
          address: x.address,
          privateKeyPath: h.clientKey,
          hostKey: x.hostKey,
          role: "server",
          arch: "amd64",
          nodeName: "pi-1",
        },
      ],
    });
    const [spec] = nodeSpecs(s, s.airgapBundleDir);
    const hostUrn =
      "urn:pulumi:lab::kuar::kuar:providers:RaspberryPiCluster$pulumi-nodejs:dynamic/kuar:RaspberryPiHost::lab-pi-1-host";
    const nodeUrn =
      "urn:pulumi:lab::kuar::kuar:providers:RaspberryPiCluster$pulumi-nodejs:dynamic/kuar:RaspberryPiNode::lab-pi-1";
    try {
      await applyHost({ ...hostSpecOf(spec!), progressUrn: hostUrn }, opts);
      await applyNode({ ...spec!, token: "K10progress-token-0123456789", progressUrn: nodeUrn }, opts);
      // Delivery is asynchronous and ordered: wait (bounded) for the last line.
      for (let i = 0; i < 100 && !got.some((g) => g.urn === nodeUrn && / \[ready [\d.]+ s\] k3s /.test(g.message)); i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      pool.closeAll();
      progress.close();
    }
    const steps = (urn: string) =>
      got
        .filter((g) => g.urn === urn)
        .map((g) => /^kuar raspberrypi pi-1 \S+ \[([a-z ]+) \d+\.\d s\]/.exec(g.message)?.[1]);
    assert.deepEqual(steps(hostUrn), ["probe", "prep", "reboot wait", "prepared"]);
    assert.deepEqual(steps(nodeUrn), ["install", "ready", "ready"]);
    assert.ok(got.every((g) => g.severity === engproto.LogSeverity.INFO));
    assert.equal(logged.filter((l) => / \[[a-z ]+ \d+\.\d s\]/.test(l)).length, 0, "no step line fell back to stderr");
    assert.ok(!got.some((g) => g.message.includes("K10progress")), "the token is never in a step line");
  });
});
