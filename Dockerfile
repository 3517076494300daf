# One image for the API and the materializer worker; the command picks which.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/trove.mjs"]
CMD ["serve", "--repo", "feature_repo", "--host", "0.0.0.0"]
