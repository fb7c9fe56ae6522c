import { allFields } from "../test/unit/config/walk.js";
import { parseObject } from "../schema.js";
const f = allFields();
console.log(f.length, [...new Set(f.map(x=>x.type))]);
for (const x of f.filter(x => x.section==="gke").slice(0,5)) console.log(x.path, x.type);
try { parseObject({ target: "gke", gke: { project: 12345, workloadPools: [{ name: "x", minNodes: 5, maxNodes: "abc" }] , systemPool: {minNodes: 7, maxNodes: 2}} }); } catch (e) { console.log((e as Error).message); }
try { parseObject({ target: "aks", aks: { location: "westeurope", systemPool: { minCount: -1 } } }); } catch (e) { console.log((e as Error).message); }
try { parseObject({ expiresAt: "tomorrow", local: { nodes: 1e20 } }); } catch (e) { console.log((e as Error).message); }
