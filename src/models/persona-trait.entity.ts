import { IsEnum, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Column, Entity, PrimaryColumn, Relation } from 'typeorm';
import { TraitCategory } from '../enums';
import { IsTraitValue } from '../validation/constraints';
import { OwningPersona, PersonaChild } from './persona-child';
import type { PersonaConfiguration } from './persona-configuration.entity';

/** One scored, weighted trait of a persona (`analytical: 90`, `tone: "dry"`, `emoji: false`); see docs/models.md. */
@Entity('persona_traits', { withoutRowid: true })
export class PersonaTrait extends PersonaChild {
  @OwningPersona('traits')
  persona?: Relation<PersonaConfiguration>;

  /** 1–50 characters, unique within its persona. */
  @PrimaryColumn({ type: 'varchar', length: 50 })
  @Length(1, 50)
  @IsString()
  name!: string;

  @Column({ type: 'simple-enum', enum: TraitCategory })
  @IsEnum(TraitCategory)
  category!: TraitCategory;

  /** A number 0–100, a string of 1–200 characters, or a boolean. Stored as JSON so its type survives. */
  @Column({ type: 'simple-json' })
  @IsTraitValue()
  value!: number | string | boolean;

  /** Importance 0–10 (default 1); heavier traits come first in the prompt and are dropped last. */
  @Column({ type: 'float', default: 1 })
  @Max(10)
  @Min(0)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  weight: number = 1;

  /** At most 500 characters. */
  @Column({ type: 'text', nullable: true })
  @Length(0, 500)
  @IsString()
  @IsOptional()
  description?: string;
}
