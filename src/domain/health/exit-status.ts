/**
 * smartctl's exit status is a bit mask, not success/failure: a healthy drive with an old entry in
 * its error log exits 64 with complete JSON on stdout. Meanings from smartctl(8), "EXIT STATUS",
 * and smartctl.h (FAILCMD … FAILLOG).
 */
export const EXIT_STATUS_BITS = [
  { bit: 0, flag: 'command_failed', meaning: 'the command line did not parse, or smartctl could not tell the device type' },
  { bit: 1, flag: 'device_open_failed', meaning: 'the device could not be opened, did not identify itself, or is asleep (-n)' },
  { bit: 2, flag: 'smart_command_failed', meaning: 'a SMART or other command to the disk failed, or a SMART data structure had a bad checksum' },
  { bit: 3, flag: 'disk_failing', meaning: 'the SMART status check returned "DISK FAILING"' },
  { bit: 4, flag: 'prefail_at_threshold', meaning: 'pre-failure attributes are at or below their threshold' },
  { bit: 5, flag: 'past_at_threshold', meaning: 'some attributes were at or below their threshold in the past' },
  { bit: 6, flag: 'error_log', meaning: "the device's error log contains errors" },
  { bit: 7, flag: 'self_test_log', meaning: "the device's self-test log contains errors" },
] as const;

export type ExitFlag = (typeof EXIT_STATUS_BITS)[number]['flag'];

export interface ExitStatus {
  /** null when the output does not say (trimmed files, outputs from before smartctl 7). */
  code: number | null;
  flags: ExitFlag[];
}

export function decodeExitStatus(code: number | null): ExitStatus {
  if (code === null || !Number.isInteger(code) || code < 0) return { code: null, flags: [] };
  return { code, flags: EXIT_STATUS_BITS.filter((b) => (code >> b.bit) & 1).map((b) => b.flag) };
}

export const exitFlagMeaning = (flag: ExitFlag) => EXIT_STATUS_BITS.find((b) => b.flag === flag)!.meaning;

/** Bits 0 and 1: smartctl could not talk to the device at all, so there is no data to judge. */
export const couldNotOpen = (status: ExitStatus) => status.flags.includes('command_failed') || status.flags.includes('device_open_failed');
