import { entity } from 'trove';

export const driver = entity({
  name: 'driver',
  joinKeys: [{ name: 'driver_id', type: 'int64' }],
  description: 'A driver on the platform.',
  owner: 'marketplace@example.com',
});

export const customer = entity({
  name: 'customer',
  joinKeys: [{ name: 'customer_id', type: 'int64' }],
  description: 'A rider who books trips.',
  owner: 'growth@example.com',
});
