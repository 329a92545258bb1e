import { Type } from 'class-transformer';
import {
  IsArray,
  IsEnum,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  ArrayMaxSize,
  Min,
  ValidateNested,
} from 'class-validator';
import { Column, Entity, Index, OneToMany } from 'typeorm';
import { InteractionMode, PersonaStatus } from '../enums';
import { ValidationIssue } from '../errors';
import { HasUniqueNames, IsExclusiveWith, IsJsonObject } from '../validation/constraints';
import { compose, CreatedAtField, DescriptionField, IdField, IsPublicField, NameField, OwnerField, SlugField, StringList, UpdatedAtField, VersionField } from '../validation/fields';
import { storedRecordIssues } from '../interop/record';
import { Model } from '../validation/model';
import { BehaviorRule } from './behavior-rule.entity';
import { KnowledgeDomain } from './knowledge-domain.entity';
import { MemoryConfiguration } from './memory-configuration.embedded';
import { PersonaTrait } from './persona-trait.entity';
import { ResponseStyle } from './response-style.embedded';
import { VoiceConfiguration } from './voice-configuration.embedded';

/** The largest interchange record (`interop`) of a persona, in bytes of serialised JSON: 1 MiB. */
export const INTEROP_MAX_BYTES = 1024 * 1024;

/** A list of child entities validated one by one, at most `max` long, names unique. */
function ChildList(type: () => Function, max: number): PropertyDecorator {
  return compose(HasUniqueNames(), ValidateNested({ each: true }), Type(type), ArrayMaxSize(max), IsArray());
}

/**
 * The persona: everything that makes an assistant *this* assistant. Identity, status, traits,
 * response style, knowledge, rules, memory, voice, model settings, lineage and access.
 * Build one with `PersonaConfiguration.create(props)`; persist it with `PersonaStore`.
 */
@Entity('personas')
// The list indexes (docs/scaling.md): the default sort for admins, an owner's own rows and public
// rows in name order, and the most used other sort; the trigram indexes behind search and the GIN
// index on the tags exist on PostgreSQL only and are made by the migration (TypeORM leaves them alone).
@Index('IDX_personas_name_page', ['name', 'id', 'isPublic', 'createdBy', 'version'])
@Index(['createdBy', 'name', 'id'])
@Index('IDX_personas_public_name', ['name', 'id'], { where: '"isPublic" = true' })
@Index(['updatedAt', 'id'])
@Index('IDX_personas_name_trgm', { synchronize: false })
@Index('IDX_personas_slug_trgm', { synchronize: false })
@Index('IDX_personas_tags_gin', { synchronize: false })
export class PersonaConfiguration extends Model {
  /** UUID; assigned by the store, accepted on input so a stored persona's JSON round-trips. */
  @IdField()
  id?: string;

  /** Display name, 1–100 characters. */
  @NameField()
  name!: string;

  /** Unique handle, 1–64 characters matching `^[a-z0-9]+(-[a-z0-9]+)*$`, never shaped like a UUID. */
  @SlugField()
  slug!: string;

  /** Who the persona is, at most 10,000 characters (default ""). */
  @DescriptionField()
  description: string = '';

  /** Base instructions placed after the identity, at most 100,000 characters (optional). */
  @Column({ type: 'text', nullable: true })
  @Length(0, 100_000)
  @IsString()
  @IsOptional()
  instructions?: string;

  /** Lifecycle state (default `draft`). */
  @Index()
  @Column({ type: 'simple-enum', enum: PersonaStatus, default: PersonaStatus.Draft })
  @IsEnum(PersonaStatus)
  status: PersonaStatus = PersonaStatus.Draft;

  /** How the persona engages (default `conversational`). */
  @Column({ type: 'simple-enum', enum: InteractionMode, default: InteractionMode.Conversational })
  @IsEnum(InteractionMode)
  interactionMode: InteractionMode = InteractionMode.Conversational;

  /** At most 100 traits, names unique. */
  @OneToMany(() => PersonaTrait, (t) => t.persona, { cascade: true })
  @ChildList(() => PersonaTrait, 100)
  traits!: PersonaTrait[];

  /** Defaults (casual, neutral, 5, 5, {}) when omitted. */
  @Column(() => ResponseStyle)
  @ValidateNested()
  @Type(() => ResponseStyle)
  responseStyle: ResponseStyle = new ResponseStyle();

