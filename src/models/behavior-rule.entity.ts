import { IsBoolean, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { Column, Entity, PrimaryColumn, Relation } from 'typeorm';
import { StringList } from '../validation/fields';
import { OwningPersona, PersonaChild } from './persona-child';
import type { PersonaConfiguration } from './persona-configuration.entity';

/** "When <condition>, <action>": a rule the persona follows, with a priority; see docs/models.md. */
@Entity('persona_behavior_rules', { withoutRowid: true })
export class BehaviorRule extends PersonaChild {
  @OwningPersona('behaviorRules')
  persona?: Relation<PersonaConfiguration>;

  /** 1–100 characters, unique within its persona. */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  @Length(1, 100)
  @IsString()
  name!: string;

  /** When the rule applies, 1–1,000 characters. */
  @Column({ type: 'text' })
  @Length(1, 1000)
  @IsString()
  condition!: string;

  /** What the persona then does, 1–2,000 characters. */
  @Column({ type: 'text' })
  @Length(1, 2000)
  @IsString()
  action!: string;

  /** Integer 0–100 (default 50); higher comes first and is dropped last. */
  @Column({ type: 'integer', default: 50 })
  @Max(100)
  @Min(0)
  @IsInt()
  priority: number = 50;

  /** Mandatory rules are always rendered, whatever the token budget (default false). */
  @Column({ type: 'boolean', default: false })
  @IsBoolean()
  isMandatory: boolean = false;

  /** At most 20 exceptions of 1–500 characters (default none). */
  @StringList({ maxItems: 20, maxLength: 500 })
  exceptions: string[] = [];
}
