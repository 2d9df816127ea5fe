import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";

/** An application key pair as the Developer Portal would hold it: the public half as 64 hex digits. */
export function applicationKeys(): { publicKeyHex: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // The raw key is the last 32 bytes of its SPKI DER encoding.
  const der = publicKey.export({ format: "der", type: "spki" });
  return { publicKeyHex: der.subarray(der.length - 32).toString("hex"), privateKey };
}

/** Discord's headers for a body: Ed25519 over `timestamp + body`. */
export function signatureHeaders(
  privateKey: KeyObject,
  body: string,
  timestamp = String(Math.floor(Date.now() / 1000)),
) {
  return {
    "x-signature-ed25519": sign(null, Buffer.from(timestamp + body), privateKey).toString("hex"),
    "x-signature-timestamp": timestamp,
  };
}
