// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked as plain JSON
export type Json = any;

export interface Operation {
  path: string;
  method: string;
  op: Json;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

/** Every operation of an OpenAPI document. */
export const operationsOf = (doc: Json): Operation[] =>
  Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );

export const isPublic = (op: Json) => Array.isArray(op.security) && op.security.length === 0;

/** Creates the user the other examples name first, then writes, then reads, as a person trying the API would. */
export const inPressingOrder = (ops: Operation[]) => {
  const rank = ({ path, method }: Operation) =>
    path === "/users" && method === "post" ? -1 : ["post", "put", "patch", "get", "delete"].indexOf(method);
  return [...ops].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
};

export const exampleOf = (param: Json): unknown =>
  param.example ?? param.schema?.example ?? param.schema?.examples?.[0] ?? Object.values(param.examples ?? {})[0];

export interface ExampleRequest {
  /** Path parameters, query and header values, and the body, as "Try it out" would send them. */
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  /** Required inputs without an example. */
  missing: string[];
}

export function exampleRequest({ op }: Operation): ExampleRequest {
  const request: ExampleRequest = { params: {}, query: {}, headers: {}, body: undefined, missing: [] };
  for (const param of op.parameters ?? []) {
    const value = exampleOf(param);
    if (value === undefined) {
      if (param.required) request.missing.push(`${param.in} ${param.name}`);
      continue;
    }
    const into = param.in === "path" ? request.params : param.in === "query" ? request.query : request.headers;
    into[param.name] = String(value);
  }
  const media = op.requestBody?.content?.["application/json"];
  if (media) request.body = media.example ?? (Object.values(media.examples ?? {}) as Json[])[0]?.value;
  if (op.requestBody?.required && request.body === undefined) request.missing.push("body");
  return request;
}

export function urlOf(path: string, request: Pick<ExampleRequest, "params" | "query">): string {
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request.params[name] ?? ""));
  const query = new URLSearchParams(request.query);
  return `${url}${query.size ? `?${query}` : ""}`;
}
