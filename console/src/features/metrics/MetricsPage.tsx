import { useEffect, useMemo, useState } from 'react';
import { useParams } from 'react-router';
import { api } from '../../api/client';
import type { SeriesPoint } from '../../api/types';
import { ErrorNotice, Loading } from '../../shared/ErrorNotice';
import { ListTable } from '../../shared/ListTable';
import { SelectField } from '../../shared/SelectField';
import { TimeChart } from '../../shared/TimeChart';
import { useLoad } from '../../shared/useLoad';
import { PersonaNav } from '../personas/PersonaNav';

const RANGES: { key: string; label: string; hours: number; bucket: 'hour' | 'day' }[] = [
  { key: '24h', label: 'Last 24 hours', hours: 24, bucket: 'hour' },
  { key: '7d', label: 'Last 7 days', hours: 24 * 7, bucket: 'hour' },
  { key: '30d', label: 'Last 30 days', hours: 24 * 30, bucket: 'day' },
  { key: '90d', label: 'Last 90 days', hours: 24 * 90, bucket: 'day' },
];

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);
const num = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '—' : v.toFixed(digits));
/** The columns of both tables after the first (bucket or version). */
const FIGURES = ['Interactions', 'Success rate', 'p95 latency (ms)', 'Average rating'];

/** Metrics: interactions, success rate, p95 latency and rating over time, for all versions or one, and per version. */
export function MetricsPage() {
  const { id = '' } = useParams();
  const [range, setRange] = useState('30d');
  const [version, setVersion] = useState('');
  const r = RANGES.find((x) => x.key === range) ?? RANGES[2];
  // The window ends at the start of the next hour, so the current bucket is included and reloads agree.
  const to = useMemo(() => new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000), [range]);
  const from = new Date(to.getTime() - r.hours * 3_600_000);
  const series = useLoad(
    () => api.metricsSeries(id, { bucket: r.bucket, from: from.toISOString(), to: to.toISOString(), version: version ? Number(version) : undefined }),
    [id, range, version],
  );
  const perVersion = useLoad(() => api.metricsByVersion(id), [id]);
  const totals = useLoad(() => api.metrics(id), [id]);
  useEffect(() => void (document.title = `Metrics of ${id} — Personas`), [id]);

  const points: SeriesPoint[] = series.data ?? [];
  const times = useMemo(() => points.map((p) => Date.parse(p.at) / 1000), [points]);
  const pick = (f: (p: SeriesPoint) => number | null) => points.map(f);

  return (
    <>
      <h1>Metrics</h1>
      <PersonaNav id={id} />
      <ErrorNotice error={totals.error ?? series.error ?? perVersion.error} />
      {totals.data && (
        <dl className="facts totals">
          <dt>Interactions</dt>
          <dd>{totals.data.totalInteractions ?? 0}</dd>
          <dt>Success rate</dt>
          <dd>{pct(totals.data.successRate)}</dd>
          <dt>p95 latency</dt>
          <dd>{num(totals.data.p95ResponseTimeMs)} ms</dd>
          <dt>Average rating</dt>
          <dd>{num(totals.data.averageRating, 2)}</dd>
        </dl>
      )}
      <div className="row">
        <SelectField label="Time range" value={range} onChange={setRange} options={RANGES.map((x) => ({ value: x.key, text: x.label }))} />
        <SelectField label="Version" value={version} onChange={setVersion} options={(perVersion.data ?? []).map((v) => ({ value: v.version }))}>
          <option value="">all versions</option>
        </SelectField>
      </div>
      {series.loading && !series.data && <Loading what="the series" />}
      {series.data && (
        <>
          <div className="charts">
            <TimeChart title="Interactions" times={times} values={pick((p) => p.interactions)} unit="per bucket" />
            <TimeChart title="Success rate" times={times} values={pick((p) => (p.successRate === null ? null : Math.round(p.successRate * 1000) / 10))} unit="%" color="#2b8a3e" />
            <TimeChart title="p95 latency" times={times} values={pick((p) => p.p95ResponseTimeMs)} unit="ms" color="#e8590c" />
            <TimeChart title="Average rating" times={times} values={pick((p) => p.averageRating)} unit="rating" color="#862e9c" />
          </div>
          <details>
            <summary>The same figures as a table</summary>
            <ListTable
              columns={['Bucket start (UTC)', ...FIGURES]}
              items={points.filter((p) => p.interactions > 0)}
              row={(p) => (
                <tr key={p.at}>
                  <td>{p.at}</td>
                  <td>{p.interactions}</td>
                  <td>{pct(p.successRate)}</td>
                  <td>{num(p.p95ResponseTimeMs)}</td>
                  <td>{num(p.averageRating, 2)}</td>
                </tr>
              )}
            />
          </details>
        </>
      )}
      <section aria-labelledby="per-version-h">
        <h2 id="per-version-h">Per version</h2>
        <ListTable
          columns={['Version', ...FIGURES]}
          items={perVersion.data}
          empty="No interaction recorded yet."
          row={(v) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>{v.metrics.totalInteractions ?? 0}</td>
              <td>
                {pct(v.metrics.successRate)}
                {typeof v.metrics.successRate === 'number' && <meter min={0} max={1} value={v.metrics.successRate} aria-label={`Success rate of version ${v.version}`} />}
              </td>
              <td>{num(v.metrics.p95ResponseTimeMs)}</td>
              <td>{num(v.metrics.averageRating, 2)}</td>
            </tr>
          )}
        />
      </section>
    </>
  );
}
