/**
 * `npm ci` / `npm install` build this addon (package.json "install"). Without a C toolchain the
 * install still succeeds: scans then read every file the JavaScript way, which is correct and
 * costs about 0.6 CPU-seconds more per 200k small files (5.0 against 4.4, measured). `bitarr scan --json` says which reader ran
 * (timing.nativeReads), and the test suite fails in CI when it is not built.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// npm hands its own node-gyp to install scripts; the one in node_modules is only optional.
const gyp = process.env.npm_config_node_gyp || nodeModulesGyp();
// The headers of the running node, when it ships them (Debian/NodeSource packages, the official
// tarballs, the node Docker images): node-gyp would otherwise download them.
const prefix = resolve(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : null);
const result = gyp
  ? spawnSync(process.execPath, [gyp, 'rebuild', '--directory', here, ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { stdio: 'inherit' })
  : { status: null, error: new Error('node-gyp not found') };
if (result.status !== 0) {
  const why = result.error?.message ?? `node-gyp exited with ${result.status}`;
  console.warn(`\nbitarr: the native file reader was not built (${why}).\n` +
    'bitarr works without it, with more CPU per small file. To build it: install a C compiler, make and python3, then run `npm rebuild` or `node native/file-reader/build.mjs`.\n');
}

function nodeModulesGyp() {
  try {
    const path = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}
