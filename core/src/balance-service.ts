import type { BotPlatform, Currency, Database, EntryKind, InitiatorType, Realm } from "@tally/db";
import { sql } from "drizzle-orm";
import { authenticateApiKey, createApiKey, listApiKeys, revokeApiKey } from "./admin/api-keys.ts";
import { ensureBootstrap } from "./admin/bootstrap.ts";
import { bindBot, bindingFor, listBindings } from "./admin/bot-bindings.ts";
import {
  archiveValues,
  type CurrencyPatch,
  changeCurrency,
  createCurrency,
  getCurrency,
  listCurrencies,
  type NewCurrency,
  patchValues,
} from "./admin/currencies.ts";
import {
  createCredential,
  deleteCredential,
  getCredential,
  updateCredentialMetadata,
} from "./admin/manage-credentials.ts";
import {
  getMember,
  type MemberSearchType,
  memberProfiles,
  mergeMetadata,
  searchMembers,
  updateMemberMetadata,
} from "./admin/members.ts";
import {
  createRealm,
  getRealm,
  listRealms,
  type RealmSettings,
  setRealmTimezone,
  updateRealmSettings,
} from "./admin/realms.ts";
import {
  type BindingSettingsPatch,
  listRealmBindings,
  updateBindingSettings,
} from "./admin/update-binding-settings.ts";
import { createUser, getUser, listUsers, type UserInput, updateUser } from "./admin/users.ts";
import { type AmountInput, parseAmount } from "./amounts.ts";
import type { Subject, WriteContext } from "./context.ts";
import {
  createSignInLink,
  type DashboardIdentity,
  endSession,
  openSession,
  pruneSignIns,
  readSession,
  redeemSignInLink,
} from "./dashboard/sign-in-links.ts";
import { isTallyError, TallyError } from "./errors.ts";
import { allowanceLeft } from "./giving/allowance-left.ts";
import { type GiftRequest, giveGift } from "./giving/give-gift.ts";
import { type GivingRules, getGivingRules, setGivingRules } from "./giving/giving-rules.ts";
import { checkTimeZone, periodBounds } from "./giving/period-bounds.ts";
import {
  claimExhaustionNotice,
  givenReaction,
  givenReactionsOn,
  isDuplicateReaction,
  markReaction,
  type ReactionInput,
  type ReactionKey,
  type ReactionOutcome,
  reactionCounted,
  recordReaction,
} from "./giving/react-points.ts";
import type { AllowanceInput } from "./giving/set-allowance.ts";
import { checkReactionRules, setReactionRules } from "./giving/set-reaction-rules.ts";
import type { Identifier } from "./identities.ts";
import { sameAccount, subjectBalance, subjectNotFound } from "./ledger/adjust-balance.ts";
import { applyBatch, type BatchItem } from "./ledger/apply-batch.ts";
import type { BalanceChange } from "./ledger/balance-change.ts";
import { ensureCredential, findCredential } from "./ledger/ensure-credential.ts";
import { createGroupWriter, type GroupWriterOptions } from "./ledger/group-commit/group-writer.ts";
import { type LinkTarget, linkCredential } from "./ledger/link-credential.ts";
import { lastEntryBy, reverseEntry } from "./ledger/reverse-entry.ts";
import { transferPoints } from "./ledger/transfer-points.ts";
import { issueLinkCode } from "./link-codes/issue-link-code.ts";
import { redeemLinkCode } from "./link-codes/redeem-link-code.ts";
import { createObservers } from "./observe.ts";
import { auditLedger } from "./queries/audit-ledger.ts";
import { describeAccount } from "./queries/describe-account.ts";
import { balanceOverTime, describeMember } from "./queries/describe-member.ts";
import { type HistoryEntry, type HistoryQuery, history, type Page } from "./queries/history.ts";
import { leaderboard } from "./queries/leaderboard.ts";
import { type Period, periodLeaderboard } from "./queries/period-leaderboard.ts";
import { type PublicLeaderboard, toPublicLeaderboard } from "./queries/public-leaderboard.ts";
import { type LedgerFilter, searchLedger } from "./queries/search-ledger.ts";
import { summarizeRealm } from "./queries/summarize-realm.ts";
import { noteWrite, readHandle } from "./read-routing.ts";
import { createTtlCache } from "./ttl-cache.ts";

