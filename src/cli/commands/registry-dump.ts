import type { Command } from 'commander';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/** `trove registry-dump`: the registry as JSON, keys sorted, so two dumps diff cleanly. */
export function registerRegistryDumpCommand(program: Command): void {
  withRepoOption(program.command('registry-dump').description('print the registry as JSON')).action(
    async (options: RepoOptions) => {
      const [{ loadConfig }, { canonicalJson }, { readRegistryFile }] = await Promise.all([
        import('../../config/trove-config.ts'),
        import('../../registry/canonical-json.ts'),
        import('../../registry/registry-file.ts'),
      ]);
      const config = await loadConfig(options.repo);
      const snapshot = await readRegistryFile(config.registryPath, config.project);
      const { appliedAt: _appliedAt, ...stable } = snapshot;
      process.stdout.write(`${canonicalJson(stable, 2)}\n`);
    },
  );
}
