import { type Command, Option } from 'commander';

/** Options every command shares. */
export interface RepoOptions {
  repo: string;
}

/** Adds `--repo DIR` (default: the current folder), which every command takes. */
export function withRepoOption(command: Command): Command {
  return command.addOption(new Option('--repo <dir>', 'feature repo folder').default('.'));
}
