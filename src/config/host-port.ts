/** Redis addresses as trove.yaml names them (`host:port`, for cluster nodes and sentinels). */

/** Splits `host:port` (the port last, so an IPv6 host keeps its colons). */
export function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}
