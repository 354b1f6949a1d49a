/** The database page and API: backups while a scan writes, restore behind a confirmation, findings as CSV and JSON. */
import test from 'ava';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { ApiTokenRepository } from '../../src/repositories/api-token.repository.js';
import { openDatabase } from '../../src/repositories/db.js';
import { SessionRepository } from '../../src/repositories/session.repository.js';
import { UserRepository } from '../../src/repositories/user.repository.js';
import { AuthService } from '../../src/services/auth.service.js';
import { collect, dump, inSqliteFile, scan, start, startScanMidway, tempDir, waitForProgress } from '../helpers/bitarr.js';
import { admin, appliance, type Client } from './helpers.js';
import { eventsDump, seed } from './seed.js';

async function tokenFor(dir: string) {
  const db = await openDatabase({ ...loadConfig({ configDir: dir }), databaseUrl: null });
  try {
    return await new AuthService(new UserRepository(db), new SessionRepository(db), new ApiTokenRepository(db)).createApiToken(1, 'script');
  } finally {
    await db.destroy();
  }
}

/** A plain-form backup: 303 to the page naming it. */
async function backUp(c: Client): Promise<string> {
  await c.get('/database');
  const r = await c.post('/database/backups', { csrf: true });
  if (r.status !== 303) throw new Error(`backup failed: ${r.status} ${r.text.slice(0, 300)}`);
  return /created=([^&]+)/.exec(r.headers.get('location')!)![1]!;
}

