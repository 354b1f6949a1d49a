/**
 * `npm run bench:map` (root): time `bitarr map` on BENCH_MAP_FILES files (default 10,000) on a
 * real image of each filesystem, next to the tool a user would otherwise run on the same files
 * (filefrag for the FIEMAP filesystems, ntfsinfo for NTFS), and check every file got extents.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../test/lab/lab.js';
import { LAB_FILESYSTEMS, fsNeeds, type LabFs } from '../test/lab/filesystems.js';
import { hostCan } from '../test/lab/host.js';
import { run, shell, q } from './proc.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const FILES = Math.max(1, Number(process.env.BENCH_MAP_FILES || 10_000));
const ONLY = (process.env.BENCH_MAP_FS || '').split(',').filter(Boolean);
const log = (s = '') => process.stdout.write(s + '\n');

interface Row {
  fs: LabFs;
  seconds: number;
  mapped: number;
  unmapped: number;
  peer: string | null;
  peerSeconds: number | null;
}

// The tool a user would reach for, on the same files; ntfsinfo takes one file a call.
function peerCommand(fs: LabFs, lab: Lab, listFile: string): { name: string; argv: string[]; scale: number } | null {
  if (fs === 'ext4' || fs === 'xfs' || fs === 'btrfs') return { name: 'xargs filefrag -v -b1', argv: shell(`cd ${q(lab.mnt)} && xargs -d '\\n' -n 500 filefrag -v -b1 < ${q(listFile)} > /dev/null`), scale: 1 };
  if (fs === 'ntfs' && lab.loop) {
    // 500 files, scaled: 10,000 ntfsinfo processes would take minutes and say nothing new.
    const sample = readFileSync(listFile, 'utf8').split('\n').filter(Boolean).slice(0, 500);
    const script = sample.map((rel) => `ntfsinfo -f -F ${q('/' + rel)} ${q(lab.loop!)} > /dev/null`).join('\n');
    return { name: 'ntfsinfo -F per file (500, scaled)', argv: shell(script), scale: FILES / sample.length };
  }
  return null;
}

async function benchOne(fs: LabFs, configDir: string): Promise<Row> {
  // ntfs-3g uses 64 KiB clusters on the lab's bigger volumes (see test/lab): 10,000 files need ~650 MiB there.
  const lab = await Lab.create(fs, { sizeMiB: fs === 'ntfs' ? 1024 : 512 });
  try {
    const rels: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const dir = `d${String(Math.floor(i / 50)).padStart(3, '0')}`;
      if (i % 50 === 0) mkdirSync(lab.path(dir));
      const rel = `${dir}/f${i}.bin`;
      writeFileSync(lab.path(rel), Buffer.alloc(4096 + (i % 7) * 1000, i & 0xff));
      rels.push(rel);
    }
    // FUSE drivers flush only on unmount; the mappers read the device, so the files must be there.
    await lab.unmount();
    await lab.mount();
    const listFile = join(lab.dir, 'files.txt');
    writeFileSync(listFile, rels.join('\n') + '\n');
    const out = join(lab.dir, 'map.json');
    writeFileSync(listFile + '.abs', rels.map((r) => lab.path(r)).join('\n') + '\n');
    const result = await run(shell(`node ${q(CLI)} map --json --config-dir ${q(configDir)} --files-from ${q(listFile + '.abs')} > ${q(out)}`));
    const files = readFileSync(out, 'utf8').split('\n').filter(Boolean).flatMap((line) => (JSON.parse(line) as { files: Array<{ error: string | null }> }).files);
    const unmapped = files.filter((f) => f.error !== null).length;
    const peer = peerCommand(fs, lab, listFile);
    const peerRun = peer ? await run(peer.argv) : null;
    return { fs, seconds: result.seconds, mapped: files.length - unmapped, unmapped, peer: peer?.name ?? null, peerSeconds: peerRun && peer ? peerRun.seconds * peer.scale : null };
  } finally {
    await lab.dispose();
  }
}

const configDir = join('/var/tmp', `bitarr-bench-map-${process.pid}`);

// Ctrl-C ends through process.exit, so the lab's exit hook unmounts and detaches what it made;
// no finally runs then, so the config dir goes here (an interrupted run left it behind).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    rmSync(configDir, { recursive: true, force: true });
    process.exit(130);
  });
}

async function main() {
  mkdirSync(configDir, { recursive: true });
  const rows: Row[] = [];
  try {
    for (const fs of LAB_FILESYSTEMS.filter((f) => !ONLY.length || ONLY.includes(f))) {
      const cannot = hostCan(...fsNeeds(fs));
      if (cannot) {
        log(`${fs}: skipped: ${cannot}`);
        continue;
      }
      log(`${fs}: ${FILES} files…`);
      rows.push(await benchOne(fs, configDir));
    }
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
  log('\n| filesystem | files | bitarr map s | files/s | unmapped | peer | peer s | bitarr ÷ peer time |');
  log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const ratio = r.peerSeconds ? (r.seconds / r.peerSeconds).toFixed(2) : '—';
    log(`| ${r.fs} | ${r.mapped + r.unmapped} | ${r.seconds.toFixed(2)} | ${Math.round((r.mapped + r.unmapped) / r.seconds)} | ${r.unmapped} | ${r.peer ?? '—'} | ${r.peerSeconds?.toFixed(2) ?? '—'} | ${ratio} |`);
  }
}

await main();
