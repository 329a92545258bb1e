import { checkName, isObject } from './checks';
import { PersonaValidationError } from '../errors';
import { clone, Json, ReadContext } from './codec';
import { FidelityEntry } from './report';

/**
 * Letta agent files (`.af`), import only and lossy by design: an agent is far more than a
 * persona (its messages, tool code, embeddings, files). Two shapes exist: the current one, a
 * document with `agents` (each naming its `block_ids` and `tool_ids`) beside shared `blocks` and
 * `tools`; and the older one, a single agent at the root with its `core_memory` blocks and its
 * `tools` inline. Some files hold the whole document as a JSON string (JSON inside JSON).
 */

/** True when a document has the marks of a Letta agent file (either shape). */
export function looksLikeLetta(doc: Json): boolean {
  if (Array.isArray(doc.agents) && ('blocks' in doc || 'tools' in doc || doc.agents.some((a) => isObject(a) && ('llm_config' in a || 'block_ids' in a || 'agent_type' in a)))) return true;
  return Array.isArray(doc.core_memory) && ('llm_config' in doc || 'agent_type' in doc);
}

/** One agent of a file, with the blocks and tools it uses, and where it sits in the file. */
export type LettaAgent = { agent: Json; blocks: Json[]; tools: Json[]; at: string; blockAt: (i: number) => string };

/** Rule-like memory blocks become behavior rules (when short enough); every other block is knowledge. */
const RULE_LABEL = /rule|guardrail|policy|policies|guideline|instruction|directive/i;
const MAX_DOMAINS = 50;

/**
 * Limits of one Letta file, checked before any agent is built (refused with the path and the
 * rule `arrayMaxSize`): agents in the file, shared blocks and tools, and the ids (or inline
 * blocks and tools) one agent names. Repeated ids of one agent count once. With them, the work
 * and memory of an import are linear in the size of the file: no agent can name one block
 * thousands of times, and no file can make hundreds of personas.
 */
