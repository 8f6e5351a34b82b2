# The Verdict app image used by docker-compose.yml (topology, pipeline, simulator).
# No build step: TypeScript runs through tsx, which is a runtime dependency.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production
# A 32 MiB young generation: per-record garbage is collected half as often (BENCHMARKS.md, method).
ENV NODE_OPTIONS=--max-semi-space-size=32

# Dependencies first, so code changes don't reinstall them. .npmrc skips onnxruntime-node's
# CUDA download (CPU and WebGPU providers ship in the package).
COPY package.json package-lock.json .npmrc ./
# The postinstall patch (infra/patches/kafkajs.mjs) runs during npm ci.
COPY infra/patches ./infra/patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node . .
USER node

CMD ["npx", "tsx", "bin/verdict.ts", "run", "--no-stack"]
