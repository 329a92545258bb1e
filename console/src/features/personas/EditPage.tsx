import type { ErrorSchema } from '@rjsf/utils';
import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import type { Diff, Json, Persona } from '../../api/types';
import { applyMergePatch, issuesToErrorSchema, mergePatch } from '../../forms/issues';
import { PersonaForm } from '../../forms/PersonaForm';
import { withoutNulls } from '../../forms/simplify';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { ChangeTable, SideBySideDiff } from '../../shared/SideBySideDiff';
import { useLoad } from '../../shared/useLoad';
import { PersonaNav } from './PersonaNav';

/** Someone else saved first: their version, what they changed since ours, and what we tried to send. */
type Conflict = { theirs: Persona; diff: Diff | null; mine: Json; readVersion: number };

/**
 * Edit a persona: the form from the JSON Schema, saved at the version read (If-Match). A 400
 * puts each issue at its field; a 412 opens the conflict view with the other change as a diff.
 */
export function EditPage() {
  const { id = '' } = useParams();
  const schema = useLoad(() => api.personaSchema(), []);
  const [base, setBase] = useState<{ persona: Persona; version: number } | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [formData, setFormData] = useState<Json>({});
  const [message, setMessage] = useState('');
  const [issues, setIssues] = useState<{ errorSchema: ErrorSchema; error: ApiError; messageIssue?: string } | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [otherError, setOtherError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const summary = useRef<HTMLDivElement>(null);

  async function load() {
    setLoadError(null);
    try {
      const { record } = await api.getPersona(id);
      setBase({ persona: record, version: record.version });
      setFormData(withoutNulls(record));
      setIssues(null);
      setConflict(null);
    } catch (e) {
      setLoadError(e);
    }
  }
  useEffect(() => void load(), [id]);
  useEffect(() => void (document.title = `Edit ${base?.persona.name ?? id} — Personas`), [base?.persona.name, id]);
  useEffect(() => {
    if (issues || conflict) summary.current?.focus();
  }, [issues, conflict]);

  async function save(data: Json) {
    if (!base) return;
    setStatus(null);
    setOtherError(null);
    const patch = mergePatch(base.persona, data);
    if (Object.keys(patch).length === 0) return setStatus('Nothing to save: no field changed.');
    setSaving(true);
    try {
      const { record } = await api.updatePersona(base.persona.id, patch, base.version, message);
      setBase({ persona: record, version: record.version });
      setFormData(withoutNulls(record));
      setIssues(null);
      setMessage('');
      setStatus(`Saved as version ${record.version}.`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.body.issues) {
        const messageIssue = e.body.issues.find((i) => i.path === 'message')?.message;
        setIssues({ errorSchema: issuesToErrorSchema(e.body.issues.filter((i) => i.path !== 'message')), error: e, messageIssue });
      } else if (e instanceof ApiError && (e.status === 412 || e.code === 'VERSION_CONFLICT')) {
        const theirs = (await api.getPersona(base.persona.id)).record;
        const diff = await api.diff(base.persona.id, base.version, theirs.version).catch(() => null);
        setConflict({ theirs, diff, mine: patch, readVersion: base.version });
      } else setOtherError(e);
    } finally {
      setSaving(false);
    }
  }

  /** Keep my edits: start again from their version with my changes applied on top. */
  function reapply() {
    if (!conflict) return;
    const merged = applyMergePatch(conflict.theirs as Json, conflict.mine);
    setBase({ persona: conflict.theirs, version: conflict.theirs.version });
    setFormData(withoutNulls(merged));
    setConflict(null);
    setStatus(`Your changes are applied on top of version ${conflict.theirs.version}; check them and save again.`);
  }

  const name = base?.persona.name ?? id;
  return (
    <>
      <h1>Edit {name}</h1>
      <PersonaNav id={id} name={name} />
      <ErrorNotice error={loadError ?? schema.error} />
      {(!base || !schema.data) && !loadError && !schema.error && <Loading what="the persona and its schema" />}
      {status && (
        <p className="notice notice-ok" role="status">
          {status}
        </p>
      )}
      <ErrorNotice error={otherError} title="Not saved" />
      {conflict && (
        <section className="conflict" aria-labelledby="conflict-h" ref={summary} tabIndex={-1}>
          <h2 id="conflict-h">Someone else saved first</h2>
          <p>
            You edited version {conflict.readVersion}; {conflict.theirs.version > conflict.readVersion ? `version ${conflict.theirs.version} was saved since` : 'it changed since'}. Your
            changes were not saved.
          </p>
          {conflict.diff && <ChangeTable changes={conflict.diff.changes} caption={`Their changes (version ${conflict.readVersion} → ${conflict.theirs.version})`} />}
          <h3>Your unsaved changes against their version</h3>
          <SideBySideDiff
            before={Object.fromEntries(Object.keys(conflict.mine).map((k) => [k, conflict.theirs[k] ?? null]))}
            after={conflict.mine}
            beforeTitle={`Theirs (version ${conflict.theirs.version})`}
            afterTitle="Yours (not saved)"
          />
          <div className="row">
            <button type="button" onClick={() => void load()}>
              Reload their version (discard mine)
            </button>
            <button type="button" className="secondary" onClick={reapply}>
              Put my changes on top of theirs
            </button>
          </div>
        </section>
      )}
      {issues && !conflict && (
        <div className="notice notice-error" role="alert" ref={summary} tabIndex={-1}>
          <strong>The server refused the change</strong>
          <p>{issues.error.message}. Each problem is shown at its field below.</p>
        </div>
      )}
      {base && schema.data && !conflict && (
        <PersonaForm formId="persona-form" schema={schema.data} formData={formData} onChange={setFormData} onSubmit={(d) => void save(d)} extraErrors={issues?.errorSchema}>
          <fieldset className="save">
            <legend>Save</legend>
            <label htmlFor="change-message">Change message (optional)</label>
            <input
              id="change-message"
              value={message}
              maxLength={500}
              onChange={(e) => setMessage(e.target.value)}
              aria-invalid={issues?.messageIssue ? true : undefined}
              aria-describedby={issues?.messageIssue ? 'change-message-error' : undefined}
              placeholder="What changed and why"
            />
            {issues?.messageIssue && (
              <p id="change-message-error" className="field-error">
                {issues.messageIssue}
              </p>
            )}
            <p className="muted">Saved at version {base.version}: if someone saves first, you will see their change before anything is overwritten.</p>
            <div className="row">
              <button type="submit" disabled={saving}>
                {saving ? 'Saving…' : 'Save changes'}
              </button>
              <Link to={`/personas/${encodeURIComponent(id)}`}>Cancel</Link>
            </div>
          </fieldset>
        </PersonaForm>
      )}
    </>
  );
}
