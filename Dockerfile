# Placeholder until the appliance issue: builds the CLI into an image. The appliance (server,
# tini, PUID/PGID, HEALTHCHECK, SMART tools) comes with `bitarr serve`.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
RUN npm_config_build_from_source=true npm ci --no-audit --no-fund
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends util-linux coreutils && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
ENV BITARR_CONFIG_DIR=/config
VOLUME /config
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["--help"]
