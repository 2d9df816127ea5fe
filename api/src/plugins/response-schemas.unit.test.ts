import Fastify from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { hasPipe, registerJsonBody } from "./json-body.ts";

describe("response schemas", () => {
  it("finds a transform or codec at any depth, and none in plain shapes", () => {
    expect(hasPipe(z.object({ a: z.string(), b: z.array(z.object({ c: z.number().nullable() })) }))).toBe(false);
    expect(hasPipe(z.object({ a: z.array(z.object({ c: z.string().transform((v) => v.length) })) }))).toBe(true);
    expect(hasPipe(z.union([z.string(), z.iso.datetime().pipe(z.coerce.date())]))).toBe(true);
    expect(hasPipe(z.record(z.string(), z.codec(z.string(), z.number(), { decode: Number, encode: String })))).toBe(
      true,
    );
  });

  it("refuses at start-up a route whose response would need encoding, since responses are only parsed", async () => {
    const app = Fastify();
    registerJsonBody(app);
    app
      .withTypeProvider<ZodTypeProvider>()
      .get(
        "/x",
        { schema: { response: { 200: z.object({ at: z.date().transform((d) => d.toISOString()) }) } } },
        () => ({ at: "now" }),
      );
    await expect(app.ready()).rejects.toThrow("GET /x has a transform or codec");
  });
});
