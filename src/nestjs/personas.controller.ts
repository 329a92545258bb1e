import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Actor } from '../actor';
import { PersonaValidationError, VersionConflictError } from '../errors';
import { InheritanceResolver } from '../services/inheritance-resolver';
import { MetricsService } from '../services/metrics-service';
import { PersonaRuntime } from '../services/persona-runtime';
import { ConversationMessage, previewMessages, ProviderName, toProviderRequest } from '../services/provider-request';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { HistoryOptions, PersonaListFilter, PersonaStore } from '../services/persona-store';
import { toPlain } from '../validation/model';
import { CurrentActor, ifMatchVersion, PersonaActorGuard, PersonaExceptionFilter, PreconditionFailed, Reply, tagged } from './http';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Query-string filters of `GET /personas`, typed: numbers and booleans parsed, nothing else accepted. */
/** Versions a `GET /personas/:idOrSlug/history` page holds by default, and at most. */
const REST_HISTORY_LIMIT = 50;
const REST_HISTORY_MAX = 200;

function listFilter(query: Record<string, string | string[]>): PersonaListFilter {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(query)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (key === 'limit' || key === 'offset') out[key] = /^\d+$/.test(value) ? Number(value) : value;
    else if (key === 'isPublic' || key === 'withTotal') out[key] = value === 'true' ? true : value === 'false' ? false : value;
    else if (key === 'owner') out.createdBy = value;
    else out[key] = value;
  }
  return out as PersonaListFilter;
}

/**
 * Splits the version a write is based on from its body: `If-Match` (a stale one is 412) or
 * `expectedVersion` in the body (a stale one is 409). One of them is required.
 */
function versionOf(ifMatch: string | undefined, body: Json): { expectedVersion: number; viaHeader: boolean; rest: Json } {
  const { expectedVersion, ...rest } = body;
  const fromHeader = ifMatchVersion(ifMatch);
  const version = fromHeader ?? expectedVersion;
  if (!Number.isInteger(version) || (version as number) < 1) {
    throw new PersonaValidationError([{ path: 'expectedVersion', constraint: 'isInt', message: 'send If-Match: "<version>" or expectedVersion in the body' }], 'request');
  }
  return { expectedVersion: version as number, viaHeader: fromHeader !== undefined, rest };
}

/**
 * A write at the version the request names (If-Match, else `expectedVersion` in the body): a
 * stale If-Match becomes 412, a stale body version stays 409; the result carries its new ETag.
 */
async function versionedWrite(
  ifMatch: string | undefined,
  body: Json,
  res: Reply,
  write: (rest: Json, expectedVersion: number) => Promise<PersonaConfiguration>,
): Promise<Json> {
  const { expectedVersion, viaHeader, rest } = versionOf(ifMatch, body);
  try {
    return tagged(res, await write(rest, expectedVersion));
  } catch (error) {
    if (viaHeader && error instanceof VersionConflictError) throw new PreconditionFailed(error);
    throw error;
  }
}

