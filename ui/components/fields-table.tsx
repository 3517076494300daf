/** A table of named, typed fields (features, join keys, request fields). */
import type { Field } from '../registry-types.ts';

export function FieldsTable({ fields, caption }: { fields: Field[]; caption?: string }) {
  return (
    <div class="overflow-auto">
      <table class="fields">
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Description</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => (
            <tr key={f.name} data-field={f.name}>
              <td>
                <code>{f.name}</code>
              </td>
              <td>{f.type}</td>
              <td>{f.description ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Description, owner and tags of an object, as a definition list. */
export function Metadata({
  object,
}: {
  object: { description?: string; owner?: string; tags?: Record<string, string> };
}) {
  const tags = Object.entries(object.tags ?? {});
  return (
    <dl class="metadata">
      {object.description && (
        <>
          <dt>Description</dt>
          <dd>{object.description}</dd>
        </>
      )}
      {object.owner && (
        <>
          <dt>Owner</dt>
          <dd>{object.owner}</dd>
        </>
      )}
      {tags.length > 0 && (
        <>
          <dt>Tags</dt>
          <dd>
            {tags.map(([k, v]) => (
              <kbd key={k} class="tag">
                {k}={v}
              </kbd>
            ))}
          </dd>
        </>
      )}
    </dl>
  );
}
