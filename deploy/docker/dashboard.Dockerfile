# syntax=docker/dockerfile:1
#
# Lanes dashboard image (Bull Board, HTTP API, /metrics). Build from the repository root (the
# context must be the repo root):
#
#   docker build -f deploy/docker/dashboard.Dockerfile -t lanes-dashboard .
#
# Node 24 runs the TypeScript sources directly (type stripping), so there is no compile step:
# the image holds packages/*/src plus production dependencies installed from pnpm-lock.yaml.
# Default command: the dashboard on :3000. Set LANES_DASHBOARD_TOKEN to require a bearer token
# on every route but /healthz and /readyz.

ARG NODE_IMAGE=node:24-slim

# --- 1. Only the workspace manifests, so the dependency layer is cached until one changes. ---
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY packages ./packages
RUN find packages -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

# --- 2. Production dependencies (pnpm and its store stay in this stage). ---
FROM ${NODE_IMAGE} AS deps
ARG PNPM_VERSION=10
ENV CI=true
RUN npm i -g pnpm@${PNPM_VERSION} --no-audit --no-fund --loglevel=error
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY test/package.json ./test/package.json
COPY --from=manifests /src/packages ./packages
# The CLI and every workspace package it depends on; no dev dependencies, no test tooling.
RUN pnpm install --frozen-lockfile --prod --filter "@lanes/cli..."
# Sources last: a code change does not invalidate the dependency layer above.
COPY packages ./packages

# --- 3. Runtime: node, the sources and node_modules; no pnpm, no store, no compilers. ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root and read-only for the process user.
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/packages ./packages
# The `node` user of the official image, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
# The server closes its listener and connections on SIGTERM.
STOPSIGNAL SIGTERM
# node:24-slim has no curl or wget; Node's fetch does the probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "packages/cli/src/main.ts"]
CMD ["dashboard", "--port", "3000"]
