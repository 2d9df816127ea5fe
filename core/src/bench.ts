import { PgDialect } from "drizzle-orm/pg-core";
import { normalizeIdentifier } from "./identities.ts";
import { deltaStatement, subjectQuery } from "./ledger/delta-statement.ts";

export { preparedDelta } from "./ledger/prepare-delta.ts";

const SENTINEL = "__bench_credential__";

/**
 * The exact statement a `+1` balance change sends, rendered as plain SQL for pgbench, so the benchmark's baseline is
 * the API's own database work. The credential value becomes a pgbench variable expression over `:n`.
 */
export function deltaStatementForBench(options: { currencyId: string; hot?: boolean; user?: string }): string {
  const subject = options.user
    ? ({ kind: "user", userId: options.user } as const)
    : ({
        kind: "credential",
        identifier: { ...normalizeIdentifier("discord-id", "100000000000000001"), value: SENTINEL },
      } as const);
  const statement = deltaStatement(subjectQuery("default", subject), {
    ctx: { realmId: "default", initiator: { type: "api_key", id: "pgbench" }, via: "api" },
    currency: { id: options.currencyId, allowNegative: false },
    delta: 1n,
    kind: "adjust",
  });
  const { sql, params } = new PgDialect().sqlToQuery(statement);
  const credential = options.hot ? "'100000000000000001'" : "(100000000000000000 + :n)::text";
  return sql
    .replace(/\$(\d+)/g, (_, index: string) => {
      const value = params[Number(index) - 1];
      if (value === SENTINEL) return credential;
      if (value === null || value === undefined) return "NULL";
      return `'${String(value).replaceAll("'", "''")}'`;
    })
    .replace(/\s+/g, " ");
}
