/** The parts of a feature reference (`view:feature`, `view:*`, or a bare `view`). */

/** The view a reference names. */
export function inputViewName(ref: string): string {
  const colon = ref.indexOf(':');
  return colon < 0 ? ref : ref.slice(0, colon);
}

/** The feature a reference names, or `*` for all of the view's. */
export function inputFeatureName(ref: string): string {
  const colon = ref.indexOf(':');
  return colon < 0 ? '*' : ref.slice(colon + 1);
}
