# syntax=docker/dockerfile:1
# trailwatch container: build the TypeScript and the native SQLite module in one stage, run on a slim image
# without compilers as an unprivileged user. The database lives on the /data volume.

# --- build: compilers for better-sqlite3, dev dependencies for tsc --------------------------------------------
FROM node:22-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime -------------------------------------------------------------------------------------------------
FROM node:22-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_URL=sqlite:/data/trailwatch.db
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. Install scripts are skipped because this stage has no compiler: the
# better-sqlite3 binary built in the build stage (same base image, so the same Node ABI and libc) is copied in.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/node_modules/better-sqlite3/build ./node_modules/better-sqlite3/build
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
# The node user (uid 1000) of the official image: nothing runs as root.
USER node
VOLUME ["/data"]
EXPOSE 3000
# 200 once the bot is ready; see /healthz in the README. Uses Node's fetch: the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/index.js"]
