import { Readable } from "node:stream";
import {
  type BalanceService,
  exportMembers,
  exportTransactions,
  memberColumns,
  TallyError,
  transactionColumns,
} from "@tally/core";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { errorResponses } from "../plugins/errors.ts";
import { realmParams } from "./realm-credentials.ts";

/** A streamed export: CSV or JSON lines, and the realm dialect's errors. */
const exported = {
  200: {
    description: "The rows, streamed",
    content: { "text/csv": { schema: z.string() }, "application/x-ndjson": { schema: z.string() } },
  },
  ...errorResponses("realm", [400, 401, 403, 429, 503]),
};

const format = z
  .enum(["csv", "jsonl"])
  .default("csv")
  .describe("csv: RFC 4180 with a header row; jsonl: one JSON object a line");
const instant = (name: string) =>
  z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: `${name} must be an ISO date (2026-01-31) or date-time (2026-01-31T12:00:00Z)`,
    })
    .transform((v) => new Date(v))
    .optional();

const contentType = { csv: "text/csv; charset=utf-8", jsonl: "application/jsonl; charset=utf-8" } as const;

/** Streams chunks with backpressure: the next batch is read from the database only when the socket has drained. */
function stream(reply: FastifyReply, chunks: AsyncIterable<string>, name: string, kind: "csv" | "jsonl") {
  return reply
    .header("content-type", contentType[kind])
    .header("content-disposition", `attachment; filename="${name}.${kind}"`)
    .send(Readable.from(chunks));
}

/** The ledger and the members, out as files (DESIGN §7 Export). */
export function realmExportRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = "/api/v1/realms/:realmId";

  r.get(
    `${base}/transactions/export`,
    {
      schema: {
        tags: ["ledger"],
        summary: "Export the ledger, oldest first, one row per entry (streamed)",
        description: `Columns: ${transactionColumns.join(", ")}. Amounts are in the currency's unit. CSV cells that a spreadsheet would run as a formula start with an apostrophe.`,
        params: realmParams,
        querystring: z.object({
          format,
          currency: z.string().max(64).optional().describe("Currency id or name; every currency when omitted"),
          from: instant("from").describe("Entries created at or after this ISO date or date-time"),
          to: instant("to").describe("Entries created before this ISO date or date-time"),
        }),
        response: exported,
      },
    },
    async (request, reply) => {
      const realmId = realmOf(request, request.params.realmId);
      const { currency, from, to } = request.query;
      let currencyId: string | undefined;
      if (currency !== undefined) {
        const found = (await core.currencies(realmId)).find((c) => c.id === currency || c.name === currency);
        if (!found) throw new TallyError("NOT_FOUND", `currency: no currency "${currency}" in this realm.`);
        currencyId = found.id;
      }
      const chunks = exportTransactions(core.readDb, realmId, request.query.format, { currencyId, from, to });
      return stream(reply, chunks, `transactions-${realmId}`, request.query.format);
    },
  );

  r.get(
    `${base}/members/export`,
    {
      schema: {
        tags: ["members"],
        summary: "Export every account's balances with its credentials (streamed)",
        description: `Columns: ${memberColumns.join(", ")}; one row per account and currency. In CSV, credentials are space-separated \`type:value\` (custom: \`custom/source:value\`).`,
        params: realmParams,
        querystring: z.object({ format }),
        response: exported,
      },
    },
    async (request, reply) => {
      const realmId = realmOf(request, request.params.realmId);
      return stream(
        reply,
        exportMembers(core.readDb, realmId, request.query.format),
        `members-${realmId}`,
        request.query.format,
      );
    },
  );
}
