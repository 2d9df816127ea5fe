import { apiKeys, type Database } from "@tally/db";
import { eq } from "drizzle-orm";
import { sha256 } from "../ids.ts";
import { pgCode } from "../transaction.ts";
import { createApiKey } from "./api-keys.ts";
import { BOOTSTRAP_REALM } from "./bot-bindings.ts";
import { createRealm, getRealm } from "./realms.ts";

export interface Bootstrap {
  realmId: string;
  /** Set when this call created the key: the only time a generated key is shown. */
  createdKey?: string;
  createdRealm: boolean;
}

/**
 * Gives an empty database realm `default` with currency `points`, and makes sure the configured bootstrap key
 * (or, on first start, a generated one) opens it.
 */
export async function ensureBootstrap(db: Database, options: { apiKey?: string | undefined } = {}): Promise<Bootstrap> {
  let createdRealm = false;
  if (!(await getRealm(db, BOOTSTRAP_REALM))) {
    try {
      await createRealm(db, { id: BOOTSTRAP_REALM, name: "Default" });
      createdRealm = true;
    } catch (error) {
      // another process bootstrapped first
      if (!(await getRealm(db, BOOTSTRAP_REALM))) throw error;
    }
  }
  if (options.apiKey) {
    const [known] = await db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, sha256(options.apiKey)));
    if (!known) {
      try {
        await createApiKey(db, BOOTSTRAP_REALM, { name: "bootstrap (TALLY_API_KEY)", key: options.apiKey });
      } catch (error) {
        // Another process starting at the same moment stored the same key first: that is the state we want.
        if (pgCode(error) !== "23505") throw error;
      }
    }
    return { realmId: BOOTSTRAP_REALM, createdRealm };
  }
  if (!createdRealm) return { realmId: BOOTSTRAP_REALM, createdRealm };
  const { key } = await createApiKey(db, BOOTSTRAP_REALM, { name: "bootstrap" });
  return { realmId: BOOTSTRAP_REALM, createdKey: key, createdRealm };
}