/** RFC 4180, as a spreadsheet reads it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (text[i] === '"' && text[i + 1] === '"') (field += '"'), i++;
        else if (text[i] === '"') break;
        else field += text[i];
      }
      i++;
    } else if (text[i] === ',') (row.push(field), (field = ''), i++);
    else if (text.startsWith('\r\n', i)) (row.push(field), rows.push(row), (row = []), (field = ''), (i += 2));
    else field += text[i++];
  }
  if (field || row.length) throw new Error('the last row does not end with CRLF');
  return rows;
}

const everything = async (dir: string) => (await dump(dir)) + (await eventsDump(dir));

test('a backup taken while a `bitarr scan` writes is a whole, consistent database; its findings export as CSV and JSON', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const tree = await tempDir(t, 'bitarr-tree-');
  for (let d = 0; d < 26; d++) {
    await mkdir(join(tree, `d${d}`));
    for (let i = 0; i < 200; i++) await writeFile(join(tree, `d${d}`, `f${i}.txt`), `file ${d}/${i}\n`.padEnd(1024, '.'));
  }
  const scanning = collect(start(['scan', tree, '--config-dir', app.dir, '--json', '--max-rate', '2M']));
  await waitForProgress(app.dir, 300);
  const name = await backUp(c);
  const file = join(app.dir, 'backups', name);
  const copy = await inSqliteFile(file, async (db) => ({
    integrity: await db.raw('PRAGMA integrity_check'),
    foreignKeys: await db.raw('PRAGMA foreign_key_check'),
    journal: await db.raw('PRAGMA journal_mode'),
    scan: await db('scans').first('status', 'files_done'),
    baselines: Number((await db('baselines').count({ n: '*' }).first())!.n),
  }));
  const result = await scanning;
  t.is(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout);
  t.deepEqual(copy.integrity, [{ integrity_check: 'ok' }]);
  t.deepEqual(copy.foreignKeys, []);
  t.deepEqual(copy.journal, [{ journal_mode: 'delete' }]);
  t.is(copy.scan.status, 'running', 'taken in the middle of the scan');
  t.true(copy.scan.files_done >= 300 && copy.baselines >= 300 && copy.baselines < 5200, `${copy.baselines} baselines`);

  const page = await c.get(`/database?created=${name}`);
  t.regex(page.text, new RegExp(`Backup <strong>${name}</strong> written and checked`));
  t.regex(page.text, new RegExp(`<tr id="backup-${name}">[\\s\\S]*?<a href="/database/backups/${name}/restore">Restore…</a>`));

  // 5,200 findings: more than one page of the keyset walk, more than one chunk of the stream.
  t.is(json.findings.length, 5200);
  const csv = await c.get(`/scans/${json.scanId}/findings.csv`);
  const rows = parseCsv(csv.text);
  t.deepEqual(rows[0], ['path', 'root', 'status', 'detail']);
  t.deepEqual(rows.slice(1), json.findings.map((f: any) => [f.path, f.root, f.status, f.detail ?? '']));
  const api = await c.get(`/api/v1/scans/${json.scanId}/findings`);
  t.deepEqual(api.json(), { scanId: json.scanId, findings: json.findings });
});

test('CSV export: names with commas, quotes, newlines and bytes that are not UTF-8 parse back as `bitarr scan --json` has them', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const tree = await tempDir(t, 'bitarr-names-');
  const names = ['plain.txt', 'a,b.txt', 'say "hi".txt', 'two\nlines.txt', 'cr\rhere.txt', ' leading space.txt', 'trailing,"'];
  for (const n of names) await writeFile(join(tree, n), n);
  await writeFile(Buffer.concat([Buffer.from(join(tree, 'latin1-')), Buffer.from([0xe9, 0xff]), Buffer.from('.txt')]), 'x');
  const r = await scan(tree, app.dir);
  t.is(r.code, 0, r.stderr);
  t.is(r.json.findings.length, names.length + 1);

  const csv = await c.get(`/scans/${r.json.scanId}/findings.csv`);
  t.is(csv.status, 200);
  t.is(csv.headers.get('content-type'), 'text/csv; charset=utf-8; header=present');
  t.is(csv.headers.get('content-disposition'), `attachment; filename="bitarr-scan-${r.json.scanId}-findings.csv"`);
  t.true(csv.text.includes('"say ""hi"".txt"') && csv.text.includes('"two\nlines.txt"') && csv.text.includes('\r\nplain.txt,'));
  const parsed = parseCsv(csv.text).slice(1);
  t.deepEqual(parsed, r.json.findings.map((f) => [f.path, f.root, f.status, f.detail ?? '']));
  // Each byte that is not UTF-8 is kept as U+10FF00 + byte (src/domain/path-bytes.ts).
  t.true(parsed.some((row) => row[0] === 'latin1-\u{10FFE9}\u{10FFFF}.txt'), 'a name that is not UTF-8 comes out as the scan reported it');

  const api = await c.get(`/api/v1/scans/${r.json.scanId}/findings`);
  t.regex(api.headers.get('content-type')!, /^application\/json/);
  t.deepEqual(api.json(), { scanId: r.json.scanId, findings: r.json.findings });

  for (const path of ['/scans/999/findings.csv', '/scans/x/findings.csv', '/api/v1/scans/999/findings', '/api/v1/scans/0/findings']) t.is((await c.get(path)).status, 404, path);
  const page = await c.get('/database');
  t.regex(page.text, new RegExp(`<a href="/scans/${r.json.scanId}/findings.csv" download>CSV</a>`));
});

test('restore: the confirmation shows what will be replaced; a wrong confirmation is 400 and changes nothing; the right one brings back the backup', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const s = await seed(app.dir);
  const revokedLater = await tokenFor(app.dir);
  const hx = await c.post('/database/backups', { csrf: true, headers: { 'HX-Request': 'true' } });
  t.is(hx.status, 201);
  t.regex(hx.text, /^\s*<section id="backups">/);
  const name = /Backup <strong>(bitarr-[\d-]+\.db)<\/strong> written and checked/.exec(hx.text)![1]!;
  const backedUp = await everything(app.dir);

  // After the backup: an event acknowledged, a scan, a token revoked and one made.
  t.is((await c.post(`/events/${s.eventId}/acknowledge`, { form: { note: 'after the backup' }, csrf: true })).status, 303);
  const tree = await tempDir(t, 'bitarr-tree-');
  await writeFile(join(tree, 'x.txt'), 'x');
  t.is((await scan(tree, app.dir)).code, 0);
  t.is((await c.post(`/settings/tokens/${revokedLater.id}/revoke`, { csrf: true })).status, 303);
  const madeLater = await tokenFor(app.dir);
  const later = await everything(app.dir);

  const confirm = await c.get(`/database/backups/${name}/restore`);
  t.is(confirm.status, 200);
  t.regex(confirm.text, /<h1>Restore bitarr-[\d-]+\.db\?<\/h1>/);
  t.regex(confirm.text, /<tr><th>Scans<\/th><td>3<\/td><td>2<\/td><\/tr>/, 'now next to the backup');
  t.regex(confirm.text, /<tr><th>Baselines<\/th><td>1<\/td><td>0<\/td><\/tr>/);
  t.regex(confirm.text, /<tr><th>Bitrot events<\/th><td>2<\/td><td>2<\/td><\/tr>/);
  t.regex(confirm.text, /<tr><th>Migrations<\/th><td>(\d+ \(\w+\))<\/td><td>\1<\/td><\/tr>/);
  t.regex(confirm.text, new RegExp(`<label>Type <code>${name}</code> to confirm <input name="confirm" value=""`));

  for (const headers of [{}, { 'HX-Request': 'true' }] as Array<Record<string, string>>) {
    const wrong = await c.post(`/database/backups/${name}/restore`, { form: { confirm: 'yes' }, csrf: true, headers });
    t.is(wrong.status, 400);
    t.is(/<html/.test(wrong.text), !('HX-Request' in headers));
    t.regex(wrong.text, new RegExp(`<p class="error" role="alert">type the backup&#39;s name, ${name}, to confirm that it replaces the current database</p>`));
    t.regex(wrong.text, /<input name="confirm" value="yes"/);
  }
  t.is(await everything(app.dir), later, 'a wrong confirmation changed nothing');
  t.false((await readdir(join(app.dir, 'backups'))).some((f) => f.startsWith('pre-restore-')));

  const ok = await c.post(`/database/backups/${name}/restore`, { form: { confirm: name }, csrf: true });
  t.is(ok.status, 303);
  const [, restored, saved] = /^\/database\?restored=([^&]+)&saved=(pre-restore-[\d-]+\.db)$/.exec(ok.headers.get('location')!)!;
  t.is(restored, name);
  t.is(await everything(app.dir), backedUp, 'scans, baselines, devices and events as they were backed up');
  t.is((await c.get(`/api/v1/events/${s.eventId}`)).json().status, 'open');

  // Logins are not restored: still logged in, the revoked token stays revoked, the new one works.
  const after = await c.get(ok.headers.get('location')!);
  t.is(after.status, 200);
  t.regex(after.text, new RegExp(`Restored <strong>${name}</strong>\\. The database as it was before is saved as <strong>${saved}</strong>`));
  const bearer = (token: string) => app.client().get('/api/v1/database', { Authorization: `Bearer ${token}` });
  t.is((await bearer(revokedLater.token)).status, 401);
  const listed = await bearer(madeLater.token);
  t.is(listed.status, 200);
  t.like(listed.json().backups.find((b: { name: string }) => b.name === saved), { kind: 'pre-restore', summary: { scans: 3, baselines: 1, events: 2 } });

  // Undo through the API: the acknowledged event and the later scan come back.
  const undo = await c.request('POST', `/api/v1/database/backups/${saved}/restore`, {
    headers: { 'content-type': 'application/json', 'X-CSRF-Token': c.csrf },
    body: JSON.stringify({ confirm: saved }),
  });
  t.is(undo.status, 200, undo.text);
  t.like(undo.json(), { restored: { name: saved }, current: { scans: 3 } });
  t.is((await c.get(`/api/v1/events/${s.eventId}`)).json().status, 'acknowledged');
  t.is(await everything(app.dir), later);
});

test('a garbage file, a backup from a newer Bitarr and a restore during a scan are refused, and nothing changes', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const name = await backUp(c);
  const dir = join(app.dir, 'backups');
  const garbage = 'bitarr-20200101-000000.db';
  await writeFile(join(dir, garbage), Buffer.alloc(8192, 'garbage '));
  const newer = 'bitarr-20990101-000000.db';
  await copyFile(join(dir, name), join(dir, newer));
  await inSqliteFile(join(dir, newer), (db) => db('knex_migrations').insert({ name: '20991231_999_from_the_future', batch: 9, migration_time: new Date() }));
  const tree = await tempDir(t, 'bitarr-tree-');
  await writeFile(join(tree, 'x.txt'), 'x');
  t.is((await scan(tree, app.dir)).code, 0);
  const before = await everything(app.dir);

  const page = await c.get('/database');
  t.regex(page.text, new RegExp(`<tr id="backup-${garbage}">[\\s\\S]*?<td colspan="5" class="error">it is not a readable SQLite database \\(file is not a database\\)</td>`));
  t.regex(page.text, new RegExp(`<tr id="backup-${newer}">[\\s\\S]*?from a newer Bitarr</span></td>`));

  const cases: Array<[string, RegExp]> = [
    [garbage, /bitarr-20200101-000000\.db cannot be restored: it is not a readable SQLite database/],
    [newer, /bitarr-20990101-000000\.db was written by a newer Bitarr \(unknown migration 20991231_999_from_the_future\); upgrade Bitarr to restore it/],
  ];
  for (const [file, message] of cases) {
    const confirm = await c.get(`/database/backups/${file}/restore`);
    t.regex(confirm.text, new RegExp(`<p class="error" role="alert">${message.source}`));
    t.notRegex(confirm.text, /id="restore-form"/, 'no form to submit');
    const r = await c.post(`/database/backups/${file}/restore`, { form: { confirm: file }, csrf: true });
    t.is(r.status, 409);
    t.regex(r.text, message);
  }

  t.is(await everything(app.dir), before);

  const busy = await tempDir(t, 'bitarr-busy-');
  for (let i = 0; i < 40; i++) await writeFile(join(busy, `f${i}.bin`), Buffer.alloc(64 * 1024, i));
  const midway = await startScanMidway(busy, app.dir, '256K');
  try {
    const r = await c.post(`/database/backups/${name}/restore`, { form: { confirm: name }, csrf: true });
    t.is(r.status, 409);
    t.regex(r.text, /scan \d+ is running: restore once it has finished or been stopped/);
  } finally {
    midway.child.kill('SIGINT');
    await midway.done;
  }
  t.false((await readdir(dir)).some((f) => f.startsWith('pre-restore-')), 'refused before anything was saved or replaced');
});

test('backup names are matched whole: ../ and other files are 404, and CSRF and login guard every change', async (t) => {
  const app = await appliance(t);
  const c = await admin(app);
  const name = await backUp(c);
  for (const bad of ['..%2Fbitarr.db', '..%2F..%2F..%2Fetc%2Fpasswd', `..%2Fbackups%2F${name}`, 'bitarr.db', `${name}%00`, '.partial-x.db']) {
    t.is((await c.get(`/database/backups/${bad}/restore`)).status, 404, bad);
    t.is((await c.get(`/api/v1/database/backups/${bad}`)).status, 404, bad);
    t.is((await c.post(`/database/backups/${bad}/restore`, { form: { confirm: decodeURIComponent(bad) }, csrf: true })).status, 404, bad);
  }
  const before = await readdir(join(app.dir, 'backups'));
  const forged = await c.post('/database/backups', {});
  t.is(forged.status, 403);
  t.is((await c.post(`/database/backups/${name}/restore`, { form: { confirm: name } })).status, 403);
  const stranger = app.client();
  for (const path of ['/database', `/database/backups/${name}/restore`, '/scans/1/findings.csv']) t.is((await stranger.get(path)).headers.get('location'), '/login', path);
  for (const path of ['/api/v1/database', '/api/v1/database/backups', '/api/v1/scans/1/findings']) t.is((await stranger.get(path)).status, 401, path);
  t.deepEqual(await readdir(join(app.dir, 'backups')), before);

  // A script with a token backs up through the API (no CSRF: a bearer request carries no cookie).
  const { token } = await tokenFor(app.dir);
  const made = await app.client().request('POST', '/api/v1/database/backups', { headers: { Authorization: `Bearer ${token}` } });
  t.is(made.status, 201);
  t.regex(made.json().backup.name, /^bitarr-\d{8}-\d{6}(-\d+)?\.db$/);
  const api = (await c.get('/api/v1/database')).json();
  t.deepEqual(api.backups.map((b: { name: string }) => b.name).sort(), [...before, made.json().backup.name].sort());
  t.like(api.current, { scans: 0, events: 0 });
});
