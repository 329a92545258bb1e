import { IsBoolean, IsInt, IsNumber, Max, Min } from 'class-validator';
import { Column } from 'typeorm';
import { IsBelowField } from '../validation/constraints';
import { StringList } from '../validation/fields';
import { fieldsSet, Model } from '../validation/model';

/** How much of a conversation the persona keeps and when it summarises; embedded in the persona's row. */
export class MemoryConfiguration extends Model {
  /** Context window to plan for, integer 256–2,000,000 tokens (default 8,192). */
  @Column({ type: 'integer', default: 8192 })
  @Max(2_000_000)
  @Min(256)
  @IsInt()
  maxContextTokens: number = 8192;

  /**
   * Summarise older turns past this many tokens; an integer strictly below `maxContextTokens`.
   * Default: three quarters of `maxContextTokens` (6,144 for the default 8,192).
   */
  @Column({ type: 'integer', default: 6144 })
  @IsBelowField('maxContextTokens')
  @Min(1)
  @IsInt()
  summarizeAtTokens: number = 6144;

  /** Messages always kept verbatim, integer 0–1,000 (default 20). */
  @Column({ type: 'integer', default: 20 })
  @Max(1000)
  @Min(0)
  @IsInt()
  retainLastMessages: number = 20;

  /** Topics kept in memory first: at most 50 of 1–100 characters. */
  @StringList({ maxItems: 50, maxLength: 100 })
  priorityTopics: string[] = [];

  /** Compress older memory by meaning rather than dropping it (default false). */
  @Column({ type: 'boolean', default: false })
  @IsBoolean()
  semanticCompression: boolean = false;

  /** Target size after compression, 0.1–1 of the original (default 0.5). */
  @Column({ type: 'float', default: 0.5 })
  @Max(1)
  @Min(0.1)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  compressionRatio: number = 0.5;

  /** @internal An unset threshold follows the limit it must stay below. */
  applyDefaults(): void {
    if (!fieldsSet(this).has('summarizeAtTokens') && typeof this.maxContextTokens === 'number') {
      this.summarizeAtTokens = Math.floor(this.maxContextTokens * 0.75);
    }
  }
}