export const LETTA_LIMITS = { agents: 50, blocks: 1000, tools: 1000, blocksPerAgent: 500, toolsPerAgent: 500 } as const;
/** All the records of one file's agents together hold at most this many bytes of JSON (4 MiB); agents past it keep no record (a warning says so). */
export const LETTA_RECORDS_MAX_BYTES = 4 * 1024 * 1024;

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Checks the parts the import reads (strict: an issue per problem, at its path in the file) and lists the agents. */
export function lettaAgents(doc: Json, ctx: ReadContext): LettaAgent[] {
  const issue = (path: string, constraint: string, message: string) => ctx.issues.push({ path, constraint, message: `${path} ${message}` });
  const checkBlocks = (blocks: unknown[], at: string) =>
    blocks.forEach((b, i) => {
      if (!isObject(b)) return issue(`${at}[${i}]`, 'isObject', 'must be an object');
      if (typeof b.label !== 'string' || !b.label.trim()) issue(`${at}[${i}].label`, 'isNotEmpty', 'must be a non-empty string');
      if (b.value !== undefined && b.value !== null && typeof b.value !== 'string') issue(`${at}[${i}].value`, 'isString', 'must be a string');
    });
  const checkTools = (tools: unknown[], at: string) =>
    tools.forEach((t, i) => {
      if (isObject(t) && t.name !== undefined && typeof t.name !== 'string') issue(`${at}[${i}].name`, 'isString', 'must be a string');
    });
  const named = (agent: Json, at: string) => {
    if (ctx.lenient && (typeof agent.name !== 'string' || !agent.name.trim())) {
      agent.name = 'Letta agent';
      ctx.warnings.push(`repaired ${at ? `${at}.` : ''}name: missing, named "Letta agent"`);
    }
    checkName(ctx, agent, 'name', at ? `${at}.name` : 'name');
  };

  const tooMany = (path: string, items: unknown[] | number, max: number, what: string) => {
    const count = typeof items === 'number' ? items : items.length;
    if (count > max) throw new PersonaValidationError([{ path, constraint: 'arrayMaxSize', message: `${path} holds ${count} ${what}: a Letta file is read with at most ${max}` }], 'letta-af');
  };
  if (!Array.isArray(doc.agents)) {
    tooMany('core_memory', list(doc.core_memory), LETTA_LIMITS.blocksPerAgent, 'blocks');
    tooMany('tools', list(doc.tools), LETTA_LIMITS.toolsPerAgent, 'tools');
  } else {
    tooMany('agents', doc.agents, LETTA_LIMITS.agents, 'agents');
    tooMany('blocks', list(doc.blocks), LETTA_LIMITS.blocks, 'blocks');
    tooMany('tools', list(doc.tools), LETTA_LIMITS.tools, 'tools');
    doc.agents.forEach((agent: unknown, n: number) => {
      if (!isObject(agent)) return;
      const at = `agents[${n}]`;
      // Distinct ids (and inline entries) count: a file may repeat an id, never to multiply the work.
      const distinct = (value: unknown) => new Set(list(value).map((x) => (typeof x === 'string' ? x : {}))).size;
      tooMany(`${at}.block_ids`, list(agent.memory_blocks).length + distinct(agent.block_ids), LETTA_LIMITS.blocksPerAgent, 'blocks (memory_blocks and distinct block_ids)');
      tooMany(`${at}.tool_ids`, list(agent.tools).length + distinct(agent.tool_ids), LETTA_LIMITS.toolsPerAgent, 'tools (tools and distinct tool_ids)');
    });
  }
  if (!Array.isArray(doc.agents)) {
    // The older shape: one agent at the root.
    named(doc, '');
    if (doc.core_memory !== undefined && !Array.isArray(doc.core_memory)) issue('core_memory', 'isArray', 'must be a list');
    if (doc.tools !== undefined && !Array.isArray(doc.tools)) issue('tools', 'isArray', 'must be a list');
    checkBlocks(list(doc.core_memory), 'core_memory');
    checkTools(list(doc.tools), 'tools');
    return [{ agent: doc, blocks: list(doc.core_memory).filter(isObject), tools: list(doc.tools).filter(isObject), at: '', blockAt: (i) => `core_memory[${i}]` }];
  }
  for (const key of ['blocks', 'tools'] as const) if (doc[key] !== undefined && doc[key] !== null && !Array.isArray(doc[key])) issue(key, 'isArray', 'must be a list');
  checkBlocks(list(doc.blocks), 'blocks');
  checkTools(list(doc.tools), 'tools');
  if (!doc.agents.length) issue('agents', 'arrayNotEmpty', 'must hold at least one agent');
  const blocks = list(doc.blocks);
  const tools = list(doc.tools);
  const byId = (items: unknown[]) => new Map(items.map((x, i) => [isObject(x) && typeof x.id === 'string' ? x.id : `#${i}`, i]));
  const blockIndex = byId(blocks);
  const toolIndex = byId(tools);
  return doc.agents.flatMap((agent: unknown, n: number): LettaAgent[] => {
    const at = `agents[${n}]`;
    if (!isObject(agent)) {
      issue(at, 'isObject', 'must be an object');
      return [];
    }
    named(agent, at);
    checkBlocks(list(agent.memory_blocks), `${at}.memory_blocks`);
    const used: { block: Json; at: string }[] = list(agent.memory_blocks).flatMap((b, i) => (isObject(b) ? [{ block: b, at: `${at}.memory_blocks[${i}]` }] : []));
    // An id named again is the same block (or tool): used once, and said once.
    const seenBlocks = new Set<number>();
    const seenIds = new Set<string>();
    let repeated = 0;
    list(agent.block_ids).forEach((id, i) => {
      if (typeof id === 'string') {
        if (seenIds.has(id)) return void repeated++;
        seenIds.add(id);
      }
      const index = typeof id === 'string' ? blockIndex.get(id) : undefined;
      if (index === undefined) return void issue(`${at}.block_ids[${i}]`, 'blockExists', 'names no block of the file');
      if (seenBlocks.has(index)) return void repeated++;
      seenBlocks.add(index);
      if (isObject(blocks[index])) used.push({ block: blocks[index] as Json, at: `blocks[${index}]` });
    });
    if (repeated) ctx.warnings.push(`${at}.block_ids: ${repeated} repeated id${repeated === 1 ? '' : 's'} read once`);
    const usedTools: Json[] = list(agent.tools).filter(isObject);
    const seenTools = new Set<number>();
    const seenToolIds = new Set<string>();
    list(agent.tool_ids).forEach((id, i) => {
      if (typeof id === 'string') {
        if (seenToolIds.has(id)) return;
        seenToolIds.add(id);
      }
      const index = typeof id === 'string' ? toolIndex.get(id) : undefined;
      if (index === undefined) return void issue(`${at}.tool_ids[${i}]`, 'toolExists', 'names no tool of the file');
      if (seenTools.has(index)) return;
      seenTools.add(index);
      if (isObject(tools[index])) usedTools.push(tools[index] as Json);
    });
    // Tools listed by name only (a string) are kept by name too.
    for (const t of list(agent.tools)) if (typeof t === 'string') usedTools.push({ name: t });
    return [{ agent, blocks: used.map((u) => u.block), tools: usedTools, at, blockAt: (i) => used[i]?.at ?? `${at}.block_ids[${i}]` }];
  });
}

