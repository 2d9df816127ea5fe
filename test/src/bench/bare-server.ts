import { preparedDelta } from "@tally/core/bench";
import Fastify from "fastify";
import postgres from "postgres";

/**
 * The stack's ceiling for `pnpm bench`: Fastify and postgres.js sending, per request, the very statement Tally's
 * single-request path sends (same text from core, same parameters), with nothing else — no key check, no validation,
 * no caches, no batching. What Tally spends above this is its own per-request work.
 */
const url = process.env.DATABASE_URL ?? "";
const currencyId = process.env.BENCH_CURRENCY_ID ?? "";
const sql = postgres(url, { max: Number(process.env.BENCH_POOL ?? 32), types: { bigint: postgres.BigInt } });
const ctx = { realmId: "default", initiator: { type: "api_key", id: "bare" }, via: "api" } as const;
const currency = { id: currencyId, allowNegative: false };

async function write(
  subject: Parameters<typeof preparedDelta>[0],
  amount: number,
): Promise<{ balance: string; entryId: string }> {
  const { text, params } = preparedDelta(subject, { ctx, currency, delta: BigInt(amount), kind: "adjust" });
  const [row] = await sql.unsafe(text, params as never[], { prepare: true });
  if (!row) throw new Error("refused");
  return { balance: String(row.balance_after), entryId: String(row.entry_id) };
}

const app = Fastify();
app.patch<{ Querystring: { type: string; value: string }; Body: { amount: number } }>(
  "/api/v1/realms/:realmId/credentials/balance",
  (request) =>
    write(
      { kind: "credential", identifier: { type: "discord-id", source: "", value: request.query.value } },
      request.body.amount,
    ),
);
app.put<{ Params: { id: string }; Body: { credit_delta: number } }>("/users/:id/credits", async (request) => {
  const { balance } = await write({ kind: "user", userId: request.params.id }, request.body.credit_delta);
  return { message: "resource updated successfully", credit_balance: Number(balance) };
});

const address = await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
console.log(`bare server listening on ${address}`);
process.on("SIGTERM", () => {
  void app
    .close()
    .then(() => sql.end({ timeout: 1 }))
    .then(() => process.exit(0));
});
