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
    const [{ loadConfig }, { canonicalJson }, { readRegistryFile }, { readRegistryVersion }] =
      await Promise.all([
        import('../../config/trove-config.ts'),
        import('../../registry/canonical-json.ts'),
        import('../../registry/registry-file.ts'),
        import('../../registry/registry-history.ts'),
      ]);
    const config = await loadConfig(options.repo);
    const current = await readRegistryFile(config.registryPath, config.project);
    const snapshot =
      options.version === undefined || options.version === current.version
        ? current
        : await readRegistryVersion(config.registryPath, options.version);
    const { appliedAt: _appliedAt, ...stable } = snapshot;
    process.stdout.write(`${canonicalJson(stable, 2)}\n`);
  });
}
