import { SingleBar } from 'cli-progress';
import { readFileSync } from 'fs';
import { PersonaError, PersonaValidationError } from '../errors';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { STORE_KEPT_FIELDS } from '../models/field-roles';
import { PersonaCreateInput, PersonaStore } from '../services/persona-store';
import { formatReport, FidelityReport, importPersonas as readPersonas, PersonaFormat } from '../interop';
import { isPng } from '../interop/png';
import { toPlain, validateModel } from '../validation/model';
import { CliContext } from './context';

/** Options of `persona import`. `report`: keep each foreign persona's fidelity report in the summary. */
export type ImportOptions = { batchSize: number; keepOwner: boolean; format: PersonaFormat | 'auto'; lenient: boolean; report?: boolean };

/** One persona read from a file, on its way in; `foreign` ones have slugs made from their names (a taken one gets `-2`, …). */
type Item = { label: string; oldId?: string; input: Record<string, unknown>; foreign?: boolean };

/** What an import did: how many came in, each refusal with its reason, the warnings, and (with `report`) each fidelity report. */
export type ImportSummary = {
  imported: number;
  refused: { source: string; reason: string }[];
  warnings: { source: string; warning: string }[];
  reports?: { source: string; report: FidelityReport }[];
};

/** The fidelity reports of a summary as text lines, one block per persona. */
export function reportLines(summary: ImportSummary): string[] {
  return (summary.reports ?? []).flatMap((r) => [`report ${r.source}:`, ...formatReport(r.report)]);
}

function reasonOf(error: unknown): string {
  if (error instanceof PersonaValidationError) return error.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  if (error instanceof PersonaError) return `${error.code}: ${error.message}`;
  return (error as Error).message ?? String(error);
}

/**
 * Reads every file: our native JSON (one persona object, or a JSON array of them), or a
 * character card (V1, V2, V3; JSON or PNG), an Eliza character (or a list of them) or a Letta
 * agent file (each agent a persona), through `importPersonas`.
 */
async function readItems(files: string[], options: ImportOptions, summary: ImportSummary): Promise<Item[]> {
  const items: Item[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      summary.refused.push({ source: file, reason: `cannot read: ${(error as Error).message}` });
      continue;
    }
    let parsed: unknown;
    if (!isPng(bytes)) {
      try {
        parsed = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
      } catch (error) {
        summary.refused.push({ source: file, reason: `not readable JSON: ${(error as Error).message}` });
        continue;
      }
    }
    const native = options.format === 'native' || (options.format === 'auto' && parsed !== undefined && !isForeign(parsed));
    if (!native) {
      try {
        const results = await readPersonas(parsed === undefined ? bytes : (parsed as object), { format: options.format, lenient: options.lenient });
        results.forEach(({ persona, warnings, report }, i) => {
          const label = results.length > 1 ? `${file}[${i}]` : file;
          summary.warnings.push(...warnings.map((warning) => ({ source: label, warning })));
          if (options.report) (summary.reports ??= []).push({ source: label, report });
          items.push({ label, input: toPlain(persona), foreign: true });
        });
      } catch (error) {
        summary.refused.push({ source: file, reason: reasonOf(error) });
      }
      continue;
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    list.forEach((value, i) => {
      const label = Array.isArray(parsed) ? `${file}[${i}]` : file;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        summary.refused.push({ source: label, reason: '(root): a persona must be an object' });
        return;
      }
      items.push({ label, input: value as Record<string, unknown> });
    });
  }
  return items;
}

/**
 * True for a card, an Eliza character, a Letta agent file, a list of those, or JSON inside a
 * JSON string (what `importPersonas` would not read as native).
 */
function isForeign(doc: unknown): boolean {
  if (typeof doc === 'string') return true;
  if (Array.isArray(doc)) return doc.length > 0 && doc.every(isForeign);
  if (doc === null || typeof doc !== 'object') return false;
  const d = doc as Record<string, unknown>;
  if (d.spec === 'chara_card_v2' || d.spec === 'chara_card_v3' || Array.isArray(d.agents) || Array.isArray(d.core_memory)) return true;
  return !('slug' in d) && ['first_mes', 'mes_example', 'scenario', 'personality', 'bio', 'lore', 'adjectives', 'messageExamples', 'postExamples', 'style', 'system'].some((k) => k in d);
}

