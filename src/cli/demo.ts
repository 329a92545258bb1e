import { existsSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { InheritanceResolver } from '../services/inheritance-resolver';
import { MetricsService } from '../services/metrics-service';
import { PersonaRuntime } from '../services/persona-runtime';
import { PersonaStore } from '../services/persona-store';
import { TemplateService } from '../services/template-service';
import { toPlain } from '../validation/model';
import { CliContext, CliFailure, EXIT } from './context';
import { heading, keyValues, num, table } from './format';

/** A fixed pseudo-random sequence, so the demo prints the same figures every time. */
function sequence(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/**
 * The main job, end to end on a fresh database: starter templates, personas made from them, one
 * inheriting from another, interactions, then the resolved persona with provenance, a rendered
 * prompt, the metrics and the revision history.
 */
export async function runDemo(ctx: CliContext): Promise<void> {
  const usingUrl = ctx.options.url || process.env.PERSONA_DB_URL || undefined;
  if (!usingUrl) {
    const path = ctx.options.db ?? join(mkdtempSync(join(tmpdir(), 'persona-demo-')), 'personas.db');
    if (existsSync(path)) throw new CliFailure(EXIT.refused, `the demo needs a fresh database; ${path} exists (remove it or pass another --db)`);
    ctx.options.db = path;
  }
  const ds = await ctx.ds();
  const out = (text: string) => ctx.io.out(text);
  const admin = { id: 'system', roles: ['admin'] };
  const alice = { id: 'alice' };
  const templates = new TemplateService(ds);
  const store = new PersonaStore(ds);
  const metrics = new MetricsService(ds);
  const resolver = new InheritanceResolver(ds);
  const runtime = new PersonaRuntime(ds);
  const started = Date.now();

  out(`conductor-personas demo — database: ${usingUrl ? '(PostgreSQL)' : ctx.options.db}`);

  out(heading('1. Starter templates'));
  const starters = await templates.loadStarterTemplates(admin);
  out(table(['template', 'category', 'customizable fields'], starters.map((t) => [t.slug, t.category, t.customizableFields.map((f) => f.path)])));

  out(heading('2. Personas from templates, and one that inherits'));
  const support = await templates.instantiate('customer-support', {
    name: 'Acme Support',
    slug: 'acme-support',
    customizations: { 'responseStyle.tone': 'calm', instructions: 'Acme sells anvils and rockets. Orders ship in 2 days; refunds need a supervisor.' },
    isPublic: true,
    tags: ['acme'],
    actor: alice,
  });
  const devops = await templates.instantiate('technical-assistant', {
    name: 'Acme DevOps',
    slug: 'acme-devops',
    customizations: { temperature: 0.2, 'responseStyle.verbosity': 4 },
    actor: alice,
  });
  const french = await store.create(
    {
      name: 'Acme Support (FR)',
      slug: 'acme-support-fr',
      parentId: support.id,
      description: 'Le support Acme, en français.',
      traits: [
        { name: 'bilingual', category: 'communication', value: true, weight: 9 },
        { name: 'patient', category: 'personality', value: 99, weight: 8 },
      ],
      responseStyle: { tone: 'chaleureux', formalityLevel: 7 },
      voiceConfig: { provider: 'azure', voiceId: 'fr-FR-DeniseNeural', language: 'fr-FR' },
      tags: ['fr'],
      metadata: { inheritance: { remove: { behaviorRules: ['offer-follow-up'] } } },
      status: 'active',
    },
    alice,
  );
  out(
    table(
      ['persona', 'from', 'version', 'traits', 'rules'],
      [support, devops, french].map((p) => [p.slug, p.templateId ? `template ${starters.find((t) => t.id === p.templateId)?.slug} v${p.templateVersion}` : `parent ${support.slug}`, p.version, p.traits.length, p.behaviorRules.length]),
    ),
  );

  out(heading('3. Interactions'));
  const random = sequence(42);
  const start = Date.UTC(2026, 10, 1, 9);
  for (const [persona, count, failRate] of [[french, 40, 0.1], [support, 25, 0.2], [devops, 15, 0.05]] as const) {
    for (let i = 0; i < count; i++) {
      await metrics.recordInteraction(persona.id as string, {
        success: random() > failRate,
        latencyMs: Math.round(300 + random() * 1500 + (i % 10 === 9 ? 2500 : 0)),
        inputTokens: Math.round(400 + random() * 800),
        outputTokens: Math.round(80 + random() * 300),
        rating: random() > 0.5 ? 3 + Math.floor(random() * 3) : undefined,
        at: new Date(start + i * 3_600_000),
      });
    }
  }
  out(`recorded 80 interactions across 3 personas`);

  out(heading(`4. ${french.slug} resolved through its lineage, with provenance`));
  const resolved = await resolver.resolve(french.slug, alice);
  const slugOf = new Map([[support.id, support.slug], [french.id, french.slug]]);
  const from = (path: string) => {
    const id = resolved.provenance[path];
    return id === 'default' ? '(default)' : (slugOf.get(id) ?? id);
  };
  const p = resolved.persona;
  out(`lineage: ${resolved.lineage.map((id) => slugOf.get(id)).join(' -> ')}`);
  out(
    table(['field', 'value', 'from'], [
      ['description', p.description, from('description')],
      ['instructions', p.instructions, from('instructions')],
      ['temperature', p.temperature, from('temperature')],
      ['responseStyle.type', p.responseStyle.type, from('responseStyle.type')],
      ['responseStyle.tone', p.responseStyle.tone, from('responseStyle.tone')],
      ['responseStyle.formalityLevel', p.responseStyle.formalityLevel, from('responseStyle.formalityLevel')],
      ['voiceConfig.voiceId', p.voiceConfig?.voiceId, from('voiceConfig.voiceId')],
      ...p.traits.map((t) => [`traits.${t.name}`, t.value, from(`traits.${t.name}`)]),
      ...p.behaviorRules.map((r) => [`behaviorRules.${r.name}`, r.isMandatory ? 'mandatory' : `priority ${r.priority}`, from(`behaviorRules.${r.name}`)]),
      ['tags', p.tags, p.tags.map((t) => from(`tags.${t}`)).join(', ')],
    ]),
  );
  out('(offer-follow-up is removed by metadata.inheritance.remove in acme-support-fr)');

  out(heading('5. Rendered system prompt (context: "I was charged twice on my invoice", budget 350 tokens)'));
  const prompt = await runtime.prompt(french.slug, { actor: alice, context: 'Bonjour! I was charged twice on my invoice.', tokenBudget: 350 });
  out(prompt.text);
  out('');
  out(
    keyValues([
      ['tokens', `${prompt.tokens} of 350`],
      ['sections', prompt.sections.map((s) => `${s.name} ${s.tokens}`).join(', ')],
      ['active domains', prompt.activeDomains],
      ['dropped', prompt.dropped.map((d) => `${d.kind} ${d.name} (${d.reason})`).join('; ') || 'nothing'],
      ['model', prompt.model ?? '(none)'],
      ['temperature', prompt.temperature],
      ['max response tokens', prompt.maxTokens ?? '(model default)'],
    ]),
  );

  out(heading('6. Metrics'));
  const rows = [];
  for (const persona of [french, support, devops]) {
    const m = await metrics.get(persona.id as string);
    rows.push([persona.slug, m.totalInteractions, num(m.successRate === null ? null : m.successRate * 100, 1) + '%', num(m.averageResponseTimeMs, 0), num(m.p95ResponseTimeMs, 0), num(m.averageTokensPerInteraction, 0), num(m.averageRating)]);
  }
  out(table(['persona', 'interactions', 'success', 'avg ms', 'p95 ms', 'avg tokens', 'rating'], rows));
  const rebuilt = await metrics.recompute(french.id as string);
  out(`recompute from the interaction log agrees: ${JSON.stringify(toPlain(rebuilt)) === JSON.stringify(toPlain(await metrics.get(french.id as string)))}`);

  out(heading(`7. Revision history of ${french.slug}`));
  const v2 = await store.update(french.slug, { responseStyle: { tone: 'enjoué' }, temperature: 0.4 }, { expectedVersion: 1 }, alice);
  const stale = await store.update(french.slug, { temperature: 0.9 }, { expectedVersion: 1 }, alice).catch((e: Error & { code?: string }) => e);
  await store.revert(french.slug, 1, { expectedVersion: v2.version as number }, alice);
  const history = await store.history(french.slug, alice);
  out(
    table(
      ['version', 'changed by', 'changed at', 'tone', 'temperature'],
      history.map((h) => [h.version, h.changedBy, h.changedAt, (h.snapshot.responseStyle as { tone: string }).tone, h.snapshot.temperature]),
    ),
  );
  out(`a stale update at version 1 was refused: ${(stale as { code?: string }).code ?? 'not refused!'}`);

  out(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (!usingUrl) out(`explore it: npx persona --db ${ctx.options.db} show ${french.slug} --resolved --provenance`);
}
