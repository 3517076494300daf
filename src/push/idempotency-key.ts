/**
 * What a push's idempotency key may be, in a module of its own so the HTTP route checks it without
 * loading the push code (DuckDB and the offline store come with that on first use).
 */

/** 1 to 128 characters safe in file names, SQL literals, logs and Redis keys alike. */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/** IDEMPOTENCY_KEY in words, for error messages. */
export const IDEMPOTENCY_KEY_RULE = '1 to 128 characters, each a letter, digit or one of . _ : -';
