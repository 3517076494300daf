/** A comma-separated list of links to objects of one section, or a dash when there are none. */
import { href } from '../router.ts';

export function NameLinks({ section, names }: { section: string; names: readonly string[] }) {
  if (names.length === 0) return <span class="none">none</span>;
  return (
    <span class="links">
      {names.map((n, i) => (
        <span key={n}>
          {i > 0 && ', '}
          <a href={href(section, n)}>{n}</a>
        </span>
      ))}
    </span>
  );
}
