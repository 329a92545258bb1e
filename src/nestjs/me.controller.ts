import { Controller, Get, UseFilters, UseGuards } from '@nestjs/common';
import type { Actor } from '../actor';
import { CurrentActor, PersonaActorGuard, PersonaExceptionFilter } from './http';

/** `GET /me`, mounted by `PersonaModule.forRoot({ http: true })`: who the request acts as. */
@Controller('me')
@UseGuards(PersonaActorGuard)
@UseFilters(PersonaExceptionFilter)
export class MeController {
  /** The actor the credentials resolve to, `{ id, roles }` (401 without one): what the console checks a token with. */
  @Get()
  me(@CurrentActor() actor: Actor): { id: string; roles: string[] } {
    return { id: actor.id, roles: [...(actor.roles ?? [])] };
  }
}
