import type { RawHttpRequest, RawHttpResponse } from "@tally/bot-commands";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export type RawHandler = (req: RawHttpRequest) => Promise<RawHttpResponse>;

/**
 * The bots' HTTP transports. They verify signatures over the exact bytes sent, so this scope keeps bodies as
 * unparsed strings; the bots answer with a status, headers and a body.
 */
export function botTransportRoutes(
  app: FastifyInstance,
  transports: { discordInteractions?: RawHandler | undefined; slackEvents?: RawHandler | undefined },
): void {
  if (!transports.discordInteractions && !transports.slackEvents) return;
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
    const options = { config: { public: true, rateLimit: false }, schema: { hide: true } } as const;
    if (transports.discordInteractions) {
      scope.post("/discord/interactions", options, forward(transports.discordInteractions));
    }
    if (transports.slackEvents) scope.post("/slack/events", options, forward(transports.slackEvents));
  });
}

function forward(handler: RawHandler) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const response = await handler({
      rawBody: typeof request.body === "string" ? request.body : "",
      headers: request.headers,
    });
    reply.code(response.status);
    if (response.headers) reply.headers(response.headers);
    if (typeof response.body === "string") return reply.send(response.body);
    return reply.send(response.body ?? "");
  };
}
