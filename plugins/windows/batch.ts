// One PowerShell process maps a batch of files: it runs `fsutil file queryextents` for each (fsutil
// takes one file per call, so a process per file is unavoidable; this keeps it to one PowerShell
// per batch) and frames every answer with marker lines. Markers use `<` and `>`, which no Windows
// path may contain. The file list travels base64-encoded, so no path needs quoting. Pure.
import { PS_PRELUDE, psLine, psQuote } from './powershell.js';

export interface BatchPlan {
  files: string[];
  /** Set on the first batch of a request: `C:` or a folder mount path, for `fsutil fsinfo ntfsinfo`. */
  volumeRoot: string | null;
  /** Set when offsets on the whole disk are wanted: the access path Get-Partition knows the volume by. */
  partitionAccessPath: string | null;
}

const FSUTIL_LINES = (command: string) => `((& fsutil.exe ${command} 2>&1 | ForEach-Object { $_.ToString() }) -join [char]10)`;
const EXIT_MARKER = `'<<bitarr:exit:' + $LASTEXITCODE + '>>'`;

export function batchScript(plan: BatchPlan): string {
  const payload = Buffer.from(plan.files.join('\n'), 'utf8').toString('base64');
  const volume = plan.volumeRoot
    ? [
        `'<<bitarr:ntfsinfo>>'`,
        FSUTIL_LINES(`fsinfo ntfsinfo ${psQuote(plan.volumeRoot)}`),
        EXIT_MARKER,
        `try { '<<bitarr:allocation-unit:' + (Get-Volume -FilePath ${psQuote(withSlash(plan.volumeRoot))} -ErrorAction Stop).AllocationUnitSize + '>>' } catch { }`,
      ]
    : [];
  const partition = plan.partitionAccessPath
    ? [
        `try { $p = Get-Partition -ErrorAction Stop | Where-Object { $_.AccessPaths -contains ${psQuote(plan.partitionAccessPath)} } | Select-Object -First 1; ` +
          `if ($p) { '<<bitarr:partition:' + $p.DiskNumber + ':' + $p.Offset + '>>' } } catch { }`,
      ]
    : [];
  return psLine(
    PS_PRELUDE,
    `'<<bitarr:admin:' + $isAdmin + '>>'`,
    `if (-not $isAdmin) { '<<bitarr:end>>'; exit 0 }`,
    ...volume,
    ...partition,
    `$files = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${payload}')) -split [char]10`,
    '$i = 0',
    'foreach ($f in $files) { ' +
      psLine(
        `'<<bitarr:file:' + $i + '>>'`,
        'try { ' +
          psLine(
            '$it = Get-Item -LiteralPath $f -Force -ErrorAction Stop',
            `'<<bitarr:item:' + $it.Length + ':' + [int]$it.Attributes + '>>'`,
            FSUTIL_LINES('file queryextents $f'),
            EXIT_MARKER,
          ) +
          ` } catch { '<<bitarr:item-error:' + ($_.Exception.Message -replace '\\s+', ' ') + '>>' }`,
        '$i++',
      ) +
      ' }',
    `'<<bitarr:end>>'`,
  );
}

function withSlash(root: string): string {
  return root.endsWith('\\') ? root : root + '\\';
}

export type BatchFile =
  | { kind: 'item'; length: number | null; attributes: number | null; output: string; exitCode: number | null }
  | { kind: 'item-error'; message: string };

export interface BatchOutput {
  admin: boolean | null;
  ntfsinfo: { output: string; exitCode: number | null } | null;
  allocationUnit: number | null;
  partition: { diskNumber: number; offset: number } | null;
  /** By index in the plan's file list. */
  files: Map<number, BatchFile>;
  /** The end marker was printed: every file had its turn. */
  complete: boolean;
}

const MARKER = /^<<bitarr:([a-z-]+)(?::(.*))?>>$/;

export function parseBatchOutput(stdout: string): BatchOutput {
  const out: BatchOutput = { admin: null, ntfsinfo: null, allocationUnit: null, partition: null, files: new Map(), complete: false };
  let capture: { lines: string[]; done: (text: string, exitCode: number | null) => void } | null = null;
  let fileIndex = -1;
  const int = (s: string | undefined) => (s !== undefined && /^-?\d+$/.test(s.trim()) ? Number(s.trim()) : null);
  for (const raw of stdout.replace(/^\uFEFF/, '').split('\n')) {
    const line = raw.replace(/\r$/, '');
    const m = MARKER.exec(line.trim());
    if (!m) {
      capture?.lines.push(line);
      continue;
    }
    const [, name, value] = m;
    switch (name) {
      case 'admin':
        out.admin = value === 'True' ? true : value === 'False' ? false : null;
        break;
      case 'ntfsinfo':
        capture = { lines: [], done: (output, exitCode) => (out.ntfsinfo = { output, exitCode }) };
        break;
      case 'allocation-unit':
        out.allocationUnit = int(value);
        break;
      case 'partition': {
        const [disk, offset] = (value ?? '').split(':');
        if (int(disk) !== null && int(offset) !== null) out.partition = { diskNumber: int(disk)!, offset: int(offset)! };
        break;
      }
      case 'file':
        capture = null;
        fileIndex = int(value) ?? -1;
        break;
      case 'item': {
        const [length, attributes] = (value ?? '').split(':');
        const index = fileIndex;
        capture = { lines: [], done: (output, exitCode) => out.files.set(index, { kind: 'item', length: int(length), attributes: int(attributes), output, exitCode }) };
        // Until its exit marker the file's entry says what is known, so a batch cut short still shows it.
        out.files.set(index, { kind: 'item', length: int(length), attributes: int(attributes), output: '', exitCode: null });
        break;
      }
      case 'item-error':
        out.files.set(fileIndex, { kind: 'item-error', message: (value ?? '').trim() });
        break;
      case 'exit':
        capture?.done(capture.lines.join('\n'), int(value));
        capture = null;
        break;
      case 'end':
        out.complete = true;
        break;
    }
  }
  return out;
}
