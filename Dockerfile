# syntax=docker/dockerfile:1
# slack-invite-bot. Build: docker build -t slack-invite-bot .
# Run: docker run --env-file .env -p 3000:3000 -v invite-bot-data:/app/data --stop-timeout 35 slack-invite-bot
# (README: Running in production). test/production.test.ts repeats these steps without Docker, in this
# order: keep the two in step (it fails on an instruction it does not know).

ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 is a native addon: npm compiles it when its prebuilt binary cannot be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
# Drop the dev dependencies in place. This keeps the addon compiled above, for the runtime stage to copy
# (compiled against the same Node and glibc: both stages use NODE_IMAGE); a second `npm ci --omit=dev`
# would compile it again, and the runtime image would need the compiler.
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY manifest.yml ./
# The code stays root's and read-only to the bot; only ./data (the coming SQLite file) is the bot's.
RUN mkdir data && chown node:node data
USER node
EXPOSE 3000
# What the bot drains on (as SIGINT). Docker waits only 10 s before SIGKILL: give `docker stop -t 35`,
# `docker run --stop-timeout 35` or compose's `stop_grace_period: 35s`: the bot exits within 10 s, with no margin left.
STOPSIGNAL SIGTERM
# Liveness through node (the slim image has no curl); PORT is the bot's, 3000 unless set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# Exec form, and the launcher execs node: node is pid 1 and receives SIGTERM itself. It handles SIGTERM
# and SIGINT and starts no child processes, so it needs no init to forward signals or reap zombies.
CMD ["/app/bin/slack-invite-bot"]
