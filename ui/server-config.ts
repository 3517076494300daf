/**
 * What the server told the page when it served it (a meta tag): whether API keys are required, and
 * which optional endpoints exist, so pages for missing ones say so instead of failing requests.
 */
export interface ServerConfig {
  authRequired: boolean;
  endpoints: {
    stats: boolean;
    datasets: boolean;
    datasetStats: boolean;
    verify: boolean;
    validation: boolean;
    drift: boolean;
  };
}

export function readServerConfig(): ServerConfig {
  const content = document.querySelector('meta[name="trove-config"]')?.getAttribute('content');
  const fallback: ServerConfig = {
    authRequired: true,
    endpoints: {
      stats: false,
      datasets: false,
      datasetStats: false,
      verify: false,
      validation: false,
      drift: false,
    },
  };
  if (!content) return fallback;
  try {
    const parsed = JSON.parse(content) as Partial<ServerConfig>;
    return { ...fallback, ...parsed, endpoints: { ...fallback.endpoints, ...parsed.endpoints } };
  } catch {
    return fallback;
  }
}
