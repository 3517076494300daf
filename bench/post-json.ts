/** One JSON POST to a loopback benchmark server, for the checks made before a load: any non-2xx throws. */
export async function postJson(port: number, route: string, body: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${route} on port ${port}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** The answer of `/get-online-features`, as far as the checks read it. */
export interface OnlineAnswer {
  metadata: { feature_names: string[] };
  results: { values: unknown[]; statuses: string[]; event_timestamps: string[] }[];
}