/** The persona routes mounted by `PersonaModule.forRoot({ http: true })`; see docs/nestjs.md. */
@Controller('personas')
@UseGuards(PersonaActorGuard)
@UseFilters(PersonaExceptionFilter)
export class PersonasController {
  constructor(
    @Inject(PersonaStore) private readonly store: PersonaStore,
    @Inject(InheritanceResolver) private readonly resolver: InheritanceResolver,
    @Inject(PersonaRuntime) private readonly runtime: PersonaRuntime,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  @Post()
  async create(@Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Reply): Promise<Json> {
    return tagged(res, await this.store.create(body as never, actor));
  }

  @Get()
  async list(@Query() query: Record<string, string | string[]>, @CurrentActor() actor: Actor): Promise<Json> {
    const page = await this.store.list(listFilter(query), actor);
    return { items: page.items.map((p) => toPlain(p)), total: page.total, nextCursor: page.nextCursor };
  }

  @Get(':idOrSlug')
  async get(@Param('idOrSlug') idOrSlug: string, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Reply): Promise<Json> {
    return tagged(res, await this.store.get(idOrSlug, actor));
  }

  @Patch(':idOrSlug')
  async update(
    @Param('idOrSlug') idOrSlug: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Reply,
  ): Promise<Json> {
    if (!isObject(body)) throw new PersonaValidationError([{ path: '', constraint: 'isObject', message: 'a patch must be a JSON object' }], 'patch');
    const { message, ...rest } = body;
    return versionedWrite(ifMatch, rest, res, (patch, expectedVersion) => this.store.update(idOrSlug, patch, { expectedVersion, message: message as string | undefined }, actor));
  }

  @Delete(':idOrSlug')
  @HttpCode(204)
  async remove(@Param('idOrSlug') idOrSlug: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.store.remove(idOrSlug, actor);
  }

  @Get(':idOrSlug/resolved')
  async resolved(@Param('idOrSlug') idOrSlug: string, @CurrentActor() actor: Actor): Promise<Json> {
    const { persona, lineage, provenance } = await this.resolver.resolve(idOrSlug, actor);
    return { persona: toPlain(persona), lineage, provenance };
  }

  @Post(':idOrSlug/render')
  @HttpCode(200)
  async render(@Param('idOrSlug') idOrSlug: string, @Body() body: unknown, @CurrentActor() actor: Actor): Promise<Json> {
    const b = isObject(body) ? body : {};
    const unknown = Object.keys(b).filter((k) => !['context', 'tokenBudget', 'label', 'subject', 'provider', 'messages', 'model', 'maxTokens'].includes(k));
    if (unknown.length) throw new PersonaValidationError(unknown.map((k) => ({ path: k, constraint: 'whitelistValidation', message: `unknown field "${k}"` })), 'request');
    const prompt = await this.runtime.prompt(idOrSlug, {
      actor,
      context: b.context as string | undefined,
      tokenBudget: b.tokenBudget as number | undefined,
      label: b.label as string | undefined,
      subject: b.subject as string | undefined,
    });
    if (b.provider === undefined) return prompt as unknown as Json;
    // With a provider: the prompt, and beside it the provider's request body (docs/runtime.md).
    const messages = previewMessages(b.messages as ConversationMessage[] | undefined, b.context as string | undefined);
    const request = toProviderRequest(prompt, b.provider as ProviderName, { messages, model: b.model as string | undefined, maxTokens: b.maxTokens as number | undefined });
    return { ...prompt, request: { provider: b.provider, ...request } } as unknown as Json;
  }

  @Get(':idOrSlug/history')
  async history(@Param('idOrSlug') idOrSlug: string, @Query('limit') limit: unknown, @Query('before') before: unknown, @CurrentActor() actor: Actor): Promise<unknown[]> {
    // Over HTTP a page is always bounded: each entry holds a whole persona.
    const asInt = (v: unknown) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v);
    const options = { limit: limit === undefined ? REST_HISTORY_LIMIT : asInt(limit), beforeVersion: before === undefined ? undefined : asInt(before) } as HistoryOptions;
    if (typeof options.limit === 'number' && options.limit > REST_HISTORY_MAX) {
      throw new PersonaValidationError([{ path: 'limit', constraint: 'max', message: `limit must be at most ${REST_HISTORY_MAX}` }], 'request');
    }
    return (await this.store.history(idOrSlug, actor, options)).map((r) => ({ ...r, changedAt: r.changedAt.toISOString() }));
  }

  @Post(':idOrSlug/revert')
  @HttpCode(200)
  async revert(
    @Param('idOrSlug') idOrSlug: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Reply,
  ): Promise<Json> {
    return versionedWrite(ifMatch, isObject(body) ? body : {}, res, (rest, expectedVersion) =>
      this.store.revert(idOrSlug, rest.toVersion as number, { expectedVersion, message: rest.message as string | undefined }, actor),
    );
  }

  /**
   * Records one interaction (204). The owner, an admin or an actor with the role `metrics:write`
   * may record on a persona it can read (403 otherwise; 404 for one it cannot read); an event
   * out of range is 400 with its issues. The rules are MetricsService's: the actor is passed on.
   */
  @Post(':idOrSlug/interactions')
  @HttpCode(204)
  async record(@Param('idOrSlug') idOrSlug: string, @Body() body: unknown, @CurrentActor() actor: Actor): Promise<void> {
    const persona = await this.store.get(idOrSlug, actor);
    await this.metrics.recordInteraction(persona.id as string, body as never, actor);
  }

  /** `GET /personas/:idOrSlug/metrics/versions`: `[{ version, metrics }]` for the versions with events that the actor may see. */
  @Get(':idOrSlug/metrics/versions')
  async metricsByVersion(@Param('idOrSlug') idOrSlug: string, @CurrentActor() actor: Actor): Promise<unknown[]> {
    const persona = await this.store.get(idOrSlug, actor);
    return (await this.metrics.byVersion(persona.id as string, actor)).map((v) => ({ version: v.version, metrics: toPlain(v.metrics) }));
  }

  /** `GET /personas/:idOrSlug/metrics/series?bucket=hour|day&from=&to=&version=`: figures per bucket (at most 1,000). */
  @Get(':idOrSlug/metrics/series')
  async metricsSeries(@Param('idOrSlug') idOrSlug: string, @Query() query: Record<string, string | string[]>, @CurrentActor() actor: Actor): Promise<unknown[]> {
    const persona = await this.store.get(idOrSlug, actor);
    const options: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(query)) {
      const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
      options[key] = key === 'version' && /^\d{1,15}$/.test(value) ? Number(value) : value;
    }
    return this.metrics.series(persona.id as string, options as never, actor);
  }

  /** The metrics of a persona the actor can read (404 otherwise). */
  @Get(':idOrSlug/metrics')
  async getMetrics(@Param('idOrSlug') idOrSlug: string, @CurrentActor() actor: Actor): Promise<Json> {
    const persona = await this.store.get(idOrSlug, actor);
    return toPlain(await this.metrics.get(persona.id as string, actor));
  }
}
