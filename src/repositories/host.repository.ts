/** Who is scanning: a host id made once and kept in the config dir, the hostname, an address. */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';

export interface HostIdentity {
  id: string;
  hostname: string;
  address: string | null;
  /** Every non-loopback address, IPv4 first; `address` is the first. */
  addresses: string[];
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
  const addresses = hostAddresses();
  return { id, hostname: hostname(), address: addresses[0] ?? null, addresses };
}

function hostAddresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((l) => l ?? []);
  const v4 = all.filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);
  const v6 = all.filter((a) => a.family === 'IPv6' && !a.internal && !a.address.startsWith('fe80')).map((a) => a.address);
  return [...new Set([...v4, ...v6])];
}
