import { createHash } from "node:crypto";
import { accounts, type Currency, type Database, queryRows } from "@tally/db";
import { parse } from "csv-parse/sync";
import { and, eq, sql } from "drizzle-orm";
import { parseAmount } from "../amounts.ts";
import type { WriteContext } from "../context.ts";
import { isTallyError, TallyError } from "../errors.ts";
import { idempotencyTtlHours, requestHash } from "../idempotency.ts";
import { type Identifier, normalizeIdentifier } from "../identities.ts";
import { newId } from "../ids.ts";
import { type DeltaRow, deltaStatement, resolvedTarget } from "../ledger/delta-statement.ts";
import { ensureCredential } from "../ledger/ensure-credential.ts";
import { moveInto } from "../ledger/link-credential.ts";
import { type Holder, lockCredentials } from "../ledger/lock-subjects.ts";
import { inTransaction } from "../transaction.ts";
import type { ExportFormat } from "./format-rows.ts";

/**
 * `discord`: rows of `discord_id,balance` (what UnbelievaBoat's and MEE6's exports and leaderboards give).
 * `tally`: Tally's own members export, so a realm can be copied into another.
 */
export type ImportMapping = "discord" | "tally";

export interface ImportRequest {
  ctx: WriteContext;
  /** The file's text; its SHA-256 and each line number make the idempotency keys. */
  text: string;
  fileName: string;
  format: ExportFormat;
  /** Detected from the columns when omitted. */
  mapping?: ImportMapping | undefined;
  /** Currency name for the `discord` mapping; the realm's default when omitted. */
  currencyName?: string | undefined;
  /** Without it nothing is written: the whole import runs and is rolled back, and the report says what it would do. */
  apply: boolean;
  currencies: Currency[];
}

export interface ImportReport {
  mapping: ImportMapping;
  fileSha256: string;
  lines: number;
  /** Entries written (or, in a dry run, that would be). */
  entries: number;
  /** Lines with a zero balance: nothing to import. */
  skipped: number;
  /** Sum per currency name, in whole units. */
  totals: Record<string, string>;
  applied: boolean;
  /** The file was imported before: nothing was written this time. */
  alreadyImported: boolean;
}

interface Line {
  line: number;
  currency: Currency;
  delta: bigint;
  member?: { userId: string; email: string | null; name: string | null } | undefined;
  identifiers: Identifier[];
}

const fail = (line: number, message: string) => new TallyError("VALIDATION", `line ${line}: ${message}`, { line });

/** Undoes the export's formula guard (a leading apostrophe before = + - @). */
const unguard = (value: unknown): string => {
  const text = value === undefined || value === null ? "" : String(value);
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
};

function records(text: string, format: ExportFormat): { line: number; record: Record<string, unknown> }[] {
  if (format === "jsonl") {
    return text.split(/\r?\n/).flatMap((raw, index) => {
      if (raw.trim() === "") return [];
      try {
        const record = JSON.parse(raw) as unknown;
        if (!record || typeof record !== "object" || Array.isArray(record)) throw new Error("not an object");
        return [{ line: index + 1, record: record as Record<string, unknown> }];
      } catch {
        throw fail(index + 1, "not a JSON object.");
      }
    });
  }
  try {
    const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, info: true }) as {
      record: Record<string, string>;
      info: { lines: number };
    }[];
    return rows.map((r) => ({ line: r.info.lines, record: r.record }));
  } catch (error) {
    throw new TallyError("VALIDATION", `The file is not valid CSV: ${(error as Error).message}`);
  }
}

function detect(first: Record<string, unknown> | undefined): ImportMapping {
  const keys = Object.keys(first ?? {});
  if (keys.includes("discord_id") && keys.includes("balance")) return "discord";
  if (["account_id", "kind", "currency", "balance", "credentials"].every((k) => keys.includes(k))) return "tally";
  throw new TallyError(
    "VALIDATION",
    "Unknown columns: expected discord_id,balance or Tally's members export (account_id,kind,…,credentials).",
  );
}

function amountOf(line: number, value: unknown, currency: Currency): bigint {
  const text = unguard(value).trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw fail(line, `balance "${text}" is not a number.`);
  try {
    return parseAmount(Number(text), currency.scale, { allowZero: true });
  } catch (error) {
    if (isTallyError(error)) throw fail(line, `balance: ${error.message}`);
    throw error;
  }
}

function identifierOf(line: number, type: string, value: string, source?: string | null): Identifier {
  try {
    return normalizeIdentifier(type, value, source);
  } catch (error) {
    if (isTallyError(error)) throw fail(line, error.message);
    throw error;
  }
}

