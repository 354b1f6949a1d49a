// The contract between Bitarr and its plugins. Types only (plus the version): imported by the
// plugin host, by built-in plugins and by plugins users drop into <config-dir>/plugins/.
// Changing a shape here in an incompatible way means bumping PLUGIN_API_VERSION.

/** The API version this Bitarr speaks. A plugin whose manifest names another is refused. */
export const PLUGIN_API_VERSION = 1;

export type PluginPlatform = 'linux' | 'win32' | 'darwin';
export type PluginCapability = 'detector' | 'sectorMapper';

/** plugin.json, after validation. */
export interface PluginManifest {
  /** Equals the folder name: lowercase letters, digits, '-'. */
  id: string;
  name: string;
  /** semver of the plugin itself. */
  version: string;
  apiVersion: number;
  /** Filesystem types as mountinfo names them (`ext4`, `fuse.ntfs-3g`, `nfs4`, …); `*` for any. */
  filesystems: string[];
  platforms: PluginPlatform[];
  provides: PluginCapability[];
  requires: {
    /** Executables looked up on PATH before the plugin is loaded. */
    binaries: string[];
    /** Privileges the plugin needs to give full answers: `root`, `CAP_SYS_ADMIN`, `CAP_SYS_RAWIO`, … */
    privileges: string[];
  };
  /** Module that default-exports a BitarrPlugin, relative to the plugin folder. Default index.js. */
  main: string;
  /** A JSON-Schema-like description of the plugin's settings: property name → type and default. */
  config: Record<string, PluginConfigField>;
}

export interface PluginConfigField {
  type: 'string' | 'number' | 'boolean';
  description: string;
  default?: string | number | boolean;
}

/**
 * Runs an executable without a shell. Given to plugins so every child process is logged, bounded
 * and killed the same way. A failure rejects with an Error carrying `exitCode` (number or null),
 * `stderr` (string) and `cause` (the spawn error, with `code`/`syscall` when it never started).
 */
export type CommandRunner = (
  command: string,
  args: string[],
  options?: { cwd?: string; timeoutMs?: number; signal?: AbortSignal; maxBuffer?: number },
) => Promise<{ stdout: string; stderr: string }>;

export interface PluginContext {
  run: CommandRunner;
  /** The plugin's settings, defaults filled in. */
  config: Record<string, string | number | boolean>;
  /** Whether this process runs as root; plugins say what they could not learn without it. */
  isRoot: boolean;
  log(message: string): void;
}

// ---------------------------------------------------------------------------------------------
// Detectors

/** One line of /proc/self/mountinfo (or its equivalent on other platforms). */
export interface MountFacts {
  mountPoint: string;
  /** Path inside the filesystem mounted here (a bind mount or btrfs subvolume); `/` for the whole. */
  root: string;
  fsType: string;
  /** What was mounted: `/dev/sdb1`, `server:/export`, `//nas/share`, `ntfs-3g`… */
  source: string;
  options: string;
  /** `major:minor` where the platform has device numbers. */
  devno: string | null;
}

export type DeviceType = 'ssd' | 'hdd' | 'nvme' | 'usb' | 'sd' | 'optical' | 'network' | 'virtual' | 'loop' | 'unknown';

/** A fact the detector could not learn, why, and what would tell it. */
export interface UnknownFact {
  fact: string;
  reason: string;
  /** The privilege, capability or tool that would tell it (`root`, `CAP_SYS_RAWIO`, `udevadm`). */
  needs?: string;
}

/**
 * How a device is recognised again after a reboot renames /dev/sdb to /dev/sdc: the filesystem
 * UUID first, then the disk's WWN or serial, then its model and size. Never the kernel name.
 */
export interface DeviceIdentity {
  kind: 'fs-uuid' | 'wwn' | 'serial' | 'model' | 'network-source' | 'kernel-name';
  value: string;
}

export interface DetectedDevice {
  identity: DeviceIdentity;
  /** The block device or share as the platform names it now (informational only). */
  devicePath: string | null;
  fsType: string;
  fsUuid: string | null;
  label: string | null;
  type: DeviceType;
  /** Why `type` was chosen: each fact that pointed to it. */
  evidence: string[];
  rotational: boolean | null;
  /** sata, nvme, usb, sas, virtio, loop, mmc, network, … */
  transport: string | null;
  model: string | null;
  serial: string | null;
  wwn: string | null;
  sizeBytes: number | null;
  network: boolean;
  mounts: MountFacts[];
  unknown: UnknownFact[];
  warnings: string[];
}

export interface DetectRequest {
  /** Mounts to describe. A detector leaves alone the ones it does not handle. */
  mounts: MountFacts[];
}

export interface Detector {
  /** Devices for the mounts this detector recognises; mounts it does not handle are left out. */
  detect(request: DetectRequest, context: PluginContext): Promise<DetectedDevice[]>;
}

// ---------------------------------------------------------------------------------------------
// Sector mappers

/**
 * One piece of a file's data, in bytes. `physical` is the offset on the block device (`device`).
 * Extents cover the file's bytes only: the last one ends at the file size, not at the end of its
 * block, and holes and preallocated-but-unwritten ranges are left out.
 */
export interface PhysicalExtent {
  logical: number;
  physical: number;
  length: number;
}

export type FileMapping =
  /** `extents` is empty for files with no data on the device of their own (empty, inline in metadata). */
  | { path: string; extents: PhysicalExtent[]; note?: string }
  | { path: string; error: string };

export interface MapRequest {
  /** The block device the offsets are on (`/dev/sdb1`, `/dev/loop3`). Opened read-only if at all. */
  device: string;
  mountPoint: string;
  fsType: string;
  /** Absolute paths of files under mountPoint. Many at once: map them in one child process where a tool is used. */
  files: string[];
  signal?: AbortSignal;
}

export type MapResult =
  | { available: true; files: FileMapping[] }
  /** Mapping cannot work here at all (a network share, a missing privilege): said plainly. */
  | { available: false; reason: string; needs?: string };

/** [start, end) in bytes on the block device. */
export interface DeviceRange {
  start: number;
  end: number;
}

export interface UsedSpaceRequest {
  device: string;
  mountPoint: string;
  fsType: string;
  signal?: AbortSignal;
}

export type UsedSpaceResult =
  /**
   * The device's byte ranges in use by the filesystem (data and metadata), sorted, merged, within
   * [0, sizeBytes). `granularity` says what "used" means here (`block`, `cluster`, `chunk`).
   */
  | { available: true; sizeBytes: number; granularity: string; ranges: DeviceRange[] }
  | { available: false; reason: string; needs?: string };

export interface SectorMapper {
  map(request: MapRequest, context: PluginContext): Promise<MapResult>;
  /** Optional: where on the device the filesystem has anything at all, for the device map. */
  usedSpace?(request: UsedSpaceRequest, context: PluginContext): Promise<UsedSpaceResult>;
}

/** What a plugin module default-exports. */
export interface BitarrPlugin {
  detector?: Detector;
  sectorMapper?: SectorMapper;
}
