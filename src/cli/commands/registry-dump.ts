import { type Command, InvalidArgumentError } from 'commander';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

interface RegistryDumpOptions extends RepoOptions {
  version?: number;
}

function parseVersion(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError('expected a registry version: 1, 2, ...');
  return Number(text);
}

/**
 * `trove registry-dump [--version N]`: the registry as JSON, keys sorted, so two dumps diff
 * cleanly; with `--version`, that version from the registry history.
 */
export function registerRegistryDumpCommand(program: Command): void {
  withRepoOption(
    program
      .command('registry-dump')
      .description('print the registry as JSON')
      .option('--version <n>', 'an earlier applied version, from the registry history', parseVersion),
  ).action(async (options: RegistryDumpOptions) => {
    const [{ loadConfig }, { canonicalJson }, { withRegistryStore }] = await Promise.all([
      import('../../config/trove-config.ts'),
      import('../../registry/canonical-json.ts'),
      import('../../registry/open-registry-store.ts'),
    ]);
    const config = await loadConfig(options.repo);
    const snapshot = await withRegistryStore(config, async (registry) => {
      const current = await registry.read();
      return options.version === undefined || options.version === current.version
        ? current
        : registry.readVersion(options.version);
    });
    const { appliedAt: _appliedAt, ...stable } = snapshot;
    process.stdout.write(`${canonicalJson(stable, 2)}\n`);
  });
}
