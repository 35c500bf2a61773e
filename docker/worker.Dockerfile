# syntax=docker/dockerfile:1.7
# Multi-stage build of @monorepo/worker from the monorepo: build everything it needs, then `pnpm deploy`
# a self-contained production bundle into a small glibc image (sharp ships glibc binaries: no Alpine).

FROM node:24-bookworm-slim AS build
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
RUN npm install -g pnpm@12.4.2
WORKDIR /repo
# Manifests first, so dependency layers are cached across source changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY patches ./patches
COPY packages ./packages
COPY apps ./apps
COPY tooling ./tooling
RUN --mount=type=cache,id=pnpm,target=/pnpm/store pnpm install --frozen-lockfile
RUN pnpm exec turbo run build --filter=@monorepo/worker...
RUN pnpm --filter @monorepo/worker deploy --prod /out

FROM node:24-bookworm-slim AS runtime
# glibc fragments under libvips (sharp #1041): jemalloc keeps the worker's RSS flat.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /out ./
# Mount points of the storage volumes, owned by the app user so fresh named volumes inherit it.
RUN mkdir -p /var/www/storage/uploads /var/www/storage/generated /var/www/storage/processed /var/www/storage/derived \
 && chown -R node:node /var/www/storage
# The storage CLI on PATH: `docker compose exec worker storage usage` (with the container's storage variables).
RUN printf '#!/bin/sh\nexec node /app/node_modules/@monorepo/storage-cli/dist/bin.js "$@"\n' > /usr/local/bin/storage \
 && chmod 755 /usr/local/bin/storage
USER node
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:3001/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
