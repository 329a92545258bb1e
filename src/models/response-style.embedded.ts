import { IsEnum, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { Column } from 'typeorm';
import { ResponseStyleType } from '../enums';
import { IsFlatRecord } from '../validation/constraints';
import { Model } from '../validation/model';

/** How a persona writes: register, tone, formality and length; embedded in the persona's row. */
export class ResponseStyle extends Model {
  /** Overall register (default `casual`). */
  @Column({ type: 'simple-enum', enum: ResponseStyleType, default: ResponseStyleType.Casual })
  @IsEnum(ResponseStyleType)
  type: ResponseStyleType = ResponseStyleType.Casual;

  /** A word or short phrase, 1–50 characters (default "neutral"). */
  @Column({ length: 50, default: 'neutral' })
  @Length(1, 50)
  @IsString()
  tone: string = 'neutral';

  /** Integer 1 (very informal) to 10 (very formal), default 5. */
  @Column({ type: 'integer', default: 5 })
  @Max(10)
  @Min(1)
  @IsInt()
  formalityLevel: number = 5;

  /** Integer 1 (terse) to 10 (exhaustive), default 5. */
  @Column({ type: 'integer', default: 5 })
  @Max(10)
  @Min(1)
  @IsInt()
  verbosity: number = 5;

  /** Free flat dictionary (`{ markdown: true, maxBullets: 5 }`): ≤ 50 string, number or boolean values. */
  @Column({ type: 'simple-json' })
  @IsFlatRecord()
  formattingPreferences: Record<string, string | number | boolean> = {};
}
