import { randomBytes } from "node:crypto";
import { type DashboardSignInMethod, type Database, dashboardLinks, dashboardSessions } from "@tally/db";
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { sha256 } from "../ids.ts";

/** How long a link sent in chat may be opened. */
export const SIGN_IN_LINK_MS = 10 * 60_000;
/** How long a dashboard session lives without a request. */
export const SESSION_IDLE_MS = 30 * 60_000;

export interface DashboardIdentity {
  realmId: string;
  method: DashboardSignInMethod;
  /** The chat user id, or the API key id, the session acts as. */
  subjectId: string;
}

const token = () => randomBytes(32).toString("base64url");

/** A one-time sign-in token for a manager; only its SHA-256 is stored. */
export async function createSignInLink(db: Database, who: DashboardIdentity, now = new Date()): Promise<string> {
  const plain = token();
  await db.insert(dashboardLinks).values({
    tokenHash: sha256(plain),
    ...who,
    expiresAt: new Date(now.getTime() + SIGN_IN_LINK_MS),
    createdAt: now,
  });
  return plain;
}

/**
 * Uses a sign-in token up: one conditional UPDATE, so of two concurrent openings exactly one wins, and an expired
 * or used token gives nothing.
 */
export async function redeemSignInLink(
  db: Database,
  plain: string,
  now = new Date(),
): Promise<DashboardIdentity | undefined> {
  const [row] = await db
    .update(dashboardLinks)
    .set({ usedAt: now })
    .where(
      and(
        eq(dashboardLinks.tokenHash, sha256(plain)),
        isNull(dashboardLinks.usedAt),
        gt(dashboardLinks.expiresAt, now),
      ),
    )
    .returning({ realmId: dashboardLinks.realmId, method: dashboardLinks.method, subjectId: dashboardLinks.subjectId });
  return row;
}

/** Opens a session and returns its id for the cookie; the table keeps the id's SHA-256 only. */
export async function openSession(db: Database, who: DashboardIdentity, now = new Date()): Promise<string> {
  const id = token();
  await db.insert(dashboardSessions).values({ idHash: sha256(id), ...who, lastSeenAt: now, createdAt: now });
  return id;
}

/** The session behind a cookie, touched; undefined when unknown, signed out or idle for longer than `idleMs`. */
export async function readSession(
  db: Database,
  id: string,
  now = new Date(),
  idleMs = SESSION_IDLE_MS,
): Promise<DashboardIdentity | undefined> {
  const [row] = await db
    .update(dashboardSessions)
    .set({ lastSeenAt: now })
    .where(
      and(eq(dashboardSessions.idHash, sha256(id)), gt(dashboardSessions.lastSeenAt, new Date(now.getTime() - idleMs))),
    )
    .returning({
      realmId: dashboardSessions.realmId,
      method: dashboardSessions.method,
      subjectId: dashboardSessions.subjectId,
    });
  return row;
}

/** Signs out: the session row goes, so the cookie is worthless even if it was copied. */
export async function endSession(db: Database, id: string): Promise<void> {
  await db.delete(dashboardSessions).where(eq(dashboardSessions.idHash, sha256(id)));
}

/** Drops expired links and idle sessions (called when links are created, so the tables stay small). */
export async function pruneSignIns(db: Database, now = new Date(), idleMs = SESSION_IDLE_MS): Promise<void> {
  await db.delete(dashboardLinks).where(lt(dashboardLinks.expiresAt, new Date(now.getTime() - SIGN_IN_LINK_MS)));
  await db.delete(dashboardSessions).where(lt(dashboardSessions.lastSeenAt, new Date(now.getTime() - idleMs)));
}
