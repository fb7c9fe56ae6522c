import { z } from "zod";
const o = z.strictObject({ a: z.int().min(1).max(50).default(3), b: z.string().regex(/^x/).default("x"), c: z.array(z.int()).default([]) }).superRefine((s, ctx) => { ctx.addIssue({ code: "custom", path: ["b"], message: "cross " + JSON.stringify(s) }); });
for (const v of [{ a: 1e20 }, { a: -1e20 }, { a: 100 }, { b: "y" }, { c: "zz" }, {a: "q"}])
  console.log(JSON.stringify(v), JSON.stringify(o.safeParse(v, { reportInput: true }).error?.issues));
const p = z.strictObject({ a: z.int().min(1) }).superRefine((s, ctx) => { ctx.addIssue({ code: "custom", message: "ran " + JSON.stringify(s) }); }, { when: () => true } as never);
console.log(JSON.stringify(p.safeParse({ a: 0 }).error?.issues));
console.log(JSON.stringify(z.iso.datetime({offset:true}).safeParse("x").error?.issues));
console.log(JSON.stringify(z.string().min(1).safeParse("").error?.issues));
