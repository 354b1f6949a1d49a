/** Folder trees by absolute path. */

/** Whether two trees share files: the same folder, or one inside the other. */
export const treesOverlap = (a: string, b: string) => a === b || a.startsWith(b === '/' ? b : b + '/') || b.startsWith(a === '/' ? a : a + '/');
