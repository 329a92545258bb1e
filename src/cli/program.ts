import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync, writeFileSync } from 'fs';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaTemplate } from '../models/persona-template.entity';
import { exportPersona, PersonaFormat } from '../interop';
import { migrate } from '../persistence/data-source';
import { InheritanceResolver } from '../services/inheritance-resolver';
import { MetricsService } from '../services/metrics-service';
import { PersonaRuntime } from '../services/persona-runtime';
import { ConversationMessage, previewMessages, ProviderName, PROVIDERS, toProviderRequest } from '../services/provider-request';
import { voiceRequest, VOICE_PROVIDERS } from '../services/voice-request';
import { PERSONA_SORT_KEYS, PersonaStore } from '../services/persona-store';
import { ReleaseService } from '../services/release-service';
import { TemplateService } from '../services/template-service';
import { toPlain, validateModel } from '../validation/model';
import { CliContext, CliFailure, CliIO, describeError, EXIT, GlobalOptions } from './context';
import { runDemo } from './demo';
import { heading, keyValues, num, table } from './format';
import { importPersonas, reportLines } from './import';
import { serve } from './serve';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliFailure(EXIT.refused, `${file}: cannot read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliFailure(EXIT.refused, `${file}: (root): not valid JSON: ${(error as Error).message} (isJson)`);
  }
}

/** A `path=value` customization; the value is JSON when it parses, else text. */
function collectSet(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError('expected path=value');
  const raw = value.slice(eq + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // plain text
  }
  return { ...previous, [value.slice(0, eq)]: parsed };
}

/**
 * The `persona` command. Each action gets a context with the global options (`--db`, `--url`,
 * `--actor`, `--roles`, `--json`, `--debug`, also from PERSONA_DB, PERSONA_DB_URL, PERSONA_ACTOR,
 * PERSONA_ROLES) and a lazily opened database.
 */
export function buildProgram(io: CliIO, reportCode: (code: number) => void): Command {
  const program = new Command('persona')
    .description('Store, validate, derive and render the personas of LLM assistants.')
    .option('--db <path>', 'SQLite database file (env PERSONA_DB; default personas.db)')
    .option('--url <url>', 'PostgreSQL URL, postgres://... (env PERSONA_DB_URL)')
    .option('--actor <id>', 'who is acting (env PERSONA_ACTOR; default "cli")')
    .option('--roles <list>', 'comma-separated roles of the actor, e.g. admin (env PERSONA_ROLES)')
    .option('--json', 'machine-readable output')
    .option('--debug', 'print stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .exitOverride();

  /** Wraps an action: builds the context, runs, maps errors to one line and an exit code. */
  const action =
    (run: (ctx: CliContext, ...args: any[]) => Promise<number | void>) =>
    async (...args: any[]) => {
      const command = args[args.length - 1] as Command;
      const ctx = new CliContext(command.optsWithGlobals() as GlobalOptions, io);
      try {
        reportCode((await run(ctx, ...args.slice(0, -1))) ?? EXIT.ok);
      } catch (error) {
        const { code, lines } = describeError(error, !!ctx.options.debug);
        for (const line of lines) io.err(line);
        reportCode(code);
      } finally {
        await ctx.close();
      }
    };

  program
    .command('demo')
    .description('the main job on a fresh SQLite file: templates, personas, inheritance, interactions, prompt, metrics, history')
    .action(action(async (ctx) => runDemo(ctx)));

  program
    .command('init')
    .description('create the database, or bring it up to date (runs pending migrations)')
    .action(
      action(async (ctx) => {
        const ds = await ctx.ds();
        const ran = await migrate(ds);
        const applied = await ds.query('SELECT name FROM "persona_migrations" ORDER BY id');
        ctx.print({ ready: true, applied: applied.map((r: { name: string }) => r.name), ranNow: ran }, () => `database ready (${applied.length} migration(s) applied)`);
      }),
    );

  program
    .command('validate')
    .description('validate persona JSON files without storing them; every issue as file: path: message')
    .argument('<files...>', 'JSON files, each a persona or an array of personas')
    .option('--template', 'validate templates instead of personas')
    .action(
      action(async (ctx, files: string[], opts: { template?: boolean }) => {
        const results: { file: string; ok: boolean; issues: { path: string; constraint: string; message: string }[] }[] = [];
        for (const file of files) {
          let value: unknown;
          try {
            value = JSON.parse(readFileSync(file, 'utf8'));
          } catch (error) {
            results.push({ file, ok: false, issues: [{ path: '', constraint: 'isJson', message: (error as Error).message }] });
            continue;
          }
          const list = Array.isArray(value) ? value : [value];
          list.forEach((item, i) => {
            const label = Array.isArray(value) ? `${file}[${i}]` : file;
            const result = opts.template ? validateModel(PersonaTemplate, item) : validateModel(PersonaConfiguration, item);
            results.push({ file: label, ok: result.ok, issues: result.ok ? [] : result.issues });
          });
        }
        ctx.print(results, () =>
          results
            .map((r) => (r.ok ? `${r.file}: valid` : r.issues.map((i) => `${r.file}: ${i.path || '(root)'}: ${i.message} (${i.constraint})`).join('\n')))
            .join('\n'),
        );
        return results.every((r) => r.ok) ? EXIT.ok : EXIT.refused;
      }),
    );

  program
    .command('create')
    .description('store a new persona from a JSON file')
    .requiredOption('-f, --file <file>', 'the persona, as JSON')
    .action(
      action(async (ctx, opts: { file: string }) => {
        const persona = await new PersonaStore(await ctx.ds()).create(readJson(opts.file) as never, ctx.actor);
        ctx.print(toPlain(persona), () => `created ${persona.slug} (${persona.id}) at version ${persona.version}`);
      }),
    );

  program
    .command('list')
    .description('list the personas the actor may see')
    .addOption(new Option('--status <status>', 'only this status').choices(['active', 'inactive', 'draft', 'archived']))
    .option('--tag <tag>', 'only personas with this tag')
    .option('--owner <id>', 'only personas owned by this actor id')
    .option('--search <text>', 'name or slug contains this text')
    .option('--limit <n>', 'page size (1-500)', positiveInt, 50)
    .option('--offset <n>', 'rows to skip', (v) => Number(v), 0)
    .addOption(new Option('--order-by <key>', 'sort key; - in front for descending').choices([...PERSONA_SORT_KEYS, ...PERSONA_SORT_KEYS.map((k) => `-${k}`)]).default('name'))
    .action(
      action(async (ctx, opts: { status?: string; tag?: string; owner?: string; search?: string; limit: number; offset: number; orderBy: string }) => {
        const page = await new PersonaStore(await ctx.ds()).list(
          { status: opts.status as never, tag: opts.tag, createdBy: opts.owner, search: opts.search, limit: opts.limit, offset: opts.offset, orderBy: opts.orderBy as never },
          ctx.actor,
        );
        ctx.print({ total: page.total, items: page.items.map((p) => toPlain(p)) }, () =>
          [
            table(['slug', 'name', 'status', 'version', 'owner', 'public', 'tags'], page.items.map((p) => [p.slug, p.name, p.status, p.version, p.createdBy, p.isPublic ? 'yes' : 'no', p.tags])),
            `${page.items.length} of ${page.total}`,
          ].join('\n'),
        );
      }),
    );

  program
    .command('show')
    .description('print a persona as JSON (our native format)')
    .argument('<slug>', 'slug or id')
    .option('--resolved', 'resolved through its lineage')
    .option('--provenance', 'with where each resolved field came from (implies --resolved)')
    .action(
      action(async (ctx, slug: string, opts: { resolved?: boolean; provenance?: boolean }) => {
        const ds = await ctx.ds();
        if (opts.resolved || opts.provenance) {
          const r = await new InheritanceResolver(ds).resolve(slug, ctx.actor);
          const value = { persona: toPlain(r.persona), lineage: r.lineage, ...(opts.provenance ? { provenance: r.provenance } : {}) };
          ctx.print(value, () =>
            [JSON.stringify(value.persona, null, 2), heading('lineage'), r.lineage.join(' -> '), ...(opts.provenance ? [heading('provenance'), table(['field', 'from'], Object.entries(r.provenance))] : [])].join('\n'),
          );
          return;
        }
        const persona = await new PersonaStore(ds).get(slug, ctx.actor);
        ctx.io.out(JSON.stringify(toPlain(persona), null, 2));
      }),
    );

  program
    .command('render')
    .description('render the system prompt of a stored persona (resolved through its lineage)')
    .argument('<slug>', 'slug or id')
    .option('--context <text>', 'the conversation so far: activates knowledge domains')
    .option('--budget <n>', 'token budget of the prompt', positiveInt)
    .option('--label <label>', 'serve the version this label points at (default: the current version)')
    .option('--subject <id>', 'who is served: picks a split label\'s version, the same one every time')
    .addOption(new Option('--provider <provider>', 'print the request body of this provider instead of the text (docs/runtime.md)').choices([...PROVIDERS]))
    .option('--message <text>', 'a user message of the conversation (repeatable; default: the context)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--model <model>', 'the model (default: the first of the persona\'s preferences for the provider)')
    .action(
      action(async (ctx, slug: string, opts: { context?: string; budget?: number; label?: string; subject?: string; provider?: ProviderName; message: string[]; model?: string }) => {
        const r = await new PersonaRuntime(await ctx.ds()).prompt(slug, { actor: ctx.actor, context: opts.context, tokenBudget: opts.budget, label: opts.label, subject: opts.subject });
        if (opts.provider) {
          const given: ConversationMessage[] | undefined = opts.message.length ? opts.message.map((content) => ({ role: 'user', content })) : undefined;
          const request = toProviderRequest(r, opts.provider, { messages: previewMessages(given, opts.context), model: opts.model });
          if (ctx.options.json) return void ctx.io.out(JSON.stringify({ ...r, request: { provider: opts.provider, ...request } }, null, 2));
          ctx.io.out(JSON.stringify(request.body, null, 2));
          ctx.io.err(`\n-- ${opts.provider} model ${request.model}; ${r.tokens} prompt tokens; stable prefix ${r.stablePrefixLength} of ${r.text.length} characters${request.warnings.map((w) => `\nwarning: ${w}`).join('')}`);
          return;
        }
        if (ctx.options.json) return void ctx.io.out(JSON.stringify(r, null, 2));
        ctx.io.out(r.text);
        ctx.io.err(
          `\n-- ${r.tokens} tokens${opts.budget ? ` of ${opts.budget}` : ''}; model ${r.model ?? '(none)'}; temperature ${r.temperature}; max response tokens ${r.maxTokens ?? '(default)'}; active domains: ${r.activeDomains.join(', ') || 'none'}; dropped: ${r.dropped.length}; version ${r.version}${r.label ? ` (label ${r.label})` : ''}`,
        );
      }),
    );

  program
    .command('voice')
    .description('print the text-to-speech request that speaks a text in a stored persona\'s voice (resolved through its lineage)')
    .argument('<slug>', 'slug or id')
    .argument('<text>', 'the text to speak')
    .addOption(new Option('--provider <provider>', 'the voice provider (default: the persona\'s voiceConfig.provider)').choices([...VOICE_PROVIDERS]))
    .action(
      action(async (ctx, slug: string, text: string, opts: { provider?: string }) => {
        const { persona } = await new InheritanceResolver(await ctx.ds()).resolve(slug, ctx.actor);
        const request = voiceRequest(persona, text, { provider: opts.provider });
        ctx.io.out(JSON.stringify(request, null, 2));
        for (const w of request.warnings) ctx.io.err(`warning: ${w}`);
      }),
    );

  program
    .command('update')
    .description('apply a JSON merge patch at the version you read')
    .argument('<slug>', 'slug or id')
    .requiredOption('-f, --file <file>', 'the patch, as JSON (RFC 7396)')
    .requiredOption('--expected-version <n>', 'the version the patch is based on', positiveInt)
    .option('-m, --message <text>', 'a change message kept with the new version (at most 500 characters)')
    .action(
      action(async (ctx, slug: string, opts: { file: string; expectedVersion: number; message?: string }) => {
        const p = await new PersonaStore(await ctx.ds()).update(slug, readJson(opts.file) as never, { expectedVersion: opts.expectedVersion, message: opts.message }, ctx.actor);
        ctx.print(toPlain(p), () => `updated ${p.slug} to version ${p.version}`);
      }),
    );

  program
    .command('history')
    .description('every revision of a persona')
    .argument('<slug>', 'slug or id')
    .action(
      action(async (ctx, slug: string) => {
        const h = await new PersonaStore(await ctx.ds()).history(slug, ctx.actor);
        ctx.print(h, () =>
          table(['version', 'changed by', 'changed at', 'labels', 'message'], h.map((r) => [r.version, r.changedBy, r.changedAt, r.labels, r.message ?? ''])),
        );
      }),
    );

  program
    .command('diff')
    .description('what changed between two versions of a persona (either order)')
    .argument('<slug>', 'slug or id')
    .argument('<from>', 'a version', positiveInt)
    .argument('<to>', 'a version', positiveInt)
    .action(
      action(async (ctx, slug: string, from: number, to: number) => {
        const d = await new PersonaStore(await ctx.ds()).diff(slug, from, to, ctx.actor);
        const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v).slice(0, 80));
        ctx.print(d, () =>
          d.changes.length
            ? table(['path', 'change', 'before', 'after'], d.changes.map((c) => [c.path, c.kind, show(c.before), show(c.after)]))
            : `versions ${from} and ${to} are the same`,
        );
      }),
    );

  const label = program.command('label').description('release labels: which version is served');
  label
    .command('set')
    .description('point a label at a version, or split it by weight (e.g. 3:90,4:10)')
    .argument('<slug>', 'slug or id')
    .argument('<label>', 'the label, e.g. production')
    .argument('<target>', 'a version (3) or a split of version:weight pairs (3:90,4:10)')
    .action(
      action(async (ctx, slug: string, name: string, target: string) => {
        const parsed = /^\d+$/.test(target)
          ? { version: Number(target) }
          : { split: target.split(',').map((pair) => { const [v, w] = pair.split(':'); return { version: Number(v), weight: Number(w) }; }) };
        const l = await new ReleaseService(await ctx.ds()).setLabel(slug, name, parsed, ctx.actor);
        ctx.print(l, () => `${l.label} -> ${l.split ? l.split.map((m) => `v${m.version} (${m.weight})`).join(', ') : `version ${l.version}`}`);
      }),
    );
  label
    .command('rm')
    .description('remove a label')
    .argument('<slug>', 'slug or id')
    .argument('<label>', 'the label')
    .action(
      action(async (ctx, slug: string, name: string) => {
        await new ReleaseService(await ctx.ds()).removeLabel(slug, name, ctx.actor);
        ctx.print({ removed: name }, () => `removed label ${name}`);
      }),
    );
  label
    .command('ls')
    .description('the labels of a persona, and with --history every move')
    .argument('<slug>', 'slug or id')
    .option('--history', 'every move of every label, oldest first')
    .action(
      action(async (ctx, slug: string, opts: { history?: boolean }) => {
        const releases = new ReleaseService(await ctx.ds());
        const target = (t: { version?: number | null; split?: { version: number; weight: number }[] | null } | null) =>
          !t ? '-' : t.split ? t.split.map((m) => `v${m.version}:${m.weight}`).join(',') : `v${t.version}`;
        if (opts.history) {
          const moves = await releases.labelHistory(slug, ctx.actor);
          return ctx.print(moves, () => table(['label', 'from', 'to', 'moved by', 'moved at'], moves.map((m) => [m.label, target(m.from as never), target(m.to as never), m.movedBy, m.movedAt])));
        }
        const labels = await releases.labels(slug, ctx.actor);
        ctx.print(labels, () => table(['label', 'target', 'moved by', 'moved at'], labels.map((l) => [l.label, target(l), l.movedBy, l.movedAt])));
      }),
    );
  label
    .command('policy')
    .description('set the policy of a label from a JSON file ({ "roles": [...], "checks": [...] })')
    .argument('<slug>', 'slug or id')
    .argument('<label>', 'the label')
    .requiredOption('-f, --file <file>', 'the policy, as JSON')
    .action(
      action(async (ctx, slug: string, name: string, opts: { file: string }) => {
        await new ReleaseService(await ctx.ds()).setPolicy(slug, name, readJson(opts.file) as never, ctx.actor);
        ctx.print({ label: name }, () => `policy of ${name} set`);
      }),
    );

  program
    .command('revert')
    .description('make a new version equal to an old one')
    .argument('<slug>', 'slug or id')
    .requiredOption('--to <n>', 'the version to go back to', positiveInt)
    .option('--expected-version <n>', 'the current version (default: read it now)', positiveInt)
    .option('-m, --message <text>', 'a change message kept with the new version')
    .action(
      action(async (ctx, slug: string, opts: { to: number; expectedVersion?: number; message?: string }) => {
        const store = new PersonaStore(await ctx.ds());
        const expectedVersion = opts.expectedVersion ?? ((await store.get(slug, ctx.actor)).version as number);
        const p = await store.revert(slug, opts.to, { expectedVersion, message: opts.message }, ctx.actor);
        ctx.print(toPlain(p), () => `reverted ${p.slug} to the content of version ${opts.to}, now version ${p.version}`);
      }),
    );

  const template = program.command('template').description('persona templates');
  template
    .command('list')
    .description('list the templates the actor may see')
    .option('--category <c>', 'only this category')
    .action(
      action(async (ctx, opts: { category?: string }) => {
        const page = await new TemplateService(await ctx.ds()).listTemplates({ category: opts.category, limit: 500 }, ctx.actor);
        ctx.print({ total: page.total, items: page.items.map((t) => toPlain(t)) }, () =>
          table(['slug', 'name', 'category', 'version', 'public', 'customizable'], page.items.map((t) => [t.slug, t.name, t.category, t.version, t.isPublic ? 'yes' : 'no', t.customizableFields.map((f) => `${f.path}${f.required ? '*' : ''}`)])),
        );
      }),
    );
  template
    .command('create')
    .description('store a template from a JSON file; --starters stores the five starter templates')
    .option('-f, --file <file>', 'the template, as JSON')
    .option('--starters', 'store the starter templates that are not there yet')
    .action(
      action(async (ctx, opts: { file?: string; starters?: boolean }) => {
        const service = new TemplateService(await ctx.ds());
        if (!opts.file && !opts.starters) throw new CliFailure(EXIT.usage, 'give -f <file> or --starters');
        const made = opts.starters ? await service.loadStarterTemplates(ctx.actor) : [await service.createTemplate(readJson(opts.file as string) as never, ctx.actor)];
        ctx.print(made.map((t) => toPlain(t)), () => made.map((t) => `template ${t.slug} (${t.id}) at version ${t.version}`).join('\n'));
      }),
    );
  template
    .command('instantiate')
    .description('create a persona from a template')
    .argument('<template>', 'template slug or id')
    .requiredOption('--name <name>', 'name of the new persona')
    .requiredOption('--slug <slug>', 'slug of the new persona')
    .option('--set <path=value>', 'a customization (repeatable); the value is JSON when it parses', collectSet, {})
    .option('-f, --file <file>', 'customizations as a JSON object keyed by path')
    .option('--public', 'make the persona public')
    .action(
      action(async (ctx, slug: string, opts: { name: string; slug: string; set: Record<string, unknown>; file?: string; public?: boolean }) => {
        const fromFile = opts.file ? (readJson(opts.file) as Record<string, unknown>) : {};
        const p = await new TemplateService(await ctx.ds()).instantiate(slug, {
          name: opts.name,
          slug: opts.slug,
          customizations: { ...fromFile, ...opts.set },
          actor: ctx.actor,
          ...(opts.public ? { isPublic: true } : {}),
        });
        ctx.print(toPlain(p), () => `created ${p.slug} (${p.id}) from template ${slug} v${p.templateVersion}`);
      }),
    );

  program
    .command('metrics')
    .description('the runtime metrics of a persona')
    .argument('<slug>', 'slug or id')
    .option('--recompute', 'rebuild the counters from the interaction log first (owner or admin)')
    .option('--by-version', 'one row per version with events')
    .action(
      action(async (ctx, slug: string, opts: { recompute?: boolean; byVersion?: boolean }) => {
        const ds = await ctx.ds();
        const persona = await new PersonaStore(ds).get(slug, ctx.actor);
        const service = new MetricsService(ds);
        if (opts.byVersion) {
          const rows = await service.byVersion(persona.id as string, ctx.actor);
          return ctx.print(rows.map((r) => ({ version: r.version, metrics: toPlain(r.metrics) })), () =>
            table(
              ['version', 'interactions', 'success rate', 'avg latency (ms)', 'p95 latency (ms)', 'avg rating'],
              rows.map(({ version, metrics: m }) => [version, m.totalInteractions, m.successRate === null ? '-' : `${num(m.successRate * 100, 1)}%`, num(m.averageResponseTimeMs, 0), num(m.p95ResponseTimeMs, 0), num(m.averageRating)]),
            ),
          );
        }
        const m = opts.recompute ? await service.recompute(persona.id as string, ctx.actor) : await service.get(persona.id as string, ctx.actor);
        ctx.print(toPlain(m), () =>
          keyValues([
            ['interactions', m.totalInteractions],
            ['successful / failed', `${m.successfulInteractions} / ${m.failedInteractions}`],
            ['success rate', m.successRate === null ? '-' : `${num(m.successRate * 100, 1)}%`],
            ['average latency (ms)', num(m.averageResponseTimeMs, 0)],
            ['p95 latency (ms)', num(m.p95ResponseTimeMs, 0)],
            ['tokens in / out', `${m.totalInputTokens} / ${m.totalOutputTokens}`],
            ['average tokens', num(m.averageTokensPerInteraction, 0)],
            ['average rating', `${num(m.averageRating)} (${m.ratingCount} ratings)`],
            ['last interaction', m.lastInteractionAt ?? '-'],
          ]),
        );
      }),
    );

  program
    .command('import')
    .description('import personas: our JSON format (a persona or an array of them), character cards (V1/V2/V3, JSON or PNG), Eliza characters (one or a list), Letta agent files (each agent a persona)')
    .argument('<files...>', 'JSON, PNG or .af files')
    .option('--batch-size <n>', 'personas per transaction', positiveInt, 200)
    .option('--keep-owner', 'keep createdBy from the files (needs --roles admin for other owners)')
    .addOption(new Option('--format <format>', 'what the files hold').choices(['auto', 'native', 'card-v1', 'card-v2', 'card-v3', 'eliza', 'letta-af']).default('auto'))
    .option('--lenient', 'repair the known malformations of cards and Eliza files (each repair a warning)')
    .option('--report', 'print what became of each field of each foreign file: mapped, approximated, kept (for the round trip) or dropped')
    .action(
      action(async (ctx, files: string[], opts: { batchSize: number; keepOwner?: boolean; format: PersonaFormat | 'auto'; lenient?: boolean; report?: boolean }) => {
        const summary = await importPersonas(ctx, files, { batchSize: opts.batchSize, keepOwner: !!opts.keepOwner, format: opts.format, lenient: !!opts.lenient, report: !!opts.report });
        ctx.print(summary, () =>
          [
            `imported ${summary.imported}, refused ${summary.refused.length}`,
            ...summary.refused.map((r) => `refused ${r.source}: ${r.reason}`),
            ...summary.warnings.map((w) => `warning ${w.source}: ${w.warning}`),
            ...reportLines(summary),
          ].join('\n'),
        );
        return summary.refused.length ? EXIT.refused : EXIT.ok;
      }),
    );

  program
    .command('export')
    .description('write a persona: our JSON format, a character card (JSON, or PNG with --png) or an Eliza character')
    .argument('<slug>', 'slug or id')
    .addOption(new Option('--format <format>', 'the format to write').choices(['native', 'card-v1', 'card-v2', 'card-v3', 'eliza']).default('native'))
    .option('--png <base.png>', 'write the card into this image (card formats; needs --out)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(
      action(async (ctx, slug: string, opts: { format: PersonaFormat; png?: string; out?: string }) => {
        if (opts.png && !opts.out) throw new CliFailure(EXIT.usage, '--png writes an image: give --out <file>');
        const persona = await new PersonaStore(await ctx.ds()).get(slug, ctx.actor);
        let base: Buffer | undefined;
        if (opts.png) {
          try {
            base = readFileSync(opts.png);
          } catch (error) {
            throw new CliFailure(EXIT.refused, `${opts.png}: cannot read: ${(error as Error).message}`);
          }
        }
        const result = await exportPersona(persona, { format: opts.format, png: base });
        const bytes = Buffer.isBuffer(result) ? result : Buffer.from(`${JSON.stringify(result, null, 2)}\n`);
        if (opts.out) {
          writeFileSync(opts.out, bytes);
          ctx.io.err(`wrote ${opts.out}`);
        } else ctx.io.out(bytes.toString('utf8').replace(/\n$/, ''));
      }),
    );

  program
    .command('serve')
    .description('run the REST API, the admin console (/console) and the OpenAPI document (/openapi.json) with bearer-token authentication')
    .option('--port <port>', 'TCP port (0: any free port)', portNumber, 3000)
    .option('--host <host>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--users <file>', 'JSON file [{ "token", "id", "roles" }]; default: one admin token, printed once')
    .action(action(async (ctx, opts: { port: number; host: string; users?: string }) => serve(ctx, opts)));

  return program;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number, 0-65535');
  return n;
}

/** Runs the command line and resolves to the exit code. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  let exit: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exit = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 || ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code) ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  return exit;
}
