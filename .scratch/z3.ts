import { z } from "zod";
for (const s of [z.int().min(1).max(50), z.string().min(2).max(5), z.array(z.string()).max(3), z.number().positive()])
  console.log(JSON.stringify((s as any).def.checks?.map((c: any) => ({ ...c._zod.def }))), (s as any).def.type, (s as any).def.format);