export interface AdjustRequest {
  subject: Subject;
  /** Whole units as a JSON number (or its exact text); converted exactly with the currency's scale. */
  amount: AmountInput;
  currencyId?: string | undefined;
  description?: string | null | undefined;
}

export interface BalanceChangeResult extends BalanceChange {
  currency: Currency;
}

/** How long a process trusts its copy of a realm's currencies; other processes' changes show up within this. */
const CURRENCY_TTL_MS = 5_000;

/** NOTIFY channel on which a process that changed a realm's currencies names the realm. */
export const CURRENCY_CHANGED_CHANNEL = "tally_currency_changed";

/** NOTIFY channel on which a process that changed a realm's giving rules names the realm. */
export const GIVING_RULES_CHANGED_CHANNEL = "tally_giving_rules_changed";

/**
 * NOTIFY channel on which PostgreSQL itself names every guild or team whose binding changed (`platform:externalId`,
 * or `*` after a TRUNCATE): a trigger on bot_bindings (migration 0010), so no writer, process or hand-made UPDATE can
 * forget to announce it. The binding decides which realm a command's points go to; every process drops its copy.
 */
export const BINDING_CHANGED_CHANNEL = "tally_binding_changed";

/** How long a process trusts its copy of a binding when no change was heard (a listener down, say). */
const BINDING_TTL_MS = 5_000;

const bindingKey = (platform: BotPlatform, externalId: string) => `${platform}:${externalId}`;

/**
 * The one balance service every door calls. It holds the database handle, a short-lived cache of currencies (so a
 * balance change costs one round trip) and the group-commit writer that batches concurrent adjusts. Every write takes a WriteContext (realm, initiator, door, idempotency key).
 */
