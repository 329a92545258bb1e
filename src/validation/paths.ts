/**
 * Field paths as issues and stored fields sets spell them: `traits[2].value`,
 * `responseStyle.formalityLevel`; the root is `""`. Written and read here only.
 */

/** `parent` followed by a key (`parent.key`) or an array index (`parent[2]`). */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/** A path of keys and indexes as the issues spell it: `settings.providers[0].apiKey`. */
export function formatPath(path: readonly (string | number)[], prefix = ''): string {
  let out = prefix;
  for (const key of path) out = joinPath(out, key);
  return out;
}

/** A path relative to `parent` (`tone`, `[2].value`) written below it. */
export function appendPath(parent: string, below: string): string {
  if (!parent) return below;
  return below.startsWith('[') ? parent + below : `${parent}.${below}`;
}

/** Whether `path` is `ancestor` itself or a path below it (`traits[2]` is below `traits`, `traitsX` is not). */
export function isAtOrBelow(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`);
}

/** One step of a field path: a key, then the array indexes after it (`traits[2]` is `traits`, [2]). */
export type PathStep = { key: string; indexes: number[] };

/** Paths as steps, parsed once per distinct path (personas of one shape share their paths). */
const parsedPaths = new Map<string, PathStep[] | null>();

/** The steps of a path written by {@link joinPath}, or null for a path that is not of that form. */
export function parsePath(path: string): PathStep[] | null {
  let steps = parsedPaths.get(path);
  if (steps !== undefined) return steps;
  steps = [];
  for (const segment of path.split('.')) {
    const bracket = segment.indexOf('[');
    const key = bracket < 0 ? segment : segment.slice(0, bracket);
    if (!key) {
      steps = null;
      break;
    }
    const indexes: number[] = [];
    for (let at = bracket; at >= 0; ) {
      const close = segment.indexOf(']', at);
      const index = close < 0 ? NaN : Number(segment.slice(at + 1, close));
      if (!Number.isInteger(index)) break;
      indexes.push(index);
      at = segment.indexOf('[', close);
    }
    steps.push({ key, indexes });
  }
  if (parsedPaths.size >= 10_000) parsedPaths.clear();
  parsedPaths.set(path, steps);
  return steps;
}
