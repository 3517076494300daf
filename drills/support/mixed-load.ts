/**
 * The requests the serving drills send: online reads of ten random seeded drivers, and (one in
 * `pushEvery`) pushes of ten rows to drivers of their own, so pushes never change what a read
 * must find. Every answer is checked: reads value by value, pushes by the rows they report.
 */
import { checkOnlineAnswer, checkPushAnswer, onlineReadBody, pushBody } from './drill-feature-repo.ts';
import type { LoadRequest } from './load-generator.ts';

/** Drivers 1..SEEDED_DRIVERS are seeded before the load and read by it. */
export const SEEDED_DRIVERS = 1000;
const DRIVERS_PER_READ = 10;
const PUSH_DRIVERS_FROM = 100_001;
const PUSH_DRIVERS = 1000;
const ROWS_PER_PUSH = 10;

/** Nine reads to one push. */
const PUSH_EVERY = 10;

export interface MixedLoadOptions {
  /** Every this many requests one is a push (default 10; 0: reads only). */
  pushEvery?: number;
  /** Whether a read started now must find the seeded values (default: always). */
  dataPresent?: () => boolean;
}

/** A source of requests in the mix, each with its check. */
export function mixedLoad(options: MixedLoadOptions = {}): () => LoadRequest {
  const pushEvery = options.pushEvery ?? PUSH_EVERY;
  let n = 0;
  let pushed = 0;
  return () => {
    n++;
    if (pushEvery > 0 && n % pushEvery === 0) {
      const first = PUSH_DRIVERS_FROM + ((pushed++ * ROWS_PER_PUSH) % PUSH_DRIVERS);
      const drivers = Array.from({ length: ROWS_PER_PUSH }, (_, i) => first + i);
      return {
        kind: 'push',
        method: 'POST',
        path: '/push',
        body: JSON.stringify(pushBody(drivers, new Date())),
        check: (text) => checkPushAnswer(text, ROWS_PER_PUSH),
      };
    }
    const drivers = Array.from(
      { length: DRIVERS_PER_READ },
      () => 1 + Math.floor(Math.random() * SEEDED_DRIVERS),
    );
    const present = options.dataPresent?.() ?? true;
    return {
      kind: 'read',
      method: 'POST',
      path: '/get-online-features',
      body: onlineReadBody(drivers),
      check: (text) => checkOnlineAnswer(text, drivers, { present }),
    };
  };
}
