import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileBackendDir, stackFolders } from "../../../cli/engine.js";

test("a stack's backups and history folders are found in a file backend, at an absolute path or under ~", () => {
  assert.deepEqual(stackFolders("file:///srv/state", "kuar", "ci-1"), [
    "/srv/state/.pulumi/backups/kuar/ci-1",
    "/srv/state/.pulumi/history/kuar/ci-1",
  ]);
  assert.deepEqual(stackFolders("file://~/state?no_tmp_dir=true", "kuar", "ci-1"), [
    join(homedir(), "state", ".pulumi", "backups", "kuar", "ci-1"),
    join(homedir(), "state", ".pulumi", "history", "kuar", "ci-1"),
  ]);
  assert.deepEqual(stackFolders("file://~", "p", "s")[0], join(homedir(), ".pulumi", "backups", "p", "s"));
});

test("no folders for a backend that is not a file backend", () => {
  for (const url of ["", "s3://bucket/state", "https://api.pulumi.com", "azblob://c"]) {
    assert.deepEqual(stackFolders(url, "kuar", "ci-1"), [], url);
  }
});

test("a file backend's folder: the path of file:///abs, the home folder for file://~, none for other backends", () => {
  assert.equal(fileBackendDir("file:///work/main/.kuar/state"), "/work/main/.kuar/state");
  assert.equal(fileBackendDir("file://~/state?no_tmp_dir=true"), join(homedir(), "state"));
  assert.equal(fileBackendDir("s3://bucket/state"), undefined);
});
