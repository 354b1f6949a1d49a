// The btrfs mapper and the device it is handed: the wrong one, one it may not read, another
// filesystem mounted below, and a request called off half way.
import { Lab, fsNeeds, labTest } from '../../../test/lab/index.js';
import type { CommandRunner } from '../../../src/shared/plugin-api.js';
import plugin from '../index.js';
import { byteProblems, bytesOf, errorOf, hasExtents, request, watchedContext } from './helpers.js';

const mapper = plugin.sectorMapper!;

labTest(fsNeeds('btrfs'))('btrfs: files of another filesystem mounted below are refused, and so is a device that is not the one mounted', async (t) => {
  const outer = await Lab.create('btrfs');
  const inner = await Lab.create('btrfs');
  // Inner first: it is mounted inside outer.
  t.teardown(async () => {
    await inner.dispose();
    await outer.dispose();
  });
  await outer.writeFiles({ 'outer.bin': 200_000 });
  await inner.unmount();
  await inner.mount(outer.path('nested'));
  await inner.writeFiles({ 'inner.bin': 200_000 });
  const { context } = watchedContext();
  const files = [outer.path('outer.bin'), inner.path('inner.bin')];

  const result = await mapper.map(request(outer, [], { files }), context);
  if (!result.available) return t.fail(result.reason);
  const [mine, theirs] = result.files;
  if (!hasExtents(mine)) return t.fail(errorOf(mine));
  t.deepEqual(await byteProblems(outer.loop!, mine, await bytesOf(outer, 'outer.bin')), []);
  t.is(errorOf(theirs), `on another filesystem, mounted at ${inner.mnt}`);

  const wrong = await mapper.map(request(outer, [], { device: inner.loop!, files }), context);
  t.false(wrong.available);
  if (!wrong.available) t.regex(wrong.reason, /is not the device mounted at/);
});

labTest(fsNeeds('btrfs'))('btrfs: a device that holds no btrfs, or an unmounted one, is refused as a whole', async (t) => {
  const lab = await Lab.create('btrfs');
  const other = await Lab.create('btrfs');
  t.teardown(async () => {
    await lab.dispose();
    await other.dispose();
  });
  await lab.writeFiles({ 'a.bin': 10_000 });
  const { context } = watchedContext();
  const noBtrfs = await mapper.map(request(lab, ['a.bin'], { device: '/dev/null' }), context);
  t.false(noBtrfs.available);
  if (!noBtrfs.available) t.regex(noBtrfs.reason, /no btrfs superblock readable on \/dev\/null/);
  // A btrfs mounted nowhere: its image file serves as the device, dump-super reads either.
  await other.unmount();
  const unmounted = await mapper.map(request(lab, ['a.bin'], { device: other.img }), context);
  t.false(unmounted.available);
  if (!unmounted.available) t.regex(unmounted.reason, /which is not mounted/);
  const notBtrfs = await mapper.map(request(lab, ['a.bin'], { fsType: 'ext4' }), context);
  t.false(notBtrfs.available);
});

labTest([...fsNeeds('btrfs'), 'setpriv'])('btrfs: a user who may not read the device is told it needs root', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'a.bin': 10_000 });
  const { context } = watchedContext();
  const real = context.run;
  // The same commands, really run as nobody: the way a user without root calls them.
  const asNobody: CommandRunner = (command, args, options) => real('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', command, ...args], options);
  const result = await mapper.map(request(lab, ['a.bin']), { ...context, run: asNobody, isRoot: false });
  t.false(result.available);
  if (!result.available) {
    t.is(result.needs, 'root');
    t.regex(result.reason, /Permission denied/);
  }
});

labTest(fsNeeds('btrfs'))('btrfs: an aborted request rejects instead of returning half an answer', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'a.bin': 10_000 });
  const { context } = watchedContext();
  await t.throwsAsync(mapper.map(request(lab, ['a.bin'], { signal: AbortSignal.abort() }), context), { any: true, name: 'AbortError' });
  const controller = new AbortController();
  const real = context.run;
  const abortingFilefrag: CommandRunner = (command, args, options) => {
    if (command === 'filefrag') controller.abort();
    return real(command, args, options);
  };
  await t.throwsAsync(mapper.map(request(lab, ['a.bin'], { signal: controller.signal }), { ...context, run: abortingFilefrag }), { any: true, name: 'AbortError' });
});

labTest(fsNeeds('btrfs'))('btrfs: a missing tool makes the mapper unavailable and says which one it needs', async (t) => {
  const lab = await Lab.create('btrfs');
  t.teardown(() => lab.dispose());
  await lab.writeFiles({ 'a.bin': 10_000 });
  const { context } = watchedContext();
  const real = context.run;
  for (const tool of ['btrfs', 'filefrag']) {
    // The same runner, asked for a program that is installed nowhere.
    const without: CommandRunner = (command, args, options) => real(command === tool ? `${tool}-not-installed-here` : command, args, options);
    const result = await mapper.map(request(lab, ['a.bin']), { ...context, run: without });
    t.like(result, { available: false, needs: tool });
    if (!result.available) t.regex(result.reason, new RegExp(`^${tool} cannot be started \\(ENOENT\\)`));
  }
});
