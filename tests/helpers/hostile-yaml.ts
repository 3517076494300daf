/** YAML built to exhaust a parser, for tests and drills of the loaders' limits. */

/** A flow sequence nested `depth` deep: `[[[...]]]`. */
export function nestedYaml(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** Lines that define aliases expanding 9^9 times, the last one the value of `key` ("billion laughs"). */
export function aliasBombYaml(key: string): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 8; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  lines.push(`${key}: *a8`);
  return `${lines.join('\n')}\n`;
}
