import { spawnSync } from 'child_process';
import { join } from 'path';
import { CCardLib } from '@risuai/ccardlib';
import { v1 as ccuV1, v2 as ccuV2 } from 'character-card-utils';

/**
 * The validators other projects ship, run over what we write (dev dependencies): the V3 spec
 * author's `@risuai/ccardlib` (which version a card is, `unknown` when it is none), the V2 spec
 * author's `character-card-utils` (zod schemas of V1 and V2), and elizaOS's `validateCharacter`
 * from the published `@elizaos/core` (in a child Node process: it is an ES module).
 */

/** `@risuai/ccardlib`'s verdict: the card version it recognises, or `unknown`. */
export function ccardlibVersion(card: unknown): 'v1' | 'v2' | 'v3' | 'unknown' {
  return CCardLib.character.check(JSON.parse(JSON.stringify(card)));
}

/** `character-card-utils`' verdict for a V1 or V2 card: [] when accepted, else its issues. */
export function characterCardUtilsIssues(card: unknown, version: 'v1' | 'v2'): string[] {
  const result = (version === 'v1' ? ccuV1 : ccuV2).safeParse(card);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/** elizaOS's `validateCharacter` over several characters at once (one child process): per character, [] or its issues. */
export function elizaIssues(characters: unknown[]): string[][] {
  const run = spawnSync(process.execPath, [join(__dirname, 'eliza-validate.mjs')], { input: JSON.stringify(characters), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`eliza-validate failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { ok: boolean; issues?: string[] }[]).map((v) => (v.ok ? [] : (v.issues ?? ['refused'])));
}
