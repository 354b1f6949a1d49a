// `bitarr health` as a user runs it on this machine, where no disk has SMART to give.
import { join } from 'node:path';
import { bitarr, tempDir } from './helpers/bitarr.js';
import { Lab, fsNeeds, labTest } from './lab/index.js';

labTest(['root', ...fsNeeds('ext4')])('bitarr health on a loop device: unknown, and says where SMART would be; bad input is refused', async (t) => {
  const dir = await tempDir(t);
  const lab = await Lab.create('ext4');
  t.teardown(() => lab.dispose());
  const cfg = join(dir, 'cfg');
  const r = await bitarr(['health', lab.mnt, '--json', '--config-dir', cfg]);
  t.is(r.code, 0, r.stderr);
  const [device] = (JSON.parse(r.stdout) as { devices: Array<{ verdict: string; score: number; reasons: Array<{ message: string }>; disk: string | null }> }).devices;
  t.is(device!.verdict, 'unknown');
  t.regex(JSON.stringify(device!.reasons), /loop device has no SMART/);

  const unknownDevice = await bitarr(['health', join(dir, 'nowhere'), '--config-dir', cfg]);
  t.is(unknownDevice.code, 2);
  t.regex(unknownDevice.stderr, /no device of this host is/);
  const badType = await bitarr(['health', lab.mnt, '--smart-type=x; rm -rf', '--config-dir', cfg]);
  t.is(badType.code, 2);
  t.regex(badType.stderr, /not a smartctl device type/);
});
