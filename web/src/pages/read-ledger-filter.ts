import { type BalanceService, type LedgerFilter, localDayStart, normalizeIdentifier, TallyError } from "@tally/core";
import { entryKinds, vias } from "@tally/db";

/** The ledger explorer's query string, as the filter form sends it. */
export interface LedgerQuery {
  member?: string;
  credential?: string;
  kind?: string;
  door?: string;
  initiator?: string;
  currency?: string;
  from?: string;
  to?: string;
  cursor?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Turns the form's words into a core filter; a value that names nothing is a VALIDATION error naming the field.
 * Days are the realm's: `from` starts at local midnight, `to` includes its whole local day.
 */
export async function readLedgerFilter(
  core: BalanceService,
  realmId: string,
  q: LedgerQuery,
  timeZone: string,
): Promise<LedgerFilter> {
  const filter: LedgerFilter = {};
  const member = q.member?.trim();
  if (member) {
    const account = await core.dashboard.describeMember(realmId, member);
    filter.accountId =
      account?.accountId ??
      (await core.getUser(realmId, member).then(
        (user) => user.id,
        () => {
          throw new TallyError("VALIDATION", `member: no member with account id or user id "${member}".`);
        },
      ));
  }
  const credential = q.credential?.trim();
  if (credential) {
    const [type = "", ...rest] = credential.split(":");
    const fullType = type === "discord" ? "discord-id" : type;
    if (rest.length === 0) throw new TallyError("VALIDATION", "credential: write it as type:value, e.g. discord:1234…");
    const identifier =
      fullType === "custom"
        ? normalizeIdentifier(fullType, rest.slice(1).join(":"), rest[0])
        : normalizeIdentifier(fullType, rest.join(":"));
    const found = await core.findCredential(realmId, identifier);
    if (!found) throw new TallyError("VALIDATION", `credential: no credential ${credential} in this realm.`);
    filter.credentialId = found.credentialId;
  }
  if (q.kind) {
    const kind = entryKinds.find((k) => k === q.kind);
    if (!kind) throw new TallyError("VALIDATION", `kind: use one of ${entryKinds.join(", ")}.`);
    filter.kind = kind;
  }
  if (q.door) {
    const via = vias.find((v) => v === q.door);
    if (!via) throw new TallyError("VALIDATION", `door: use one of ${vias.join(", ")}.`);
    filter.via = via;
  }
  if (q.initiator?.trim()) filter.initiatorId = q.initiator.trim();
  if (q.currency) filter.currencyId = (await core.currency(realmId, q.currency)).id;
  if (q.from) filter.from = localDayStart(day("from", q.from), timeZone);
  if (q.to) {
    const next = new Date(Date.parse(`${day("to", q.to)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    filter.to = localDayStart(next, timeZone);
  }
  return filter;
}

/** The text of a real calendar day, or a VALIDATION error naming the field. */
function day(field: string, text: string): string {
  const at = new Date(`${text}T00:00:00Z`);
  if (!DAY.test(text) || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== text) {
    throw new TallyError("VALIDATION", `${field}: a date like 2026-01-31.`);
  }
  return text;
}

/** The query string of a filtered view, without empty fields (for paging and export links). */
export function queryString(q: LedgerQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...q, ...extra })) {
    if (typeof value === "string" && value.trim() && key !== "cursor") params.set(key, value.trim());
  }
  if (extra.cursor) params.set("cursor", extra.cursor);
  return params.toString();
}
