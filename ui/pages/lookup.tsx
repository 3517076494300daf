/**
 * Online lookup: pick a feature service or features, type the entity keys (and the request fields
 * of on-demand views), and see each value with its status and age, read through
 * `POST /get-online-features` exactly as a client would. Several rows go as comma-separated values.
 */
import { useMemo, useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { ErrorNote, LoadedPage } from '../components/page.tsx';
import { age, value as showValue } from '../format.ts';
import type { Field, RegistryAnswer, RegistryObjects } from '../registry-types.ts';
import { type Route, useRoute } from '../router.ts';
import { requiredInputs } from '../usage.ts';
import { useApi } from '../use-api.ts';

interface OnlineAnswer {
  metadata: { feature_names: string[] };
  results: { values: unknown[]; statuses: string[]; event_timestamps: string[] }[];
}

const INTEGER_TYPES = new Set(['int32', 'int64']);
const FLOAT_TYPES = new Set(['float32', 'float64']);

/** One typed value from the text of a field; throws a message naming the field. */
function typedValue(field: Field, text: string): unknown {
  const t = text.trim();
  if (INTEGER_TYPES.has(field.type)) {
    if (!/^-?\d+$/.test(t)) throw new Error(`${field.name}: "${t}" is not a whole number`);
    const n = BigInt(t);
    return Number.isSafeInteger(Number(n)) ? Number(n) : n;
  }
  if (FLOAT_TYPES.has(field.type)) {
    const n = Number(t);
    if (t === '' || !Number.isFinite(n)) throw new Error(`${field.name}: "${t}" is not a number`);
    return n;
  }
  if (field.type === 'bool') {
    if (t !== 'true' && t !== 'false') throw new Error(`${field.name}: expected true or false`);
    return t === 'true';
  }
  return t;
}

/** The `entities` of a request: each field's comma-separated values, all fields the same count. */
function entityColumns(fields: Field[], texts: Record<string, string>): Record<string, unknown[]> {
  const columns: Record<string, unknown[]> = {};
  let rows: number | undefined;
  for (const field of fields) {
    const parts = (texts[field.name] ?? '').split(',').map((s) => s.trim());
    if (parts.length === 1 && parts[0] === '') throw new Error(`${field.name}: enter a value`);
    if (rows !== undefined && parts.length !== rows)
      throw new Error(`${field.name}: ${parts.length} values, but the fields before it have ${rows}`);
    rows = parts.length;
    columns[field.name] = parts.map((p) => typedValue(field, p));
  }
  return columns;
}

function FeaturePicker({
  objects,
  chosen,
  onChange,
}: {
  objects: RegistryObjects;
  chosen: Set<string>;
  onChange: (next: Set<string>) => void;
}) {
  return (
    <fieldset class="feature-picker">
      <legend>Features</legend>
      {objects.featureViews
        .filter((v) => v.online)
        .map((v) => (
          <details key={v.name} open={v.features.some((f) => chosen.has(`${v.name}:${f.name}`))}>
            <summary>{v.name}</summary>
            {v.features.map((f) => {
              const ref = `${v.name}:${f.name}`;
              return (
                <label key={ref}>
                  <input
                    type="checkbox"
                    name="feature"
                    value={ref}
                    checked={chosen.has(ref)}
                    onChange={(e) => {
                      const next = new Set(chosen);
                      if (e.currentTarget.checked) next.add(ref);
                      else next.delete(ref);
                      onChange(next);
                    }}
                  />
                  {f.name} <small>{f.type}</small>
                </label>
              );
            })}
          </details>
        ))}
    </fieldset>
  );
}

function Results({ answer, now }: { answer: OnlineAnswer; now: number }) {
  const names = answer.metadata.feature_names;
  const rows = answer.results[0]?.values.length ?? 0;
  return (
    <section class="results" data-rows={rows}>
      {Array.from({ length: rows }, (_, row) => (
        <div class="overflow-auto" key={row}>
          <table class="lookup-result" data-row={row}>
            <caption>Row {row + 1}</caption>
            <thead>
              <tr>
                <th>Feature</th>
                <th>Value</th>
                <th>Status</th>
                <th>Age</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name, i) => {
                const result = answer.results[i];
                const v = result?.values[row];
                const status = result?.statuses[row] ?? '';
                const ts = result?.event_timestamps[row];
                const at = ts ? new Date(ts).getTime() : 0;
                return (
                  <tr key={name} data-feature={name} class={`status-${status.toLowerCase()}`}>
                    <td>
                      <code>{name}</code>
                    </td>
                    <td data-value={showValue(v)}>{showValue(v)}</td>
                    <td>
                      <span class="status" data-status={status}>
                        {status}
                      </span>
                    </td>
                    <td>{at > 0 ? age((now - at) / 1000) : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}

function LookupForm({ objects, route }: { objects: RegistryObjects; route: Route }) {
  const services = objects.featureServices.map((s) => s.name);
  const [mode, setMode] = useState<'service' | 'features'>(
    route.query.get('features') ? 'features' : 'service',
  );
  const [service, setService] = useState(route.query.get('service') ?? services[0] ?? '');
  const [features, setFeatures] = useState<Set<string>>(
    new Set((route.query.get('features') ?? '').split(',').filter(Boolean)),
  );
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState<{ body: OnlineAnswer; at: number } | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  const refs = useMemo(
    () =>
      mode === 'service'
        ? (objects.featureServices.find((s) => s.name === service)?.features ?? [])
        : [...features],
    [mode, service, features, objects],
  );
  const inputs = useMemo(() => requiredInputs(objects, refs), [objects, refs]);
  const fields = [...inputs.joinKeys, ...inputs.requestFields];

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    let entities: Record<string, unknown[]>;
    try {
      if (refs.length === 0) throw new Error('choose a service or at least one feature');
      entities = entityColumns(fields, texts);
    } catch (err) {
      setAnswer(undefined);
      setError(new ApiError(0, 'INPUT', err instanceof Error ? err.message : String(err)));
      return;
    }
    setBusy(true);
    try {
      const body = await api<OnlineAnswer>('/get-online-features', {
        body:
          mode === 'service' ? { entities, feature_service: service } : { entities, features: [...features] },
      });
      setAnswer({ body, at: Date.now() });
    } catch (err) {
      setAnswer(undefined);
      setError(err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form onSubmit={submit} class="lookup">
        <fieldset class="mode">
          <label>
            <input
              type="radio"
              name="mode"
              value="service"
              checked={mode === 'service'}
              onChange={() => setMode('service')}
            />
            Feature service
          </label>
          <label>
            <input
              type="radio"
              name="mode"
              value="features"
              checked={mode === 'features'}
              onChange={() => setMode('features')}
            />
            Features
          </label>
        </fieldset>
        {mode === 'service' ? (
          <label>
            Service
            <select name="service" value={service} onChange={(e) => setService(e.currentTarget.value)}>
              {services.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <FeaturePicker objects={objects} chosen={features} onChange={setFeatures} />
        )}
        {fields.map((f) => (
          <label key={f.name}>
            {f.name} <small>{f.type}</small>
            {inputs.requestFields.includes(f) && <small> (request field)</small>}
            <input
              type="text"
              name={f.name}
              placeholder="one value, or several separated by commas"
              value={texts[f.name] ?? ''}
              onInput={(e) => setTexts({ ...texts, [f.name]: e.currentTarget.value })}
            />
          </label>
        ))}
        <button type="submit" aria-busy={busy ? 'true' : undefined} disabled={busy}>
          Look up
        </button>
      </form>
      {error && <ErrorNote error={error} />}
      {answer && <Results answer={answer.body} now={answer.at} />}
    </>
  );
}

export function LookupPage() {
  const loaded = useApi<RegistryAnswer>('/registry');
  const route = useRoute();
  return (
    <LoadedPage name="lookup" title="Online lookup" loaded={loaded}>
      {(r) => <LookupForm objects={r.objects} route={route} />}
    </LoadedPage>
  );
}
