import { checkName, checkObject, checkString, checkStringList, isObject } from './checks';
import { clone, FieldMap, Json, ReadContext } from './codec';

/** Eliza character files: v1 (`system`, `bio`, `style`, `settings`, `secrets`, …) and the older v0 (`lore`, `clients`, `modelProvider`, `settings.voice`). */

const STYLE_CONDITIONS: Record<string, string> = { all: 'always', chat: 'chatting with someone', post: 'writing a post' };

/** True when a document has the marks of an Eliza character. */
export function looksLikeEliza(doc: Json): boolean {
  return typeof doc.name === 'string' && ['bio', 'lore', 'adjectives', 'messageExamples', 'postExamples', 'topics', 'style', 'clients', 'modelProvider', 'plugins', 'system', 'username'].some((k) => k in doc);
}

/**
 * Checks (strict) or repairs (lenient) an Eliza character. Its credentials (`secrets`, keys and
 * tokens in `settings`, `clientConfig`, …) are removed before, by `stripCredentials`, as those
 * of every imported document.
 */
export function checkEliza(doc: Json, ctx: ReadContext): void {
  checkName(ctx, doc, 'name', 'name');
  for (const key of ['username', 'system', 'modelProvider']) checkString(ctx, doc, key, key);
  if ('bio' in doc && typeof doc.bio !== 'string') checkStringList(ctx, doc, 'bio', 'bio');
  for (const key of ['lore', 'adjectives', 'topics', 'postExamples', 'clients', 'plugins']) checkStringList(ctx, doc, key, key, key === 'adjectives' || key === 'topics');
  checkObject(ctx, doc, 'settings', 'settings');
  checkObject(ctx, doc, 'style', 'style');
  if (isObject(doc.style)) for (const key of Object.keys(STYLE_CONDITIONS)) checkStringList(ctx, doc.style, key, `style.${key}`);
  if ('messageExamples' in doc && !Array.isArray(doc.messageExamples)) ctx.issues.push({ path: 'messageExamples', constraint: 'isArray', message: 'messageExamples must be a list' });
}

function styleRules(style: Json): Json[] {
  const rules: Json[] = [];
  for (const [kind, condition] of Object.entries(STYLE_CONDITIONS)) {
    const lines = Array.isArray(style[kind]) ? (style[kind] as string[]) : [];
    lines.forEach((line, i) => {
      if (line.length >= 1 && line.length <= 2000) rules.push({ name: `style-${kind}-${i + 1}`, condition, action: line, priority: 50 });
    });
  }
  return rules.slice(0, 200);
}

