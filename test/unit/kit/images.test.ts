/**
 * The real-node tier's stand-in images are built once into a cache directory. An archive holds
 * the reference it was built for, so one built before a pin moved must not be reused for the new
 * pin (containerd would import it under the old name and the pods' image would be missing).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { images } from "../../../config/versions.js";
import { archivePath, type ImageSpec } from "../../../kit/e2e/images/build.js";

const spec: ImageSpec = { ref: images.redis, config: { WorkingDir: "/data", Cmd: ["redis-server"] } };

test("fails when a cached stand-in built for another pin or layout would be reused", () => {
  const here = archivePath("/cache", "redis", spec);
  assert.equal(archivePath("/cache", "redis", { ...spec }), here, "the same image keeps its archive");
  assert.notEqual(archivePath("/cache", "redis", { ...spec, ref: "redis:8.2.3-alpine" }), here, "another pin");
  assert.notEqual(
    archivePath("/cache", "redis", { ...spec, config: { ...spec.config, Volumes: { "/data": {} } } }),
    here,
    "another config",
  );
  assert.match(here, /^\/cache\/redis-[0-9a-f]{12}\.tar$/);
});
