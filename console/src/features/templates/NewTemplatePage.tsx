import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/client';
import type { Json } from '../../api/types';
import { issuesToErrorSchema } from '../../forms/issues';
import { ErrorNotice } from '../../shared/ErrorNotice';
import { ServerForm, useSubmitErrors } from '../../shared/ServerForm';
import { templateSchema } from './schemas';

const uiSchema = {
  description: { 'ui:widget': 'textarea', 'ui:options': { rows: 3 } },
  baseConfiguration: { 'ui:widget': 'textarea', 'ui:options': { rows: 8 } },
};

/** Create a template: its identity, the persona fields it sets, and which fields users may customize. */
export function NewTemplatePage() {
  const navigate = useNavigate();
  const [formData, setFormData] = useState<Json>({});
  const errors = useSubmitErrors();
  const alert = useRef<HTMLDivElement>(null);
  useEffect(() => void (document.title = 'New template — Personas'), []);

  async function submit(data: Json) {
    errors.clear();
    let baseConfiguration: unknown;
    try {
      baseConfiguration = JSON.parse(String(data.baseConfiguration ?? '{}'));
    } catch (e) {
      errors.setServerErrors(issuesToErrorSchema([{ path: 'baseConfiguration', constraint: 'isJson', message: `not valid JSON: ${(e as Error).message}` }]));
      return;
    }
    try {
      const created = await api.createTemplate({ ...data, baseConfiguration });
      navigate(`/templates/${encodeURIComponent(created.slug)}`);
    } catch (e) {
      errors.fail(e);
      alert.current?.focus();
    }
  }

  return (
    <>
      <h1>New template</h1>
      <div ref={alert} tabIndex={-1}>
        <ErrorNotice error={errors.error} title="Not created" />
      </div>
      <ServerForm id="template-form" schema={templateSchema} uiSchema={uiSchema} formData={formData} extraErrors={errors.serverErrors} showErrorList="top" onChange={setFormData} onSubmit={(data) => void submit(data)}>
        <button type="submit">Create template</button>
      </ServerForm>
    </>
  );
}
