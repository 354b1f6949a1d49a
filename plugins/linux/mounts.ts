// Which mounts this detector describes. Only block-backed ones: a filesystem with no disk under
// it has no sectors to rot, and network shares belong to the network plugin.
import type { MountFacts } from '../../src/shared/plugin-api.js';

/** Kernel-internal and memory-backed filesystems: nothing on a disk to prove. */
export const PSEUDO_FILESYSTEMS: readonly string[] = [
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'rootfs', 'cgroup', 'cgroup2', 'securityfs',
  'debugfs', 'tracefs', 'configfs', 'fusectl', 'pstore', 'bpf', 'mqueue', 'hugetlbfs', 'autofs',
  'binfmt_misc', 'efivarfs', 'rpc_pipefs', 'nsfs', 'selinuxfs', 'nfsd', 'sockfs', 'pipefs',
  // overlay and aufs stack other filesystems: the files live (and rot) on the layers' devices.
  'overlay', 'aufs',
];

/** Filesystems whose data is on another machine: the network plugin's business. */
export const NETWORK_FILESYSTEMS: readonly string[] = [
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ceph', 'glusterfs', '9p', 'afs', 'davfs', 'virtiofs',
  'lustre', 'beegfs', 'fuse.sshfs', 'fuse.smbnetfs', 'fuse.rclone', 'fuse.glusterfs', 'fuse.s3fs',
  'fuse.gvfsd-fuse', 'fuse.ceph-fuse',
];

const PSEUDO = new Set(PSEUDO_FILESYSTEMS);
const NETWORK = new Set(NETWORK_FILESYSTEMS);

export type MountVerdict = { handled: true } | { handled: false; reason: string };

/** Whether a mount may be block-backed. Whether it really is, sysfs and lsblk decide later. */
export function mountVerdict(mount: MountFacts): MountVerdict {
  const fsType = mount.fsType.toLowerCase();
  if (PSEUDO.has(fsType)) return { handled: false, reason: `${fsType} is a pseudo filesystem` };
  if (NETWORK.has(fsType) || /^(nfs|cifs|smb)/.test(fsType)) return { handled: false, reason: `${fsType} is a network filesystem` };
  if (isBlockDevno(mount.devno) || mount.source.startsWith('/dev/')) return { handled: true };
  return { handled: false, reason: `${mount.source} is not a block device and ${mount.devno ?? 'no device number'} is anonymous` };
}

/** Major 0 is the kernel's anonymous devices: btrfs, FUSE, tmpfs and friends. No sysfs entry. */
export function isBlockDevno(devno: string | null): devno is string {
  return devno !== null && /^\d+:\d+$/.test(devno) && !devno.startsWith('0:');
}

/**
 * Mounts of one filesystem share a key: the superblock's device number (btrfs subvolumes and
 * bind mounts repeat it, even where it is anonymous), else the source.
 */
export function filesystemKey(mount: MountFacts): string {
  return mount.devno !== null && /^\d+:\d+$/.test(mount.devno) ? `devno:${mount.devno}` : `source:${mount.source}`;
}
