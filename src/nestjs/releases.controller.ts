import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Query, UseFilters, UseGuards } from '@nestjs/common';
import type { Actor } from '../actor';
import { LabelNotFoundError, PersonaValidationError } from '../errors';
import { PersonaStore } from '../services/persona-store';
import { ReleaseService } from '../services/release-service';
import { CurrentActor, PersonaActorGuard, PersonaExceptionFilter } from './http';
import { isVersionNumber, versionNumberMessage } from '../validation/version-number';

type Json = Record<string, unknown>;

/** A positive integer from a query parameter, or a validation error naming it. */
function versionParam(value: string | undefined, name: string): number {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value) || !isVersionNumber(Number(value))) {
    throw new PersonaValidationError([{ path: name, constraint: 'isInt', message: versionNumberMessage(name) }], 'query');
  }
  return Number(value);
}

/** The release routes (diff, labels, policies) mounted by `PersonaModule.forRoot({ http: true })`; see docs/nestjs.md and docs/releases.md. */
@Controller('personas')
@UseGuards(PersonaActorGuard)
@UseFilters(PersonaExceptionFilter)
export class ReleasesController {
  constructor(
    @Inject(PersonaStore) private readonly store: PersonaStore,
    @Inject(ReleaseService) private readonly releases: ReleaseService,
  ) {}

  /** `GET /personas/:idOrSlug/diff?from=&to=`: the changes between two versions the actor may see. */
  @Get(':idOrSlug/diff')
  async diff(@Param('idOrSlug') idOrSlug: string, @Query('from') from: string | undefined, @Query('to') to: string | undefined, @CurrentActor() actor: Actor): Promise<Json> {
    return this.store.diff(idOrSlug, versionParam(from, 'from'), versionParam(to, 'to'), actor);
  }

  @Get(':idOrSlug/labels')
  async labels(@Param('idOrSlug') idOrSlug: string, @CurrentActor() actor: Actor): Promise<unknown[]> {
    return this.releases.labels(idOrSlug, actor);
  }

  /** `GET /personas/:idOrSlug/labels/:label`: one label (404 `LABEL_NOT_FOUND` when the persona has none of that name). */
  @Get(':idOrSlug/labels/:label')
  async label(@Param('idOrSlug') idOrSlug: string, @Param('label') label: string, @CurrentActor() actor: Actor): Promise<Json> {
    const found = (await this.releases.labels(idOrSlug, actor)).find((l) => l.label === label);
    if (!found) throw new LabelNotFoundError(idOrSlug, label);
    return found;
  }

  /** `GET /personas/:idOrSlug/label-history`: every move the actor may see, oldest first. */
  @Get(':idOrSlug/label-history')
  async labelHistory(@Param('idOrSlug') idOrSlug: string, @CurrentActor() actor: Actor): Promise<unknown[]> {
    return this.releases.labelHistory(idOrSlug, actor);
  }

  /** `PUT /personas/:idOrSlug/labels/:label` with `{ version }` or `{ split: [{ version, weight }] }`: moves the label through its policy and gates. */
  @Put(':idOrSlug/labels/:label')
  async setLabel(@Param('idOrSlug') idOrSlug: string, @Param('label') label: string, @Body() body: unknown, @CurrentActor() actor: Actor): Promise<Json> {
    return this.releases.setLabel(idOrSlug, label, body as never, actor);
  }

  @Delete(':idOrSlug/labels/:label')
  @HttpCode(204)
  async removeLabel(@Param('idOrSlug') idOrSlug: string, @Param('label') label: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.releases.removeLabel(idOrSlug, label, actor);
  }

  @Get(':idOrSlug/policies/:label')
  async policy(@Param('idOrSlug') idOrSlug: string, @Param('label') label: string, @CurrentActor() actor: Actor): Promise<Json> {
    return (await this.releases.policy(idOrSlug, label, actor)) ?? { roles: [], checks: [] };
  }

  /** `PUT /personas/:idOrSlug/policies/:label` with `{ roles?, checks? }`: replaces the label's policy (204). */
  @Put(':idOrSlug/policies/:label')
  @HttpCode(204)
  async setPolicy(@Param('idOrSlug') idOrSlug: string, @Param('label') label: string, @Body() body: unknown, @CurrentActor() actor: Actor): Promise<void> {
    await this.releases.setPolicy(idOrSlug, label, body as never, actor);
  }

  @Delete(':idOrSlug/policies/:label')
  @HttpCode(204)
  async removePolicy(@Param('idOrSlug') idOrSlug: string, @Param('label') label: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.releases.removePolicy(idOrSlug, label, actor);
  }
}
