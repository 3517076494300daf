# One image for the API and the materializer worker; the command picks which. It runs as the
# unprivileged user `node`.
# The build stage compiles Trove to dist/ (npm ci runs the prepare script, which needs the dev
# dependencies); the image keeps dist/ and the production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY materializer ./materializer
# The web UI, bundled into dist/ui by the same build.
COPY ui ./ui
COPY scripts/build-ui.ts ./scripts/build-ui.ts
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY . .
COPY --from=build /app/dist ./dist
# The code belongs to root and cannot be changed by the process; only the feature repo (registry,
# offline store, locks) is the runtime user's to write. `node` (uid 1000) comes with the base image.
RUN chown -R node:node /app/feature_repo
USER node
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/trove.mjs"]
CMD ["serve", "--repo", "feature_repo", "--host", "0.0.0.0"]
