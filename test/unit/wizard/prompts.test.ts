/**
 * The real inquirer prompts, rendered with @inquirer/testing: the wizard's question configs and
 * validators show the schema's message under a bad answer and accept a corrected one.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkbox, input } from "@inquirer/prompts";
import { render } from "@inquirer/testing";
import { fieldValidator } from "../../../wizard/flow.js";
import { inputConfig } from "../../../wizard/prompts.js";

const tick = () => new Promise((r) => setTimeout(r, 20));

describe("rendered prompts", () => {
  test("a rejected GKE project shows the schema's message and the prompt asks again", async () => {
    const draft = { target: "gke" };
    const q = inputConfig({
      id: "gke.project",
      message: "Google Cloud project id",
      validate: fieldValidator(() => draft, { id: "gke.project", path: ["gke", "project"], message: "" }),
    });
    const { answer, events, getScreen } = await render(input, q);
    events.type("Bad_Project");
    events.keypress("enter");
    await tick();
    assert.match(
      getScreen(),
      /kuar:gke\.project: expected a project id: 6-30 characters, lowercase letters, digits and '-', starting with a letter, got "Bad_Project"\. Run: gcloud projects list/,
    );
    for (let i = 0; i < "Bad_Project".length; i++) events.keypress("backspace");
    events.type("kuar-dev-123456");
    events.keypress("enter");
    assert.equal(await answer, "kuar-dev-123456");
  });

  test("a number prompt's default is accepted with Enter and checked by the schema", async () => {
    const draft = { target: "local" };
    const validate = fieldValidator(() => draft, {
      id: "local.nodes",
      path: ["local", "nodes"],
      message: "",
      kind: "int",
    });
    const { answer, events, getScreen } = await render(
      input,
      inputConfig({ id: "local.nodes", message: "Simulated nodes", default: "3", validate }),
    );
    assert.match(getScreen(), /Simulated nodes \(3\)/);
    events.keypress("enter");
    assert.equal(await answer, "3");
    assert.match(String(validate("51")), /kuar:local\.nodes: must be at most 50, got 51/);
  });

  test("the checkbox used for add-ons and workloads returns the chosen values", async () => {
    const { answer, events } = await render(checkbox, {
      message: "Workloads to deploy",
      choices: [
        { name: "kuard", value: "kuard", checked: true },
        { name: "redis", value: "redis" },
      ],
    });
    events.keypress("down");
    events.keypress("space");
    events.keypress("enter");
    assert.deepEqual(await answer, ["kuard", "redis"]);
  });
});
