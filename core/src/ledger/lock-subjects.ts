import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import type { Subject } from "../context.ts";
import { subjectQuery } from "./delta-statement.ts";
import { ensureCredential, findCredential } from "./ensure-credential.ts";

/** Where a subject's delta lands: its account, read under the lock protocol. */
export interface Holder {
  accountId: string;
  credentialId: string | null;
  linked: boolean;
}

/**
 * Resolves the subjects of a multi-statement write under the lock protocol (core/README.md): every credential row is
 * locked `FOR UPDATE`, in credential-id order, before any balance is touched, and each account is read from its
 * locked row, so a link cannot re-point a credential between this read and the write. `create` makes an unknown
 * credential (a ghost) first, for credits. Unknown subjects come back undefined.
 */
export async function lockSubjects(
  tx: Database,
  realmId: string,
  wanted: { subject: Subject; create: boolean }[],
): Promise<(Holder | undefined)[]> {
  const credentialIds: (string | undefined)[] = [];
  for (const { subject, create } of wanted) {
    if (subject.kind !== "credential") {
      credentialIds.push(undefined);
      continue;
    }
    const found = create
      ? await ensureCredential(tx, realmId, subject.identifier)
      : await findCredential(tx, realmId, subject.identifier);
    credentialIds.push(found?.credentialId);
  }
  const locked = await lockCredentials(
    tx,
    credentialIds.filter((id) => id !== undefined),
  );
  const holders: (Holder | undefined)[] = [];
  for (const [index, { subject }] of wanted.entries()) {
    const credentialId = credentialIds[index];
    if (subject.kind === "credential") {
      holders.push(credentialId === undefined ? undefined : locked.get(credentialId));
      continue;
    }
    const [row] = await queryRows<{ account_id: string; kind: string }>(tx, subjectQuery(realmId, subject));
    holders.push(row && { accountId: row.account_id, credentialId: null, linked: row.kind === "member" });
  }
  return holders;
}

/**
 * Locks credential rows `FOR UPDATE` in id order (so two writers never wait on each other in a cycle). The accounts are
 * read by a second statement: a locked row is its latest version, but the rest of the locking statement sees only
 * its own snapshot, which misses a member account created by the link that just re-pointed the credential.
 */
export async function lockCredentials(tx: Database, ids: string[]): Promise<Map<string, Holder>> {
  const unique = [...new Set(ids)].sort();
  if (unique.length === 0) return new Map();
  const list = (values: string[]) =>
    sql.join(
      values.map((v) => sql`${v}`),
      sql`, `,
    );
  const rows = await queryRows<{ id: string; account_id: string }>(
    tx,
    sql`SELECT id, account_id FROM credentials WHERE id IN (${list(unique)}) ORDER BY id FOR UPDATE`,
  );
  if (rows.length === 0) return new Map();
  const kinds = await queryRows<{ id: string; kind: string }>(
    tx,
    sql`SELECT id, kind FROM accounts WHERE id IN (${list(rows.map((r) => r.account_id))})`,
  );
  const member = new Set(kinds.filter((k) => k.kind === "member").map((k) => k.id));
  return new Map(
    rows.map((r) => [r.id, { accountId: r.account_id, credentialId: r.id, linked: member.has(r.account_id) }]),
  );
}
