/**
 * The root of every Redis key of a project: `<keyPrefix>:<project>` (the project alone without a
 * prefix). The online store's keys, the shard queue and the distributed locks all live under it, so
 * removing a project's keys removes them all.
 */
export function projectKeyBase(keyPrefix: string, project: string): string {
  return keyPrefix ? `${keyPrefix}:${project}` : project;
}
