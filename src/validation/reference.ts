import { validateSync, ValidationError, ValidatorOptions } from 'class-validator';
import { ValidationIssue } from '../errors';
import type { Model } from './model';
import { joinPath } from './paths';

/*
 * class-validator itself, with the library's options: the reference path
 * (`validateWithClassValidator`, the oracle the compiled plans are tested against) and the check
 * of a partial persona (only the fields it gives) run it. `create()` runs the compiled plans.
 */

/** Options passed to class-validator on every validation; never rely on its defaults. */
export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
};

/** Validates an instance tree with class-validator itself and returns its issues (nothing thrown). */
export function collectIssues(instance: Model): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  mapErrors(validateSync(instance, VALIDATOR_OPTIONS), '', issues);
  issues.push(...instance.extraIssues());
  return issues;
}

/** Flattens class-validator's error tree into issues with paths like `traits[2].value`. */
export function mapErrors(errors: ValidationError[], parent: string, out: ValidationIssue[]): void {
  for (const error of errors) {
    // An error without a property (forbidUnknownValues) stands at its parent's path.
    // A numeric property is an array index, except for an unknown key ({"0": …}), which is a key.
    const isIndex = /^\d+$/.test(error.property ?? '') && !error.constraints?.whitelistValidation;
    const path = error.property === undefined ? parent : joinPath(parent, isIndex ? Number(error.property) : error.property);
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const text = constraint === 'whitelistValidation' ? `unknown field "${error.property}"` : message;
      // class-validator names only the property; name the whole path instead.
      out.push({ path, constraint, message: text.startsWith(`${error.property} `) ? path + text.slice(error.property.length) : text });
    }
    if (error.children?.length) mapErrors(error.children, path, out);
  }
}
