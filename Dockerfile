# The Verdict app image used by docker-compose.yml and infra/k8s (topology, pipeline, simulator).
# Two stages: the first compiles the TypeScript (npm run build → dist/), the second holds production
# dependencies, the package's assets (Avro schemas, models, dashboard page, blocklist) and dist/.

FROM node:20-slim AS build
WORKDIR /app
# .npmrc skips onnxruntime-node's CUDA download (CPU and WebGPU providers ship in the package).
COPY package.json package-lock.json .npmrc ./
# The postinstall patch (infra/patches/kafkajs.mjs) runs during npm ci.
COPY infra/patches ./infra/patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
# A 32 MiB young generation: per-record garbage is collected half as often (BENCHMARKS.md, method).
ENV NODE_OPTIONS=--max-semi-space-size=32

# Dependencies first, so code changes don't reinstall them.
COPY package.json package-lock.json .npmrc ./
COPY infra/patches ./infra/patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The sources carry the assets the compiled code reads from the package (lib/paths); the model
# registry (models/) is writable by the app user, for `verdict models activate`.
COPY --chown=node:node . .
COPY --from=build --chown=node:node /app/dist ./dist
USER node

# node, not npx: one process, so SIGTERM from `docker stop` reaches the runner.
CMD ["node", "dist/bin/verdict.js", "run", "--no-stack"]
