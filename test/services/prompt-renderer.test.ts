import fc from 'fast-check';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import {
  BudgetExceededError,
  isDomainActive,
  KnowledgeDomain,
  mentions,
  o200kTokenCounter,
  PersonaConfiguration,
  renderSystemPrompt,
  STARTER_TEMPLATES,
} from '../../src';
import { fixture } from '../fixtures';
import { personaArb } from '../fixtures/arbitraries';

const GOLDEN = join(__dirname, '..', 'fixtures', 'prompts');
const update = process.env.UPDATE_GOLDEN === '1';

/** The persona a starter template makes with no customizations. */
function starterPersona(slug: string): PersonaConfiguration {
  const template = STARTER_TEMPLATES.find((t) => t.slug === slug)!;
  return PersonaConfiguration.create({ ...JSON.parse(JSON.stringify(template.baseConfiguration)), name: template.name, slug, createdBy: 'golden' });
}

const contexts: Record<string, string> = {
  'technical-assistant': 'Our Helm chart fails on upgrade and the Postgres index is slow.',
  'customer-support': 'I was charged twice on my last invoice and want a refund.',
  tutor: 'Can you help me with this derivative? I keep getting it wrong.',
  'creative-writer': 'Write a haiku about autumn rain.',
  'data-analyst': 'Is this regression coefficient significant?',
};