/**
 * Our own JSON format in, as exported: the fields the store keeps (id, version, timestamps) are
 * assigned anew, the owner becomes the actor unless `keepOwner` (admins), and a `parentId`
 * naming another persona of the same import is pointed at its new id (parents go first).
 */
function prepare(items: Item[], keepOwner: boolean): Item[] {
  for (const item of items) {
    const input: Record<string, unknown> = {};
    for (const key of Object.keys(item.input)) Object.defineProperty(input, key, { value: item.input[key], enumerable: true, writable: true, configurable: true });
    if (typeof input.id === 'string') item.oldId = input.id.toLowerCase();
    for (const key of STORE_KEPT_FIELDS) delete input[key];
    if (!keepOwner) delete input.createdBy;
    item.input = input;
  }
  const byOldId = new Map(items.filter((i) => i.oldId).map((i) => [i.oldId as string, i]));
  const ordered: Item[] = [];
  const state = new Map<Item, 'visiting' | 'done'>();
  const visit = (item: Item) => {
    if (state.get(item)) return;
    state.set(item, 'visiting');
    const parent = typeof item.input.parentId === 'string' ? byOldId.get(item.input.parentId.toLowerCase()) : undefined;
    if (parent && parent !== item) visit(parent);
    state.set(item, 'done');
    ordered.push(item);
  };
  items.forEach(visit);
  return ordered;
}

/**
 * Imports personas in batches, each batch one transaction: a process killed mid-import leaves
 * whole personas only. A batch that the database refuses (a slug already taken, say) is retried
 * one persona at a time, so every refusal is named.
 */
export async function importPersonas(ctx: CliContext, files: string[], options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, refused: [], warnings: [] };
  const items = prepare(await readItems(files, options, summary), options.keepOwner);
  const store = new PersonaStore(await ctx.ds());
  const actor = ctx.actor;
  const newIds = new Map<string, string>();
  const bar = ctx.io.isTTY && !ctx.options.json ? new SingleBar({ format: 'importing [{bar}] {value}/{total} personas | {eta_formatted} left', hideCursor: true, clearOnComplete: false }) : undefined;
  bar?.start(items.length, 0);

  const valid: Item[] = [];
  for (const item of items) {
    const result = validateModel(PersonaConfiguration, { ...item.input, createdBy: item.input.createdBy ?? actor.id });
    if (result.ok) valid.push(item);
    else {
      summary.refused.push({ source: item.label, reason: reasonOf(new PersonaValidationError(result.issues)) });
      bar?.increment();
    }
  }

  const relink = (item: Item): PersonaCreateInput => {
    const parent = typeof item.input.parentId === 'string' ? newIds.get(item.input.parentId.toLowerCase()) : undefined;
    return (parent ? { ...item.input, parentId: parent } : item.input) as PersonaCreateInput;
  };
  const remember = (item: Item, persona: PersonaConfiguration) => {
    if (item.oldId) newIds.set(item.oldId, persona.id as string);
  };

  // A child never shares a batch with its parent: it needs the parent's new id.
  const batches: Item[][] = [];
  let current: Item[] = [];
  const inCurrent = new Set<string>();
  for (const item of valid) {
    const parent = typeof item.input.parentId === 'string' ? item.input.parentId.toLowerCase() : undefined;
    if (current.length >= options.batchSize || (parent && inCurrent.has(parent)) || (current.length && !!current[0].foreign !== !!item.foreign)) {
      batches.push(current);
      current = [];
      inCurrent.clear();
    }
    current.push(item);
    if (item.oldId) inCurrent.add(item.oldId);
  }
  if (current.length) batches.push(current);

  for (const batch of batches) {
    try {
      // Slugs made from names (foreign files) get -2, -3, … when taken; a native file's own slugs are refused when taken.
      const created = await store.createMany(batch.map(relink), actor, { renameTakenSlugs: !!batch[0]?.foreign });
      created.forEach((p, i) => remember(batch[i], p));
      summary.imported += batch.length;
    } catch (error) {
      if (!(error instanceof PersonaError)) throw error;
      for (const item of batch) {
        try {
          remember(item, await store.create(relink(item), actor, { renameTakenSlugs: !!item.foreign }));
          summary.imported += 1;
        } catch (single) {
          if (!(single instanceof PersonaError)) throw single;
          summary.refused.push({ source: item.label, reason: reasonOf(single) });
        }
      }
    }
    bar?.increment(batch.length);
  }
  bar?.stop();
  return summary;
}
