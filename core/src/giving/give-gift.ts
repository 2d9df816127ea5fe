import { type Currency, type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { formatAmount } from "../amounts.ts";
import type { Subject, WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { subjectNotFound } from "../ledger/adjust-balance.ts";
import { applyDeltas } from "../ledger/apply-deltas.ts";
import { type BalanceChange, replayedChange, type StoredChange, storeChange } from "../ledger/balance-change.ts";
import { type Holder, lockSubjects } from "../ledger/lock-subjects.ts";
import { inTransaction } from "../transaction.ts";
import { getGivingRules } from "./giving-rules.ts";
import { periodBounds } from "./period-bounds.ts";

/** A member giving points they do not own: minted for the target, drawn from the giver's allowance when there is one. */
export interface GiftRequest {
  giver: Subject;
  target: Subject;
  currency: Currency;
  /** Minor units, positive. */
  amount: bigint;
  kind: "thank" | "reaction";
  description?: string | null | undefined;
  /** A manager skips the allowance when the currency says managers are exempt. */
  giverIsManager?: boolean | undefined;
  /** When the target joined the platform, when the platform says (Discord member `joined_at`). */
  targetJoinedAt?: Date | undefined;
  /** `/points thank` needs an allowance; reactions without one give freely. */
  requireAllowance: boolean;
  now: Date;
  timeZone: string;
  /** Runs in the gift's transaction after its entry is written (reactions record themselves here). */
  alsoWrite?: ((tx: Database, change: BalanceChange) => Promise<void>) | undefined;
}

/** What is left of an allowance, and when it refills. */
export interface AllowanceState {
  amount: bigint;
  used: bigint;
  remaining: bigint;
  period: NonNullable<Currency["allowancePeriod"]>;
  resetsAt: Date;
}

export interface GiftResult {
  change: BalanceChange;
  /** The giver's allowance after the gift; null when none applies (none set, or an exempt manager). */
  allowance: AllowanceState | null;
  replayed: boolean;
}

interface StoredGift {
  change: StoredChange;
  allowance: { amount: string; used: string; period: AllowanceState["period"]; resetsAt: string } | null;
}

/**
 * Gives in one transaction, in the lock order of core/README.md (credentials of giver and target, then the allowance
 * and pair rows, then the balance). The allowance check and the credit are one write: `used` is raised by a
 * conditional upsert that refuses to pass the allowance, so N concurrent gifts can never give more than it allows.
 * Cooldown and daily cap are checked the same way on the (giver, target) row.
 */
export async function giveGift(db: Database, ctx: WriteContext, request: GiftRequest): Promise<GiftResult> {
  const { currency, amount, now } = request;
  if (amount <= 0n) throw new TallyError("INVALID_AMOUNT", "A gift must be positive.");
  const key = ctx.idempotencyKey;
  const hash = requestHash("gift", {
    giver: request.giver,
    target: request.target,
    currency: currency.id,
    amount,
    kind: request.kind,
    description: request.description ?? null,
  });
  const rules = await getGivingRules(db, ctx.realmId);
  const allowanceApplies =
    currency.allowanceAmount !== null &&
    currency.allowancePeriod !== null &&
    !(currency.allowanceManagersExempt && request.giverIsManager);
  if (request.requireAllowance && (currency.allowanceAmount === null || currency.allowancePeriod === null)) {
    throw new TallyError(
      "FORBIDDEN",
      `${currency.name} has no allowance to give from; an admin can set one (PATCH …/currencies/${currency.id}).`,
    );
  }
  return inTransaction(db, async (tx) => {
    if (key) {
      const stored = await claimKey<StoredGift>(tx, ctx.realmId, key, hash);
      if (stored) return fromStored(stored);
    }
    const [giver, target] = await lockSubjects(tx, ctx.realmId, [
      { subject: request.giver, create: true },
      { subject: request.target, create: true },
    ]);
    if (!giver) throw subjectNotFound(request.giver);
    if (!target) throw subjectNotFound(request.target);
    if (giver.accountId === target.accountId) {
      throw new TallyError("VALIDATION", "You cannot give points to yourself.", { reason: "self" });
    }
    if (rules.minAccountAgeMinutes !== null && request.targetJoinedAt) {
      const oldEnough = new Date(request.targetJoinedAt.getTime() + rules.minAccountAgeMinutes * 60_000);
      if (oldEnough > now) {
        throw new TallyError(
          "TOO_SOON",
          `They joined less than ${rules.minAccountAgeMinutes} minutes ago; gifts to them open at ${oldEnough.toISOString()}.`,
          { retryAt: oldEnough, rule: "minAccountAgeMinutes" },
        );
      }
    }
    const allowance = allowanceApplies ? await drawAllowance(tx, ctx.realmId, giver, request) : null;
    if (rules.giveCooldownSeconds !== null || rules.dailyCapPerTarget !== null) {
      await recordPair(tx, ctx.realmId, giver, target, request, rules);
    }
    const [change] = await applyDeltas(tx, ctx, [
      { ...target, currency, delta: amount, kind: request.kind, description: request.description },
    ]);
    if (!change) throw new Error("gift wrote no entry");
    await request.alsoWrite?.(tx, change);
    const stored: StoredGift = {
      change: storeChange(change),
      allowance: allowance && {
        amount: allowance.amount.toString(),
        used: allowance.used.toString(),
        period: allowance.period,
        resetsAt: allowance.resetsAt.toISOString(),
      },
    };
    if (key) await storeResult(tx, ctx.realmId, key, stored);
    return { change, allowance, replayed: false };
  });
}

/** Raises the giver's `used` for the period by the gift, or refuses (ALLOWANCE_EXHAUSTED) without writing. */
async function drawAllowance(
  tx: Database,
  realmId: string,
  giver: Holder,
  request: GiftRequest,
): Promise<AllowanceState> {
  const { currency, amount: gift } = request;
  const limit = currency.allowanceAmount as bigint;
  const period = currency.allowancePeriod as AllowanceState["period"];
  const { start, end } = periodBounds(request.now, period, request.timeZone);
  const exhausted = (used: bigint) => {
    const left = limit - used > 0n ? limit - used : 0n;
    return new TallyError(
      "ALLOWANCE_EXHAUSTED",
      `Your ${currency.name} allowance has ${formatAmount(left, currency.scale)} of ${formatAmount(limit, currency.scale)} left this ${period}; it refills at ${end.toISOString()}.`,
      { remaining: left, amount: limit, resetsAt: end, period },
    );
  };
  if (gift > limit) throw exhausted(0n);
  const [row] = await queryRows<{ used: string | bigint }>(
    tx,
    sql`INSERT INTO allowance_usage (currency_id, account_id, period_start, realm_id, used)
        VALUES (${currency.id}, ${giver.accountId}, ${start.toISOString()}::timestamptz, ${realmId}, ${gift.toString()}::bigint)
        ON CONFLICT (currency_id, account_id, period_start)
          DO UPDATE SET used = allowance_usage.used + excluded.used
          WHERE allowance_usage.used + excluded.used <= ${limit.toString()}::bigint
        RETURNING used`,
  );
  if (!row) {
    const used = await usedIn(tx, currency.id, giver.accountId, start);
    throw exhausted(used);
  }
  const used = BigInt(row.used);
  return { amount: limit, used, remaining: limit - used, period, resetsAt: end };
}

export async function usedIn(db: Database, currencyId: string, accountId: string, start: Date): Promise<bigint> {
  const [row] = await queryRows<{ used: string | bigint }>(
    db,
    sql`SELECT used FROM allowance_usage WHERE currency_id = ${currencyId} AND account_id = ${accountId}
        AND period_start = ${start.toISOString()}::timestamptz`,
  );
  return BigInt(row?.used ?? 0);
}

/**
 * Cooldown and daily cap in one conditional upsert of the (giver, target) row: it moves only when the last gift is
 * old enough and the day's total stays within the cap; otherwise nothing is written and the refusal says when to retry.
 */
async function recordPair(
  tx: Database,
  realmId: string,
  giver: Holder,
  target: Holder,
  request: GiftRequest,
  rules: { giveCooldownSeconds: number | null; dailyCapPerTarget: number | null },
): Promise<void> {
  const { currency, amount, now } = request;
  const day = periodBounds(now, "day", request.timeZone);
  const cap = rules.dailyCapPerTarget === null ? null : BigInt(rules.dailyCapPerTarget) * 10n ** BigInt(currency.scale);
  const capText = cap === null ? null : cap.toString();
  const capRefusal = (total: bigint) =>
    new TallyError(
      "TOO_SOON",
      `You can give them at most ${formatAmount(cap ?? 0n, currency.scale)} ${currency.name} a day (${formatAmount(total, currency.scale)} given today); try again after ${day.end.toISOString()}.`,
      { retryAt: day.end, rule: "dailyCapPerTarget" },
    );
  if (cap !== null && amount > cap) throw capRefusal(0n);
  const cooldown = rules.giveCooldownSeconds;
  const total = sql`CASE WHEN giving_pairs.day_start = excluded.day_start
    THEN giving_pairs.day_total + excluded.day_total ELSE excluded.day_total END`;
  const [row] = await queryRows<{ day_total: string }>(
    tx,
    sql`INSERT INTO giving_pairs (currency_id, giver_account_id, target_account_id, realm_id, last_at, day_start, day_total)
        VALUES (${currency.id}, ${giver.accountId}, ${target.accountId}, ${realmId}, ${now.toISOString()}::timestamptz,
          ${day.start.toISOString()}::timestamptz, ${amount.toString()}::bigint)
        ON CONFLICT (currency_id, giver_account_id, target_account_id) DO UPDATE
          SET last_at = excluded.last_at, day_start = excluded.day_start, day_total = ${total}
          WHERE (${cooldown}::int IS NULL
              OR giving_pairs.last_at <= excluded.last_at - make_interval(secs => ${cooldown}::int))
            AND (${capText}::bigint IS NULL OR ${total} <= ${capText}::bigint)
        RETURNING day_total::text`,
  );
  if (row) return;
  const [last] = await queryRows<{ last_at: string | Date; day_start: string | Date; day_total: string }>(
    tx,
    sql`SELECT last_at, day_start, day_total::text FROM giving_pairs WHERE currency_id = ${currency.id}
        AND giver_account_id = ${giver.accountId} AND target_account_id = ${target.accountId}`,
  );
  const lastAt = new Date(last?.last_at ?? now);
  if (cooldown !== null && lastAt.getTime() + cooldown * 1000 > now.getTime()) {
    const retryAt = new Date(lastAt.getTime() + cooldown * 1000);
    throw new TallyError(
      "TOO_SOON",
      `You gave them points less than ${cooldown} seconds ago; try again at ${retryAt.toISOString()}.`,
      { retryAt, rule: "giveCooldownSeconds" },
    );
  }
  const sameDay = last && new Date(last.day_start).getTime() === day.start.getTime();
  throw capRefusal(sameDay ? BigInt(last.day_total) : 0n);
}

function fromStored(stored: StoredGift): GiftResult {
  const a = stored.allowance;
  return {
    change: replayedChange(stored.change),
    allowance: a && {
      amount: BigInt(a.amount),
      used: BigInt(a.used),
      remaining: BigInt(a.amount) - BigInt(a.used),
      period: a.period,
      resetsAt: new Date(a.resetsAt),
    },
    replayed: true,
  };
}
