// Parsing `filefrag -v -b1` (e2fsprogs), shared by the plugins whose filesystems answer FIEMAP.
// Pure: recorded outputs test it without a filesystem.
import type { PhysicalExtent } from './plugin-api.js';

export interface FiemapFile {
  size: number;
  extents: PhysicalExtent[];
  /** Set when the file has data that is not at a device offset of its own (inline in metadata). */
  inline: boolean;
  /** Extents whose "physical" is not where the bytes are right now (delalloc, unwritten, encoded…). */
  notOnDisk: string[];
}

// FIEMAP flags under which "physical" is not where the file's bytes are right now.
const NOT_ON_DISK = /\b(delalloc|unknown_loc|encoded|data_encrypted|unwritten)\b/;

/**
 * Parses the output of one `filefrag -v -b1 FILE...` for the files in `names`, in that order
 * (-b1 makes every number bytes). Headers are matched to names by position, so a name holding a
 * newline cannot shift the others.
 */
export function parseFilefrag(output: string, names: string[]): Map<string, FiemapFile> {
  const files = new Map<string, FiemapFile>();
  let current: FiemapFile | undefined;
  for (const line of output.split('\n')) {
    const header = /^File size of (.*) is (\d+) \(/.exec(line);
    if (header) {
      const name = names[files.size];
      if (name === undefined || header[1] !== name) {
        throw new Error(`filefrag reported ${JSON.stringify(header[1])} where ${JSON.stringify(name)} was expected`);
      }
      current = { size: Number(header[2]), extents: [], inline: false, notOnDisk: [] };
      files.set(name, current);
      continue;
    }
    const row = /^\s*\d+:\s*(\d+)\.\.\s*\d+:\s*(\d+)\.\.\s*\d+:\s*(\d+):(?:\s*\d+:)?\s*([\w,]*)\s*$/.exec(line);
    if (!row || !current) continue;
    const [, logical, physical, length, flags = ''] = row;
    if (flags.includes('inline')) {
      current.inline = true;
      continue;
    }
    // Speculative preallocation past EOF (xfs) is the file's, but holds none of its bytes.
    if (Number(logical) >= current.size) continue;
    if (NOT_ON_DISK.test(flags)) {
      current.notOnDisk.push(`${logical}: ${flags}`);
      continue;
    }
    current.extents.push({ logical: Number(logical), physical: Number(physical), length: Number(length) });
  }
  return files;
}