/** `type:value` or `custom/source:value`, space-separated in CSV; objects in JSON Lines. */
function credentialsOf(line: number, value: unknown): Identifier[] {
  if (Array.isArray(value)) {
    return value.map((c: { type?: unknown; source?: unknown; value?: unknown }) =>
      identifierOf(line, String(c.type ?? ""), String(c.value ?? ""), c.source ? String(c.source) : null),
    );
  }
  return unguard(value)
    .split(/\s+/)
    .filter(Boolean)
    .map((token) => {
      const colon = token.indexOf(":");
      if (colon < 1) throw fail(line, `credential "${token}" is not type:value.`);
      const [type = "", source] = token.slice(0, colon).split("/");
      return identifierOf(line, type, token.slice(colon + 1), source ?? null);
    });
}

function plan(request: ImportRequest): { mapping: ImportMapping; lines: Line[]; skipped: number; total: number } {
  const rows = records(request.text, request.format);
  const mapping = request.mapping ?? detect(rows[0]?.record);
  const byName = (name: string, line: number) => {
    const found = request.currencies.find((c) => c.name === name);
    if (!found) throw fail(line, `no currency named "${name}" in this realm.`);
    return found;
  };
  const fallback = request.currencyName ? byName(request.currencyName, 0) : request.currencies.find((c) => c.isDefault);
  const lines: Line[] = [];
  let skipped = 0;
  for (const { line, record } of rows) {
    let planned: Line;
    if (mapping === "discord") {
      if (!fallback) throw new TallyError("NOT_FOUND", "This realm has no default currency.");
      const discordId = unguard(record.discord_id).trim();
      planned = {
        line,
        currency: fallback,
        delta: amountOf(line, record.balance, fallback),
        identifiers: [identifierOf(line, "discord-id", discordId)],
      };
    } else {
      const currencyName = unguard(record.currency).trim();
      const identifiers = credentialsOf(line, record.credentials);
      const kind = unguard(record.kind);
      if (kind !== "member" && kind !== "ghost") throw fail(line, `kind must be member or ghost, not "${kind}".`);
      const userId = unguard(record.user_id).trim();
      if (kind === "member" && !userId) throw fail(line, "a member needs a user_id.");
      if (kind === "ghost" && identifiers.length === 0) throw fail(line, "a ghost account needs a credential.");
      if (!currencyName) {
        skipped += 1; // an account that holds nothing
        continue;
      }
      const currency = byName(currencyName, line);
      planned = {
        line,
        currency,
        delta: amountOf(line, record.balance, currency),
        identifiers,
        member:
          kind === "member"
            ? { userId, email: unguard(record.email) || null, name: unguard(record.name) || null }
            : undefined,
      };
    }
    if (planned.delta === 0n) skipped += 1;
    else lines.push(planned);
  }
  return { mapping, lines, skipped, total: rows.length };
}

/** Sentinel that rolls a dry run back after it has done everything a real run does. */
class DryRun extends Error {}

/**
 * Imports balances: one `import` entry per account and currency, all in one transaction (any bad line writes
 * nothing and is named), idempotent per file and line (keys `import:<file sha256>:<line>`), dry-run unless `apply`.
 */
