import { IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Column } from 'typeorm';
import { IsBcp47, IsJsonObject } from '../validation/constraints';
import { Model } from '../validation/model';

/** Text-to-speech settings; optional as a whole. Embedded in the persona's row (nullable columns). */
export class VoiceConfiguration extends Model {
  /** Speech provider, 1–50 characters: elevenlabs, openai, azure, google, polly or any other. */
  @Column({ length: 50, nullable: true })
  @Length(1, 50)
  @IsString()
  provider!: string;

  /** The provider's voice id, 1–200 characters. */
  @Column({ length: 200, nullable: true })
  @Length(1, 200)
  @IsString()
  voiceId!: string;

  /** BCP 47 language tag (default en-US). */
  @Column({ length: 35, nullable: true })
  @IsBcp47()
  language: string = 'en-US';

  /** Speaking rate multiplier 0.25–4 (default 1). */
  @Column({ type: 'float', nullable: true })
  @Max(4)
  @Min(0.25)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  speed: number = 1;

  /** Pitch shift in semitones, −20 to 20 (default 0). */
  @Column({ type: 'float', nullable: true })
  @Max(20)
  @Min(-20)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  pitch: number = 0;

  /** Volume 0–1 (default 1). */
  @Column({ type: 'float', nullable: true })
  @Max(1)
  @Min(0)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  volume: number = 1;

  /** Emotion hint for providers that support one, at most 50 characters. */
  @Column({ length: 50, nullable: true })
  @Length(0, 50)
  @IsString()
  @IsOptional()
  emotion?: string;

  /** Speaking style hint, at most 50 characters. */
  @Column({ length: 50, nullable: true })
  @Length(0, 50)
  @IsString()
  @IsOptional()
  style?: string;

  /** Provider-specific settings, a JSON object of at most 16 KiB (default {}). */
  @Column({ type: 'simple-json', nullable: true })
  @IsJsonObject(16 * 1024)
  providerOptions: Record<string, unknown> = {};
}
