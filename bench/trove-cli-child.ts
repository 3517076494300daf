/**
 * The `trove` command from the sources (`node --import tsx bench/trove-cli-child.ts serve …`), for
 * benchmarks that run it as its own process without depending on a fresh dist/ build. Workers of
 * `serve --workers N` start this same file again (node:cluster re-runs the primary's script).
 */
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv);
