/**
 * The lineage graph as SVG: sources (and on-demand request fields) → stored views → on-demand
 * views → services, one column each, edges as curves. Every node links to its page.
 */
import type { RegistryObjects } from '../registry-types.ts';
import { href } from '../router.ts';
import { parseRef, viewsOfService } from '../usage.ts';

interface GraphNode {
  id: string;
  label: string;
  kind: 'source' | 'request' | 'batch' | 'aggregation' | 'onDemand' | 'service';
  link?: string;
  column: number;
  row: number;
}

const NODE_W = 200;
const NODE_H = 34;
const ROW_GAP = 14;
const COL_GAP = 70;
const PAD = 10;
const HEAD = 26;
const TITLES = ['Sources', 'Feature views', 'On-demand views', 'Feature services'];

function truncate(text: string, max = 26): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function lineageOf(objects: RegistryObjects): { nodes: GraphNode[]; edges: [string, string][] } {
  const nodes: GraphNode[] = [];
  const edges: [string, string][] = [];
  const add = (node: Omit<GraphNode, 'row'>): void => {
    nodes.push({ ...node, row: nodes.filter((n) => n.column === node.column).length });
  };
  for (const s of objects.sources)
    add({ id: `source:${s.name}`, label: s.name, kind: 'source', link: href('sources', s.name), column: 0 });
  const onDemand = objects.featureViews.filter((v) => v.kind === 'onDemand');
  const requests = new Set(
    onDemand.flatMap((v) => (v.kind === 'onDemand' ? v.request.map((f) => f.name) : [])),
  );
  for (const r of requests) add({ id: `request:${r}`, label: `request: ${r}`, kind: 'request', column: 0 });
  for (const v of objects.featureViews) {
    if (v.kind === 'onDemand') continue;
    add({ id: `view:${v.name}`, label: v.name, kind: v.kind, link: href('views', v.name), column: 1 });
    edges.push([`source:${v.source}`, `view:${v.name}`]);
  }
  const odColumn = onDemand.length > 0 ? 2 : 1;
  for (const v of onDemand) {
    if (v.kind !== 'onDemand') continue;
    add({
      id: `view:${v.name}`,
      label: v.name,
      kind: 'onDemand',
      link: href('views', v.name),
      column: odColumn,
    });
    for (const input of new Set(v.inputs.map((ref) => parseRef(ref).view)))
      edges.push([`view:${input}`, `view:${v.name}`]);
    for (const f of v.request) edges.push([`request:${f.name}`, `view:${v.name}`]);
  }
  const serviceColumn = odColumn + 1;
  for (const s of objects.featureServices) {
    add({
      id: `service:${s.name}`,
      label: s.name,
      kind: 'service',
      link: href('services', s.name),
      column: serviceColumn,
    });
    for (const view of viewsOfService(objects, s.name)) edges.push([`view:${view}`, `service:${s.name}`]);
  }
  const ids = new Set(nodes.map((n) => n.id));
  return { nodes, edges: edges.filter(([a, b]) => ids.has(a) && ids.has(b)) };
}

export function LineageGraph({ objects }: { objects: RegistryObjects }) {
  const { nodes, edges } = lineageOf(objects);
  const columns = Math.max(...nodes.map((n) => n.column), 0) + 1;
  const rows = Math.max(...nodes.map((n) => n.row), 0) + 1;
  const width = PAD * 2 + columns * NODE_W + (columns - 1) * COL_GAP;
  const height = PAD * 2 + HEAD + rows * NODE_H + (rows - 1) * ROW_GAP;
  const x = (n: GraphNode): number => PAD + n.column * (NODE_W + COL_GAP);
  const y = (n: GraphNode): number => PAD + HEAD + n.row * (NODE_H + ROW_GAP);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const titles = columns === 4 ? TITLES : [TITLES[0], TITLES[1], TITLES[3]];
  return (
    <div class="lineage overflow-auto">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label="Lineage: sources to feature views to feature services"
        data-chart="lineage"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class="arrow" />
          </marker>
        </defs>
        {titles.map((t, i) => (
          <text key={t} x={PAD + i * (NODE_W + COL_GAP) + NODE_W / 2} y={PAD + 14} class="column-title">
            {t}
          </text>
        ))}
        {edges.map(([from, to]) => {
          const a = byId.get(from)!;
          const b = byId.get(to)!;
          const x1 = x(a) + NODE_W;
          const y1 = y(a) + NODE_H / 2;
          const x2 = x(b);
          const y2 = y(b) + NODE_H / 2;
          const mid = (x1 + x2) / 2;
          return (
            <path
              key={`${from}->${to}`}
              d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              class="edge"
              marker-end="url(#arrow)"
              data-edge={`${from}->${to}`}
            />
          );
        })}
        {nodes.map((n) => {
          const body = (
            <>
              <rect x={x(n)} y={y(n)} width={NODE_W} height={NODE_H} rx="6" class={`node ${n.kind}`} />
              <text x={x(n) + 10} y={y(n) + NODE_H / 2 + 5}>
                <title>{`${n.label} (${n.kind})`}</title>
                {truncate(n.label)}
              </text>
            </>
          );
          return n.link ? (
            <a key={n.id} href={n.link} data-node={n.id}>
              {body}
            </a>
          ) : (
            <g key={n.id} data-node={n.id}>
              {body}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
