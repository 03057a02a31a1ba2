/** An HTTP answer: its status and its body parsed as JSON when it is JSON. */
export interface HttpAnswer {
  readonly status: number;
  readonly json?: Record<string, unknown>;
}

/** GETs `url` within `timeoutMs`; rejects on network errors and timeouts. */
export async function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url} within ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal, headers: { accept: "application/json" } });
    const text = await response.text();
    return { status: response.status, json: parseObject(text) };
  } finally {
    clearTimeout(timer);
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
