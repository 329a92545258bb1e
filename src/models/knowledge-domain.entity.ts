import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Column, Entity, PrimaryColumn, Relation } from 'typeorm';
import { StringList } from '../validation/fields';
import { OwningPersona, PersonaChild } from './persona-child';
import type { PersonaConfiguration } from './persona-configuration.entity';

/** A field the persona knows, with the keywords that bring it into a conversation; see docs/models.md. */
@Entity('persona_knowledge_domains', { withoutRowid: true })
export class KnowledgeDomain extends PersonaChild {
  @OwningPersona('knowledgeDomains')
  persona?: Relation<PersonaConfiguration>;

  /** 1–100 characters, unique within its persona. */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  @Length(1, 100)
  @IsString()
  name!: string;

  /** Integer 1 (novice) to 10 (world expert). */
  @Column({ type: 'integer' })
  @Max(10)
  @Min(1)
  @IsInt()
  expertiseLevel!: number;

  /** 1–50 topics of 1–100 characters; topics also activate the domain. */
  @StringList({ minItems: 1, maxItems: 50, maxLength: 100 })
  topics!: string[];

  /** At most 50 tool names of 1–100 characters (default none). */
  @StringList({ maxItems: 50, maxLength: 100 })
  tools: string[] = [];

  /** At most 50 keywords or phrases of 1–100 characters; with no keywords and no topics the domain is always active. */
  @StringList({ maxItems: 50, maxLength: 100 })
  activationKeywords: string[] = [];

  /** The knowledge itself, at most 10,000 characters, brought into the prompt when the domain is active. */
  @Column({ type: 'text', nullable: true })
  @Length(0, 10_000)
  @IsString()
  @IsOptional()
  description?: string;
}
