/**
 * The registry dumps of the example's two variants, made comparable. They register the same
 * objects but for where fare_vs_driver_mean's transform lives: in TypeScript the view holds the
 * function (feature-views.ts, export fareVsDriverMean, property transform), in YAML it names
 * transforms.ts#fareVsDriverMean. So the registries' hashes differ too.
 */

/** The transform location each variant registers for fare_vs_driver_mean. */
export const EXAMPLE_TRANSFORMS = {
  typescript: { export: 'fareVsDriverMean', module: 'feature-views.ts', property: 'transform' },
  yaml: { export: 'fareVsDriverMean', module: 'transforms.ts', property: null },
} as const;

/**
 * A YAML variant's dump text as the TypeScript variant's would read: its transform location
 * swapped for the TypeScript one, and the hash of the registry (which covers it) blanked, in both
 * forms. Apply it to both dumps, then compare the texts byte for byte.
 */
export function comparableExampleDump(dump: string): string {
  return dump
    .replace(
      /"module": "transforms\.ts",(\s*)"property": null/,
      '"module": "feature-views.ts",$1"property": "transform"',
    )
    .replace(/"hash": "[0-9a-f]+"/, '"hash": ""');
}

/** The registered transform location of fare_vs_driver_mean in a dump. */
export function exampleTransform(dump: string): unknown {
  const objects = (JSON.parse(dump) as { objects: { featureViews: { name: string; transform?: unknown }[] } })
    .objects;
  return objects.featureViews.find((v) => v.name === 'fare_vs_driver_mean')?.transform;
}