  /** At most 50 domains, names unique. */
  @OneToMany(() => KnowledgeDomain, (d) => d.persona, { cascade: true })
  @ChildList(() => KnowledgeDomain, 50)
  knowledgeDomains!: KnowledgeDomain[];

  /** At most 200 rules, names unique. */
  @OneToMany(() => BehaviorRule, (r) => r.persona, { cascade: true })
  @ChildList(() => BehaviorRule, 200)
  behaviorRules!: BehaviorRule[];

  /** Defaults (8,192 / 6,144 / 20 / none / off / 0.5) when omitted. */
  @Column(() => MemoryConfiguration)
  @ValidateNested()
  @Type(() => MemoryConfiguration)
  memoryConfig: MemoryConfiguration = new MemoryConfiguration();

  /** Text-to-speech settings; absent means no voice. */
  @Column(() => VoiceConfiguration)
  @ValidateNested()
  @Type(() => VoiceConfiguration)
  @IsOptional()
  voiceConfig?: VoiceConfiguration;

  /** Sampling temperature 0–2 (default 0.7). */
  @Column({ type: 'float', default: 0.7 })
  @Max(2)
  @Min(0)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  temperature: number = 0.7;

  /** Longest response, integer 1–1,000,000 tokens (optional; the model's own limit otherwise). */
  @Column({ type: 'integer', nullable: true })
  @Max(1_000_000)
  @Min(1)
  @IsInt()
  @IsOptional()
  maxTokens?: number;

  /** Models in order of preference: at most 10 unique names of 1–100 characters. */
  @StringList({ maxItems: 10, maxLength: 100, unique: true })
  modelPreferences: string[] = [];

  /** The template this persona was instantiated from (never together with `parentId`). */
  @Index()
  @Column({ type: 'uuid', nullable: true })
  @IsUUID()
  @IsOptional()
  templateId?: string;

  /** The template's version at instantiation, integer ≥ 1; recorded by `TemplateService.instantiate`. */
  @Column({ type: 'integer', nullable: true })
  @Min(1)
  @IsInt()
  @IsOptional()
  templateVersion?: number;

  /** The persona this one inherits from (never together with `templateId`). */
  @Index()
  @Column({ type: 'uuid', nullable: true })
  @IsExclusiveWith('templateId')
  @IsUUID()
  @IsOptional()
  parentId?: string;

  /** Readable by every actor when true; by its owner and admins only when false (default). */
  @IsPublicField()
  isPublic: boolean = false;

  /** Owner's actor id, 1–255 characters; the store sets it from the actor. */
  @OwnerField()
  createdBy!: string;

  /** Integer ≥ 1, kept by the store (1 on create, +1 on every change). */
  @VersionField()
  version?: number;

  /** At most 20 unique tags of 1–50 characters. */
  @StringList({ maxItems: 20, maxLength: 50, unique: true })
  tags: string[] = [];

  /** Free JSON object, at most 64 KiB serialised (default {}). */
  @Column({ type: 'simple-json' })
  @IsJsonObject(64 * 1024)
  metadata: Record<string, unknown> = {};

  /**
   * The interchange record of an imported character card, Eliza character or Letta agent: what
   * `exportPersona` needs to give the source document back (see docs/interop.md). Its own column,
   * so it never counts against `metadata`; a JSON object of at most 1 MiB (1,048,576 bytes)
   * serialised; absent for personas that were not imported.
   */
  @Column({ type: 'simple-json', nullable: true })
  @IsOptional()
  @IsJsonObject(INTEROP_MAX_BYTES)
  interop?: Record<string, unknown>;

  /** @internal A record of a format we write must have the shape its writers read (paths `interop.…`). */
  extraIssues(): ValidationIssue[] {
    return storedRecordIssues(this.interop, 'interop');
  }

  /** Kept by the store. */
  @CreatedAtField()
  createdAt?: Date;

  /** Kept by the store. */
  @UpdatedAtField()
  updatedAt?: Date;

  /** @internal The paths the caller set (see `setFieldPaths`), kept so inheritance survives a round trip. */
  @Column({ type: 'simple-json', default: '[]' })
  storedFieldPaths?: string[];


  /** @internal */
  applyDefaults(): void {
    this.traits ??= [];
    this.knowledgeDomains ??= [];
    this.behaviorRules ??= [];
  }
}
