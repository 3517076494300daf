#!/usr/bin/env node
// Entry point of the `trove` command. Registers the TypeScript loader so the CLI and the feature
// repo's TypeScript definition modules run without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
