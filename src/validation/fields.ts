import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDate,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Min,
} from 'class-validator';
import { Column, CreateDateColumn, UpdateDateColumn, ValueTransformer } from 'typeorm';
import { DateInput } from './constraints';

/** Applies several property decorators as one; the last one listed runs its check first. */
export function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (let i = decorators.length - 1; i >= 0; i--) decorators[i](target, key);
  };
}

/** Options of {@link StringList}. */
export type StringListOptions = { maxItems: number; minItems?: number; maxLength: number; unique?: boolean };

/**
 * A list of non-empty strings kept as JSON text: at most `maxItems` entries of 1–`maxLength`
 * characters each, optionally unique.
 */
export function StringList(options: StringListOptions): PropertyDecorator {
  return compose(
    Column({ type: 'simple-json' }),
    ...(options.unique ? [ArrayUnique()] : []),
    Length(1, options.maxLength, { each: true }),
    IsString({ each: true }),
    ArrayMaxSize(options.maxItems),
    ...(options.minItems ? [ArrayMinSize(options.minItems)] : []),
    IsArray(),
  );
}

/** An integer count kept as a 64-bit column; PostgreSQL's `bigint` comes back as text, so read it as a number. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (value === null || value === undefined ? value : Number(value)),
};

/** A non-negative integer counter, default 0. */
export function Counter(): PropertyDecorator {
  return compose(Column({ type: 'bigint', default: 0, transformer: bigintAsNumber }), Min(0), IsInt());
}

/** `createdAt`: set by the store, accepted on input so stored JSON round-trips, never invented by `create()`. */
export function CreatedAtField(): PropertyDecorator {
  return compose(CreateDateColumn(), IsOptional(), IsDate(), DateInput());
}

/** `updatedAt`: as {@link CreatedAtField}. */
export function UpdatedAtField(): PropertyDecorator {
  return compose(UpdateDateColumn(), IsOptional(), IsDate(), DateInput());
}
