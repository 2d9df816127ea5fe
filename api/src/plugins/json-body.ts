import { fromJsonText, JsonDecimal } from "@tally/core";
import type { FastifyInstance, FastifySerializerCompiler } from "fastify";
import { ResponseSerializationError } from "fastify-type-provider-zod";
import { parse, stringify } from "lossless-json";
import { type ZodType, z } from "zod";
import { HttpError } from "./errors.ts";

/** Deep enough for every body Tally accepts; a hostile 100k-deep array is refused before it is parsed. */
export const MAX_JSON_DEPTH = 32;

/**
 * JSON in and out without a detour through doubles: a number a double would round arrives as a JsonDecimal holding
 * its exact text (core reads amounts from it) and leaves the same way. Bodies nested past MAX_JSON_DEPTH, and strings
 * PostgreSQL cannot store (NUL, lone surrogates), are refused as 400 naming the field.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    // Drip's example client sends `Content-Type: application/json` on every call, a DELETE without a body too: an
    // empty body is no body, and a route that needs one says so by name.
    if (body === "") return done(null, undefined);
    try {
      done(null, parseJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setSerializerCompiler(serializerCompiler);
}

export function parseJson(text: string): unknown {
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    throw new HttpError(400, "VALIDATION", `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`, {
      malformed: true,
    });
  }
  let value: unknown;
  try {
    value = parse(text, null, fromJsonText);
  } catch (error) {
    throw new HttpError(400, "VALIDATION", `The request body is not valid JSON: ${(error as Error).message}`, {
      malformed: true,
    });
  }
  // Without escapes, surrogates or a __proto__ key in the text, no parsed string or key can hold what checkStrings
  // refuses (raw NULs are not valid JSON): most bodies skip the walk.
  if (MAYBE_UNSTORABLE.test(text)) checkStrings(value, "body");
  return value;
}

const MAYBE_UNSTORABLE = /\\u|[\ud800-\udfff]|__proto__/;

/** The deepest nesting of arrays and objects, counted without parsing (brackets inside strings do not count). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

function checkStrings(value: unknown, path: string): void {
  if (typeof value === "string") {
    if (value.includes("\u0000")) throw fieldError(path, "must not contain NUL characters");
    if (/\p{Cs}/u.test(value)) throw fieldError(path, "must be valid Unicode text (it has a lone surrogate)");
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkStrings(item, `${path}.${index}`);
    });
  } else if (value !== null && typeof value === "object" && !(value instanceof JsonDecimal)) {
    for (const [key, item] of Object.entries(value)) {
      if (key === "__proto__") throw fieldError(path, "must not have a __proto__ field");
      checkStrings(key, `${path} field name`);
      checkStrings(item, `${path}.${key}`);
    }
  }
}

const fieldError = (path: string, problem: string) => new HttpError(400, "VALIDATION", `${path} ${problem}`);

/**
 * zod-validated responses, written with exact numbers (a JsonDecimal is written as its text). Response schemas carry
 * no codecs, so parsing validates them as encoding would, and parsing runs zod's compiled fast path: `safeEncode`
 * costs ten times more per response.
 */
const serializerCompiler: FastifySerializerCompiler<ZodType | { properties: ZodType }> = ({ schema, method, url }) => {
  const zodSchema = "properties" in schema ? schema.properties : schema;
  if (hasPipe(zodSchema)) throw new Error(`The response schema of ${method} ${url} has a transform or codec.`);
  return (data) => {
    const result = zodSchema.safeParse(data);
    if (!result.success) throw new ResponseSerializationError(method, url, { cause: result.error });
    return hasDecimal(result.data)
      ? (stringify(result.data, undefined, undefined, [
          { test: (v) => v instanceof JsonDecimal, stringify: (v) => (v as JsonDecimal).text },
        ]) ?? "null")
      : JSON.stringify(result.data);
  };
};

/** Whether a schema, or any schema inside it, transforms (a pipe: `.transform`, `.pipe`, codecs). */
export function hasPipe(schema: ZodType, seen = new Set<unknown>()): boolean {
  if (seen.has(schema)) return false;
  seen.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown>;
  if (def.type === "pipe" || def.type === "transform") return true;
  const children = Object.values(def).flatMap((v) =>
    Array.isArray(v) ? v : isObject(v) && !isSchema(v) ? Object.values(v) : [v],
  );
  return children.some((child) => isSchema(child) && hasPipe(child, seen));
}
const isObject = (v: unknown): v is object => v !== null && typeof v === "object";
const isSchema = (v: unknown): v is ZodType => isObject(v) && "_zod" in v;

function hasDecimal(value: unknown): boolean {
  if (value instanceof JsonDecimal) return true;
  if (Array.isArray(value)) return value.some(hasDecimal);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasDecimal);
  return false;
}

/** A JSON number as the API receives it: a number, or a JsonDecimal when a double would round it. */
export const jsonNumber = z
  .custom<number | JsonDecimal>((v) => (typeof v === "number" && Number.isFinite(v)) || v instanceof JsonDecimal, {
    error: (issue) => (issue.input === undefined ? "is required" : "must be a number"),
  })
  .meta({ type: "number" });
