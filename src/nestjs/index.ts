import 'reflect-metadata';

export { PersonaModule, PERSONA_MODULE_OPTIONS, PERSONA_CONTROLLERS } from './persona.module';
export type { PersonaModuleExtras, PersonaModuleForRootOptions, PersonaModuleForRootAsyncOptions } from './persona.module';
export { headerActorResolver } from './options';
export type { ActorResolver, PersonaModuleOptions, PersonaConsoleOptions, PersonaOpenApiOptions } from './options';
export { PERSONA_DATA_SOURCE, PERSONA_ACTOR_RESOLVER } from './tokens';
export { PersonasController } from './personas.controller';
export { TemplatesController } from './templates.controller';
export { ReleasesController } from './releases.controller';
export { InteropController } from './interop.controller';
export { MeController } from './me.controller';
export { bearerActorResolver, generateToken, parseTokenUsers, tokensEqual, TokenUser } from './bearer-tokens';
export { CONSOLE_BUILD_DIR, CONTENT_SECURITY_POLICY, securityHeaders } from './web-assets';
export type { ConsoleConfig } from './web-assets';
export { PersonaActorGuard, PersonaExceptionFilter, CurrentActor } from './http';
export { PERSONA_ENTITIES } from '../persistence/data-source';
