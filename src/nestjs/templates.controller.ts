import { Body, Controller, Get, Inject, Param, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Actor } from '../actor';
import { PersonaValidationError } from '../errors';
import { TemplateListFilter, TemplateService } from '../services/template-service';
import { toPlain } from '../validation/model';
import { CurrentActor, PersonaActorGuard, PersonaExceptionFilter, Reply, tagged } from './http';

type Json = Record<string, unknown>;

/** The template routes mounted by `PersonaModule.forRoot({ http: true })`; see docs/nestjs.md. */
@Controller('templates')
@UseGuards(PersonaActorGuard)
@UseFilters(PersonaExceptionFilter)
export class TemplatesController {
  constructor(@Inject(TemplateService) private readonly templates: TemplateService) {}

  @Get()
  async list(@Query() query: Record<string, string>, @CurrentActor() actor: Actor): Promise<Json> {
    const filter: Record<string, unknown> = { ...query };
    for (const key of ['limit', 'offset']) if (typeof filter[key] === 'string' && /^\d+$/.test(filter[key] as string)) filter[key] = Number(filter[key]);
    for (const key of ['isPublic', 'withTotal']) if (filter[key] === 'true' || filter[key] === 'false') filter[key] = filter[key] === 'true';
    const page = await this.templates.listTemplates(filter as TemplateListFilter, actor);
    return { items: page.items.map((t) => toPlain(t)), total: page.total, nextCursor: page.nextCursor };
  }

  @Post()
  async create(@Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Reply): Promise<Json> {
    return tagged(res, await this.templates.createTemplate(body as never, actor));
  }

  @Get(':idOrSlug')
  async get(@Param('idOrSlug') idOrSlug: string, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Reply): Promise<Json> {
    return tagged(res, await this.templates.getTemplate(idOrSlug, actor));
  }

  /** Body: `{ name, slug, customizations?, description?, isPublic?, status?, tags? }`; 201 with the new persona. */
  @Post(':idOrSlug/instantiate')
  async instantiate(@Param('idOrSlug') idOrSlug: string, @Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Reply): Promise<Json> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new PersonaValidationError([{ path: '', constraint: 'isObject', message: 'the body must be a JSON object' }], 'request');
    }
    return tagged(res, await this.templates.instantiate(idOrSlug, { ...(body as Json), actor } as never));
  }
}
