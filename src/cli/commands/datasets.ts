import type { Command } from 'commander';
import { TroveError } from '../../errors.ts';
import type { DatasetManifest, ManifestPartition } from '../../offline/lineage/dataset-manifest.ts';
import type { ReproduceResult, VerifyReport } from '../../offline/lineage/datasets.ts';
import { openReporter } from '../output/reporter.ts';
import { formatCount, formatRate, formatSeconds } from '../output/summary-table.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';
import { summaryLines } from './stats.ts';

interface ListOptions extends RepoOptions {
  json?: boolean;
}

interface ReproduceOptions extends RepoOptions {
  out: string;
}

async function openCatalog(repo: string) {
  const { loadConfig } = await import('../../config/trove-config.ts');
  const { Datasets } = await import('../../offline/lineage/datasets.ts');
  return new Datasets(await loadConfig(repo));
}

/** A manifest for people: every field, partitions summarized per view (`show --json` has them all). */
function printManifest(m: DatasetManifest): void {
  const perView = new Map<string, ManifestPartition[]>();
  for (const p of m.partitions) perView.set(p.view, [...(perView.get(p.view) ?? []), p]);
  const lines = [
    `dataset ${m.id}${m.name ? ` (${m.name})` : ''}, built ${m.createdAt} by Trove ${m.troveVersion}`,
    `code: ${m.code ? `git ${m.code.commit}${m.code.clean ? ', clean' : ', with uncommitted changes'}` : 'not a git checkout'}`,
    `registry: version ${m.registry.version}, hash ${m.registry.hash}`,
    `request: ${m.request.service !== null ? `service ${m.request.service}` : `features ${(m.request.features ?? []).join(', ')}`}${m.request.fullFeatureNames ? ', full feature names' : ''}`,
    'features:',
    ...m.features.map((f) => `  ${f.output} = ${f.view}:${f.feature}`),
    'views:',
    ...m.views.map((v) => `  ${v.name} (${v.kind}) definition ${v.definitionHash}`),
    `entities: ${m.entities.kind === 'file' ? m.entities.path : `copy in the catalog, ${m.entities.path}`}, ${m.entities.rows} rows, ${m.entities.file.fingerprint}`,
    'partitions read:',
    ...[...perView].map(([view, parts]) => {
      const files = parts.reduce((n, p) => n + p.files.length, 0);
      const bytes = parts.reduce((n, p) => n + p.files.reduce((b, f) => b + f.size, 0), 0);
      return `  ${view}: ${parts.length} partitions ${parts[0]!.date} … ${parts.at(-1)!.date}, ${files} files, ${bytes} bytes`;
    }),
    'sources:',
    ...m.sources.map((s) => `  ${s.source} (${s.kind}) ${s.path} ${s.size} bytes ${s.fingerprint}`),
    `output: ${m.output.path}, ${m.output.format}, ${m.output.rows} rows, sha256 ${m.output.sha256}`,
    ...(m.statistics
      ? [`statistics: ${m.statistics.rows} rows`, ...summaryLines(m.statistics)]
      : m.statistics === null
        ? [
            m.output.format === 'arrow'
              ? 'statistics: none (an Arrow file)'
              : 'statistics: none recorded (built with --no-statistics, or not recorded yet; GET /datasets/:id/stats computes them from the file)',
          ]
        : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printVerify(report: VerifyReport): void {
  const lines = [
    `dataset ${report.id}${report.name ? ` (${report.name})` : ''}: ${report.unchanged ? 'everything it read is unchanged' : `${report.changes.length} input${report.changes.length === 1 ? '' : 's'} changed`}`,
    ...report.changes.map((c) => `  ${c.kind} ${c.name}: ${c.detail}`),
    `reproducible: ${report.reproducible ? 'yes, every partition version it read is in the store' : 'no, a partition version it read is gone'}`,
    `output ${report.output.path}: ${report.output.status}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * `trove datasets list | show ID | verify ID | reproduce ID --out FILE`: the dataset catalog
 * (SPEC §9). ID is a dataset id or name (the newest dataset with that name).
 */
export function registerDatasetsCommand(program: Command): void {
  const datasets = program
    .command('datasets')
    .description('training datasets: their lineage, checks and rebuilds');
  withRepoOption(
    datasets
      .command('list')
      .description('list the datasets of the catalog, newest first')
      .option('--json', 'as JSON'),
  ).action(async (options: ListOptions) => {
    const list = await (await openCatalog(options.repo)).list();
    if (options.json) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    if (list.length === 0) {
      process.stdout.write('no datasets yet (trove historical ... --out FILE records one)\n');
      return;
    }
    for (const d of list) {
      process.stdout.write(
        `${d.id}  ${d.name ?? '-'}  ${d.createdAt}  registry v${d.registryVersion}  ${d.rows} rows × ${d.features} features  ${d.output}\n`,
      );
    }
  });
  withRepoOption(
    datasets
      .command('show')
      .description("print a dataset's manifest")
      .argument('<id>', 'dataset id or name')
      .option('--json', 'the whole manifest as JSON'),
  ).action(async (id: string, options: ListOptions) => {
    const manifest = await (await openCatalog(options.repo)).get(id);
    if (options.json) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    else printManifest(manifest);
  });
  withRepoOption(
    datasets
      .command('verify')
      .description('check whether everything a dataset read is unchanged; exits 1 naming what changed')
      .argument('<id>', 'dataset id or name'),
  ).action(async (id: string, options: RepoOptions) => {
    const report = await (await openCatalog(options.repo)).verify(id);
    printVerify(report);
    if (!report.unchanged) {
      throw new TroveError(
        'DATASET_CHANGED',
        `dataset ${report.id} changed: ${report.changes.map((c) => `${c.kind} ${c.name}`).join(', ')}`,
      );
    }
  });
  withRepoOption(
    datasets
      .command('reproduce')
      .description('rebuild a dataset from the registry version and partition versions it read')
      .argument('<id>', 'dataset id or name')
      .requiredOption('--out <file>', 'where to write it (same format as the original)'),
  ).action(async (id: string, options: ReproduceOptions, command: Command) => {
    const reporter = await openReporter(command);
    const started = Date.now();
    // The rebuild is one join, as trove historical's: the bar shows its time, then the rows.
    const bar = reporter.bar({ label: `reproducing ${id}`, total: undefined, unit: 'rows' });
    let result: ReproduceResult;
    try {
      reporter.event({ step: 'reproducing', dataset: id });
      result = await (await openCatalog(options.repo)).reproduce(id, options.out);
      const ms = Date.now() - started;
      bar.update(result.rows);
      bar.done(result.identical ? 'identical' : 'differs');
      reporter.event({ step: 'written', rows: result.rows, path: result.path, ms });
      reporter.result({
        lines: [`${result.path}: ${result.rows} rows, sha256 ${result.sha256}`],
        table: {
          title: `Reproduced dataset ${result.id}: ${formatCount(result.rows)} rows in ${formatSeconds(ms / 1000)}`,
          columns: [
            { header: 'file' },
            { header: 'rows', align: 'right' },
            { header: 'time', align: 'right' },
            { header: 'rows/s', align: 'right' },
            { header: 'sha256' },
          ],
          rows: [
            [
              result.path,
              formatCount(result.rows),
              formatSeconds(ms / 1000),
              formatRate(result.rows, ms / 1000),
              `${result.sha256.slice(0, 12)}…`,
            ],
          ],
        },
      });
    } finally {
      reporter.close();
    }
    if (!result.identical) {
      throw new TroveError(
        'REPRODUCE_MISMATCH',
        `the rebuilt dataset differs from ${result.id}: sha256 ${result.sha256}, expected ${result.expected}`,
      );
    }
    process.stdout.write(`identical to dataset ${result.id}\n`);
  });
}
