import Form from '@rjsf/core';
import type { ErrorSchema, RJSFSchema, UiSchema } from '@rjsf/utils';
import { ReactNode, useState } from 'react';
import { ApiError } from '../api/client';
import type { Json, ValidationIssue } from '../api/types';
import { issuesToErrorSchema } from '../forms/issues';
import { validator } from '../forms/validator';

/**
 * An rjsf form checked in the browser as every form of the console is (no HTML5 validation, focus on
 * the first error, errors shown in the form rather than logged), with the server's issues
 * (`extraErrors`, from {@link useSubmitErrors}) shown at their fields.
 */
export function ServerForm({ id, schema, uiSchema, formData, extraErrors, showErrorList, onChange, onSubmit, children }: {
  id: string;
  schema: RJSFSchema;
  uiSchema?: UiSchema;
  formData: Json;
  extraErrors?: ErrorSchema;
  showErrorList?: false | 'top' | 'bottom';
  onChange: (data: Json) => void;
  onSubmit: (data: Json) => void;
  children?: ReactNode;
}) {
  return (
    <Form
      id={id}
      schema={schema}
      uiSchema={uiSchema}
      formData={formData}
      validator={validator}
      extraErrors={extraErrors}
      noHtml5Validate
      focusOnFirstError
      onError={() => undefined /* the errors are shown in the form; rjsf would also log them */}
      showErrorList={showErrorList}
      onChange={(e) => onChange(e.formData as Json)}
      onSubmit={(e) => onSubmit(e.formData as Json)}
    >
      {children}
    </Form>
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
