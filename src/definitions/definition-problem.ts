/** One thing wrong with a repo's definitions: where it is and what was expected. */
export interface DefinitionProblem {
  /** File the object came from, relative to the repo. */
  file: string;
  /** The object, e.g. `featureView driver_hourly_stats`; empty for file-level problems. */
  object: string;
  /** Dotted path of the field inside the object; empty when the problem is the whole object. */
  field: string;
  message: string;
}

export function formatProblem(p: DefinitionProblem): string {
  const where = [p.file, p.object, p.field ? `field ${p.field}` : ''].filter(Boolean).join(': ');
  return `${where}: ${p.message}`;
}

/** Thrown when definitions are invalid; carries every problem found, not only the first. */
export class DefinitionError extends Error {
  readonly problems: readonly DefinitionProblem[];
  constructor(problems: readonly DefinitionProblem[]) {
    const head = `${problems.length} problem${problems.length === 1 ? '' : 's'} in the feature repo`;
    super(`${head}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
    this.name = 'DefinitionError';
    this.problems = problems;
  }
}
