/** Who is scanning: a host id made once and kept in the config dir, the hostname, an address. */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';

export interface HostIdentity {
  id: string;
  hostname: string;
  address: string | null;
}

export function loadHostIdentity(configDir: string): HostIdentity {
  const file = join(configDir, 'host-id');
  let id: string;
  try {
    id = readFileSync(file, 'utf8').trim();
  } catch {
    id = '';
  }
  if (!/^[0-9a-f-]{36}$/.test(id)) {
    id = randomUUID();
    writeFileSync(file, id + '\n', { mode: 0o644 });
  }
  return { id, hostname: hostname(), address: primaryAddress() };
}

function primaryAddress(): string | null {
  const all = Object.values(networkInterfaces()).flatMap((l) => l ?? []);
  const v4 = all.find((a) => a.family === 'IPv4' && !a.internal);
  const v6 = all.find((a) => a.family === 'IPv6' && !a.internal && !a.address.startsWith('fe80'));
  return v4?.address ?? v6?.address ?? null;
}
