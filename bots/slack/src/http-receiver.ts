import { type App, type Receiver, type ReceiverEvent, ReceiverMultipleAckError } from "@slack/bolt";
import type { RawHttpRequest, RawHttpResponse } from "@tally/bot-commands";
import { verifySlackSignature } from "./verify-signature.ts";

/** Slack retries a request it has no answer for after 3 s; past that an ack is useless. */
const ACK_DEADLINE_MS = 3_000;

/**
 * A Bolt Receiver for HTTP mode whose requests arrive from the API server (`POST /slack/events`) rather than from a
 * server of its own: it verifies the signature over the raw body, answers Slack's handshakes, hands the event to
 * `app.processEvent`, and resolves with whatever the listener passed to `ack()`.
 */
export class RawHttpReceiver implements Receiver {
  private app: App | undefined;

  constructor(private readonly signingSecret: string) {}

  init(app: App): void {
    this.app = app;
  }

  // The API server owns the socket: nothing to open or close here.
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  readonly handle = async (request: RawHttpRequest): Promise<RawHttpResponse> => {
    const app = this.app;
    if (!app) throw new Error("RawHttpReceiver used before the Bolt App was constructed");
    const contentType = header(request, "content-type")?.split(";")[0]?.trim().toLowerCase();
    const form = contentType === "application/x-www-form-urlencoded" ? new URLSearchParams(request.rawBody) : undefined;
    // Slack's certificate probe carries no signature and no command: answer it and do nothing else.
    if (form?.get("ssl_check") === "1") return { status: 200, body: "" };

    const check = verifySlackSignature({
      signingSecret: this.signingSecret,
      rawBody: request.rawBody,
      timestamp: header(request, "x-slack-request-timestamp"),
      signature: header(request, "x-slack-signature"),
    });
    if (!check.ok)
      return { status: 401, body: { error: "invalid_signature", message: `Slack request refused: ${check.reason}.` } };

    const body = parseBody(form, contentType, request.rawBody);
    if (!body) return { status: 400, body: { error: "bad_request", message: "Expected a Slack form or JSON body." } };
    if (body.type === "url_verification") return { status: 200, body: { challenge: body.challenge } };

    const retryNum = numberHeader(request, "x-slack-retry-num");
    const retryReason = header(request, "x-slack-retry-reason");
    return dispatch(app, {
      body,
      ...(retryNum === undefined ? {} : { retryNum }),
      ...(retryReason === undefined ? {} : { retryReason }),
    });
  };
}

/** Runs the event through Bolt and answers with the listener's ack, or says why there was none. */
async function dispatch(app: App, event: Omit<ReceiverEvent, "ack">): Promise<RawHttpResponse> {
  let acked = false;
  let answer: (response: RawHttpResponse) => void = () => {};
  const answered = new Promise<RawHttpResponse>((resolve) => {
    answer = resolve;
  });
  const ack = async (response?: unknown) => {
    if (acked) throw new ReceiverMultipleAckError();
    acked = true;
    answer(ackResponse(response));
  };
  // The listener keeps working after ack(); its later failures are logged, the HTTP answer is already gone.
  const processed = app.processEvent({ ...event, ack }).then(
    () => "done" as const,
    (error: unknown) => {
      app.logger.error(error);
      return "failed" as const;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ACK_DEADLINE_MS);
  });
  const outcome = await Promise.race([answered.then(() => "acked" as const), processed, deadline]);
  clearTimeout(timer);
  switch (outcome) {
    case "acked":
      return answered;
    case "failed":
      return { status: 500, body: { error: "internal", message: "The Slack listener failed before acknowledging." } };
    case "done":
    case "late":
      return { status: 404, body: { error: "unhandled", message: "No listener acknowledged this Slack request." } };
  }
}

/** What Slack receives as the HTTP answer: nothing, a text message, or a JSON message. */
function ackResponse(response: unknown): RawHttpResponse {
  if (response === undefined || response === null || response === "") return { status: 200, body: "" };
  if (typeof response === "string") {
    return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: response };
  }
  return { status: 200, body: response };
}

function parseBody(
  form: URLSearchParams | undefined,
  contentType: string | undefined,
  rawBody: string,
): Record<string, unknown> | undefined {
  try {
    if (form) {
      // Interactive payloads arrive as one JSON field; slash commands as plain fields.
      const payload = form.get("payload");
      return payload === null ? Object.fromEntries(form) : asObject(JSON.parse(payload));
    }
    if (contentType === "application/json") return asObject(JSON.parse(rawBody));
  } catch {}
  return undefined;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function header(request: RawHttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberHeader(request: RawHttpRequest, name: string): number | undefined {
  const value = header(request, name);
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
