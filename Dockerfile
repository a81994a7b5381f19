# syntax=docker/dockerfile:1

# Production image of the account service. It needs a MongoDB: set MONGODB_URI (see docker-compose.yml).

# argon2 ships prebuilt binaries, so no compiler is needed in any stage.
FROM node:24-bookworm-slim AS base
WORKDIR /app
# swagger-ui-dist pulls in @scarf/scarf, whose install script reports usage; package.json opts out.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./

# Build: all dependencies, then compile TypeScript to dist/.
FROM base AS build
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

# Production dependencies only.
FROM base AS deps
RUN npm ci --omit=dev && npm cache clean --force

# Runtime: production dependencies and the compiled service, run as the unprivileged node user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The pages' templates and stylesheet are read from beside dist/.
COPY views ./views
COPY public ./public
USER node
EXPOSE 3000
# Memory, as `npm start` sets it (docs/performance.md#memory): glibc keeps one arena for all
# threads and never gives argon2's 19 MiB buffers back between computations, so at most
# ARGON2_MAX_CONCURRENCY of them stay resident (not one per thread of libuv's pool) and none is
# faulted in again; V8 sizes its young generation by the machine's memory (up to 2 × 64 MiB):
# 8 MiB semi-spaces keep it small at no measurable CPU cost; and under load V8 lets the old
# generation grow to four times what a full collection leaves before the next one: twice keeps
# a busy instance about 120 MB smaller, for a few per cent of CPU at most. CPU, as `npm start`
# sets it too (docs/performance.md#v8s-pretenuring): in most starts V8 would allocate some of each
# request's objects in the old generation, which then cost every request up to half again its CPU.
ENV MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=100", "--no-allocation-site-pretenuring", "dist/main.js"]
