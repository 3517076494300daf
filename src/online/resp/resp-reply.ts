/**
 * A reply Redis sent as an error (`-ERR …`). It is a value, not a throw, so one failed command in
 * a batch does not hide the replies of the others; callers decide what an error means.
 */
export class RespError extends Error {
  override name = 'RespError';
}

/** A decoded RESP2 reply: nil, integer, simple string, bulk string (as bytes), error or array. */
export type RespReply = null | number | string | Buffer | RespError | RespReply[];
