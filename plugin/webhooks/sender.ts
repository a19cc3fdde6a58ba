/**
 * Posts one delivery over HTTP(S). The provider behind the worker, so specs can stand in for the
 * network; the real one is fetch with a deadline. Redirects are not followed: a receiver that
 * moved answers 3xx, which counts as a failure the log shows, rather than the body (and its
 * signature) going to wherever the redirect points.
 */
export interface WebhookSender {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number }>;
}

export const fetchSender: WebhookSender = {
  async post(url, body, headers, timeoutMs) {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    // The body is not kept; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  },
};

/** A network error in words for the delivery log (never the body or the secret). */
export function describeSendError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'no answer before the timeout';
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e?.message ?? 'request failed'}: ${cause}` : (e?.message ?? String(err));
}
