/**
 * File trees that look like a home lab's disks, for the appliance benchmark's seed: camera and
 * phone photos by month, a music/film/TV library, mail and scanned letters, source trees with
 * node_modules, an old Windows backup, a NAS share. Names and sizes follow real patterns (what
 * indexes, LIKE searches and page sizes feel), deterministic from a seed so every reseed is the
 * same database.
 */

import { prng } from './dataset.js';

export interface FileSpec {
  /** Absolute path: the mount point and below. */
  path: string;
  size: number;
  mtimeMs: number;
}

type Rnd = () => number;
const int = (r: Rnd, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rnd, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const MB = 1_000_000;
const DAY = 86_400_000;
const dateMs = (y: number, m: number, d = 1) => Date.UTC(y, m - 1, d);
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');

const ADJ = ['Silent', 'Golden', 'Broken', 'Electric', 'Northern', 'Velvet', 'Hollow', 'Crimson', 'Paper', 'Quiet', 'Wild', 'Blue', 'Iron', 'Lonely', 'Bright', 'Distant', 'Frozen', 'Hidden', 'Burning', 'Little', 'Lost', 'Midnight', 'Neon', 'Old', 'Pale', 'Red', 'Secret', 'Silver', 'Summer', 'Winter'];
const NOUN = ['Harbor', 'Machine', 'Garden', 'River', 'Echo', 'Lights', 'Season', 'Mirror', 'Ocean', 'Radio', 'Forest', 'Engine', 'Letters', 'Station', 'Valley', 'Shadows', 'Island', 'Signal', 'Avenue', 'Kingdom', 'Horizon', 'Empire', 'Window', 'Circus', 'Parade', 'Bridge', 'Hearts', 'Satellite', 'Desert', 'Tide'];
const WORD = ['alpha', 'report', 'budget', 'notes', 'draft', 'invoice', 'plan', 'minutes', 'summary', 'letter', 'contract', 'photo', 'scan', 'backup', 'old', 'final', 'v2', 'export', 'list', 'data'];
const PKG = ['lodash', 'react', 'react-dom', 'typescript', 'esbuild', 'vite', 'rollup', '@babel/core', '@babel/parser', 'acorn', 'chalk', 'commander', 'debug', 'semver', 'yargs', 'express', 'koa', 'zod', 'ws', 'undici', 'picomatch', 'micromatch', 'glob', 'minimatch', 'postcss', 'tailwindcss', 'eslint', 'prettier', 'jest', 'ava', 'tsx', 'knex', 'sqlite3', 'pg', 'date-fns', 'uuid', 'axios', 'rxjs', '@types/node', 'core-js'];
const SRC_DIR = ['lib', 'dist', 'src', 'build', 'esm', 'cjs', 'types', 'utils', 'internal', 'plugins'];

/** Adds unique paths until `n`; a generator that runs dry stops early (the caller checks). */
class Tree {
  readonly files: FileSpec[] = [];
  private readonly seen = new Set<string>();
  constructor(readonly n: number) {}
  get full() {
    return this.files.length >= this.n;
  }
  add(path: string, size: number, mtimeMs: number) {
    if (this.full || this.seen.has(path)) return;
    this.seen.add(path);
    this.files.push({ path, size: Math.max(0, Math.round(size)), mtimeMs });
  }
}

/** Camera files (IMG_0001.jpg, counters that wrap at 9999) until 2015, then phone names with the date. */
function photos(mount: string, n: number, r: Rnd): FileSpec[] {
  const t = new Tree(n);
  const months: Array<[number, number]> = [];
  for (let y = 2008; y <= 2025; y++) for (let m = 1; m <= 12; m++) months.push([y, m]);
  const perMonth = Math.ceil(n / months.length);
  let counter = 0;
  for (const [y, m] of months) {
    for (let k = 0; k < perMonth && !t.full; k++) {
      const ms = dateMs(y, m, 1) + r() * 28 * DAY;
      const kind = r();
      const dir = `${mount}/${y}/${pad(m, 2)}`;
      if (y < 2016) {
        counter = (counter % 9999) + 1;
        if (kind < 0.84) t.add(`${dir}/IMG_${pad(counter, 4)}.jpg`, 2 * MB + r() * 6 * MB, ms);
        else if (kind < 0.95) t.add(`${dir}/IMG_${pad(counter, 4)}.CR2`, 22 * MB + r() * 8 * MB, ms);
        else t.add(`${dir}/MVI_${pad(counter, 4)}.MOV`, 40 * MB + r() * 500 * MB, ms);
      } else {
        const stamp = `${ymd(ms)}_${pad(int(r, 7, 22), 2)}${pad(int(r, 0, 59), 2)}${pad(int(r, 0, 59), 2)}`;
        if (kind < 0.9) t.add(`${dir}/IMG_${stamp}.jpg`, 1.5 * MB + r() * 4 * MB, ms);
        else t.add(`${dir}/VID_${stamp}.mp4`, 20 * MB + r() * 400 * MB, ms);
      }
    }
  }
  return t.files;
}

/** Films and TV in folders per title, then music by artist and album until full. */
function media(mount: string, n: number, r: Rnd): FileSpec[] {
  const t = new Tree(n);
  const when = () => dateMs(2012, 1) + r() * 13 * 365 * DAY;
  for (let i = 0; i < Math.min(1500, n / 50); i++) {
    const title = `${pick(r, ADJ)} ${pick(r, NOUN)} (${int(r, 1960, 2024)})`;
    const ms = when();
    t.add(`${mount}/Movies/${title}/${title}.mkv`, 1500 * MB + r() * 6000 * MB, ms);
    t.add(`${mount}/Movies/${title}/${title}.en.srt`, 60_000 + r() * 60_000, ms);
  }
  for (let s = 0; s < Math.min(80, n / 500); s++) {
    const show = `The ${pick(r, ADJ)} ${pick(r, NOUN)}`;
    for (let season = 1; season <= int(r, 1, 8); season++) {
      for (let e = 1; e <= int(r, 6, 22); e++) t.add(`${mount}/TV/${show}/Season ${pad(season, 2)}/${show} - S${pad(season, 2)}E${pad(e, 2)}.mkv`, 300 * MB + r() * 2000 * MB, when());
    }
  }
  for (let a = 0; !t.full && a < 100_000; a++) {
    const artist = `${pick(r, ADJ)} ${pick(r, NOUN)}${a >= ADJ.length * NOUN.length ? ` ${a}` : ''}`;
    for (let b = 0, albums = int(r, 2, 10); b < albums && !t.full; b++) {
      const album = `${pick(r, ADJ)} ${pick(r, NOUN)} (${int(r, 1965, 2025)})`;
      const ms = when();
      t.add(`${mount}/Music/${artist}/${album}/cover.jpg`, 200_000 + r() * 800_000, ms);
      for (let k = 1, tracks = int(r, 8, 16); k <= tracks; k++) t.add(`${mount}/Music/${artist}/${album}/${pad(k, 2)} ${pick(r, NOUN)} ${pick(r, NOUN)}.flac`, 15 * MB + r() * 30 * MB, ms);
    }
  }
  return t.files;
}

/** Mail as one file a message, scanned letters, office projects. */
function docs(mount: string, n: number, r: Rnd): FileSpec[] {
  const t = new Tree(n);
  const mail = Math.floor(n * 0.5);
  for (let i = 0; i < mail; i++) {
    const ms = dateMs(2010, 1) + (i / mail) * 15.5 * 365 * DAY;
    const d = new Date(ms);
    t.add(`${mount}/Mail/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1, 2)}/${ms.toString(36)}.${pad(i % 1000, 3)}.eml`, 3000 + r() * 200_000, ms);
  }
  const scans = Math.floor(n * 0.1);
  for (let i = 0; i < scans; i++) {
    const ms = dateMs(2009, 1) + (i / scans) * 16.5 * 365 * DAY;
    t.add(`${mount}/Scans/${new Date(ms).getUTCFullYear()}/scan_${ymd(ms)}_${pad(i % 100, 2)}.pdf`, 100_000 + r() * 3 * MB, ms);
  }
  for (let p = 0; !t.full && p < 100_000; p++) {
    const project = `${pick(r, ADJ)} ${pick(r, NOUN)} ${2010 + (p % 16)}`;
    for (let k = 0, files = int(r, 20, 400); k < files && !t.full; k++) {
      const ext = pick(r, ['docx', 'xlsx', 'pdf', 'md', 'txt', 'pptx', 'odt', 'png']);
      t.add(`${mount}/Projects/${project}/${pick(r, ['', 'drafts/', 'final/', 'assets/', 'archive/'])}${pick(r, WORD)}-${pick(r, WORD)}-${pad(k, 3)}.${ext}`, 5000 + r() * 2 * MB, dateMs(2010 + (p % 16), 1) + r() * 365 * DAY);
    }
  }
  return t.files;
}

/** Home directories: source trees with their node_modules, downloads, dotfiles. */
function home(mount: string, n: number, r: Rnd): FileSpec[] {
  const t = new Tree(n);
  const recent = () => dateMs(2023, 1) + r() * 3 * 365 * DAY;
  for (let i = 0; i < Math.floor(n * 0.02); i++) t.add(`${mount}/alex/Downloads/${pick(r, WORD)}_${pick(r, WORD)}_${i}.${pick(r, ['zip', 'pdf', 'iso', 'deb', 'tar.gz', 'png'])}`, 50_000 + r() * 50 * MB, recent());
  for (let i = 0; i < Math.floor(n * 0.03); i++) t.add(`${mount}/sam/Documents/${pick(r, ADJ)} ${pick(r, NOUN)}/${pick(r, WORD)}-${i}.${pick(r, ['odt', 'pdf', 'jpg', 'txt'])}`, 10_000 + r() * 4 * MB, recent());
  for (let repo = 0; !t.full && repo < 10_000; repo++) {
    const name = `${pick(r, WORD)}-${pick(r, NOUN).toLowerCase()}-${repo}`;
    const base = `${mount}/alex/code/${name}`;
    for (let k = 0, files = int(r, 50, 600); k < files && !t.full; k++) t.add(`${base}/src/${pick(r, SRC_DIR)}/${pick(r, WORD)}-${k}.ts`, 300 + r() * 30_000, recent());
    for (let p = 0, pkgs = int(r, 20, 40); p < pkgs && !t.full; p++) {
      const pkg = pick(r, PKG);
      for (let k = 0, files = int(r, 10, 120); k < files && !t.full; k++) t.add(`${base}/node_modules/${pkg}/${pick(r, SRC_DIR)}/${pick(r, WORD)}${k}.${pick(r, ['js', 'js', 'd.ts', 'mjs', 'json', 'map'])}`, 200 + r() * 60_000, recent());
    }
  }
  return t.files;
}

/** An old Windows PC copied to an NTFS disk, one folder a year. */
function archive(mount: string, n: number, r: Rnd): FileSpec[] {
  const t = new Tree(n);
  for (let i = 0; !t.full && i < n * 4; i++) {
    const year = int(r, 2004, 2014);
    const ext = pick(r, ['doc', 'xls', 'jpg', 'jpg', 'jpg', 'mp3', 'pdf', 'txt']);
    const size = ext === 'mp3' ? 3 * MB + r() * 6 * MB : 20_000 + r() * 3 * MB;
    t.add(`${mount}/Backup ${year}/Users/Alex/${pick(r, ['My Documents', 'My Pictures', 'My Music', 'Desktop'])}/${pick(r, ADJ)} ${pick(r, NOUN)}/${pick(r, WORD)} ${pad(i % 10_000, 4)}.${ext}`, size, dateMs(year, 1) + r() * 365 * DAY);
  }
  return t.files;
}

/** Laptop backups on the NAS, one folder a night. */
function nas(mount: string, n: number, r: Rnd): FileSpec[] {
  const t = new Tree(n);
  for (let night = 0; !t.full && night < n; night++) {
    const ms = dateMs(2025, 1) + night * DAY;
    for (let k = 0; k < 40 && !t.full; k++) t.add(`${mount}/laptop/${ymd(ms)}/${pick(r, WORD)}-${k}.${pick(r, ['tar.zst', 'sqlite', 'json', 'log'])}`, 1000 + r() * 20 * MB, ms);
  }
  return t.files;
}

export const TREES = { photos, media, docs, home, archive, nas } as const;
export type TreeKind = keyof typeof TREES;

/** The tree's files in byte order of path (SQLite's BINARY collation): index inserts stay appends. */
export function makeTree(kind: TreeKind, mount: string, n: number, seed: number): FileSpec[] {
  const files = TREES[kind](mount, n, prng(seed));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
