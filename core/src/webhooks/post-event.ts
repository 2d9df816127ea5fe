import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { isPrivateAddress } from "./check-url.ts";

export interface PostOutcome {
  /** HTTP status, or null when no answer came (refused, timed out, forbidden target). */
  status: number | null;
  /** The receiver's answer, truncated to `maxResponseBytes`. */
  response: string;
  error: string | null;
}

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  maxResponseBytes: number;
}

/**
 * POSTs one signed body. Redirects are not followed (a 3xx is a failure), and when private targets are forbidden the
 * address is checked at connect time, so DNS that changes after the endpoint was saved cannot reach the inside.
 */
export function postEvent(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<PostOutcome> {
  const target = new URL(url);
  const literal = target.hostname.replace(/^\[|\]$/g, "");
  // An IP literal is connected to without a lookup, so it is checked here.
  if (!options.allowPrivate && isIP(literal) && isPrivateAddress(literal)) {
    return Promise.resolve({ status: null, response: "", error: `refused: ${literal} is a private address` });
  }
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = client.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        agent: false,
        lookup: options.allowPrivate ? undefined : publicLookup,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          if (size < options.maxResponseBytes) chunks.push(chunk);
          size += chunk.length;
          if (size >= options.maxResponseBytes) response.destroy();
        });
        const done = () =>
          finish({
            status: response.statusCode ?? null,
            response: Buffer.concat(chunks).subarray(0, options.maxResponseBytes).toString("utf8"),
            error: null,
          });
        response.on("end", done);
        response.on("close", done);
        response.on("error", done);
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ status: null, response: "", error: `no answer within ${options.timeoutMs / 1000} s` });
    }, options.timeoutMs);
    request.on("error", (error) => finish({ status: null, response: "", error: error.message }));
    request.end(body);
  });
}

function publicLookup(
  hostname: string,
  options: object,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad) {
      return callback(
        Object.assign(new Error(`refused: ${hostname} resolves to the private address ${bad.address}`), {
          code: "EPRIVATE",
        }),
        [],
      );
    }
    const wantsAll = (options as { all?: boolean }).all;
    if (wantsAll) return callback(null, list);
    const first = list[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: "ENOTFOUND" }), []);
    callback(null, first.address, first.family);
  });
}
