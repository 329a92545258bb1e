import { InteractionMode, ResponseStyleType } from '../../enums';
import { BehaviorRule } from '../../models/behavior-rule.entity';
import { KnowledgeDomain } from '../../models/knowledge-domain.entity';
import { MemoryConfiguration } from '../../models/memory-configuration.embedded';
import { PersonaTrait } from '../../models/persona-trait.entity';
import { ResponseStyle } from '../../models/response-style.embedded';

/*
 * How each part of a persona becomes words: one function per line or block of the prompt. Which
 * lines there are, in what order, and which of them a budget drops is items.ts and fitting.ts.
 */

/** Words for a 0–10 or 0–100 level: the first step whose threshold the level reaches, else `otherwise`. */
type Scale = { steps: readonly (readonly [number, string])[]; otherwise: string };

function wordsFor(scale: Scale, level: number): string {
  for (const [threshold, words] of scale.steps) if (level >= threshold) return words;
  return scale.otherwise;
}

const TRAIT_GRADES: Scale = {
  steps: [[90, 'exceptionally high'], [75, 'very high'], [60, 'high'], [40, 'moderate'], [25, 'low'], [10, 'very low']],
  otherwise: 'minimal',
};
const FORMALITY: Scale = {
  steps: [[9, 'very formal; no slang, no contractions'], [7, 'formal'], [5, 'neutral, professional but approachable'], [3, 'informal']],
  otherwise: 'very informal',
};
const VERBOSITY: Scale = {
  steps: [[9, 'exhaustive answers covering every detail'], [7, 'thorough answers with explanation and examples'], [5, 'balanced answers: complete, without padding'], [3, 'concise answers']],
  otherwise: 'the shortest answer that is correct',
};

/** A numeric trait value (0–100) in words: ≥ 90 exceptionally high, ≥ 75 very high, … else minimal. */
export function gradeTrait(value: number): string {
  return wordsFor(TRAIT_GRADES, value);
}

const STYLE_WORDS: Record<ResponseStyleType, string> = {
  formal: 'Write formally and professionally.',
  casual: 'Write in a relaxed, conversational way.',
  technical: 'Write precisely, with correct technical terms and concrete details.',
  creative: 'Write imaginatively, with vivid language.',
  educational: 'Teach: explain step by step and check understanding.',
  empathetic: 'Acknowledge feelings first, then help, with warmth.',
};

const MODE_WORDS: Record<InteractionMode, string> = {
  conversational: 'Converse naturally: respond to what the user says and keep the exchange flowing.',
  task_oriented: 'Focus on getting the user’s task done: clarify the goal, then act, then confirm.',
  analytical: 'Analyse: break problems down, reason step by step and state your assumptions.',
  creative: 'Collaborate creatively: offer ideas, variations and surprises.',
  advisory: 'Advise: weigh the options and recommend one, with its trade-offs.',
};

/** The heading of each section that has one (identity starts with the persona's name instead). */
export const HEADINGS = {
  traits: '## Personality',
  responseStyle: '## How to respond',
  knowledge: '## Knowledge',
  rules: '## Rules',
  activatedKnowledge: '## Knowledge for this conversation',
} as const;

/** A name with `-` and `_` runs as spaces (`uses_emoji` → "uses emoji"). */
function humanise(name: string): string {
  return name.replace(/[-_]+/g, ' ');
}

/** Ends a sentence with a period unless it already ends with one (the author's text is never altered). */
function sentence(text: string): string {
  const last = text.trimEnd().slice(-1);
  return last === '.' || last === '!' || last === '?' || last === '…' ? text : `${text}.`;
}

/** `- analytical: exceptionally high (90/100) — description`. */
export function traitLine(t: PersonaTrait): string {
  const value = typeof t.value === 'number' ? `${gradeTrait(t.value)} (${t.value}/100)` : typeof t.value === 'boolean' ? (t.value ? 'yes' : 'no') : t.value;
  return `- ${humanise(t.name)}: ${value}${t.description ? ` — ${t.description}` : ''}`;
}

/** The response style's lines: its type with the tone, formality, length; each droppable on its own. */
export function styleLines(style: ResponseStyle): { type: string; formalityLevel: string; verbosity: string } {
  return {
    type: `- ${STYLE_WORDS[style.type]} Tone: ${style.tone}.`,
    formalityLevel: `- Formality ${style.formalityLevel}/10: ${wordsFor(FORMALITY, style.formalityLevel)}.`,
    verbosity: `- Length ${style.verbosity}/10: ${wordsFor(VERBOSITY, style.verbosity)}.`,
  };
}

/** `- Formatting: key: value; …` sorted by key, or undefined without preferences. */
export function formattingLine(preferences: ResponseStyle['formattingPreferences']): string | undefined {
  const keys = Object.keys(preferences).sort();
  if (!keys.length) return undefined;
  const words = keys.map((k) => {
    const v = preferences[k];
    return `${humanise(k)}: ${v === true ? 'yes' : v === false ? 'no' : String(v)}`;
  });
  return `- Formatting: ${words.join('; ')}.`;
}

/** The interaction mode's heading and instruction, one block. */
export function modeBlock(mode: InteractionMode): string {
  return `## Interaction mode\n${MODE_WORDS[mode]}`;
}

/** `### name (expertise n/10)` with its topics and tools (its knowledge text is an item of its own). */
export function domainLine(d: KnowledgeDomain): string {
  const tools = d.tools.length ? ` Tools: ${d.tools.join(', ')}.` : '';
  return `### ${d.name} (expertise ${d.expertiseLevel}/10)\nTopics: ${d.topics.join(', ')}.${tools}`;
}

/** `- [Always] When <condition>: <action>. (Except: <exceptions>.)`. */
export function ruleLine(r: BehaviorRule): string {
  const exceptions = r.exceptions.length ? ` (Except: ${sentence(r.exceptions.join('; '))})` : '';
  return `- ${r.isMandatory ? '[Always] ' : ''}When ${r.condition}: ${sentence(r.action)}${exceptions}`;
}

/** The memory guidance, heading included: what to keep verbatim, when to summarise, what to track, how to compress. */
export function memoryBlock(memory: MemoryConfiguration): string {
  const lines = [
    '## Memory',
    `Keep the last ${memory.retainLastMessages} messages word for word; summarise older turns once the conversation passes ${memory.summarizeAtTokens.toLocaleString('en-US')} tokens.`,
  ];
  if (memory.priorityTopics.length) lines.push(`Always keep track of: ${memory.priorityTopics.join(', ')}.`);
  if (memory.semanticCompression) lines.push(`Compress older context by meaning to about ${Math.round(memory.compressionRatio * 100)}% of its length.`);
  return lines.join('\n');
}
