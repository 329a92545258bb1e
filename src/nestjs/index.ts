import 'reflect-metadata';

export { PersonaModule, PERSONA_MODULE_OPTIONS } from './persona.module';
export type { PersonaModuleExtras, PersonaModuleForRootOptions, PersonaModuleForRootAsyncOptions } from './persona.module';
export { headerActorResolver } from './options';
export type { ActorResolver, PersonaModuleOptions } from './options';
export { PERSONA_DATA_SOURCE, PERSONA_ACTOR_RESOLVER } from './tokens';
export { PersonasController } from './personas.controller';
export { TemplatesController } from './templates.controller';
export { PersonaActorGuard, PersonaExceptionFilter, CurrentActor } from './http';
export { PERSONA_ENTITIES } from '../persistence/data-source';