/** The fields of an Eliza character that become persona fields; everything else is kept as it is. */
export const ELIZA_FIELDS: FieldMap[] = [
  { key: 'name', personaPaths: ['name'], read: (v, _p, ctx: ReadContext) => ({ persona: { name: String(v ?? '').slice(0, 100) } }), write: (p) => p.name },
  {
    key: 'system',
    personaPaths: ['instructions'],
    read: (v, present) => (present && typeof v === 'string' && v ? { persona: { instructions: v.slice(0, 100_000) } } : {}),
    write: (p) => p.instructions,
  },
  {
    key: 'bio',
    personaPaths: ['description'],
    read: (v, present, ctx) => {
      if (!present) return {};
      const text = Array.isArray(v) ? (v as string[]).join('\n') : String(v ?? '');
      if (text.length > 10_000) ctx.warnings.push(`bio is ${text.length} characters; the persona keeps the first 10,000 (the export restores it while unchanged)`);
      return { persona: { description: text.slice(0, 10_000) }, extra: { list: Array.isArray(v) } };
    },
    write: (p, extra) => {
      const text = (p.description as string | undefined) ?? '';
      return (extra as { list?: boolean } | undefined)?.list ? (text ? text.split('\n') : []) : text;
    },
  },
  {
    key: 'adjectives',
    personaPaths: ['traits'],
    read: (v) =>
      Array.isArray(v)
        ? { persona: { traits: [...new Set((v as string[]).filter((a) => a.length >= 1 && a.length <= 50))].slice(0, 100).map((a) => ({ name: a, category: 'personality', value: true })) } }
        : {},
    write: (p) => ((p.traits as Json[] | undefined) ?? []).filter((t) => t.value === true).map((t) => t.name),
  },
  {
    key: 'topics',
    personaPaths: ['knowledgeDomains'],
    read: (v) =>
      Array.isArray(v)
        ? {
            persona: {
              knowledgeDomains: [...new Set((v as string[]).filter((t) => t.length >= 1 && t.length <= 100))]
                .slice(0, 50)
                .map((t) => ({ name: t, expertiseLevel: 5, topics: [t], activationKeywords: [t] })),
            },
          }
        : {},
    write: (p) => ((p.knowledgeDomains as Json[] | undefined) ?? []).map((d) => d.name),
  },
  {
    key: 'style',
    personaPaths: ['behaviorRules'],
    isExtra: (x) => isObject(x) && Array.isArray(x.kinds) && x.kinds.every((k) => typeof k === 'string') && isObject(x.rest),
    read: (v) => {
      if (!isObject(v)) return {};
      const kinds = Object.keys(STYLE_CONDITIONS).filter((k) => k in v);
      const rest = Object.fromEntries(Object.entries(v).filter(([k]) => !(k in STYLE_CONDITIONS)));
      return { persona: { behaviorRules: styleRules(v) }, extra: { kinds, rest } };
    },
    write: (p, extra) => {
      const x = extra as { kinds: string[]; rest: Json } | undefined;
      const rules = (p.behaviorRules as Json[] | undefined) ?? [];
      if (!rules.length && !x) return undefined;
      const style: Json = clone(x?.rest ?? {});
      for (const kind of Object.keys(STYLE_CONDITIONS)) {
        const lines = rules.filter((r) => String(r.name).startsWith(`style-${kind}-`)).map((r) => r.action);
        if (kind === 'all') lines.push(...rules.filter((r) => !/^style-(all|chat|post)-/.test(String(r.name))).map((r) => `When ${r.condition}: ${r.action}`));
        if (lines.length || x?.kinds.includes(kind) || (!x && kind !== 'post')) style[kind] = lines;
      }
      return style;
    },
  },
  {
    key: 'settings.voice',
    personaPaths: ['voiceConfig'],
    read: (v) => {
      if (!isObject(v)) return {};
      const eleven = isObject(v.elevenlabs) ? v.elevenlabs : undefined;
      const voiceId = String(eleven?.voiceId ?? v.model ?? v.url ?? 'default').slice(0, 200) || 'default';
      return { persona: { voiceConfig: { provider: eleven ? 'elevenlabs' : 'eliza', voiceId } }, extra: clone(v) };
    },
    write: (p, extra) => {
      const voice = p.voiceConfig as Json | undefined;
      if (!voice) return undefined;
      const kept = isObject(extra) ? clone(extra) : {};
      if (voice.provider === 'elevenlabs') kept.elevenlabs = { ...(isObject(kept.elevenlabs) ? kept.elevenlabs : {}), voiceId: voice.voiceId };
      else kept.model = voice.voiceId;
      return kept;
    },
  },
  {
    key: 'settings.model',
    personaPaths: ['modelPreferences'],
    read: (v) => (typeof v === 'string' && v.length >= 1 && v.length <= 100 ? { persona: { modelPreferences: [v] } } : {}),
    write: (p) => ((p.modelPreferences as string[] | undefined) ?? [])[0],
  },
];

/** A minimal Eliza character of the current schema, the base of an export that has no imported character to start from. */
export function elizaSkeleton(): Json {
  // The current schema (elizaOS 1.x `validateCharacter`): no v0-only field (`lore`, `clients`,
  // `modelProvider`), which its strict schema refuses; a v0 source keeps its own in the record.
  return { name: '', bio: [], messageExamples: [], postExamples: [], topics: [], adjectives: [], style: { all: [], chat: [], post: [] }, plugins: [], settings: {} };
}
