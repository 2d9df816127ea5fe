import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { TallyError } from "../errors.ts";

const privateRanges = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  privateRanges.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  privateRanges.addSubnet(net, prefix, "ipv6");
}

/** Loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast or reserved. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isPrivateAddress(mapped);
  const family = isIP(address);
  if (family === 0) return true;
  return privateRanges.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** A webhook URL must be absolute http(s), carry no credentials, and be at most 2048 characters. */
export function checkWebhookUrl(input: string): URL {
  if (input.length > 2048 || !URL.canParse(input)) {
    throw new TallyError("VALIDATION", "url: must be an absolute http:// or https:// URL.");
  }
  const url = new URL(input);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TallyError("VALIDATION", "url: must use http:// or https://.");
  }
  if (url.username || url.password)
    throw new TallyError("VALIDATION", "url: must not contain a user name or password.");
  return url;
}

/**
 * When private targets are forbidden, every address the host resolves to must be public. The delivery checks again
 * at connect time (see `postEvent`), so a name that later resolves elsewhere cannot slip through.
 */
export async function checkPublicTarget(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new TallyError("VALIDATION", `url: the host "${host}" does not resolve.`);
  if (addresses.some(isPrivateAddress)) {
    throw new TallyError(
      "VALIDATION",
      "url: targets a loopback or private address, which TALLY_WEBHOOK_ALLOW_PRIVATE=false forbids.",
    );
  }
}