/** What one agent gives: the persona fragment, the warnings for what was left behind, and the report. */
export function readLettaAgent(item: LettaAgent, ctx: ReadContext): { fragment: Json; report: FidelityEntry[] } {
  const { agent, blocks, tools, at } = item;
  const path = (key: string) => (at ? `${at}.${key}` : key);
  const report: FidelityEntry[] = [];
  const fragment: Json = { name: String(agent.name).trim().slice(0, 100) };
  report.push({ field: path('name'), status: String(agent.name).trim().length > 100 ? 'approximated' : 'mapped', persona: 'name' });
  if (typeof agent.system === 'string' && agent.system) {
    fragment.instructions = agent.system.slice(0, 100_000);
    report.push({ field: path('system'), status: agent.system.length > 100_000 ? 'approximated' : 'mapped', persona: 'instructions' });
  }

  const domains: Json[] = [];
  const rules: Json[] = [];
  const names = new Set<string>();
  const unique = (base: string) => {
    let name = base.slice(0, 90) || 'block';
    for (let n = 2; names.has(name); n++) name = `${base.slice(0, 90)} (${n})`;
    names.add(name);
    return name;
  };
  let persona: string | undefined;
  // Blocks past the knowledge domains are said once, with a count and the first of them.
  const past: string[] = [];
  blocks.forEach((block, i) => {
    const field = item.blockAt(i);
    const label = String(block.label ?? '').trim();
    const value = typeof block.value === 'string' ? block.value.trim() : '';
    if (label === 'persona' && persona === undefined) {
      persona = value;
      if (value.length > 10_000) ctx.warnings.push(`${field}: the persona block is ${value.length} characters; the description keeps the first 10,000 (the whole block is kept in the record)`);
      report.push({ field, status: value.length > 10_000 ? 'approximated' : 'mapped', persona: 'description' });
      return;
    }
    if (RULE_LABEL.test(label) && value.length >= 1 && value.length <= 2000 && rules.length < 200) {
      rules.push({ name: unique(label), condition: 'always', action: value, priority: 50, isMandatory: block.read_only === true });
      report.push({ field, status: 'mapped', persona: `behaviorRules#${label}`, note: 'an always-active rule' });
      return;
    }
    if (domains.length >= MAX_DOMAINS - 1) {
      past.push(field);
      report.push({ field, status: 'kept', note: `past the ${MAX_DOMAINS} knowledge domains` });
      return;
    }
    if (value.length > 10_000) ctx.warnings.push(`${field}: block "${label}" is ${value.length} characters; the knowledge keeps the first 10,000`);
    const name = unique(label || `block ${i + 1}`);
    domains.push({ name, expertiseLevel: 5, topics: [name.slice(0, 100)], activationKeywords: [], description: value.slice(0, 10_000) });
    report.push({ field, status: value.length > 10_000 ? 'approximated' : 'mapped', persona: `knowledgeDomains#${name}`, note: 'always-active knowledge' });
  });
  if (past.length) {
    const first = past.slice(0, 3).join(', ');
    ctx.warnings.push(`left behind ${past.length} block${past.length === 1 ? '' : 's'} (${first}${past.length > 3 ? ', …' : ''}): past the ${MAX_DOMAINS} knowledge domains of a persona (kept in the record)`);
  }
  const description = persona ?? (typeof agent.description === 'string' ? agent.description.trim() : '');
  if (description) fragment.description = description.slice(0, 10_000);
  if (typeof agent.description === 'string' && agent.description) {
    report.push(persona === undefined ? { field: path('description'), status: 'mapped', persona: 'description' } : { field: path('description'), status: 'kept', note: 'the persona block is the description' });
  }

  const toolNames = [...new Set(tools.map((t) => (typeof t.name === 'string' ? t.name.trim() : '')).filter((n) => n.length >= 1 && n.length <= 100))];
  if (toolNames.length) {
    domains.push({ name: unique('tools'), expertiseLevel: 5, topics: ['tools'], tools: toolNames.slice(0, 50), activationKeywords: [], description: '' });
    report.push({ field: path(Array.isArray(agent.tool_ids) ? 'tool_ids' : 'tools'), status: 'approximated', persona: 'knowledgeDomains#tools.tools', note: 'tools by name; their code and schemas are left behind' });
    ctx.warnings.push(`left behind the code, schemas and settings of ${tools.length} tool${tools.length === 1 ? '' : 's'}: the persona keeps ${Math.min(toolNames.length, 50)} tool name${toolNames.length === 1 ? '' : 's'}`);
    if (toolNames.length > 50) ctx.warnings.push(`left behind ${toolNames.length - 50} tool names past the 50 a knowledge domain holds`);
  }
  if (domains.length) fragment.knowledgeDomains = domains;
  if (rules.length) fragment.behaviorRules = rules;

  const llm = isObject(agent.llm_config) ? agent.llm_config : undefined;
  if (llm) {
    const model = typeof llm.handle === 'string' && llm.handle ? llm.handle : typeof llm.model === 'string' ? llm.model : '';
    if (model.length >= 1 && model.length <= 100) fragment.modelPreferences = [model];
    if (typeof llm.temperature === 'number' && llm.temperature >= 0 && llm.temperature <= 2) fragment.temperature = llm.temperature;
    if (Number.isInteger(llm.max_tokens) && (llm.max_tokens as number) >= 1 && (llm.max_tokens as number) <= 1_000_000) fragment.maxTokens = llm.max_tokens;
    const window = llm.context_window;
    if (Number.isInteger(window) && (window as number) >= 256 && (window as number) <= 2_000_000) {
      fragment.memoryConfig = { maxContextTokens: window, summarizeAtTokens: Math.max(1, Math.floor((window as number) * 0.75)) };
    }
    report.push({ field: path('llm_config'), status: 'approximated', persona: 'modelPreferences, temperature, maxTokens, memoryConfig', note: 'model, temperature, max_tokens and context_window; the endpoint and provider settings are left behind' });
  }
  if (Array.isArray(agent.tags)) {
    const tags = [...new Set(agent.tags.filter((t): t is string => typeof t === 'string' && t.length >= 1 && t.length <= 50))].slice(0, 20);
    if (tags.length) fragment.tags = tags;
    if (agent.tags.length) report.push({ field: path('tags'), status: tags.length === agent.tags.length ? 'mapped' : 'approximated', persona: 'tags' });
  }

  const leftBehind: [string, string][] = [
    ['messages', 'messages'],
    ['in_context_message_ids', 'in-context message ids'],
    ['tool_rules', 'tool rules'],
    ['embedding_config', 'embedding settings'],
    ['files_agents', 'open files'],
    ['source_ids', 'data sources'],
    ['group_ids', 'groups'],
    ['multi_agent_group', 'group'],
    ['initial_message_sequence', 'initial messages'],
  ];
  for (const [key, what] of leftBehind) {
    const value = agent[key];
    if (value === undefined || value === null || (Array.isArray(value) && !value.length) || (isObject(value) && !Object.keys(value).length)) continue;
    const count = Array.isArray(value) ? `${value.length} ` : '';
    ctx.warnings.push(`left behind ${path(key)}: ${count}${what} (a persona has no place for them; kept in the record)`);
    report.push({ field: path(key), status: 'dropped', note: `${count}${what}: kept in the record, not used` });
  }
  return { fragment, report };
}

