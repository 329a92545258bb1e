import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDate,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Min,
} from 'class-validator';
import { Column, CreateDateColumn, PrimaryGeneratedColumn, UpdateDateColumn, ValueTransformer } from 'typeorm';
import { DateInput, IsSlug } from './constraints';

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

/*
 * The fields every versioned, owned record has (personas and templates), declared once: each is
 * the TypeORM column and the class-validator rules together.
 */

/** `id`: a UUID assigned by the store, accepted on input so a stored record's JSON round-trips. */
export function IdField(): PropertyDecorator {
  return compose(PrimaryGeneratedColumn('uuid'), IsUUID(), IsOptional());
}

/** `name`: 1–100 characters. */
export function NameField(): PropertyDecorator {
  return compose(Column({ length: 100 }), Length(1, 100), IsString());
}

/** `slug`: unique, 1–64 characters matching `^[a-z0-9]+(-[a-z0-9]+)*$`, never shaped like a UUID. */
export function SlugField(): PropertyDecorator {
  return compose(Column({ length: 64, unique: true }), IsSlug(), Length(1, 64), IsString());
}

/** `description`: at most 10,000 characters (default ""). */
export function DescriptionField(): PropertyDecorator {
  return compose(Column({ type: 'text', default: '' }), Length(0, 10_000), IsString());
}

/** `isPublic`: readable by every actor when true (default false). */
export function IsPublicField(): PropertyDecorator {
  return compose(Column({ type: 'boolean', default: false }), IsBoolean());
}

/** `createdBy`: the owner's actor id, 1–255 characters; the store sets it from the actor. */
export function OwnerField(): PropertyDecorator {
  return compose(Column({ length: 255 }), Length(1, 255), IsString());
}

/** `version`: an integer ≥ 1 kept by the store (1 on create, +1 on every change). */
export function VersionField(): PropertyDecorator {
  return compose(Column({ type: 'integer', default: 1 }), Min(1), IsInt(), IsOptional());
}
