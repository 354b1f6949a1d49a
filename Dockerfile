# Bitarr: the appliance (`bitarr serve`, web UI and API on 8286) and the whole CLI in one image.
#   docker build -t bitarr .
# Where RUN steps cannot reach the Debian mirror and the npm registry through Docker's bridge
# network, add `--network host`. Running it: compose.example.yml and docker/README.md.

# --- build: compile the native modules and the TypeScript, keep only what runs -------------------
FROM node:22-bookworm-slim AS build
# node-gyp's toolchain: sqlite3 and xxhash-addon are compiled here from source rather than taken
# as prebuilt binaries, so the image does not depend on a download host being reachable.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The headers node ships in /usr/local/include: node-gyp would otherwise download them.
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true
COPY package.json package-lock.json ./
# The native file reader (native/file-reader) is built by the project's own install script.
COPY native ./native
# xxhash-addon's install script takes its bundled prebuilt binary whenever it loads, whatever
# npm_config_build_from_source says: build it here too (build/Release wins over prebuilds/).
RUN npm ci --no-audit --no-fund \
 && npx --no node-gyp rebuild --directory node_modules/xxhash-addon \
 && rm -rf node_modules/xxhash-addon/prebuilds
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY plugins ./plugins
# Compiled plugin code lives in dist/plugins; plugins/ keeps only the manifests and READMEs.
# Once the .node files are linked, the native modules' sources and objects are dead weight.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && find plugins -name '*.ts' -delete \
 && rm -rf node_modules/sqlite3/deps \
 && find node_modules -path '*/build/Release/*' \( -name 'obj*' -o -name .deps -o -name '*.a' \) -prune -exec rm -rf {} +

# --- runtime ------------------------------------------------------------------------------------
FROM node:22-bookworm-slim
# The tools the plugins call (plugins/*/plugin.json `requires`; a missing one makes its plugin
# "unavailable", never a crash): lsblk/blkid/setpriv (util-linux), filefrag (e2fsprogs), xfs_io
# (xfsprogs), btrfs (btrfs-progs), ntfsinfo (ntfs-3g), smartctl (smartmontools), udevadm (udev:
# reads the host's /run/udev when it is mounted, for disk model, serial and WWN); exfatprogs and
# dosfstools to check FAT/exFAT disks by hand. tini is PID 1; tzdata makes TZ work.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tini tzdata util-linux e2fsprogs xfsprogs btrfs-progs ntfs-3g exfatprogs dosfstools \
      smartmontools udev \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/file-reader/build/Release/file_reader.node ./native/file-reader/build/Release/
COPY --from=build /app/plugins ./plugins
COPY templates ./templates
COPY public ./public
COPY docker/entrypoint.sh /usr/local/bin/bitarr
COPY docker/healthcheck.mjs /usr/local/lib/bitarr/healthcheck.mjs
RUN chmod 0755 /usr/local/bin/bitarr \
 && mkdir -p /config /mnt

# PUID/PGID: who owns what Bitarr writes in /config (see docker/entrypoint.sh; 0 = root, the
# default, because a scanner must read every file). Host paths to scan are mounted under /mnt.
ENV BITARR_CONFIG_DIR=/config \
    BITARR_PORT=8286 \
    BITARR_SCAN_ROOTS=/mnt \
    PUID=0 \
    PGID=0 \
    TZ=Etc/UTC
VOLUME /config
EXPOSE 8286
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/usr/local/lib/bitarr/healthcheck.mjs"]
LABEL org.opencontainers.image.title="Bitarr" \
      org.opencontainers.image.description="Proves, on a schedule, that every file on every disk is still what was written." \
      org.opencontainers.image.licenses="MIT"
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/bitarr"]
CMD ["serve"]
