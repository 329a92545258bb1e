import Form from '@rjsf/core';
import type { ErrorSchema, RJSFSchema } from '@rjsf/utils';
import { FormEvent, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Json, LabelPolicy } from '../../api/types';
import { issuesToErrorSchema } from '../../forms/issues';
import { validator } from '../../forms/validator';
import { ErrorNotice } from '../../shared/ErrorNotice';

/** A label policy (docs/releases.md) as a form: who may move the label, and the checks of its gate. */
const policySchema: RJSFSchema = {
  type: 'object',
  properties: {
    roles: { type: 'array', title: 'Roles that may move the label', description: 'Besides admins. Empty: the owner and admins. Only an admin may set roles.', items: { type: 'string', minLength: 1, maxLength: 100 } },
    checks: {
      type: 'array',
      title: 'Gate checks',
      description: 'Each check renders every version the label would serve; one failure refuses the move.',
      items: {
        type: 'object',
        properties: {
          context: { type: 'string', title: 'Context (a conversation to render with)' },
          tokenBudget: { type: 'integer', title: 'Token budget', minimum: 1 },
          maxPromptTokens: { type: 'integer', title: 'The prompt may take at most (tokens)', minimum: 1 },
          mustInclude: { type: 'array', title: 'Text the prompt must include', items: { type: 'string', minLength: 1 } },
          mustActivate: { type: 'array', title: 'Knowledge domains that must be active', items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
};
const uiSchema = { 'ui:submitButtonOptions': { norender: true }, checks: { items: { context: { 'ui:widget': 'textarea', 'ui:options': { rows: 2 } } } } };

/** Loads, edits, saves and removes the policy of one label. */
export function PolicyForm({ personaId, onSaved, isAdmin }: { personaId: string; onSaved: (message: string) => void; isAdmin: boolean }) {
  const [label, setLabel] = useState('production');
  const [loaded, setLoaded] = useState<string | null>(null);
  const [formData, setFormData] = useState<Json>({ roles: [], checks: [] });
  const [serverErrors, setServerErrors] = useState<ErrorSchema | undefined>();
  const [error, setError] = useState<unknown>(null);

  async function load(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setServerErrors(undefined);
    try {
      setFormData((await api.policy(personaId, label.trim())) as Json);
      setLoaded(label.trim());
    } catch (e) {
      setError(e);
    }
  }

  async function save(data: Json) {
    if (!loaded) return;
    setError(null);
    setServerErrors(undefined);
    try {
      await api.setPolicy(personaId, loaded, data as LabelPolicy);
      onSaved(`Policy of “${loaded}” saved.`);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.body.issues) setServerErrors(issuesToErrorSchema(e.body.issues));
    }
  }

  async function remove() {
    if (!loaded) return;
    setError(null);
    try {
      await api.removePolicy(personaId, loaded);
      setFormData({ roles: [], checks: [] });
      onSaved(`Policy of “${loaded}” removed.`);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <>
      <form className="row" onSubmit={load}>
        <label>
          Label of the policy
          <input value={label} onChange={(e) => setLabel(e.target.value)} required />
        </label>
        <button type="submit" className="secondary">
          Open policy
        </button>
      </form>
      <p className="muted">{isAdmin ? 'As an admin you may name roles.' : 'Only an admin may set a policy that names roles; you may set its checks.'}</p>
      <ErrorNotice error={error} title="Policy not saved" />
      {loaded && (
        <Form
          id="policy-form"
          schema={policySchema}
          uiSchema={uiSchema}
          formData={formData}
          validator={validator}
          extraErrors={serverErrors}
          noHtml5Validate
          focusOnFirstError
          onError={() => undefined /* the errors are shown in the form */}
          onChange={(e) => setFormData(e.formData as Json)}
          onSubmit={(e) => void save(e.formData as Json)}
        >
          <div className="row">
            <button type="submit">Save policy of “{loaded}”</button>
            <button type="button" className="danger" onClick={() => void remove()}>
              Remove policy of “{loaded}”
            </button>
          </div>
        </Form>
      )}
    </>
  );
}
