import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";

const script = resolve(import.meta.dirname, "../../../scripts/toolchain.sh");
const dir = mkdtempSync(join(tmpdir(), "kuar-toolchain-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function check(...args: string[]) {
  const r = spawnSync("bash", [script, "--check", ...args], {
    encoding: "utf8",
    env: { ...process.env, KUAR_TOOLCHAIN_DIR: dir, KUAR_TOOLCHAIN_REALNODES: "" },
  });
  return { status: r.status, missing: /missing: (\S+)/.exec(r.stderr)?.[1] };
}

/** Marks components built, one --check answer at a time, until --check passes (bounded). */
function completeBase(): string[] {
  const done: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = check();
    if (r.status === 0) return done;
    assert.ok(r.missing, "a failing --check names what is missing");
    mkdirSync(join(dir, r.missing), { recursive: true });
    writeFileSync(join(dir, r.missing, ".done"), "");
    done.push(r.missing);
  }
  assert.fail("--check never passed");
}

test("--check means the base toolchain; --with-real-nodes adds kubelet, runc, CoreDNS and local-path", () => {
  const base = completeBase();
  assert.ok(base.some((c) => c.startsWith("kubernetes-")));
  assert.ok(!base.some((c) => /^(kube-node|runc|coredns|local-path)-/.test(c)), base.join(", "));
  const r = check("--with-real-nodes");
  assert.equal(r.status, 1);
  assert.match(r.missing ?? "", /^runc-\d/);
  for (const c of ["runc-", "coredns-", "local-path-", "kube-node-"]) {
    const more = check("--with-real-nodes");
    if (more.status === 0) break;
    assert.ok(more.missing?.startsWith(c), `${more.missing} after ${c}`);
    mkdirSync(join(dir, more.missing!), { recursive: true });
    writeFileSync(join(dir, more.missing!, ".done"), "");
  }
  assert.equal(check("--with-real-nodes").status, 0);
  assert.equal(check().status, 0, "the base check is unchanged");
});