export function createBalanceService(
  db: Database,
  options: {
    groupCommit?: GroupWriterOptions;
    /** The time link codes expire, periods start and allowances refill by; tests move it. */
    now?: (() => Date) | undefined;
    /**
     * A streaming replica (DATABASE_REPLICA_URL) for reads that may lag: leaderboards, history, exports. Writes,
     * balances, idempotency and every read of a request that has written stay on `db`.
     */
    readDb?: Database | undefined;
  } = {},
) {
  const reads = () => readHandle(db, options.readDb);
  const now = options.now ?? (() => new Date());
  const writer = createGroupWriter(db, options.groupCommit);
  const currencyCache = createTtlCache(CURRENCY_TTL_MS, (realmId) => listCurrencies(db, realmId));
  const rulesCache = createTtlCache(CURRENCY_TTL_MS, (realmId) => getGivingRules(db, realmId));
  const bindingCache = createTtlCache(BINDING_TTL_MS, (key) => {
    const colon = key.indexOf(":");
    return bindingFor(db, key.slice(0, colon) as BotPlatform, key.slice(colon + 1));
  });
  const realmCurrencies = (realmId: string) => currencyCache.get(realmId);

  /** Runs a change to a binding and drops this process's copy at once; other processes hear the trigger's NOTIFY. */
  async function rebound<T>(key: { platform: BotPlatform; externalId: string }, run: Promise<T>): Promise<T> {
    try {
      return await run;
    } finally {
      bindingCache.forget(bindingKey(key.platform, key.externalId));
    }
  }

  /** The realm's currency with this id, or its default one; NOT_FOUND when there is no such currency. */
  async function currency(realmId: string, currencyId?: string | null): Promise<Currency> {
    const list = await realmCurrencies(realmId);
    const found = currencyId ? list.find((c) => c.id === currencyId) : list.find((c) => c.isDefault);
    if (found) return found;
    if (currencyId) {
      // Created moments ago, perhaps by another process: look once more before saying no.
      currencyCache.forget(realmId);
      const fresh = (await realmCurrencies(realmId)).find((c) => c.id === currencyId);
      if (fresh) return fresh;
      throw new TallyError("NOT_FOUND", `No realm point (currency) "${currencyId}" in this realm.`);
    }
    throw new TallyError("NOT_FOUND", "This realm has no default currency.");
  }

  /** The currency a new entry goes to: as `currency`, but an archived one takes no new entries. */
  async function writableCurrency(realmId: string, currencyId?: string | null): Promise<Currency> {
    const cur = await currency(realmId, currencyId);
    if (cur.archivedAt) {
      throw new TallyError(
        "CONFLICT",
        `The realm point (currency) "${cur.name}" is archived: it takes no new entries.`,
      );
    }
    return cur;
  }

  /**
   * Runs a change to what `cache` holds of a realm, forgets this process's copy, and tells every other process to
   * forget theirs (they listen on `channel`), so none goes on with the old one for the rest of its cache's life.
   */
  const announcing =
    (channel: string, cache: { forget(realmId: string): void }) =>
    async <T>(realmId: string, run: Promise<T>): Promise<T> => {
      try {
        const result = await run;
        await db.execute(sql`SELECT pg_notify(${channel}, ${realmId})`);
        return result;
      } finally {
        cache.forget(realmId);
      }
    };
  /** A currency change: no process keeps writing at an old scale or into an archived currency. */
  const changed = announcing(CURRENCY_CHANGED_CHANNEL, currencyCache);
  /** A giving-rules change: every process limits bot commands by the new rules at once. */
  const rulesChanged = announcing(GIVING_RULES_CHANGED_CHANNEL, rulesCache);

  /**
   * Holders by balance (`all`, the default), or by what they received in the current day, week or month of the
   * realm's time zone (`since` says when that period began).
   */
  async function leaderboardOf(
    realmId: string,
    query: { currencyId?: string | undefined; take?: number; after?: string; period?: Period | undefined },
    knownRealm?: Realm,
  ) {
    const cur = await currency(realmId, query.currencyId);
    const period = query.period ?? "all";
    if (period === "all") {
      return { ...(await leaderboard(reads(), realmId, cur.id, query)), currency: cur, period, since: null };
    }
    const realm = knownRealm ?? (await getRealm(db, realmId));
    if (!realm) throw new TallyError("NOT_FOUND", `No realm "${realmId}".`);
    const board = await periodLeaderboard(reads(), realmId, cur.id, {
      ...query,
      period,
      timezone: realm.timezone ?? "UTC",
      now: now(),
    });
    return { ...board, currency: cur, period, since: board.since };
  }

  const events = createObservers();

  /** The realm's time zone, where its allowance periods and daily caps start; UTC until the realm sets one. */
  async function realmTimeZone(realmId: string): Promise<string> {
    const zone = (await getRealm(db, realmId))?.timezone;
    if (!zone) return "UTC";
    try {
      return checkTimeZone(zone);
    } catch {
      return "UTC";
    }
  }

  /** A member gives points they do not own (a thank or a reaction); see giving/give-gift.ts. */
  function gift(
    ctx: WriteContext,
    request: Omit<GiftRequest, "currency" | "amount" | "now" | "timeZone"> & {
      amount: AmountInput;
      currencyId?: string | undefined;
    },
  ) {
    return recorded(
      ctx,
      () => ({ kind: request.kind, count: 1 }),
      async () => {
        const cur = await currency(ctx.realmId, request.currencyId);
        const amount = parseAmount(request.amount, cur.scale);
        const result = await giveGift(db, ctx, {
          ...request,
          currency: cur,
          amount,
          now: now(),
          timeZone: await realmTimeZone(ctx.realmId),
        });
        return { ...result, currency: cur };
      },
    );
  }

  /** Runs a write and tells observers what it did once it has committed, or why it was refused. */
  async function recorded<T extends { replayed?: boolean }>(
    ctx: WriteContext,
    written: (result: T) => { kind: EntryKind; count: number } | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    noteWrite();
    try {
      const result = await run();
      const entries = written(result);
      if (result.replayed) events.emit({ type: "replay", via: ctx.via });
      else if (entries && entries.count > 0) events.emit({ type: "entries", via: ctx.via, ...entries });
      return result;
    } catch (error) {
      if (isTallyError(error)) events.emit({ type: "refusal", code: error.code, via: ctx.via });
      throw error;
    }
  }

  /** The reaction was taken away: its gift is reversed, unless the points were spent and may not overdraw. */
  async function removeReaction(ctx: WriteContext, key: ReactionKey): Promise<ReactionOutcome> {
    const given = await givenReaction(db, key);
    if (!given) return { outcome: "nothing" };
    const keyed = {
      ...ctx,
      idempotencyKey: `${key.platform}:reaction-removed:${key.messageId}:${key.reactorId}:${key.emoji}`,
    };
    try {
      await reverseEntry(db, keyed, given.entryId, { description: "reaction removed" });
    } catch (error) {
      if (isTallyError(error) && error.code === "INSUFFICIENT_BALANCE") {
        await markReaction(db, key, "kept", "spent before the reaction was removed");
        return { outcome: "kept", entryId: given.entryId };
      }
      if (!isTallyError(error) || error.code !== "ALREADY_REVERSED") throw error;
    }
    await markReaction(db, key, "reversed", null);
    return { outcome: "reversed", entryId: given.entryId };
  }

  return {
    db,
    /** Whether some reads go to a replica, so a request that writes must be scoped (`inRequestScope`). */
    routesReads: options.readDb !== undefined,
    /** The handle for reads that may lag (the replica when there is one and this request has not written). */
    get readDb(): Database {
      return reads();
    },
    /** Subscribes to what writes did (entries by kind and door, replays, refusals); returns the unsubscribe. */
    observe: events.observe,
    /** For a door to report events of its own (a chat command's outcome) to the same observers. */
    report: events.emit,
    currency,
    currencies: realmCurrencies,
    /** The service's clock (tests inject one to cross period boundaries). */
    now,
    realmTimeZone,
    gift,

    /** `/points thank`: mints for the target, counted against the giver's allowance (which must be set). */
    thank: (
      ctx: WriteContext,
      request: {
        giver: Subject;
        target: Subject;
        amount: AmountInput;
        currencyId?: string | undefined;
        description?: string | null | undefined;
        giverIsManager?: boolean | undefined;
        targetJoinedAt?: Date | undefined;
      },
    ) => gift(ctx, { ...request, kind: "thank", requireAllowance: true }),

    /** What the giver has left of a currency's allowance this period, and when it refills; null without one. */
    async allowanceLeft(realmId: string, giver: Subject, currencyId?: string | null) {
      const cur = await currency(realmId, currencyId);
      const state = await allowanceLeft(db, realmId, giver, cur, now(), await realmTimeZone(realmId));
      return { allowance: state, currency: cur };
    },

    /** Sets (or with null removes) a currency's allowance: `updateCurrency` with only `allowance`. */
    setAllowance: (realmId: string, currencyId: string, allowance: AllowanceInput | null, idempotencyKey?: string) =>
      changed(
        realmId,
        changeCurrency(
          db,
          realmId,
          currencyId,
          "update-currency",
          (current, tx) => patchValues(tx, current, { allowance }),
          { key: idempotencyKey, input: { allowance } },
        ),
      ),

    /**
     * A member reacted with an emoji the binding turns into points: gives once per (platform, message, reactor,
     * emoji), ever, drawing on the reactor's allowance when the currency has one.
     */
    async reactionAdded(ctx: WriteContext, input: ReactionInput): Promise<ReactionOutcome> {
      if (await reactionCounted(db, input)) return { outcome: "duplicate" };
      // Reactions have no delivery id of their own: the reaction row, not an idempotency key, makes them count once.
      const plain = { ...ctx, idempotencyKey: undefined };
      try {
        const result = await gift(plain, {
          giver: input.giver,
          target: input.target,
          amount: input.amount,
          currencyId: input.currencyId,
          kind: "reaction",
          requireAllowance: false,
          targetJoinedAt: input.targetJoinedAt,
          description: `reacted ${input.platform === "slack" ? `:${input.emoji}:` : input.emoji}`,
          alsoWrite: recordReaction(input, ctx.realmId, input.targetId),
        });
        return { outcome: "given", change: result.change };
      } catch (error) {
        if (isDuplicateReaction(error)) return { outcome: "duplicate" };
        if (!isTallyError(error)) throw error;
        if (error.code === "VALIDATION" && error.details?.reason === "self") return { outcome: "nothing" };
        if (error.code === "TOO_SOON") return { outcome: "refused", error, notify: true };
        if (error.code !== "ALLOWANCE_EXHAUSTED" || input.giver.kind !== "credential") throw error;
        const cur = await currency(ctx.realmId, input.currencyId);
        const { start } = periodBounds(now(), cur.allowancePeriod ?? "day", await realmTimeZone(ctx.realmId));
        const giver = await ensureCredential(db, ctx.realmId, input.giver.identifier);
        const notify = await claimExhaustionNotice(db, {
          realmId: ctx.realmId,
          currencyId: cur.id,
          accountId: giver.accountId,
          periodStart: start,
          now: now(),
        });
        return { outcome: "refused", error, notify };
      }
    },

    /** The reaction was taken away: its gift is reversed, unless the points were spent and may not overdraw. */
    reactionRemoved: removeReaction,

    /**
     * A message's reactions were cleared (all, or one emoji's): every standing gift on it is taken back, one by one,
     * each as if its reactor had removed it; the realm is the caller's, so another realm's gifts are never touched.
     */
    async reactionsCleared(
      ctx: WriteContext,
      target: { platform: ReactionKey["platform"]; messageId: string; emoji?: string | undefined },
    ): Promise<ReactionOutcome> {
      const reversed: string[] = [];
      const kept: string[] = [];
      for (const key of await givenReactionsOn(db, ctx.realmId, target)) {
        const outcome = await removeReaction({ ...ctx, initiator: { type: key.platform, id: key.reactorId } }, key);
        if (outcome.outcome === "reversed") reversed.push(outcome.entryId);
        else if (outcome.outcome === "kept") kept.push(outcome.entryId);
      }
      return { outcome: "cleared", reversed, kept };
    },

    /**
     * The realm's giving rules; a copy at most CURRENCY_TTL_MS old, dropped at once when any process changes them
     * (see GIVING_RULES_CHANGED_CHANNEL).
     */
    givingRules: (realmId: string): Promise<GivingRules> => rulesCache.get(realmId),
    setGivingRules: (realmId: string, patch: Partial<GivingRules>) =>
      rulesChanged(realmId, setGivingRules(db, realmId, patch)),
    /** Drops the cached giving rules of a realm another process changed, or of all. */
    forgetGivingRules: (realmId?: string) => (realmId === undefined ? rulesCache.clear() : rulesCache.forget(realmId)),

    /** How the group-commit writer has written adjusts so far. */
    writeStats: writer.stats,

    adjust: (ctx: WriteContext, request: AdjustRequest): Promise<BalanceChangeResult> =>
      recorded(
        ctx,
        () => ({ kind: "adjust", count: 1 }),
        async () => {
          const cur = await writableCurrency(ctx.realmId, request.currencyId);
          const delta = parseAmount(request.amount, cur.scale);
          const change = await writer.adjust(ctx, {
            subject: request.subject,
            currency: cur,
            delta,
            description: request.description,
          });
          return { ...change, currency: cur };
        },
      ),

    async transfer(
      ctx: WriteContext,
      request: {
        from: Subject;
        to: Subject;
        amount: AmountInput;
        currencyId?: string | undefined;
        description?: string | null;
      },
    ) {
      return recorded(
        ctx,
        () => ({ kind: "transfer", count: 2 }),
        async () => {
          const cur = await writableCurrency(ctx.realmId, request.currencyId);
          const amount = parseAmount(request.amount, cur.scale);
          if (amount < 0n) throw new TallyError("INVALID_AMOUNT", "A transfer amount must be positive.");
          const result = await transferPoints(db, ctx, { ...request, currency: cur, amount });
          return { ...result, currency: cur };
        },
      );
    },

    batch: (
      ctx: WriteContext,
      items: { subject: Subject; amount: AmountInput; currencyId?: string | undefined; description?: string | null }[],
    ) =>
      recorded(
        ctx,
        (result) => ({ kind: "adjust", count: result.changes.length }),
        async () => {
          const planned: BatchItem[] = [];
          for (const [index, item] of items.entries()) {
            const cur = await writableCurrency(ctx.realmId, item.currencyId);
            try {
              planned.push({ ...item, currency: cur, delta: parseAmount(item.amount, cur.scale) });
            } catch (error) {
              if (error instanceof TallyError)
                throw new TallyError(error.code, `Item ${index}: ${error.message}`, { index });
              throw error;
            }
          }
          const result = await applyBatch(db, ctx, planned);
          const changes = planned.map((p, i) => ({ ...(result.changes[i] as BalanceChange), currency: p.currency }));
          return { ...result, changes };
        },
      ),

    link: (ctx: WriteContext, identifier: Identifier, target: LinkTarget) =>
      recorded(
        ctx,
        (result) => ({ kind: "link", count: result.moved.length * 2 }),
        () => linkCredential(db, ctx, identifier, target),
      ),

    /**
     * A one-time `TALLY-XXXXXXXX` code for this credential (10 minutes, single use, stored hashed); redeeming it from
     * another credential joins both into one member account.
     */
    issueLinkCode: (realmId: string, identifier: Identifier) => issueLinkCode(db, realmId, identifier, now()),

    /** Joins the code's credential and `redeemer` through the link logic; refusals change nothing. */
    redeemLinkCode: (ctx: WriteContext, input: { code: string; redeemer: Identifier }) =>
      recorded(
        ctx,
        (result) => ({ kind: "link", count: result.moved.length * 2 }),
        () => redeemLinkCode(db, ctx, input, now()),
      ),

    /** A subject's account, all its credentials and balances (`/points whoami`); undefined when never seen. */
    describeAccount: (realmId: string, subject: Subject) => describeAccount(db, realmId, subject),

    /** Appends the reversal of an entry (both legs of a transfer); once per entry, else ALREADY_REVERSED. */
    async reverse(ctx: WriteContext, entryId: string, input: { description?: string | null | undefined } = {}) {
      const reversal = await reverseEntry(db, ctx, entryId, input);
      return { ...reversal, currency: await currency(ctx.realmId, reversal.entry.currencyId) };
    },

    /** The initiator's newest give, take or transfer in the realm not reversed yet (for `/points undo`). */
    lastEntryBy: (realmId: string, initiator: { type: InitiatorType; id: string }) =>
      lastEntryBy(db, realmId, initiator),

    /** A subject's balance; an unknown credential holds nothing yet and is NOT_FOUND. */
    async balanceOf(realmId: string, subject: Subject, currencyId?: string | null) {
      const cur = await currency(realmId, currencyId);
      const state = await subjectBalance(db, realmId, subject, cur.id);
      if (!state) throw subjectNotFound(subject);
      return { ...state, currency: cur };
    },

    /** Whether two subjects hold one account; an unknown subject holds none. One statement, nothing thrown. */
    sameAccount: (realmId: string, a: Subject, b: Subject) => sameAccount(db, realmId, a, b),

    findCredential: (realmId: string, identifier: Identifier) => findCredential(db, realmId, identifier),

    /** Ledger entries newest first; for a subject, NOT_FOUND when it does not exist. */
    async history(realmId: string, query: HistoryQuery & { subject?: Subject }): Promise<Page<HistoryEntry>> {
      const from = reads();
      if (!query.subject) return history(from, realmId, query);
      const cur = await currency(realmId, query.currencyId);
      const state = await subjectBalance(from, realmId, query.subject, cur.id);
      if (!state) throw subjectNotFound(query.subject);
      return history(from, realmId, { ...query, accountId: state.accountId });
    },

    leaderboard: leaderboardOf,

    /**
     * The leaderboard of `/r/{realmId}`, for anyone: names and amounts only (see queries/public-leaderboard.ts), the
     * top `take` (25) of a currency that is not archived. A realm whose page is off answers exactly as an unknown
     * realm does, so nobody can probe which realm ids exist.
     */
    async publicLeaderboard(
      realmId: string,
      query: { currencyId?: string | undefined; period?: Period | undefined; take?: number | undefined } = {},
    ): Promise<PublicLeaderboard> {
      const realm = await getRealm(db, realmId);
      if (!realm?.publicLeaderboard)
        throw new TallyError("NOT_FOUND", "There is no public leaderboard at this address.");
      const cur = await currency(realmId, query.currencyId);
      if (cur.archivedAt) throw new TallyError("NOT_FOUND", `No realm point (currency) "${cur.id}" on this page.`);
      const board = await leaderboardOf(
        realmId,
        { currencyId: cur.id, period: query.period, take: query.take ?? 25 },
        realm,
      );
      return toPublicLeaderboard(realm, await realmCurrencies(realmId), cur, board);
    },

    /** Checks the ledger's invariants over one realm, or all of them: `{ ok, accounts, entries, problems }`. */
    audit: (realmId?: string) => auditLedger(db, realmId),

    createRealm: (input: Parameters<typeof createRealm>[1]) => createRealm(db, input),
    getRealm: (id: string) => getRealm(db, id),
    /** IANA zone for period boundaries; null means UTC. */
    setRealmTimezone: (id: string, timezone: string | null) => setRealmTimezone(db, id, timezone),
    /** The time zone and whether the public leaderboard page is on; a field left out keeps its value. */
    updateRealmSettings: (id: string, settings: RealmSettings) => updateRealmSettings(db, id, settings),
    listRealms: () => listRealms(db),

    createCurrency: (realmId: string, input: NewCurrency, options: { idempotencyKey?: string | undefined } = {}) =>
      changed(realmId, createCurrency(db, realmId, input, options.idempotencyKey)),
    /** Drops the cached currencies of a realm another process changed (see CURRENCY_CHANGED_CHANNEL), or of all. */
    forgetCurrencies: (realmId?: string) =>
      realmId === undefined ? currencyCache.clear() : currencyCache.forget(realmId),

    getCurrency: (realmId: string, currencyId: string) => getCurrency(db, realmId, currencyId),
    /** Name, emoji, overdraft rule, allowance, default, and the scale while the currency has no entries. */
    updateCurrency: (realmId: string, currencyId: string, patch: CurrencyPatch, idempotencyKey?: string) =>
      changed(
        realmId,
        changeCurrency(db, realmId, currencyId, "update-currency", (current, tx) => patchValues(tx, current, patch), {
          key: idempotencyKey,
          input: patch,
        }),
      ),
    /** Archived: no new entries in it; its balances stay readable. */
    setCurrencyArchived: (realmId: string, currencyId: string, archived: boolean, idempotencyKey?: string) =>
      changed(
        realmId,
        changeCurrency(
          db,
          realmId,
          currencyId,
          archived ? "archive-currency" : "unarchive-currency",
          async (current) => archiveValues(current, archived),
          { key: idempotencyKey, input: archived },
        ),
      ),
    updateCurrencyMetadata: (
      realmId: string,
      currencyId: string,
      metadata: Record<string, unknown>,
      idempotencyKey?: string,
    ) =>
      changed(
        realmId,
        changeCurrency(
          db,
          realmId,
          currencyId,
          "currency-metadata",
          async (current) => ({ metadata: mergeMetadata(current.metadata, metadata) }),
          { key: idempotencyKey, input: metadata },
        ),
      ),

    getMember: (realmId: string, accountId: string) => getMember(db, realmId, accountId),
    memberProfiles: (list: Parameters<typeof memberProfiles>[1]) => memberProfiles(db, list),
    searchMembers: (realmId: string, type: MemberSearchType, values: string[]) =>
      searchMembers(db, realmId, type, values),
    updateMemberMetadata: (ctx: WriteContext, accountId: string, metadata: Record<string, unknown>) =>
      updateMemberMetadata(db, ctx, accountId, metadata),

    getCredential: (realmId: string, identifier: Identifier) => getCredential(db, realmId, identifier),
    /** A new credential: unclaimed (a ghost account holds its points), or on a member's account when one is named. */
    createCredential: (
      ctx: WriteContext,
      identifier: Identifier,
      input: { metadata?: Record<string, unknown> | undefined; accountId?: string | undefined },
    ) => createCredential(db, ctx, identifier, input),
    deleteCredential: (ctx: WriteContext, identifier: Identifier) => deleteCredential(db, ctx, identifier),
    updateCredentialMetadata: (ctx: WriteContext, identifier: Identifier, metadata: Record<string, unknown>) =>
      updateCredentialMetadata(db, ctx, identifier, metadata),

    createApiKey: (realmId: string, input: { name: string; key?: string }) => createApiKey(db, realmId, input),
    authenticateApiKey: (key: string) => authenticateApiKey(db, key),
    listApiKeys: (realmId: string) => listApiKeys(db, realmId),
    revokeApiKey: (realmId: string, id: string) => revokeApiKey(db, realmId, id),

    createUser: (ctx: WriteContext, input: UserInput) =>
      recorded(
        ctx,
        () => undefined,
        () => createUser(db, ctx, input),
      ),
    getUser: (realmId: string, userId: string) => getUser(db, realmId, userId),
    updateUser: (ctx: WriteContext, userId: string, input: Omit<UserInput, "userId">) =>
      recorded(
        ctx,
        () => undefined,
        () => updateUser(db, ctx, userId, input),
      ),
    listUsers: (realmId: string, query?: { cursor?: string; limit?: number }) => listUsers(db, realmId, query),

    /** Binds a guild or team to a realm; its reaction rules, when given, are checked first. */
    bindBot: async (input: Parameters<typeof bindBot>[1]) =>
      rebound(
        input,
        bindBot(
          db,
          input.settings?.reactions
            ? {
                ...input,
                settings: {
                  ...input.settings,
                  reactions: await checkReactionRules(db, input.realmId, input.settings.reactions),
                },
              }
            : input,
        ),
      ),
    setReactionRules: (input: Parameters<typeof setReactionRules>[1]) => rebound(input, setReactionRules(db, input)),
    /**
     * The realm a guild or team is bound to, and its settings: a copy at most BINDING_TTL_MS old, dropped as soon as
     * a change is heard on BINDING_CHANGED_CHANNEL (every bot command asks, so this saves a round trip each). Shared
     * between callers: read it, never change it.
     */
    bindingFor: (platform: BotPlatform, externalId: string) => bindingCache.get(bindingKey(platform, externalId)),
    /** Drops cached bindings named on BINDING_CHANGED_CHANNEL: `platform:externalId`, or `*` for all of them. */
    forgetBinding: (payload: string) => (payload === "*" ? bindingCache.clear() : bindingCache.forget(payload)),
    listBindings: () => listBindings(db),
    /** The guilds and teams bound to one realm (the dashboard's Bots page). */
    listRealmBindings: (realmId: string) => listRealmBindings(db, realmId),
    /** Managers and reaction rules of a guild or team bound to `realmId`; never binds or rebinds. */
    updateBindingSettings: (
      realmId: string,
      input: { platform: "discord" | "slack"; externalId: string } & BindingSettingsPatch,
    ) => rebound(input, updateBindingSettings(db, realmId, input)),

    /** Sign-in links and sessions of the web dashboard, and the reads its pages make. */
    dashboard: {
      /** A one-time link token for a manager (10 minutes); expired links and idle sessions are pruned first. */
      async createSignInLink(who: DashboardIdentity, now?: Date) {
        await pruneSignIns(db, now);
        return createSignInLink(db, who, now);
      },
      redeemSignInLink: (token: string, now?: Date) => redeemSignInLink(db, token, now),
      openSession: (who: DashboardIdentity, now?: Date) => openSession(db, who, now),
      readSession: (id: string, now?: Date) => readSession(db, id, now),
      endSession: (id: string) => endSession(db, id),
      summarize: (realmId: string, currencyId: string, options?: { days?: number; now?: Date; timeZone?: string }) =>
        summarizeRealm(db, realmId, currencyId, options),
      searchLedger: (realmId: string, filter: LedgerFilter, page?: { cursor?: string; limit?: number }) =>
        searchLedger(db, realmId, filter, page),
      describeMember: (realmId: string, accountId: string) => describeMember(db, realmId, accountId),
      balanceOverTime: (accountId: string, currencyId: string) => balanceOverTime(db, accountId, currencyId),
    },

    /** Also forgets cached currencies: bootstrapping may just have (re)created the realm's default one. */
    async ensureBootstrap(options?: { apiKey?: string | undefined }) {
      const result = await ensureBootstrap(db, options);
      currencyCache.clear();
      bindingCache.clear();
      return result;
    },
  };
}

export type BalanceService = ReturnType<typeof createBalanceService>;
