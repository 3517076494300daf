/** An address the UI has no page for. */
import { Page } from '../components/page.tsx';
import { href } from '../router.ts';

export function NotFoundPage() {
  return (
    <Page name="not-found" title="No such page" state="ready">
      <p>
        Nothing lives at this address. <a href={href()}>Home</a>
      </p>
    </Page>
  );
}