export async function importBalances(db: Database, request: ImportRequest): Promise<ImportReport> {
  const { ctx } = request;
  const fileSha256 = createHash("sha256").update(request.text).digest("hex");
  const { mapping, lines, skipped, total } = plan(request);
  const totals: Record<string, bigint> = {};
  for (const l of lines) totals[l.currency.name] = (totals[l.currency.name] ?? 0n) + l.delta;
  const report = (applied: boolean, alreadyImported: boolean): ImportReport => ({
    mapping,
    fileSha256,
    lines: total,
    entries: alreadyImported ? 0 : lines.length,
    skipped,
    totals: Object.fromEntries(
      Object.entries(totals).map(([name, minor]) => {
        const scale = request.currencies.find((c) => c.name === name)?.scale ?? 0;
        return [name, scale ? (Number(minor) / 10 ** scale).toFixed(scale) : minor.toString()];
      }),
    ),
    applied,
    alreadyImported,
  });
  const prefix = `import:${fileSha256}:`;
  try {
    return await inTransaction(db, async (tx) => {
      // Two runs of one file take turns, so the second finds the first's keys and says it was already imported
      // (without this, both found none and the second failed on the first's keys).
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${prefix}))`);
      const [done] = await queryRows<{ n: string | number }>(
        tx,
        sql`SELECT count(*) AS n FROM idempotency_keys WHERE realm_id = ${ctx.realmId}
          AND key LIKE ${`${prefix}%`}`,
      );
      if (Number(done?.n ?? 0) > 0) return report(false, true);
      const ghosts = await lockGhostHolders(tx, ctx, lines);
      const seen = new Map<string, number>();
      for (const l of lines) {
        const holder = ghosts.get(l) ?? (await memberHolder(tx, ctx, l));
        const slot = `${holder.accountId}/${l.currency.id}`;
        const earlier = seen.get(slot);
        if (earlier !== undefined) throw fail(l.line, `the same account and currency as line ${earlier}.`);
        seen.set(slot, l.line);
        const key = `${prefix}${l.line}`;
        const target = resolvedTarget(holder);
        const [row] = await queryRows<DeltaRow>(
          tx,
          deltaStatement(target, {
            ctx,
            currency: l.currency,
            delta: l.delta,
            kind: "import",
            description: `import ${request.fileName} line ${l.line}`,
            idempotency: {
              key,
              requestHash: requestHash("import", { key, delta: l.delta }),
              ttlHours: idempotencyTtlHours(),
            },
          }),
        );
        if (!row) {
          throw fail(
            l.line,
            `the balance ${l.delta} (minor units) is refused: ${l.currency.name} does not go negative.`,
          );
        }
      }
      if (!request.apply) throw new DryRun();
      return report(true, false);
    });
  } catch (error) {
    if (error instanceof DryRun) return report(false, false);
    throw error;
  }
}

/** A member line's account, made if new, with the line's credentials linked into it. */
async function memberHolder(tx: Database, ctx: WriteContext, l: Line): Promise<Holder> {
  const member = l.member;
  if (!member) throw fail(l.line, "no member to credit.");
  await tx
    .insert(accounts)
    .values({ id: newId(), realmId: ctx.realmId, kind: "member", ...member })
    .onConflictDoNothing();
  const [account] = await tx
    .select({ id: accounts.id, kind: accounts.kind })
    .from(accounts)
    .where(and(eq(accounts.realmId, ctx.realmId), eq(accounts.userId, member.userId)));
  if (account?.kind !== "member") throw fail(l.line, `user_id "${member.userId}" is not a member here.`);
  for (const identifier of l.identifiers) {
    try {
      await moveInto(tx, ctx, identifier, account.id);
    } catch (error) {
      if (isTallyError(error)) throw fail(l.line, error.message);
      throw error;
    }
  }
  return { accountId: account.id, credentialId: null, linked: true };
}

/**
 * The holders of the lines without a member, under the ledger's lock protocol: every credential they name is made (a
 * ghost) if new, then all are locked FOR UPDATE in id order before any balance is written, and each account is read
 * from its locked row. Reading a ghost's account without the lock let a link move the ghost's balances to a member
 * while this import was still crediting the ghost: the import's points stayed on an account no credential reached.
 */
async function lockGhostHolders(tx: Database, ctx: WriteContext, lines: Line[]): Promise<Map<Line, Holder>> {
  // A member line links its credentials in the loop, after this; a ghost line naming one of them would credit the
  // ghost it was moved out of.
  const linkedOn = new Map<string, number>();
  for (const l of lines) {
    for (const identifier of l.member ? l.identifiers : []) linkedOn.set(identityOf(identifier), l.line);
  }
  const ids = new Map<Line, string[]>();
  for (const l of lines) {
    if (l.member) continue;
    const found: string[] = [];
    for (const identifier of l.identifiers) {
      const memberLine = linkedOn.get(identityOf(identifier));
      if (memberLine !== undefined) {
        throw fail(l.line, `its ${identifier.type} ${identifier.value} is linked to a member on line ${memberLine}.`);
      }
      found.push((await ensureCredential(tx, ctx.realmId, identifier)).credentialId);
    }
    ids.set(l, found);
  }
  const all = [...new Set([...ids.values()].flat())].sort();
  const locked = new Map<string, Holder>();
  // In id order across the chunks too; a chunk keeps each statement under the driver's parameter limit.
  for (let start = 0; start < all.length; start += LOCK_CHUNK) {
    for (const [id, holder] of await lockCredentials(tx, all.slice(start, start + LOCK_CHUNK))) locked.set(id, holder);
  }
  const holders = new Map<Line, Holder>();
  for (const [l, found] of ids) {
    const [first, ...others] = found.map((id) => locked.get(id));
    if (!first) throw fail(l.line, "no credential to credit.");
    if (others.some((other) => other?.accountId !== first.accountId)) {
      throw fail(l.line, "its credentials belong to different accounts in this realm.");
    }
    holders.set(l, first);
  }
  return holders;
}

const LOCK_CHUNK = 10_000;

const identityOf = (i: Identifier) => `${i.type}\u0000${i.source}\u0000${i.value}`;