describe('renderSystemPrompt', () => {
  describe('golden files (test/fixtures/prompts/; UPDATE_GOLDEN=1 rewrites them)', () => {
    it.each(Object.keys(contexts))('pins the prompt of the %s starter persona', (slug) => {
      const rendered = renderSystemPrompt(starterPersona(slug), { context: contexts[slug] });
      const { text, ...rest } = rendered;
      const textFile = join(GOLDEN, `${slug}.txt`);
      const metaFile = join(GOLDEN, `${slug}.json`);
      if (update || !existsSync(textFile)) {
        writeFileSync(textFile, `${text}\n`);
        writeFileSync(metaFile, `${JSON.stringify(rest, null, 2)}\n`);
      }
      expect(`${text}\n`).toBe(readFileSync(textFile, 'utf8'));
      expect(JSON.parse(JSON.stringify(rest))).toEqual(JSON.parse(readFileSync(metaFile, 'utf8')));
      expect(rendered.tokens).toBe(o200kTokenCounter(text));
    });

    it('is deterministic for the same input', () => {
      const p = starterPersona('technical-assistant');
      expect(renderSystemPrompt(p, { context: 'helm' })).toEqual(renderSystemPrompt(p, { context: 'helm' }));
    });
  });

  describe('content and order', () => {
    const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));
    const { text, sections, model, temperature, maxTokens } = renderSystemPrompt(persona, { context: 'kubernetes' });

    it('keeps the fixed order: identity, traits, style, mode, knowledge, rules, memory, then the knowledge the context activated', () => {
      expect(sections.map((s) => s.name)).toEqual(['identity', 'traits', 'responseStyle', 'interactionMode', 'knowledge', 'rules', 'memory', 'activatedKnowledge']);
      const at = (s: string) => text.indexOf(s);
      expect(at('# Technical Assistant')).toBe(0);
      expect(at('## Personality')).toBeLessThan(at('## How to respond'));
      expect(at('## Knowledge\n### general programming')).toBeLessThan(at('## Rules'));
      expect(at('## Memory')).toBeLessThan(at('## Knowledge for this conversation\n### kubernetes'));
    });

    it('turns numbers into graded words and orders traits by weight', () => {
      expect(text).toContain('- analytical: exceptionally high (90/100)');
      expect(text).toContain('- uses emoji: no');
      expect(text.indexOf('analytical')).toBeLessThan(text.indexOf('uses emoji'));
    });

    it('turns the response style into concrete instructions', () => {
      expect(text).toContain('Tone: precise.');
      expect(text).toContain('Formality 8/10: formal.');
      expect(text).toContain('Length 6/10');
      expect(text).toContain('Formatting: markdown: yes; maxBullets: 7.');
    });

    it('puts mandatory rules first, then by priority, with their exceptions', () => {
      expect(text.indexOf('[Always] When the user pastes a credential')).toBeLessThan(text.indexOf('When the answer relies on documentation'));
      expect(text).toContain('(Except: test fixtures.)');
    });

    it('never alters the author’s text (an ellipsis stays an ellipsis)', () => {
      const p = PersonaConfiguration.create({ ...fixture('personas/minimal'), behaviorRules: [{ name: 'r', condition: 'unsure', action: 'say "well..." and think', exceptions: ['e.g. tests...'] }] });
      expect(renderSystemPrompt(p).text).toContain('- When unsure: say "well..." and think. (Except: e.g. tests...)');
    });

    it('reports the model settings: first preference, temperature, response limit', () => {
      expect(model).toBe('gpt-4o');
      expect(temperature).toBe(0.3);
      expect(maxTokens).toBe(4096);
      const bare = renderSystemPrompt(PersonaConfiguration.create(fixture('personas/minimal')));
      expect(bare.model).toBeNull();
      expect(bare.maxTokens).toBeNull();
    });

    it('counts each section, and the sections add up to about the whole', () => {
      const total = renderSystemPrompt(persona).tokens;
      const sum = renderSystemPrompt(persona).sections.reduce((n, s) => n + s.tokens, 0);
      expect(Math.abs(total - sum)).toBeLessThan(total * 0.2);
    });
  });

  describe('what it remembers between renders (sorted order, lines, token counts)', () => {
    const fresh = () => PersonaConfiguration.create(fixture('personas/technical-assistant'));
    /** The same persona rendered from scratch: nothing remembered applies to a new object. */
    const fromScratch = (p: PersonaConfiguration) => renderSystemPrompt(PersonaConfiguration.create(JSON.parse(JSON.stringify(p))), { context: 'kubernetes helm' });

    it('follows a trait whose weight or name changed in place', () => {
      const p = fresh();
      renderSystemPrompt(p, { context: 'kubernetes helm' });
      const lightest = [...p.traits].sort((a, b) => a.weight - b.weight)[0];
      lightest.weight = 10;
      lightest.name = 'renamed-trait';
      const again = renderSystemPrompt(p, { context: 'kubernetes helm' });
      expect(again.text).toContain('- renamed trait:');
      expect(again.text.indexOf('renamed trait')).toBeLessThan(again.text.indexOf('- analytical'));
      expect(again).toEqual(fromScratch(p));
    });

    it('follows rules reordered, renamed or made mandatory in place', () => {
      const p = fresh();
      renderSystemPrompt(p, { context: 'kubernetes helm' });
      const last = [...p.behaviorRules].sort((a, b) => a.priority - b.priority)[0];
      last.isMandatory = true;
      last.priority = 100;
      last.name = 'a-first'; // ties with no-secrets on priority; the name decides
      p.behaviorRules.reverse();
      const again = renderSystemPrompt(p, { context: 'kubernetes helm' });
      expect(again.text).toContain(`[Always] When ${last.condition}`);
      expect(again.text.indexOf(last.condition)).toBeLessThan(again.text.indexOf('the user pastes a credential'));
      expect(again).toEqual(fromScratch(p));
    });

    it('follows a domain whose topics, tools or expertise changed in place', () => {
      const p = fresh();
      const before = renderSystemPrompt(p, { context: 'kubernetes helm' });
      const domain = p.knowledgeDomains.find((d) => before.activeDomains.includes(d.name))!;
      domain.topics.push('service meshes');
      domain.tools = ['istioctl'];
      domain.expertiseLevel = 1;
      const again = renderSystemPrompt(p, { context: 'kubernetes helm' });
      expect(again.text).toContain('service meshes.');
      expect(again.text).toContain('Tools: istioctl.');
      expect(again.text).toContain(`### ${domain.name} (expertise 1/10)`);
      expect(again).toEqual(fromScratch(p));
    });

    it('gives the same result on every call under a budget', () => {
      const p = fresh();
      const first = renderSystemPrompt(p, { tokenBudget: 300 });
      for (let i = 0; i < 5; i++) expect(renderSystemPrompt(p, { tokenBudget: 300 })).toEqual(first);
      expect(first).toEqual(renderSystemPrompt(fresh(), { tokenBudget: 300 }));
    });
  });

  describe('knowledge domain activation', () => {
    const k8s = KnowledgeDomain.create({ name: 'k8s', expertiseLevel: 8, topics: ['deployments'], activationKeywords: ['helm', 'query plan'] });
    const always = KnowledgeDomain.create({ name: 'general', expertiseLevel: 5, topics: ['everything'] });

    it('activates on a keyword as a whole word, case-insensitively, not as a substring', () => {
      expect(isDomainActive(k8s, 'How do I roll back a HELM release?')).toBe(true);
      expect(isDomainActive(k8s, 'I need a new helmet')).toBe(false);
      expect(isDomainActive(k8s, 'show me the Query   Plan')).toBe(true);
      expect(isDomainActive(k8s, 'our queryplan tool')).toBe(false);
    });

    it('activates on a topic of a keyed domain too', () => {
      expect(isDomainActive(k8s, 'blue-green deployments')).toBe(true);
    });

    it('keeps a domain without keywords always active, and with no context shows only those', () => {
      expect(isDomainActive(always, undefined)).toBe(true);
      expect(isDomainActive(k8s, undefined)).toBe(false);
      const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), knowledgeDomains: [toPlainDomain(k8s), toPlainDomain(always)] });
      expect(renderSystemPrompt(persona).activeDomains).toEqual(['general']);
      expect(renderSystemPrompt(persona, { context: 'helm' }).activeDomains).toEqual(['k8s', 'general']);
      expect(renderSystemPrompt(persona).dropped).toContainEqual({ kind: 'domain', name: 'k8s', reason: 'inactive: no context' });
    });

    it('brings the domain’s knowledge text in when active', () => {
      const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), knowledgeDomains: [{ ...toPlainDomain(k8s), description: 'Use helm rollback <release> <revision>.' }] });
      expect(renderSystemPrompt(persona, { context: 'helm' }).text).toContain('Use helm rollback <release> <revision>.');
      expect(renderSystemPrompt(persona, { context: 'helmet' }).text).not.toContain('helm rollback');
    });

    it('matches phrases with punctuation and non-Latin letters', () => {
      expect(mentions('I write C++ daily', 'C++')).toBe(true);
      expect(mentions('Привет, мир', 'мир')).toBe(true);
      expect(mentions('мирный', 'мир')).toBe(false);
    });
  });

  describe('stable prefix', () => {
    const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));

    it('ends the prefix where the activated knowledge begins, after a blank line', () => {
      const r = renderSystemPrompt(persona, { context: 'kubernetes' });
      const prefix = r.text.slice(0, r.stablePrefixLength);
      expect(prefix.endsWith('\n\n')).toBe(false);
      expect(r.text.slice(r.stablePrefixLength)).toMatch(/^\n\n## Knowledge for this conversation\n### kubernetes/);
      expect(prefix).toContain('### general programming');
      expect(prefix).not.toContain('### kubernetes');
    });

    it('is the whole text when the context activates nothing', () => {
      const r = renderSystemPrompt(persona, { context: 'hello' });
      expect(r.stablePrefixLength).toBe(r.text.length);
      expect(r.text).toBe(renderSystemPrompt(persona, { context: 'kubernetes' }).text.slice(0, r.stablePrefixLength));
    });

    it('is byte-identical across contexts for a version and budget when nothing is dropped (property)', () => {
      fc.assert(
        fc.property(personaArb, fc.array(fc.string({ maxLength: 60 }), { minLength: 2, maxLength: 4 }), fc.boolean(), (plain, contexts, withBudget) => {
          const p = PersonaConfiguration.create(plain);
          // Contexts made partly of the persona's own phrases, so that domains do activate.
          const phrases = p.knowledgeDomains.flatMap((d) => [...d.activationKeywords, ...d.topics]);
          const all = contexts.map((c, i) => (phrases.length ? `${c} ${phrases[(i * 7) % phrases.length]} ${c}` : c));
          const unbudgeted = all.map((context) => renderSystemPrompt(p, { context }));
          // Fitting adds the items' own counts (an estimate a little above the joined text's), so a
          // budget that holds everything is given room above the exact count.
          const budget = withBudget ? Math.max(...unbudgeted.map((r) => r.tokens)) * 2 + 100 : undefined;
          const renders = budget ? all.map((context) => renderSystemPrompt(p, { context, tokenBudget: budget })) : unbudgeted;
          const prefixes = renders.map((r) => r.text.slice(0, r.stablePrefixLength));
          for (const r of renders) {
            expect(r.dropped.filter((d) => d.reason.startsWith('budget'))).toEqual([]);
            expect(r.stablePrefixLength).toBeLessThanOrEqual(r.text.length);
            if (r.stablePrefixLength < r.text.length) expect(r.text.slice(r.stablePrefixLength)).toMatch(/^\n\n## Knowledge for this conversation\n/);
          }
          for (const prefix of prefixes) expect(prefix).toBe(prefixes[0]);
          expect(prefixes[0]).toBe(renderSystemPrompt(p).text.slice(0, renderSystemPrompt(p).stablePrefixLength));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('activations', () => {
    it('names the first of the domain’s own keywords, then topics, that the context mentions; null when always active', () => {
      const persona = PersonaConfiguration.create({
        ...fixture('personas/minimal'),
        knowledgeDomains: [
          { name: 'k8s', expertiseLevel: 8, topics: ['deployments', 'pods'], activationKeywords: ['kubernetes', 'helm'] },
          { name: 'general', expertiseLevel: 5, topics: ['everything'] },
          { name: 'db', expertiseLevel: 5, topics: ['indexes'], activationKeywords: ['postgres'] },
        ],
      });
      // "helm" comes first in the context, but "kubernetes" is the domain's first keyword.
      const r = renderSystemPrompt(persona, { context: 'helm pods on Kubernetes, and slow indexes' });
      expect(r.activations).toEqual([
        { name: 'k8s', matched: 'kubernetes' },
        { name: 'general', matched: null },
        { name: 'db', matched: 'indexes' },
      ]);
      expect(r.activeDomains).toEqual(['k8s', 'general', 'db']);
      expect(renderSystemPrompt(persona, { context: 'pods and deployments' }).activations[0]).toEqual({ name: 'k8s', matched: 'deployments' });
    });

    it('leaves out a domain dropped for the budget; it is in dropped instead', () => {
      const persona = PersonaConfiguration.create({
        ...fixture('personas/minimal'),
        knowledgeDomains: [{ name: 'k8s', expertiseLevel: 1, topics: ['deployments'], activationKeywords: ['helm'], description: 'x '.repeat(400) }],
      });
      const full = renderSystemPrompt(persona, { context: 'helm' });
      const prefixOnly = renderSystemPrompt(persona);
      expect(full.tokens).toBeGreaterThan(prefixOnly.tokens + 300);
      const r = renderSystemPrompt(persona, { context: 'helm', tokenBudget: prefixOnly.tokens + 2 });
      expect(r.activations).toEqual([]);
      expect(r.dropped.map((d) => d.kind)).toContain('domain');
      expect(r.stablePrefixLength).toBe(r.text.length);
    });
  });

  describe('token budget', () => {
    const big = PersonaConfiguration.create({
      ...fixture('personas/technical-assistant'),
      traits: Array.from({ length: 30 }, (_, i) => ({ name: `trait-${i}`, category: 'personality', value: i * 3, weight: (i % 10) + 0.5 })),
      behaviorRules: [
        { name: 'must-1', condition: 'always', action: 'be honest about uncertainty', isMandatory: true, priority: 10 },
        ...Array.from({ length: 40 }, (_, i) => ({ name: `rule-${i}`, condition: `situation ${i} arises in the conversation`, action: `respond following procedure ${i} carefully`, priority: i * 2 })),
      ],
    });

    it('never exceeds the budget and reports the exact count of the text returned', () => {
      for (const budget of [120, 200, 350, 600, 5000]) {
        const r = renderSystemPrompt(big, { tokenBudget: budget });
        expect(r.tokens).toBeLessThanOrEqual(budget);
        expect(r.tokens).toBe(o200kTokenCounter(r.text));
      }
    });

    it('drops the lowest-priority optional rules first, then low-weight traits, then domain details', () => {
      const r = renderSystemPrompt(big, { tokenBudget: 600 });
      const kinds = r.dropped.map((d) => d.kind);
      const firstTrait = kinds.indexOf('trait');
      expect(kinds.lastIndexOf('rule')).toBeLessThan(firstTrait === -1 ? Infinity : firstTrait);
      const ruleDrops = r.dropped.filter((d) => d.kind === 'rule').map((d) => Number(d.name.split('-')[1]));
      expect(ruleDrops).toEqual([...ruleDrops].sort((a, b) => a - b));
      const all = renderSystemPrompt(big, { tokenBudget: 130, context: 'kubernetes' });
      const order = all.dropped.filter((d) => d.reason.startsWith('budget')).map((d) => d.kind);
      expect(order.indexOf('trait')).toBeGreaterThan(order.lastIndexOf('rule'));
      expect(order.indexOf('domain')).toBeGreaterThan(order.lastIndexOf('trait'));
    });

    it('never drops identity or mandatory rules; throws BudgetExceededError with the tokens they need', () => {
      const r = renderSystemPrompt(big, { tokenBudget: 100 });
      expect(r.text).toContain('# Technical Assistant');
      expect(r.text).toContain('[Always] When always: be honest about uncertainty.');
      const error = (() => {
        try {
          renderSystemPrompt(big, { tokenBudget: 20 });
        } catch (e) {
          return e as BudgetExceededError;
        }
      })();
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', tokenBudget: 20 });
      expect(error!.requiredTokens).toBeGreaterThan(20);
      expect(renderSystemPrompt(big, { tokenBudget: error!.requiredTokens }).tokens).toBeLessThanOrEqual(error!.requiredTokens);
    });

    it('uses an injected counter', () => {
      const r = renderSystemPrompt(big, { tokenBudget: 2000, counter: (t) => t.length });
      expect(r.tokens).toBe(r.text.length);
      expect(r.text.length).toBeLessThanOrEqual(2000);
    });

    it('counts incrementally: fitting never re-encodes the whole prompt at every step', () => {
      let encoded = 0;
      const counter = (t: string) => {
        encoded += t.length;
        return o200kTokenCounter(t);
      };
      const full = renderSystemPrompt(big).text.length;
      const r = renderSystemPrompt(big, { tokenBudget: 150, counter });
      expect(r.dropped.length).toBeGreaterThan(50);
      // each item once, the required core once, and a final check or two: a few times the text,
      // where re-encoding at every one of the 50+ steps would be over 25 times it.
      expect(encoded).toBeLessThan(full * 4);
    });

    it('refuses a budget that is not a positive integer', () => {
      expect(() => renderSystemPrompt(big, { tokenBudget: 0 })).toThrow(/tokenBudget/);
    });

    it('never drops a mandatory rule, whatever the persona and budget (property)', () => {
      fc.assert(
        fc.property(personaArb, fc.integer({ min: 1, max: 800 }), fc.option(fc.string({ maxLength: 40 }), { nil: undefined }), (plain, budget, context) => {
          const persona = PersonaConfiguration.create(plain);
          let r;
          try {
            r = renderSystemPrompt(persona, { tokenBudget: budget, context });
          } catch (e) {
            expect(e).toBeInstanceOf(BudgetExceededError);
            expect((e as BudgetExceededError).requiredTokens).toBeGreaterThan(budget);
            return;
          }
          expect(r.tokens).toBeLessThanOrEqual(budget);
          expect(r.tokens).toBe(o200kTokenCounter(r.text));
          for (const rule of persona.behaviorRules.filter((x) => x.isMandatory)) {
            expect(r.dropped.some((d) => d.kind === 'rule' && d.name === rule.name)).toBe(false);
            expect(r.text).toContain(rule.action);
          }
          expect(r.text.startsWith(`# ${persona.name}`)).toBe(true);
        }),
        { numRuns: 400 },
      );
    });
  });
});

function toPlainDomain(d: KnowledgeDomain) {
  return JSON.parse(JSON.stringify(d));
}
