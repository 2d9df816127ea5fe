import { hash, randomBytes } from "node:crypto";

/** 24 hex characters, the shape of the ids the vendor APIs hand out. */
export const newId = (): string => randomBytes(12).toString("hex");

export const API_KEY_PREFIX = "tly_";

export const newApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(24).toString("base64url")}`;

// One-shot `hash` skips the Hash object `createHash` allocates: this runs for every authenticated request.
export const sha256 = (text: string): string => hash("sha256", text, "hex");
