import { IsDate, IsOptional, IsUUID } from 'class-validator';
import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, Relation } from 'typeorm';
import { ValidationIssue } from '../errors';
import { DateInput } from '../validation/constraints';
import { compose, Counter } from '../validation/fields';
import { Model } from '../validation/model';
import type { PersonaConfiguration } from './persona-configuration.entity';

// Kept under a symbol so that validation (which refuses unknown own keys) never sees it.
const P95 = Symbol('p95ResponseTimeMs');

const DERIVED = ['successRate', 'averageResponseTimeMs', 'averageTokensPerInteraction', 'averageRating', 'p95ResponseTimeMs'] as const;

/**
 * How a persona performs: counters fed by `MetricsService.recordInteraction` and the figures
 * derived from them. Derived figures are computed, never typed in: on input they are ignored.
 * Every counter stays within 0 to 2^53 − 1 (`MetricsService` refuses an event that would pass
 * it), so the 64-bit columns read back as exact JavaScript numbers on both engines; a larger value
 * written by hand reads as the nearest number and refuses further growth until `recompute`.
 */
@Entity('persona_metrics')
export class PersonaMetrics extends Model {
  static readonly ignoredInputFields: readonly string[] = DERIVED;
  static readonly derivedFields: readonly string[] = DERIVED;

  /** The persona measured. */
  @PrimaryColumn({ type: 'uuid' })
  @IsUUID()
  personaId!: string;

  @OneToOne('PersonaConfiguration', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'personaId' })
  persona?: Relation<PersonaConfiguration>;

  /** Interactions recorded, successful or not. */
  @Counter()
  totalInteractions: number = 0;

  /** Interactions that succeeded. */
  @Counter()
  successfulInteractions: number = 0;

  /** Interactions that failed. */
  @Counter()
  failedInteractions: number = 0;

  /** Prompt tokens over all interactions. */
  @Counter()
  totalInputTokens: number = 0;

  /** Completion tokens over all interactions. */
  @Counter()
  totalOutputTokens: number = 0;

  /** Sum of response latencies, milliseconds. */
  @Counter()
  totalResponseTimeMs: number = 0;

  /** Interactions that carried a rating (1–5). */
  @Counter()
  ratingCount: number = 0;

  /** Sum of those ratings. */
  @Counter()
  ratingSum: number = 0;

  /** When the latest interaction happened. */
  @Column({ type: Date, nullable: true })
  @compose(IsOptional(), IsDate(), DateInput())
  lastInteractionAt?: Date;

  private [P95]?: number | null;

  /** 95th percentile of response latency in ms (nearest rank), from the interaction log; null with no interactions. Set by `MetricsService`. */
  get p95ResponseTimeMs(): number | null {
    return this[P95] ?? null;
  }
  set p95ResponseTimeMs(value: number | null) {
    this[P95] = value;
  }

  /** successful ÷ total, 0–1; null with no interactions. */
  get successRate(): number | null {
    return this.totalInteractions ? this.successfulInteractions / this.totalInteractions : null;
  }

  /** Mean latency in ms; null with no interactions. */
  get averageResponseTimeMs(): number | null {
    return this.totalInteractions ? this.totalResponseTimeMs / this.totalInteractions : null;
  }

  /** Mean of input + output tokens per interaction; null with no interactions. */
  get averageTokensPerInteraction(): number | null {
    return this.totalInteractions ? (this.totalInputTokens + this.totalOutputTokens) / this.totalInteractions : null;
  }

  /** Mean rating 1–5; null with no ratings. */
  get averageRating(): number | null {
    return this.ratingCount ? this.ratingSum / this.ratingCount : null;
  }

  /** @internal Counters must agree with each other. */
  extraIssues(): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const { totalInteractions: t, successfulInteractions: s, failedInteractions: f, ratingCount: rc, ratingSum: rs } = this;
    if ([t, s, f, rc, rs].every((n) => Number.isInteger(n) && n >= 0)) {
      if (s + f !== t) issues.push({ path: 'totalInteractions', constraint: 'sumOfOutcomes', message: 'totalInteractions must equal successfulInteractions + failedInteractions' });
      if (rc > t) issues.push({ path: 'ratingCount', constraint: 'max', message: 'ratingCount cannot exceed totalInteractions' });
      if (rs < rc || rs > 5 * rc) issues.push({ path: 'ratingSum', constraint: 'ratingRange', message: 'ratingSum must lie between ratingCount and 5 × ratingCount (ratings are 1–5)' });
    }
    return issues;
  }
}
