import { type Database, runPrepared } from "@tally/db";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Subject, WriteContext } from "../context.ts";
import { type DeltaRow, type DeltaSpec, deltaStatement, subjectQuery } from "./delta-statement.ts";

/** What a delta statement binds, by name; `deltaStatement` itself decides where each one goes. */
interface DeltaValues {
  realm: string;
  type: string;
  source: string;
  value: string;
  subject: string;
  currency: string;
  delta: string;
  kind: string;
  description: string | null;
  initiatorType: string;
  initiatorId: string;
  via: string;
  key: string | null;
  hash: string | null;
}
type Field = keyof DeltaValues;

/** A statement shape rendered once: its text, and for each parameter the field it binds or a constant. */
interface Shape {
  text: string;
  slots: ({ field: Field } | { constant: unknown })[];
}

// Values no real request can carry: rendering with them shows where each one lands among the parameters.
const mark = (field: Field) => `\u0001${field}\u0001`;
const MAGNITUDE = 7_777_777_777_777_771n;
const dialect = new PgDialect();
const shapes = new Map<string, Shape>();

/**
 * Renders `deltaStatement` once per shape (subject kind, debit or credit, overdraft rule, idempotency) and reuses the
 * text: drizzle otherwise rebuilds the same SQL on every request. The statement is still the one `deltaStatement`
 * builds, so a change there changes this too; the render fails loudly if a value ever stops being a plain parameter.
 */
function shapeOf(subject: Subject, spec: Pick<DeltaSpec, "currency" | "delta" | "idempotency">): Shape {
  const debit = spec.delta < 0n;
  const keyed = spec.idempotency !== undefined;
  const name = `${subject.kind}:${debit}:${spec.currency.allowNegative}:${keyed}:${spec.idempotency?.ttlHours}`;
  const known = shapes.get(name);
  if (known) return known;
  const sample: Subject =
    subject.kind === "credential"
      ? {
          kind: "credential",
          identifier: { type: mark("type"), source: mark("source"), value: mark("value") } as never,
        }
      : subject.kind === "user"
        ? { kind: "user", userId: mark("subject") }
        : { kind: "account", accountId: mark("subject") };
  const ctx: WriteContext = {
    realmId: mark("realm"),
    initiator: { type: mark("initiatorType") as never, id: mark("initiatorId") },
    via: mark("via") as never,
  };
  const statement = deltaStatement(subjectQuery(ctx.realmId, sample), {
    ctx,
    currency: { id: mark("currency"), allowNegative: spec.currency.allowNegative },
    delta: debit ? -MAGNITUDE : MAGNITUDE,
    kind: mark("kind") as never,
    description: mark("description"),
    idempotency: spec.idempotency && {
      key: mark("key"),
      requestHash: mark("hash"),
      ttlHours: spec.idempotency.ttlHours,
    },
  });
  const { sql: text, params } = dialect.sqlToQuery(statement);
  const magnitude = (debit ? -MAGNITUDE : MAGNITUDE).toString();
  const slots = params.map((p): Shape["slots"][number] => {
    if (p === magnitude) return { field: "delta" };
    if (typeof p === "string" && p.startsWith("\u0001") && p.endsWith("\u0001") && p.length > 2) {
      return { field: p.slice(1, -1) as Field };
    }
    if (String(p).includes("\u0001") || String(p).includes(MAGNITUDE.toString())) {
      throw new Error(`deltaStatement derives a parameter from a request value (${String(p)}); it cannot be reused`);
    }
    return { constant: p };
  });
  if (text.includes("\u0001") || text.includes(MAGNITUDE.toString())) {
    throw new Error("deltaStatement inlines a request value into its SQL text; it cannot be reused");
  }
  const shape = { text, slots };
  shapes.set(name, shape);
  return shape;
}

/** Runs the delta statement of `deltaStatement(subjectQuery(ctx.realmId, subject), spec)`, rendered once per shape. */
export function runDelta(db: Database, subject: Subject, spec: DeltaSpec): Promise<DeltaRow[]> {
  const { text, params } = preparedDelta(subject, spec);
  return runPrepared<DeltaRow>(db, text, params);
}

/** The text (the same for every request of a shape) and the parameters of a delta statement. */
export function preparedDelta(subject: Subject, spec: DeltaSpec): { text: string; params: unknown[] } {
  const shape = shapeOf(subject, spec);
  const { ctx } = spec;
  const values: DeltaValues = {
    realm: ctx.realmId,
    type: subject.kind === "credential" ? subject.identifier.type : "",
    source: subject.kind === "credential" ? subject.identifier.source : "",
    value: subject.kind === "credential" ? subject.identifier.value : "",
    subject: subject.kind === "user" ? subject.userId : subject.kind === "account" ? subject.accountId : "",
    currency: spec.currency.id,
    delta: spec.delta.toString(),
    kind: spec.kind,
    description: spec.description ?? null,
    initiatorType: ctx.initiator.type,
    initiatorId: ctx.initiator.id,
    via: ctx.via,
    key: spec.idempotency?.key ?? null,
    hash: spec.idempotency?.requestHash ?? null,
  };
  const params = new Array<unknown>(shape.slots.length);
  for (let i = 0; i < params.length; i++) {
    const slot = shape.slots[i] as Shape["slots"][number];
    params[i] = "field" in slot ? values[slot.field] : slot.constant;
  }
  return { text: shape.text, params };
}
