/**
 * Which paths a scan leaves alone: `--exclude` globs and `.bitarrignore` files, read like
 * .gitignore (a pattern without a slash matches a name at any depth below its file; a leading
 * slash anchors it; a trailing slash means directories only; `!` re-includes; the last match
 * wins). Pure: the walker reads the files and hands their text in.
 */
import picomatch from 'picomatch';

export const IGNORE_FILE = '.bitarrignore';

interface Rule {
  /** Directory (relative to the scan root, '' for the root) the rule is anchored at. */
  base: string;
  test: (s: string) => boolean;
  basenameOnly: boolean;
  dirOnly: boolean;
  negate: boolean;
}

function compile(pattern: string, base: string): Rule | null {
  let p = pattern.trim();
  if (!p || p.startsWith('#')) return null;
  const negate = p.startsWith('!');
  if (negate) p = p.slice(1);
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  const anchored = p.startsWith('/');
  if (anchored) p = p.replace(/^\/+/, '');
  if (!p) return null;
  const basenameOnly = !anchored && !p.includes('/');
  const isMatch = picomatch(p, { dot: true });
  return { base, test: (s) => isMatch(s), basenameOnly, dirOnly, negate };
}

export class Exclusions {
  private constructor(private readonly rules: readonly Rule[]) {}

  /** `globs` come from the user (`--exclude`) and are anchored at the scan root. */
  static fromGlobs(globs: readonly string[]): Exclusions {
    return new Exclusions(globs.map((g) => compile(g, '')).filter((r): r is Rule => r !== null));
  }

  /** Rules of a `.bitarrignore` found in directory `dirRel`, added after (and so over) these. */
  withIgnoreFile(dirRel: string, text: string): Exclusions {
    const added = text
      .split(/\r?\n/)
      .map((line) => compile(line, dirRel))
      .filter((r): r is Rule => r !== null);
    return added.length ? new Exclusions([...this.rules, ...added]) : this;
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** `rel` is relative to the scan root, with '/' separators. */
  excludes(rel: string, isDir: boolean): boolean {
    let excluded = false;
    for (const r of this.rules) {
      if (r.dirOnly && !isDir) continue;
      if (r.base && !(rel.startsWith(r.base + '/'))) continue;
      const sub = r.base ? rel.slice(r.base.length + 1) : rel;
      const subject = r.basenameOnly ? sub.slice(sub.lastIndexOf('/') + 1) : sub;
      if (r.test(subject)) excluded = !r.negate;
    }
    return excluded;
  }
}
