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

/**
 * Presses every operation's example as a person in Swagger UI would: in pressing order, and where a path needs an id
 * the server generated (a webhook, a delivery), with the id an earlier answer showed (the `id` of a create, or of the
 * first item of a list under that path when nothing was created there). A body example may name a value of an
 * earlier answer as `<field.path of METHOD /path>` (a member id for a transfer); it is filled in the same way. An
 * operation with several body examples is pressed once per example. Deletes come last. Each press goes through `send`.
 */
export async function pressAll(
  ops: Operation[],
  send: (operation: Operation, url: string, request: ExampleRequest) => Promise<{ status: number; body: Json }>,
): Promise<{ ids: Record<string, string> }> {
  const ids: Record<string, string> = {};
  const created = new Set<string>();
  const answers: Record<string, Json> = {};
  for (const group of [ops.filter((o) => o.method !== "delete"), ops.filter((o) => o.method === "delete")]) {
    let waiting = inPressingOrder(group);
    while (waiting.length > 0) {
      const ready = waiting.filter((operation) => withIds(operation, ids, answers).missing.length === 0);
      if (ready.length === 0) {
        throw new Error(`no example or earlier answer gives ${waiting.map((o) => `${o.method} ${o.path}`).join(", ")}`);
      }
      for (const operation of ready) {
        for (const request of withIdsEach(operation, ids, answers)) {
          const res = await send(operation, urlOf(operation.path, request), request);
          if (res.status >= 300) continue;
          answers[`${operation.method.toUpperCase()} ${operation.path}`] = res.body;
          // A link code is the generated identifier of the code just created.
          const made = res.body?.id ?? res.body?.code;
          if (typeof made === "string") {
            ids[operation.path] = made;
            created.add(operation.path);
          } else if (typeof res.body?.data?.[0]?.id === "string" && !created.has(operation.path)) {
            ids[operation.path] = res.body.data[0].id;
          }
        }
      }
      waiting = waiting.filter((operation) => !ready.includes(operation));
    }
  }
  return { ids };
}

const ANSWER_REF = /^<([\w.]+) of (GET|POST|PUT|PATCH|DELETE) (\S+)>$/;

/** The body with every `<field of METHOD /path>` filled from `answers`; what cannot be filled is listed. */
function fillBody(body: unknown, answers: Record<string, Json>, missing: string[]): unknown {
  if (typeof body === "string") {
    const ref = ANSWER_REF.exec(body);
    if (!ref) return body;
    const [, field = "", method, path] = ref;
    const value = field.split(".").reduce<Json>((at, key) => at?.[key], answers[`${method} ${path}`]);
    if (value === undefined) missing.push(`body ${body}`);
    return value ?? body;
  }
  if (Array.isArray(body)) return body.map((item) => fillBody(item, answers, missing));
  if (body && typeof body === "object") {
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, fillBody(v, answers, missing)]));
  }
  return body;
}

/** One request per body example (the first as `withIds` gives it); later ones get their own idempotency key. */
function withIdsEach(operation: Operation, ids: Record<string, string>, answers: Record<string, Json>) {
  const first = withIds(operation, ids, answers);
  const media = operation.op.requestBody?.content?.["application/json"];
  const more = (Object.values(media?.examples ?? {}) as Json[]).slice(1).map((e) => e.value);
  return [
    first,
    ...more.map((example, i) => {
      const headers = Object.fromEntries(Object.entries(first.headers).map(([k, v]) => [k, `${v}-${i + 2}`]));
      return { ...first, headers, body: fillBody(example, answers, []) };
    }),
  ];
}

/** An operation's example request, its generated-id path parameters filled from earlier answers. */
export function withIds(
  operation: Operation,
  ids: Record<string, string>,
  answers: Record<string, Json> = {},
): ExampleRequest {
  const request = exampleRequest(operation);
  request.missing = request.missing.filter((m) => !m.startsWith("body <"));
  request.body = fillBody(request.body, answers, request.missing);
  for (const missing of [...request.missing]) {
    const name = /^path (\w+)$/.exec(missing)?.[1];
    const id = name ? ids[operation.path.slice(0, operation.path.indexOf(`/{${name}}`))] : undefined;
    if (name && id) {
      request.params[name] = id;
      request.missing.splice(request.missing.indexOf(missing), 1);
    }
  }
  return request;
}

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
  if (media) {
    // A body that may also be null is documented as anyOf [object, null], its example on the object branch.
    const branch = (media.schema?.anyOf ?? []).find((s: Json) => s.examples || s.example);
    request.body =
      media.example ??
      (Object.values(media.examples ?? {}) as Json[])[0]?.value ??
      branch?.example ??
      branch?.examples?.[0];
  }
  if (op.requestBody?.required && request.body === undefined) request.missing.push("body");
  // A value taken from an earlier answer is not known before one is given.
  fillBody(request.body, {}, request.missing);
  return request;
}

export function urlOf(path: string, request: Pick<ExampleRequest, "params" | "query">): string {
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request.params[name] ?? ""));
  const query = new URLSearchParams(request.query);
  return `${url}${query.size ? `?${query}` : ""}`;
}
