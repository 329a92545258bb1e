import { PersonaValidationError } from '../../src';

/** True when A is assignable to B and has no top-level key B does not know (what an object literal would be checked for). */
export type Exact<A, B> = A extends B ? (Exclude<keyof A, keyof B> extends never ? true : false) : false;

/** The issues of the PersonaValidationError that `run` throws; fails the test when it throws anything else or nothing. */
export function validationIssues(run: () => unknown): PersonaValidationError['issues'] {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(PersonaValidationError);
    return (e as PersonaValidationError).issues;
  }
  throw new Error('expected a PersonaValidationError');
}

/** The PersonaValidationError that `run` rejects with; rethrows anything else, fails when it resolves. */
export async function refusal(run: Promise<unknown>): Promise<PersonaValidationError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PersonaValidationError)) throw error ?? new Error('expected a PersonaValidationError');
  return error;
}