/** Bytes of JSON of `value`, each object measured once per file (blocks shared by agents too). */
export type SizeCache = WeakMap<object, number>;
function sizeOfPart(value: Json, cache: SizeCache): number {
  let size = cache.get(value);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify(value));
    cache.set(value, size);
  }
  return size;
}
const listSize = (items: Json[], cache: SizeCache) => 2 + Math.max(0, items.length - 1) + items.reduce((n, x) => n + sizeOfPart(x, cache), 0);

/**
 * The parts of the file one agent's record keeps: the agent, its blocks and tools (messages
 * dropped first when it is too big). Sizes are measured before anything is copied, each block
 * once per file, so a record that cannot fit in `maxBytes` (of the record's remainder) is never built.
 */
export function lettaRemainder(item: LettaAgent, maxBytes: number, ctx: ReadContext, cache: SizeCache = new WeakMap()): Json | undefined {
  // `{"agent":…,"blocks":…,"tools":…}`
  const parts = 30 + listSize(item.blocks, cache) + listSize(item.tools, cache);
  if (parts + sizeOfPart(item.agent, cache) <= maxBytes) return clone({ agent: item.agent, blocks: item.blocks, tools: item.tools });
  const { messages: _m, ...agent } = item.agent;
  if (parts + sizeOfPart(agent, cache) <= maxBytes) {
    ctx.warnings.push(`the record of ${item.at || 'the agent'} keeps no messages: with them it is over the ${maxBytes} bytes it may hold`);
    return clone({ agent, blocks: item.blocks, tools: item.tools });
  }
  ctx.warnings.push(`${item.at || 'the agent'} is kept in no record: even without its messages it is over the ${maxBytes} bytes it may hold`);
  return undefined;
}
