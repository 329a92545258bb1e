import Form, { type FormProps } from '@rjsf/core';
import type { ErrorSchema } from '@rjsf/utils';
import { useState } from 'react';
import { ApiError } from '../api/client';
import type { Json, ValidationIssue } from '../api/types';
import { issuesToErrorSchema } from '../forms/issues';
import { validator } from '../forms/validator';

/**
 * An rjsf form checked in the browser as every form of the console is (no HTML5 validation, focus on
 * the first error, errors shown in the form rather than logged), with the server's issues
 * (`extraErrors`, from {@link useSubmitErrors}) shown at their fields; `onChange` and `onSubmit`
 * get the form data. Other rjsf props pass through.
 */
export function ServerForm({ onChange, onSubmit, ...props }: Omit<FormProps, 'validator' | 'formData' | 'onChange' | 'onSubmit' | 'onError'> & {
  formData: Json;
  onChange: (data: Json) => void;
  onSubmit: (data: Json) => void;
}) {
  return (
    <Form
      {...props}
      validator={validator}
      noHtml5Validate
      focusOnFirstError
      onError={() => undefined /* the errors are shown in the form; rjsf would also log them */}
      onChange={(e) => onChange(e.formData as Json)}
      onSubmit={(e) => onSubmit(e.formData as Json)}
    />
  );
}

/**
 * The error of a form's last submit (for an ErrorNotice) and the server's issues at their fields
 * (for {@link ServerForm}'s `extraErrors`): `clear()` before a submit, `fail(e)` when it throws;
 * `moveIssue` may re-path an issue (to the form field that holds it).
 */
export function useSubmitErrors() {
  const [serverErrors, setServerErrors] = useState<ErrorSchema | undefined>();
  const [error, setError] = useState<unknown>(null);
  return {
    error,
    serverErrors,
    setError,
    setServerErrors,
    clear() {
      setError(null);
      setServerErrors(undefined);
    },
    fail(e: unknown, moveIssue: (issue: ValidationIssue) => ValidationIssue = (issue) => issue) {
      setError(e);
      if (e instanceof ApiError && e.body.issues) setServerErrors(issuesToErrorSchema(e.body.issues.map(moveIssue)));
    },
  };
}
