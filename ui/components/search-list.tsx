/**
 * A searchable table of registry objects: the search box filters by name, description, owner, tags
 * and the extra text each row gives, and keeps its text in the address (`?q=`).
 */
import type { ComponentChildren } from 'preact';
import { type Route, setQuery } from '../router.ts';

export interface ListRow {
  name: string;
  href: string;
  /** Text matched by the search besides the name. */
  searchText: string;
  cells: ComponentChildren[];
}

export function SearchList({
  route,
  columns,
  rows,
  noun,
}: {
  route: Route;
  columns: string[];
  rows: ListRow[];
  noun: string;
}) {
  const q = route.query.get('q') ?? '';
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = rows.filter((row) => {
    const text = `${row.name} ${row.searchText}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  return (
    <>
      <input
        type="search"
        name="q"
        placeholder={`Search ${noun}`}
        aria-label={`Search ${noun}`}
        value={q}
        onInput={(e) => setQuery({ q: e.currentTarget.value })}
      />
      <p class="count" data-count={shown.length}>
        {shown.length} of {rows.length} {noun}
      </p>
      <div class="overflow-auto">
        <table class="striped list">
          <thead>
            <tr>
              <th>Name</th>
              {columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.name} data-name={row.name}>
                <td>
                  <a href={row.href}>{row.name}</a>
                </td>
                {row.cells.map((cell, i) => (
                  <td key={columns[i]}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Description, owner and tags as one searchable string. */
export function metadataText(object: {
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}): string {
  const tags = Object.entries(object.tags ?? {}).map(([k, v]) => `${k}=${v}`);
  return [object.description ?? '', object.owner ?? '', ...tags].join(' ');
}
