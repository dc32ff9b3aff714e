# vbase-gateway image: docker build -t vbase-gateway .
# One image runs both processes:
#   gateway (default):  docker run -p 4000:4000 vbase-gateway
#   simulator:          docker run --no-healthcheck -p 50051:50051 vbase-gateway node dist/simulator/main.js
# (the image's HEALTHCHECK probes the gateway's /healthz, which a simulator
# container does not serve: without --no-healthcheck it would show as
# unhealthy; docker-compose.yml gives the simulator a check of its own).
# docker-compose.yml wires the two together with Redis.
#
# test/packaging/docker.test.ts parses this file and checks it against the
# repository (stages, copied paths, entry files, healthcheck, user, port), as
# there is no Docker engine in CI.

ARG NODE_IMAGE=node:20-slim

# --- build: compile TypeScript with every dependency --------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- prod-deps: production dependencies only ----------------------------------
# Pure JavaScript (no native addons), so the same base image is enough.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime -------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: it forwards SIGTERM/SIGINT to node and reaps zombies. Node as
# PID 1 would also stop cleanly on SIGTERM (the gateway installs handlers via
# close-with-grace, the simulator its own), but the kernel gives PID 1 no
# default signal actions, so any signal without a handler (a second SIGINT
# after a once-handler ran, SIGHUP, ...) would be silently ignored. tini keeps
# the defaults and makes `docker stop` behave the same for both commands
# without relying on `docker run --init`.
# On SIGTERM the gateway drains for up to SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS
# (10 s by default), exactly as long as plain `docker stop` waits before
# SIGKILL: stop it with `docker stop -t 15` (compose: stop_grace_period).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Listen on every interface: loopback is unreachable from outside a container.
ENV HOST=0.0.0.0 \
    PORT=4000
# package.json carries "type": "module", which dist/*.js needs.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time from the application root (src/upstream/contract.ts ROOT_DIR):
# the contract and the GraphQL schema.
COPY proto ./proto
COPY schema.graphql ./
# Files stay owned by root and read-only to the process; it writes nothing.
USER node
EXPOSE 4000
# Liveness only (/readyz would mark the container unhealthy whenever the
# upstream is down, and restarting the gateway does not fix the upstream).
# slim has no curl: node's fetch. The simulator's compose service overrides it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/server.js"]
