// Recognising network and remote filesystems by type, and naming the share so it keeps its
// identity when the mount point moves. Pure.
import type { DetectedDevice, MountFacts } from '../../src/shared/plugin-api.js';

export const AGENT_WARNING =
  'network storage: Bitarr reads it through the network, so a corrupted read may be the network or the server, and the disks behind it cannot be located or checked for SMART; bitrot is best checked by a Bitarr agent on the machine that owns the disks';

/** The types this plugin handles; plugin.json lists the same (a test holds them equal). */
export const NETWORK_FILESYSTEMS: readonly string[] = [
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'fuse.sshfs',
  'fuse.smbnetfs',
  '9p',
  'fuse.rclone',
  'davfs',
  'fuse.davfs2',
  'glusterfs',
  'fuse.glusterfs',
  'ceph',
  'fuse.ceph',
  'afpfs',
  'fuse.afpfs',
  'virtiofs',
  'fuse.s3fs',
  'fuse.gcsfuse',
  'lustre',
  'beegfs',
  'fuse.mergerfs',
];

// mergerfs pools local disks, but files sit on several branches: no single device to map or to blame.
const POOLED = new Set(['fuse.mergerfs']);

/** `server:/export`, `//nas/share`, `user@host:/path` → a stable name for the share. */
export function shareIdentity(mount: MountFacts): string {
  if (mount.fsType === 'fuse.smbnetfs') return smbnetfsIdentity(mount);
  const source = mount.source.trim();
  const smb = /^(?:\/\/|\\\\)([^/\\]+)[/\\]([^/\\]+)(.*)$/.exec(source);
  if (smb) return `//${smb[1]!.toLowerCase()}/${smb[2]}${smb[3]!.replace(/\\/g, '/')}`;
  const remote = /^(?:([^@/]+)@)?([^:/]+):(.*)$/.exec(source);
  if (remote) return `${remote[2]!.toLowerCase()}:${remote[3] || '/'}`;
  return `${mount.fsType}:${source}`;
}

/**
 * smbnetfs mounts a whole SMB network at one point (its source is just "smbnetfs"): the share is
 * in the path, <mnt>/<host>[:port]/<share>/…, so a mount of one share is a bind mount whose root
 * names it. The top mount is no share at all: only its mount point tells one from another.
 */
function smbnetfsIdentity(mount: MountFacts): string {
  const [host, share] = mount.root.split('/').filter(Boolean);
  if (!host) return `smbnetfs:${mount.mountPoint}`;
  // "user:password@host" is how smbnetfs takes credentials in a path: never into a name that is stored.
  const server = host.replace(/^.*@/, '').toLowerCase().replace(/:445$/, '');
  return share ? `//${server}/${share}` : `//${server}`;
}

/** The mounts of one share are one device; several shares of one server are several devices. */
export function detectShares(mounts: MountFacts[], handled: ReadonlySet<string>): DetectedDevice[] {
  const byShare = new Map<string, DetectedDevice>();
  for (const mount of mounts) {
    if (!handled.has(mount.fsType)) continue;
    const id = shareIdentity(mount);
    const known = byShare.get(id);
    if (known) {
      known.mounts.push(mount);
      continue;
    }
    const pooled = POOLED.has(mount.fsType);
    byShare.set(id, {
      identity: { kind: 'network-source', value: id },
      devicePath: mount.source,
      fsType: mount.fsType,
      fsUuid: null,
      label: null,
      type: pooled ? 'virtual' : 'network',
      evidence: [pooled ? `filesystem type ${mount.fsType} pools other filesystems` : `filesystem type ${mount.fsType} is a network filesystem`, `source ${mount.source}`],
      rotational: null,
      transport: pooled ? null : 'network',
      model: null,
      serial: null,
      wwn: null,
      sizeBytes: null,
      network: !pooled,
      mounts: [mount],
      unknown: [{ fact: 'disks behind the share', reason: 'they belong to the server', needs: 'a Bitarr agent on the server' }],
      warnings: [pooled ? 'pooled filesystem: scan its branches (the real disks) to locate damage' : AGENT_WARNING],
    });
  }
  return [...byShare.values()];
}
