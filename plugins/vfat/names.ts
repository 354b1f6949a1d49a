// Looking names up in a directory the way FAT-family drivers do: an exact match first, then one
// equal without case. Indexed once per directory, so a batch of many files in one big directory
// costs one pass over it, not one per file. Shared with the exfat plugin (see both READMEs).

export class NameIndex<T> {
  readonly #exact = new Map<string, T[]>();
  readonly #folded = new Map<string, T[]>();
  readonly #fold: (name: string) => string;

  /** `namesOf` gives every name an entry answers to (FAT: its long and its short name). */
  constructor(entries: T[], namesOf: (entry: T) => string[], fold: (name: string) => string) {
    this.#fold = fold;
    for (const entry of entries) {
      const names = new Set(namesOf(entry));
      for (const name of names) add(this.#exact, name, entry);
      for (const folded of new Set([...names].map(fold))) add(this.#folded, folded, entry);
    }
  }

  /** Several entries that differ only in case (a directory the driver would not write) are ambiguous, not guessed. */
  find(name: string): T | 'ambiguous' | null {
    const matches = this.#exact.get(name) ?? this.#folded.get(this.#fold(name));
    if (matches === undefined) return null;
    return matches.length === 1 ? matches[0]! : 'ambiguous';
  }
}

function add<T>(map: Map<string, T[]>, key: string, entry: T): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}
