import { ConfigurableModuleBuilder, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createDataSource } from '../persistence/data-source';
import { InheritanceResolver } from '../services/inheritance-resolver';
import { MetricsService } from '../services/metrics-service';
import { ReleaseService } from '../services/release-service';
import { PersonaRuntime } from '../services/persona-runtime';
import { PersonaStore } from '../services/persona-store';
import { TemplateService } from '../services/template-service';
import { PersonaActorGuard, PersonaExceptionFilter } from './http';
import { mountWebRoutes } from './mount';
import { headerActorResolver, PersonaModuleOptions } from './options';
import { PersonasController } from './personas.controller';
import { InteropController } from './interop.controller';
import { MeController } from './me.controller';
import { ReleasesController } from './releases.controller';
import { TemplatesController } from './templates.controller';
import { PERSONA_ACTOR_RESOLVER, PERSONA_DATA_SOURCE } from './tokens';

/** Extras decided when the module is defined: `http` mounts the REST controllers, `isGlobal` exports to every module. */
export type PersonaModuleExtras = { http?: boolean; isGlobal?: boolean };

/** The REST controllers `http: true` mounts (the OpenAPI document describes each of their routes). */
export const PERSONA_CONTROLLERS = [PersonasController, ReleasesController, TemplatesController, InteropController, MeController] as const;

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<PersonaModuleOptions>({
  moduleName: 'Persona',
})
  .setClassMethodName('forRoot')
  .setExtras<PersonaModuleExtras>({ http: false, isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    controllers: extras.http ? [...PERSONA_CONTROLLERS] : [],
  }))
  .build();

/** The options token, for providers that need the module's options. */
export const PERSONA_MODULE_OPTIONS = MODULE_OPTIONS_TOKEN;
/** What `forRoot` takes: the options and the extras. */
export type PersonaModuleForRootOptions = typeof OPTIONS_TYPE;
/** What `forRootAsync` takes: `useFactory`/`useClass`/`useExisting`, `inject`, `imports`, and the extras. */
export type PersonaModuleForRootAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

const OWNED = Symbol('owned by PersonaModule');

const providers: Provider[] = [
  {
    provide: PERSONA_DATA_SOURCE,
    inject: [MODULE_OPTIONS_TOKEN],
    useFactory: async (options: PersonaModuleOptions): Promise<DataSource> => {
      if (options.dataSource) return options.dataSource.isInitialized ? options.dataSource : options.dataSource.initialize();
      const { dataSource: _d, actorResolver: _a, maxInheritanceDepth: _m, cacheSize: _c, console: _w, openapi: _o, ...dbOptions } = options;
      const ds = await createDataSource(dbOptions).initialize();
      return Object.assign(ds, { [OWNED]: true });
    },
  },
  {
    provide: PERSONA_ACTOR_RESOLVER,
    inject: [MODULE_OPTIONS_TOKEN],
    useFactory: (options: PersonaModuleOptions) => options.actorResolver ?? headerActorResolver,
  },
  { provide: PersonaStore, inject: [PERSONA_DATA_SOURCE, MODULE_OPTIONS_TOKEN], useFactory: (ds: DataSource, o: PersonaModuleOptions) => new PersonaStore(ds, { maxInheritanceDepth: o.maxInheritanceDepth }) },
  { provide: TemplateService, inject: [PERSONA_DATA_SOURCE], useFactory: (ds: DataSource) => new TemplateService(ds) },
  { provide: InheritanceResolver, inject: [PERSONA_DATA_SOURCE, MODULE_OPTIONS_TOKEN], useFactory: (ds: DataSource, o: PersonaModuleOptions) => new InheritanceResolver(ds, { maxDepth: o.maxInheritanceDepth }) },
  { provide: MetricsService, inject: [PERSONA_DATA_SOURCE], useFactory: (ds: DataSource) => new MetricsService(ds) },
  { provide: ReleaseService, inject: [PERSONA_DATA_SOURCE, MODULE_OPTIONS_TOKEN], useFactory: (ds: DataSource, o: PersonaModuleOptions) => new ReleaseService(ds, { maxDepth: o.maxInheritanceDepth }) },
  {
    provide: PersonaRuntime,
    inject: [PERSONA_DATA_SOURCE, MODULE_OPTIONS_TOKEN],
    useFactory: (ds: DataSource, o: PersonaModuleOptions) => new PersonaRuntime(ds, { maxDepth: o.maxInheritanceDepth, cacheSize: o.cacheSize, invalidation: o.invalidation }),
  },
  PersonaActorGuard,
  PersonaExceptionFilter,
];

/**
 * The persona library as a NestJS module: PersonaStore, TemplateService, InheritanceResolver,
 * MetricsService, ReleaseService and PersonaRuntime for injection, and with `http: true` the REST API of
 * docs/nestjs.md.
 *
 * ```ts
 * @Module({ imports: [PersonaModule.forRoot({ url: process.env.DATABASE_URL, http: true })] })
 * export class AppModule {}
 * ```
 */
@Module({
  providers,
  exports: [PERSONA_DATA_SOURCE, PersonaStore, TemplateService, InheritanceResolver, MetricsService, PersonaRuntime, ReleaseService],
})
export class PersonaModule extends ConfigurableModuleClass implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PersonaModule');

  constructor(
    @Inject(PERSONA_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: PersonaModuleOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(ModulesContainer) private readonly modules: ModulesContainer,
    @Inject(PersonaRuntime) private readonly runtime: PersonaRuntime,
  ) {
    super();
  }

  /**
   * Mounts the console and the OpenAPI document when the options ask for them. Nest calls this
   * after it has registered the controllers' routes and before its 404 handler, so these paths
   * sit beside the REST routes.
   */
  onModuleInit(): void {
    if (!this.options.console && !this.options.openapi) return;
    mountWebRoutes(this.options, this.adapterHost.httpAdapter, this.modules, PersonaModule);
  }

  /**
   * Closes the runtime (its listening connection, with `invalidation: 'notify'`), then the
   * DataSource the module opened itself; one it was given stays open.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
    if ((this.dataSource as DataSource & { [OWNED]?: boolean })[OWNED] && this.dataSource.isInitialized) {
      await this.dataSource.destroy();
      this.logger.log('persona database closed');
    }
  }
}
