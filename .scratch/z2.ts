import { z } from "zod";
const f = z.int().min(1).max(50);
console.log((f as any)._zod.bag, (z.string().min(2).max(5) as any)._zod.bag, (z.array(z.string()).max(3) as any)._zod.bag);
const o = z.strictObject({ a: z.enum(["x","y"]).default("x"), b: z.string() }).superRefine((s, ctx) => { ctx.addIssue({ code: "custom", path: ["b"], message: "cross" }); });
console.log(JSON.stringify(o.safeParse({ a: "q", b: "s" }).error?.issues.map(i=>i.code)));
console.log(JSON.stringify(o.safeParse({ a: "x", b: "s", c: 1 }).error?.issues.map(i=>i.code)));
const m = z.string().meta({ fix: "F" }); console.log(z.globalRegistry.get(m), z.globalRegistry.get(m.optional()), (m.optional() as any).def.innerType === m);
const u = z.union([z.string(), z.strictObject({a: z.int()})]); console.log(JSON.stringify(u.safeParse({a:"s"}).error?.issues));
