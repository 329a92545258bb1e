import fc from 'fast-check';
import { importPersona, importPersonas, PersonaValidationError } from '../../src';
import { clone } from '../../src/interop/codec';
import { LETTA_LIMITS, LETTA_RECORDS_MAX_BYTES } from '../../src/interop/letta';
import { refusal } from '../support/validation';

type Doc = Record<string, any>;

function agentFile(agents: Doc[], blocks: Doc[] = [], tools: Doc[] = []): Doc {
  return { agents, blocks, tools };
}

describe('Letta agent files: limits and amplification', () => {
  it('reads a block named many times by one agent once: one domain, one warning, no blow-up', async () => {
    const doc = agentFile([{ name: 'A', agent_type: 'x', block_ids: Array(200_000).fill('b') }], [{ id: 'b', label: 'knowledge', value: 'x'.repeat(9000) }]);
    const started = Date.now();
    const { persona, warnings } = await importPersona(doc);
    // Generous bound: the unfixed import took 5 s at 50,000 ids and threw a RangeError at 200,000.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(persona.knowledgeDomains).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('repeated'))).toEqual(['agents[0].block_ids: 199999 repeated ids read once']);
    expect((persona.interop as Doc).remainder.blocks).toHaveLength(1);
  });

  it('names a missing id once however often it is repeated (strict issues and lenient alike)', async () => {
    const doc = agentFile([{ name: 'A', block_ids: Array(100_000).fill('missing'), tool_ids: Array(100_000).fill('gone') }]);
    const error = await refusal(importPersona(doc));
    expect(error.issues.filter((i) => i.constraint === 'blockExists' || i.constraint === 'toolExists').map((i) => i.path)).toEqual(['agents[0].block_ids[0]', 'agents[0].tool_ids[0]']);
  });

  it('says the blocks past the knowledge domains in one warning with a count', async () => {
    const blocks = Array.from({ length: 300 }, (_, i) => ({ id: `b${i}`, label: `topic ${i}`, value: 'text' }));
    const { persona, warnings } = await importPersona(agentFile([{ name: 'A', block_ids: blocks.map((b) => b.id) }], blocks));
    expect(persona.knowledgeDomains).toHaveLength(49);
    const past = warnings.filter((w) => w.includes('past the 50 knowledge domains'));
    expect(past).toHaveLength(1);
    expect(past[0]).toMatch(/^left behind 251 blocks \(blocks\[49\], blocks\[50\], blocks\[51\], …\)/);
  });

  it.each([
    ['agents', () => agentFile(Array.from({ length: LETTA_LIMITS.agents + 1 }, (_, i) => ({ name: `A${i}`, agent_type: 'x' })))],
    ['blocks', () => agentFile([{ name: 'A' }], Array.from({ length: LETTA_LIMITS.blocks + 1 }, (_, i) => ({ id: `b${i}`, label: 'k' })))],
    ['tools', () => agentFile([{ name: 'A' }], [], Array.from({ length: LETTA_LIMITS.tools + 1 }, (_, i) => ({ id: `t${i}`, name: 't' })))],
    ['agents[0].block_ids', () => agentFile([{ name: 'A', block_ids: Array.from({ length: LETTA_LIMITS.blocksPerAgent + 1 }, (_, i) => `b${i}`) }])],
    ['agents[0].tool_ids', () => agentFile([{ name: 'A', tool_ids: Array.from({ length: LETTA_LIMITS.toolsPerAgent + 1 }, (_, i) => `t${i}`) }])],
    ['core_memory', () => ({ name: 'A', agent_type: 'x', core_memory: Array.from({ length: LETTA_LIMITS.blocksPerAgent + 1 }, () => ({ label: 'k', value: 'v' })) })],
  ])('refuses a file over the limit at %s with arrayMaxSize, before building any agent', async (path, make) => {
    const error = await refusal(importPersonas(make()));
    expect(error.issues).toEqual([expect.objectContaining({ path, constraint: 'arrayMaxSize' })]);
  });

  it('importPersona refuses a file of several agents with onePersona (importPersonas reads them all)', async () => {
    const doc = agentFile(Array.from({ length: 3 }, (_, i) => ({ name: `A${i}`, agent_type: 'x' })));
    const error = await refusal(importPersona(doc));
    expect(error.issues[0]).toMatchObject({ path: '', constraint: 'onePersona' });
    await expect(importPersonas(doc)).resolves.toHaveLength(3);
    await expect(refusal(importPersona([{ name: 'a', bio: ['b'] }, { name: 'c', bio: ['d'] }]))).resolves.toMatchObject({ issues: [{ constraint: 'onePersona' }] });
  });

  it('keeps the records of one file within one budget: agents sharing a large block stop getting records once it is spent', async () => {
    const big = { id: 'b', label: 'knowledge', value: 'y'.repeat(900_000) };
    const doc = agentFile(Array.from({ length: 8 }, (_, i) => ({ name: `A${i}`, agent_type: 'x', block_ids: ['b'] })), [big]);
    const results = await importPersonas(doc);
    const kept = results.filter((r) => r.persona.interop);
    expect(kept.length).toBeLessThanOrEqual(Math.floor(LETTA_RECORDS_MAX_BYTES / 900_000));
    expect(kept.length).toBeGreaterThan(0);
    expect(results.filter((r) => !r.persona.interop).every((r) => r.warnings.some((w) => w.includes('kept in no record')))).toBe(true);
  });

  it('property: any repetition of ids gives the same persona as the distinct ids', async () => {
    const blocks = Array.from({ length: 5 }, (_, i) => ({ id: `b${i}`, label: `topic ${i}`, value: `v${i}` }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 60 }), async (picks) => {
        const ids = picks.map((i) => `b${i}`);
        const once = [...new Set(ids)];
        const a = await importPersona(agentFile([{ name: 'A', block_ids: ids }], blocks));
        const b = await importPersona(agentFile([{ name: 'A', block_ids: once }], blocks));
        expect(a.persona.knowledgeDomains).toEqual(b.persona.knowledgeDomains);
        expect(a.warnings.length).toBeLessThanOrEqual(b.warnings.length + 1);
      }),
      { numRuns: 40 },
    );
  });
});

describe('clone', () => {
  it('refuses a value whose JSON is longer than a string can be with a typed error, not a RangeError', () => {
    const chunk = 'z'.repeat(1 << 24); // 16 MiB, shared: the JSON is 40 times it
    expect(() => clone(Array(40).fill(chunk))).toThrow(PersonaValidationError);
  });
});
