# syntax=docker/dockerfile:1
# Tally in a container: a build stage bundles the code, a runtime stage holds the bundle and the production
# dependencies it leaves out (PGlite, Swagger UI's assets) and nothing else. See compose.yaml for PostgreSQL.

FROM node:22-slim AS build
WORKDIR /src
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build

FROM node:22-slim AS deps
WORKDIR /app
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN corepack enable
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches patches/
COPY core/package.json core/
COPY db/package.json db/
COPY api/package.json api/
COPY bots/commands/package.json bots/commands/
COPY bots/discord/package.json bots/discord/
COPY bots/slack/package.json bots/slack/
COPY test/package.json test/
COPY web/package.json web/
# Only the root package's production dependencies: everything else is inside the bundle.
RUN pnpm install --prod --frozen-lockfile --filter tally

FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 TALLY_DATA_DIR=/data
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json LICENSE ./
# The embedded database's folder (used when DATABASE_URL is unset) belongs to the unprivileged user.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM from `docker stop` itself.
CMD ["node", "dist/main.js"]
