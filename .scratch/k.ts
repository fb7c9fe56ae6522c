import { parseObject } from "../schema.js";
try { parseObject({ target: "gke", gke: { project: "my-project-1", region: "europe-west1", systemPool: { labels: { "bad key!": "x" } } } }); } catch (e) { console.log((e as Error).message); }
