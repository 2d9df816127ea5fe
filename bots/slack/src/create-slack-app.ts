import { App, type Logger, LogLevel } from "@slack/bolt";
import type { RawHttpRequest, RawHttpResponse } from "@tally/bot-commands";
import type { BalanceService, ReactionOutcome } from "@tally/core";
import { RawHttpReceiver } from "./http-receiver.ts";
import { registerPointsCommand } from "./listeners/points-command.ts";
import { registerReactionEvents } from "./listeners/reaction-events.ts";

export const DEFAULT_SLACK_API_URL = "https://slack.com/api/";

export interface SlackAppOptions {
  core: BalanceService;
  /** `xoxb-…`: the bot token Bolt calls the Web API with. */
  botToken: string;
  /** Verifies `POST /slack/events`; without it (Socket Mode only) every HTTP request is refused. */
  signingSecret: string;
  /** `SLACK_API_URL`: the Web API base, for a proxy or a local test server. */
  apiUrl?: string | undefined;
  /** `SLACK_ADMIN_USER_IDS`: may give and take besides workspace admins and owners. */
  adminUserIds?: readonly string[] | undefined;
  /** `xapp-…`: when set, events arrive over Socket Mode instead of HTTP. */
  appToken?: string | undefined;
  logLevel?: LogLevel | undefined;
  /** How long a `users.info` answer is reused: a minute unless a test says otherwise. */
  userCacheMs?: number | undefined;
  /** TALLY_BULK_MAX: most members one user-group give may reach (default 1,000). */
  bulkMax?: number | undefined;
  /** Where Bolt's lines go (the process's pino logger); Bolt's console logger when absent. */
  logger?: Logger | undefined;
  /** Told what each reaction event did. */
  onReaction?: ((outcome: ReactionOutcome) => void) | undefined;
  /** TALLY_PUBLIC_URL, the base of the links `/points dashboard` sends. */
  publicUrl?: string | undefined;
}

export interface SlackApp {
  app: App;
  /** `POST /slack/events` on the API server. */
  handler: (request: RawHttpRequest) => Promise<RawHttpResponse>;
  /** Socket Mode only: opens the WebSocket (resolves once Slack says hello). */
  start?: () => Promise<void>;
  /** Waits for the commands being answered (their replies go out after the ack), then disconnects. */
  stop: () => Promise<void>;
}

/**
 * The Slack door. Resolves once Slack has accepted the bot token (`auth.test`), so a wrong token stops start-up
 * with Slack's own error instead of failing on the first command.
 */
export async function createSlackApp(options: SlackAppOptions): Promise<SlackApp> {
  const slackApiUrl = withTrailingSlash(options.apiUrl ?? DEFAULT_SLACK_API_URL);
  const clientOptions = {
    slackApiUrl,
    // The Web API client's default retries for half an hour: a person waiting on a reply (or a process starting)
    // is better served by a prompt, explained failure.
    retryConfig: { retries: 2, minTimeout: 250, maxTimeout: 2_000 },
    timeout: 10_000,
  };
  const receiver = new RawHttpReceiver(options.signingSecret);
  const common = {
    token: options.botToken,
    clientOptions,
    logLevel: options.logLevel ?? LogLevel.INFO,
    ...(options.logger ? { logger: options.logger } : {}),
    deferInitialization: true,
  };
  const app = options.appToken
    ? new App({
        ...common,
        appToken: options.appToken,
        socketMode: true,
        // Socket Mode keeps its own client for apps.connections.open, with the long retries a reconnect needs.
        installerOptions: { clientOptions: { slackApiUrl, timeout: 10_000 } },
      })
    : new App({ ...common, receiver });
  // In Socket Mode the HTTP handler still works (with a signing secret) by feeding the same App.
  if (options.appToken) receiver.init(app);
  const inFlight = new Set<Promise<unknown>>();
  app.use(async ({ next }) => {
    const work = next();
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  });
  registerPointsCommand(app, {
    core: options.core,
    adminUserIds: options.adminUserIds ?? [],
    userCacheMs: options.userCacheMs,
    bulkMax: options.bulkMax,
    publicUrl: options.publicUrl,
  });
  registerReactionEvents(app, {
    core: options.core,
    userCacheMs: options.userCacheMs,
    onReaction: options.onReaction,
  });
  try {
    await app.init();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Slack refused the bot token or was unreachable (auth.test at ${slackApiUrl}): ${reason}`);
  }

  return {
    app,
    handler: receiver.handle,
    ...(options.appToken
      ? {
          start: async () => {
            await app.start();
          },
        }
      : {}),
    stop: async () => {
      await Promise.allSettled(inFlight);
      await app.stop();
    },
  };
}

// The Web API client joins method names onto this base.
function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
